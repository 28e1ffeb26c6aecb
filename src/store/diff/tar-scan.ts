// A streaming tar header scanner: it sees the bytes on their way into GNU tar and reports each entry's name and type,
// so whiteouts can be converted without walking the unpacked tree afterwards. It understands ustar prefixes, GNU long
// names ('L'), PAX path/size records ('x') and GNU sparse extension headers; it never buffers file data.

export interface TarEntryInfo {
  /** Normalized: no leading "./" or "/", no trailing "/". */
  name: string;
  /** The ustar typeflag character ('0' file, '5' dir, '2' symlink, ...). */
  type: string;
  /** Link target of hard links ('1') and symlinks ('2'), as stored. */
  linkname?: string;
}

const BLOCK = 512;
const MAX_META = 1 << 20;
// Header-only types carry no data even when the size field says otherwise (as Go's archive/tar treats them).
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

function cString(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

function parseNumeric(buf: Buffer, start: number, len: number): number {
  if (buf[start]! & 0x80) {
    // GNU base-256 for values that do not fit in octal.
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i]!;
    return v;
  }
  const text = cString(buf, start, len).trim();
  return text ? parseInt(text, 8) : 0;
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp === -1) break;
    const len = parseInt(data.toString('utf8', pos, sp), 10);
    if (!(len > 0)) break;
    const record = data.toString('utf8', sp + 1, pos + len - 1); // drop trailing "\n"
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

export function normalizeTarName(name: string): string {
  let n = name;
  while (n.startsWith('./')) n = n.slice(2);
  n = n.replace(/^\/+/, '').replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

export class TarScanner {
  private readonly onEntry: (e: TarEntryInfo) => void;
  private pending = Buffer.alloc(0);
  /** Bytes of entry data still to skip. */
  private skip = 0;
  /** Data being collected for a meta entry ('L' or 'x'). */
  private collect: { type: string; remaining: number; padded: number; parts: Buffer[]; kept: number } | undefined;
  private sparseExtensions = 0;
  private sparseSize = 0;
  private longName: string | undefined;
  private paxPath: string | undefined;
  private longLink: string | undefined;
  private paxLink: string | undefined;
  private paxSize: number | undefined;

  constructor(onEntry: (e: TarEntryInfo) => void) {
    this.onEntry = onEntry;
  }

  write(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - pos);
        this.skip -= n;
        pos += n;
        if (this.skip > 0) break;
        continue;
      }
      if (this.collect) {
        const c = this.collect;
        const n = Math.min(c.padded, buf.length - pos);
        const take = Math.min(n, c.remaining);
        // Long names and PAX records are small; cap what a hostile archive can make us hold.
        if (take > 0 && c.kept < MAX_META) {
          c.parts.push(Buffer.from(buf.subarray(pos, pos + take)));
          c.kept += take;
        }
        c.remaining -= take;
        c.padded -= n;
        pos += n;
        if (c.padded > 0) break;
        this.collect = undefined;
        this.finishMeta(c.type, Buffer.concat(c.parts));
        continue;
      }
      if (buf.length - pos < BLOCK) break;
      this.header(buf.subarray(pos, pos + BLOCK));
      pos += BLOCK;
    }
    // Keep only an incomplete header (< 512 bytes); data being skipped or collected is never retained.
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  }

  private header(h: Buffer): void {
    if (this.sparseExtensions > 0) {
      // GNU sparse extension block: byte 504 says whether another follows.
      if (h[504] === 0) {
        this.sparseExtensions = 0;
        this.skip = Math.ceil(this.sparseSize / BLOCK) * BLOCK;
      }
      return;
    }
    if (h.every((b) => b === 0)) return; // end-of-archive marker
    const type = String.fromCharCode(h[156]! || 0x30);
    let size = parseNumeric(h, 124, 12);
    if (type === 'L' || type === 'x' || type === 'g' || type === 'K') {
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      this.collect = { type, remaining: size, padded, parts: [], kept: 0 };
      if (padded === 0) {
        this.collect = undefined;
        this.finishMeta(type, Buffer.alloc(0));
      }
      return;
    }
    const magic = h.toString('latin1', 257, 263);
    let name = cString(h, 0, 100);
    // POSIX ustar has a 155-byte prefix; GNU's "ustar  " header uses those bytes for other fields.
    if (magic === 'ustar\0') {
      const prefix = cString(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (this.paxPath !== undefined) name = this.paxPath;
    if (this.longName !== undefined) name = this.longName;
    if (this.paxSize !== undefined) size = this.paxSize;
    let linkname = this.longLink ?? this.paxLink ?? cString(h, 157, 100);
    this.longName = this.paxPath = this.paxSize = this.longLink = this.paxLink = undefined;
    if (type !== '1' && type !== '2') linkname = '';
    this.onEntry(linkname ? { name: normalizeTarName(name), type, linkname } : { name: normalizeTarName(name), type });
    const dataSize = HEADER_ONLY.has(type) ? 0 : size;
    if (type === 'S' && h[482] !== 0) {
      this.sparseExtensions = 1;
      this.sparseSize = dataSize;
      return;
    }
    this.skip = Math.ceil(dataSize / BLOCK) * BLOCK;
  }

  private finishMeta(type: string, data: Buffer): void {
    if (type === 'L') this.longName = cString(data, 0, data.length);
    else if (type === 'K') this.longLink = cString(data, 0, data.length);
    else if (type === 'x') {
      const pax = parsePax(data);
      const path = pax.get('path');
      if (path !== undefined) this.paxPath = path;
      const size = pax.get('size');
      if (size !== undefined) this.paxSize = Number(size);
      const linkpath = pax.get('linkpath');
      if (linkpath !== undefined) this.paxLink = linkpath;
    }
    // 'g' (global PAX) does not change the next entry.
  }
}
