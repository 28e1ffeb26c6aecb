// Filesystem storage driver: driver paths map 1:1 under a root directory.
//
// The registry's layout on it (paths.ts builds these; after distribution's registry/storage/paths.go):
//
//   ROOT/
//     blobs/sha256/<hex[0:2]>/<hex>/data          content, manifests included. Only ever created by an atomic
//                                                  rename of a verified upload (or a verified putContent), so a
//                                                  blob that exists is complete and matches its digest.
//     repositories/<name>/                         <name> may have several components (library/busybox)
//       _layers/sha256/<hex>/link                  the blob is in this repository (text: the digest)
//       _manifests/revisions/sha256/<hex>/link     the manifest is in this repository (text: the digest)
//       _manifests/revisions/sha256/<hex>/mediatype  the media type it was pushed with (served back as stored)
//       _manifests/tags/<tag>/current/link         the tag points at this digest
//       _manifests/referrers/sha256/<subject hex>/sha256/<hex>/descriptor
//                                                  a manifest whose `subject` is <subject>: its descriptor (JSON)
//                                                  as the referrers API lists it
//     _uploads/<uuid>/data                         bytes received so far (the resumable offset is its size)
//     _uploads/<uuid>/info                         {"repository","startedAt"} (JSON)
//     _auth/token-key.pem                          the token-signing key (ES256), created by the server
//
// Names starting with '_' cannot be repository path components (the name grammar forbids them), so the layout's
// own directories never collide with repositories. Files are written by temp-file + rename, so a crash leaves the old
// file or the new one; leftover ".<name>.tmp-*" files are skipped by list().
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { dirname, join } from 'node:path';
import { isAtomicTempName, writeFileAtomic } from '../../sys/atomic-file.ts';
import type { FileInfo, FileWriter, StorageDriver } from './driver.ts';
import { StorageError, pathComponents } from './driver.ts';

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

export class FsDriver implements StorageDriver {
  readonly name = 'filesystem';
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private full(path: string): string {
    return join(this.root, ...pathComponents(path));
  }

  private async wrap<T>(path: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const c = errno(e);
      if (c === 'ENOENT' || c === 'ENOTDIR') throw new StorageError('path_not_found', path);
      if (c === 'EISDIR') throw new StorageError('invalid_path', path, `is a directory: ${path}`);
      throw e;
    }
  }

  getContent(path: string): Promise<Buffer> {
    const p = this.full(path);
    return this.wrap(path, () => readFile(p));
  }

  async putContent(path: string, data: Uint8Array | string): Promise<void> {
    const p = this.full(path);
    await mkdir(dirname(p), { recursive: true });
    await this.wrap(path, () => writeFileAtomic(p, data));
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    const p = this.full(path);
    const st = await this.wrap(path, () => stat(p));
    if (st.isDirectory()) throw new StorageError('invalid_path', path, `is a directory: ${path}`);
    if (offset < 0 || offset > st.size) throw new StorageError('invalid_offset', path);
    const end = length === undefined ? st.size : Math.min(st.size, offset + length);
    // createReadStream's end is inclusive; an empty range must still be an empty stream.
    if (end <= offset) return Readable.from([]);
    return createReadStream(p, { start: offset, end: end - 1 });
  }

  async writer(path: string, opts: { append?: boolean } = {}): Promise<FileWriter> {
    const p = this.full(path);
    await mkdir(dirname(p), { recursive: true });
    const fh = await this.wrap(path, () => open(p, opts.append ? 'a' : 'w'));
    let size = opts.append ? (await fh.stat()).size : 0;
    let closed = false;
    return {
      get size() {
        return size;
      },
      async write(chunk: Uint8Array) {
        if (closed) throw new Error('writer closed');
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
          size += bytesWritten;
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      },
    };
  }

  async stat(path: string): Promise<FileInfo> {
    const p = this.full(path);
    const st = await this.wrap(path, () => stat(p));
    return { path, size: st.isDirectory() ? 0 : st.size, modTime: st.mtime, isDir: st.isDirectory() };
  }

  async list(path: string): Promise<string[]> {
    const p = this.full(path);
    const names = await this.wrap(path, () => readdir(p));
    const base = path === '/' ? '' : path.replace(/\/$/, '');
    return names.filter((n) => !isAtomicTempName(n)).sort().map((n) => `${base}/${n}`);
  }

  async move(src: string, dest: string): Promise<void> {
    const s = this.full(src);
    const d = this.full(dest);
    await this.wrap(src, () => stat(s));
    await mkdir(dirname(d), { recursive: true });
    await this.wrap(src, () => rename(s, d));
  }

  async delete(path: string): Promise<void> {
    const p = this.full(path);
    if (p === this.root || pathComponents(path).length === 0) {
      throw new StorageError('invalid_path', path, 'refusing to delete the root');
    }
    await this.wrap(path, () => stat(p));
    await rm(p, { recursive: true, force: true });
  }
}
