// A streaming reader for the OUTER tar of `docker load` (docker-archive or OCI layout): it walks entries one at a time
// and hands each regular file's bytes to the caller as a stream, never holding more than one chunk. It understands
// ustar (with prefix), GNU long names/links ('L'/'K') and PAX path/linkpath/size records, and checks every header's
// checksum, so a stream that is not a tar fails at its first block. Layer tars are NOT read here: GNU tar unpacks
// those (store/diff/unpack-tar.ts).

import { invalidArgument } from '../../base/errors.ts';

const BLOCK = 512;
const MAX_META = 1 << 20;

export interface TarHeader {
  /** As stored, normalized: no leading "./", no trailing "/". */
  name: string;
  /** ustar typeflag: '0' file, '1' hard link, '2' symlink, '5' directory, ... */
  type: string;
  size: number;
  mode: number;
  linkname: string;
}

/** Reads exact byte counts from an async byte source. */
class ByteReader {
  private readonly it: AsyncIterator<Buffer | string>;
  private buf: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    return true;
  }

  /** Exactly `n` bytes; fewer only at end of input (the caller decides whether that is an error). */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.fill()));
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** Up to `n` bytes as chunks, as they arrive. Throws on a premature end. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw unexpectedEof();
      const take = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(take.length);
      left -= take.length;
      yield take;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.chunks(n));
  }

  /** Consumes the rest of the input (so an HTTP client is not cut off mid-upload). */
  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (await this.fill()) this.buf = Buffer.alloc(0);
  }
}

const unexpectedEof = () => invalidArgument('unexpected EOF: the archive is truncated', 'invalid_archive');

function cString(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

function parseNumeric(buf: Buffer, start: number, len: number): number {
  if (buf[start]! & 0x80) {
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i]!;
    return v;
  }
  const text = cString(buf, start, len).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalidArgument('archive/tar: invalid tar header', 'invalid_archive');
  return parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseNumeric(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp === -1) break;
    const len = parseInt(data.toString('utf8', pos, sp), 10);
    if (!(len > 0) || pos + len > data.length) throw invalidArgument('archive/tar: invalid PAX record', 'invalid_archive');
    const record = data.toString('utf8', sp + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** "./a/b/" → "a/b"; "/" and "." → "". */
export function normalizeEntryName(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '').replace(/\/\.\//g, '/');
}

/** A name that stays inside the archive root: relative, no ".." component. */
export function isSafeEntryName(name: string): boolean {
  return !name.startsWith('/') && !name.split('/').some((p) => p === '..');
}

/**
 * Calls `onEntry` for every entry in archive order. `body` yields a regular file's bytes; whatever the callback does
 * not read is skipped. Stops at the end-of-archive marker (or a clean end of input at a header boundary).
 */
export async function readTar(
  input: AsyncIterable<Buffer | string>,
  onEntry: (h: TarHeader, body: AsyncIterable<Buffer>) => Promise<void>,
  opts: { signal?: AbortSignal; drainOnError?: boolean } = {},
): Promise<void> {
  const r = new ByteReader(input);
  try {
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Map<string, string> | undefined;
    let sawHeader = false;
    for (;;) {
      opts.signal?.throwIfAborted();
      const h = await r.read(BLOCK);
      if (h.length === 0) {
        if (!sawHeader) throw invalidArgument('unexpected EOF: empty archive', 'invalid_archive');
        return;
      }
      if (h.length < BLOCK) throw sawHeader ? unexpectedEof() : invalidArgument('unexpected EOF: the input is not a tar archive', 'invalid_archive');
      if (h.every((b) => b === 0)) return; // end-of-archive marker (the second zero block is optional to us)
      if (!checksumOk(h)) {
        throw invalidArgument(sawHeader ? 'archive/tar: invalid tar header' : 'archive/tar: invalid tar header: the input is not a tar archive', 'invalid_archive');
      }
      sawHeader = true;
      const type = String.fromCharCode(h[156]! || 0x30);
      let size = parseNumeric(h, 124, 12);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
        if (size > MAX_META) throw invalidArgument('archive/tar: header too large', 'invalid_archive');
        const data = await r.read(padded);
        if (data.length < padded) throw unexpectedEof();
        const content = data.subarray(0, size);
        if (type === 'L') longName = cString(content, 0, content.length);
        else if (type === 'K') longLink = cString(content, 0, content.length);
        else if (type === 'x') pax = parsePax(content);
        continue;
      }
      let name = cString(h, 0, 100);
      let linkname = cString(h, 157, 100);
      if (h.toString('latin1', 257, 263) === 'ustar\0') {
        const prefix = cString(h, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      if (pax?.has('path')) name = pax.get('path')!;
      if (pax?.has('linkpath')) linkname = pax.get('linkpath')!;
      if (pax?.has('size')) size = Number(pax.get('size'));
      if (longName !== undefined) name = longName;
      if (longLink !== undefined) linkname = longLink;
      longName = longLink = pax = undefined;
      if (!Number.isSafeInteger(size) || size < 0) throw invalidArgument('archive/tar: invalid size', 'invalid_archive');
      const dataSize = ['1', '2', '3', '4', '5', '6'].includes(type) ? 0 : size;
      const dataPadded = Math.ceil(dataSize / BLOCK) * BLOCK;
      let consumed = 0;
      const body = (async function* () {
        for await (const c of r.chunks(dataSize - consumed)) {
          consumed += c.length;
          yield c;
        }
      })();
      await onEntry({ name: normalizeEntryName(name), type, size: dataSize, mode: parseNumeric(h, 100, 8), linkname }, body);
      await r.skip(dataPadded - consumed);
    }
  } catch (e) {
    if (opts.drainOnError) await r.drain().catch(() => {});
    throw e;
  }
}
