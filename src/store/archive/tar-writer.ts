// A minimal streaming tar writer (POSIX ustar headers) for archives Berth generates itself (`docker save`): entries
// are directories and regular files whose sizes are known up front, so file bytes are streamed straight through.

import { invalidArgument } from '../../base/errors.ts';

const BLOCK = 512;

export interface TarWriteEntry {
  name: string;
  type: 'file' | 'dir';
  /** Bytes of a file entry (0 for directories). */
  size?: number;
  mode?: number;
  /** Seconds since the epoch. */
  mtime?: number;
}

function octal(value: number, width: number): string {
  // width includes the terminating NUL.
  const s = Math.floor(value).toString(8);
  if (s.length > width - 1) throw invalidArgument(`tar field overflow: ${value}`);
  return s.padStart(width - 1, '0') + '\0';
}

/** One 512-byte ustar header. Names up to 255 bytes (split at a "/" into prefix and name). */
export function tarHeader(e: TarWriteEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  let name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = cut > 0 ? name.slice(0, cut) : '';
    name = cut > 0 ? name.slice(cut + 1) : name;
    if (!prefix || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw invalidArgument(`tar entry name too long: ${e.name}`);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1'); // uid
  h.write(octal(0, 8), 116, 'latin1'); // gid
  h.write(octal(e.type === 'dir' ? 0 : (e.size ?? 0), 12), 124, 'latin1');
  h.write(octal(e.mtime ?? 0, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1'); // checksum placeholder
  h.write(e.type === 'dir' ? '5' : '0', 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  if (prefix) h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

/** Zero bytes completing a file of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rem = size % BLOCK;
  return Buffer.alloc(rem === 0 ? 0 : BLOCK - rem);
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_TRAILER: Buffer = Buffer.alloc(BLOCK * 2);
