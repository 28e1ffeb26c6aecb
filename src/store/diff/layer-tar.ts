// Streams a layer tar from diff entries (overlay-diff.ts): headers from lstat, file data read as it goes, hard links
// inside the layer kept as links, whiteouts as empty ".wh." files. Numeric owners, mode and mtime preserved, xattrs as
// SCHILY.xattr PAX records. If a file changes size while being read (a running, unpaused container), its data is cut
// or zero-padded to the size in its header so the archive always stays well-formed.

import { createReadStream, type Stats } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { LayerEntry } from './overlay-diff.ts';
import { encodeTarHeader, tarPadding, TAR_END, type TarHeader, type TarType } from './tar-writer.ts';

function typeOf(st: Stats): TarType | undefined {
  if (st.isFile()) return '0';
  if (st.isDirectory()) return '5';
  if (st.isSymbolicLink()) return '2';
  if (st.isCharacterDevice()) return '3';
  if (st.isBlockDevice()) return '4';
  if (st.isFIFO()) return '6';
  return undefined; // sockets are not archived (as GNU tar and Docker)
}

const major = (rdev: number) => ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff);
const minor = (rdev: number) => (rdev & 0xff) | ((rdev >> 12) & ~0xff);

async function* fileData(path: string, size: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let sent = 0;
  if (size > 0) {
    for await (const chunk of createReadStream(path, { end: size - 1, signal, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      const take = Math.min(chunk.length, size - sent);
      if (take > 0) yield take === chunk.length ? chunk : chunk.subarray(0, take);
      sent += take;
      if (sent >= size) break;
    }
  }
  while (sent < size) {
    const n = Math.min(size - sent, 65536);
    yield Buffer.alloc(n);
    sent += n;
  }
  yield tarPadding(size);
}

export async function* layerTarChunks(entries: readonly LayerEntry[], opts: { signal?: AbortSignal } = {}): AsyncGenerator<Buffer> {
  const links = new Map<string, string>();
  for (const e of entries) {
    opts.signal?.throwIfAborted();
    if (e.whiteout || !e.stat || !e.source) {
      yield encodeTarHeader({ name: e.path, type: '0', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
      continue;
    }
    const st = e.stat;
    const type = typeOf(st);
    if (!type) continue;
    const h: TarHeader = {
      name: type === '5' ? `${e.path}/` : e.path,
      type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: 0,
      mtime: Math.floor(st.mtimeMs / 1000),
      xattrs: e.xattrs,
    };
    if (type === '0' && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        yield encodeTarHeader({ ...h, type: '1', linkname: first, xattrs: undefined });
        continue;
      }
      links.set(key, e.path);
    }
    if (type === '2') h.linkname = await readlink(e.source);
    if (type === '3' || type === '4') {
      h.devmajor = major(st.rdev);
      h.devminor = minor(st.rdev);
    }
    if (type === '0') h.size = st.size;
    yield encodeTarHeader(h);
    if (type === '0') yield* fileData(e.source, st.size, opts.signal);
  }
  yield TAR_END;
}

/** The layer tar as a stream. */
export function layerTarStream(entries: readonly LayerEntry[], opts: { signal?: AbortSignal } = {}): Readable {
  return Readable.from(layerTarChunks(entries, opts), { objectMode: false });
}
