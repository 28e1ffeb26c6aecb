// Layer and import streams arrive plain or compressed; detection is by magic bytes, as Docker does for `import`/`load`.
// gzip and zstd decompress in-process (node:zlib); xz and bzip2 go through their CLI tools.

import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { pipeThrough } from '../../sys/exec.ts';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

const MAGICS: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
];

export function detectCompression(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGICS) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

/** Reads at least `n` bytes (or all, if shorter) and returns them plus a stream that replays them. */
export async function peek(input: NodeJS.ReadableStream, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < n) {
    const r = await iterator.next();
    if (r.done) {
      done = true;
      break;
    }
    const buf = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    chunks.push(buf);
    have += buf.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay() {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const r = await iterator.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  // objectMode false + Buffer chunks: consumers see an ordinary byte stream.
  return { head, stream: Readable.from(replay(), { objectMode: false }) };
}

/** A decompressing stream for one known compression. */
export function decompressor(kind: Compression, input: Readable, opts: { signal?: AbortSignal } = {}): Readable {
  switch (kind) {
    case 'none':
      return input;
    case 'gzip':
      // 1 MiB output chunks (the default is 16 KiB): a tenth of the per-chunk work downstream (hashing, writes).
      return pipeErrors(input, zlib.createGunzip({ chunkSize: 1 << 20 }));
    case 'zstd': {
      // zlib's zstd is new in Node 23.8/22.15; fall back to the CLI elsewhere.
      const z = zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream };
      if (typeof z.createZstdDecompress === 'function') {
        return pipeErrors(input, z.createZstdDecompress() as unknown as Readable & NodeJS.WritableStream);
      }
      return pipeThrough('zstd', ['-dc'], input, opts);
    }
    case 'xz':
      return pipeThrough('xz', ['-dc'], input, opts);
    case 'bzip2':
      return pipeThrough('bzip2', ['-dc'], input, opts);
  }
}

function pipeErrors(input: Readable, transform: Readable & NodeJS.WritableStream): Readable {
  // pipe() does not forward errors: a failing source must fail the output too.
  input.once('error', (e) => transform.destroy(e));
  return input.pipe(transform);
}

/** Detects the compression of `input` and returns the uncompressed stream. */
export async function maybeDecompress(
  input: NodeJS.ReadableStream,
  opts: { signal?: AbortSignal } = {},
): Promise<{ compression: Compression; stream: Readable }> {
  const { head, stream } = await peek(input, 6);
  const compression = detectCompression(head);
  return { compression, stream: decompressor(compression, stream, opts) };
}

