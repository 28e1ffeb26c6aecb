// In-memory storage driver: for tests and throwaway registries. Directories are implied by file paths.
import { Readable } from 'node:stream';
import type { FileInfo, FileWriter, StorageDriver } from './driver.ts';
import { StorageError, pathComponents } from './driver.ts';

interface MemFile {
  chunks: Buffer[];
  size: number;
  modTime: Date;
}

const norm = (path: string): string => '/' + pathComponents(path).join('/');

export class MemoryDriver implements StorageDriver {
  readonly name = 'inmemory';
  private files = new Map<string, MemFile>();

  private file(path: string): MemFile {
    const f = this.files.get(norm(path));
    if (f === undefined) throw new StorageError('path_not_found', path);
    return f;
  }

  private isDir(path: string): boolean {
    const prefix = path === '/' ? '/' : path + '/';
    for (const k of this.files.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** A file may not sit where a directory is, nor under a file. */
  private checkPlace(p: string): void {
    if (this.isDir(p)) throw new StorageError('invalid_path', p, `is a directory: ${p}`);
    const parts = pathComponents(p);
    for (let i = 1; i < parts.length; i++) {
      const parent = '/' + parts.slice(0, i).join('/');
      if (this.files.has(parent)) throw new StorageError('invalid_path', p, `not a directory: ${parent}`);
    }
  }

  private flat(f: MemFile): Buffer {
    if (f.chunks.length > 1) f.chunks = [Buffer.concat(f.chunks)];
    return f.chunks[0] ?? Buffer.alloc(0);
  }

  async getContent(path: string): Promise<Buffer> {
    return Buffer.from(this.flat(this.file(path)));
  }

  async putContent(path: string, data: Uint8Array | string): Promise<void> {
    const p = norm(path);
    this.checkPlace(p);
    const b = Buffer.from(data);
    this.files.set(p, { chunks: [b], size: b.length, modTime: new Date() });
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    const f = this.file(path);
    if (offset < 0 || offset > f.size) throw new StorageError('invalid_offset', path);
    const end = length === undefined ? f.size : Math.min(f.size, offset + length);
    const data = Buffer.from(this.flat(f).subarray(offset, end));
    return Readable.from(data.length > 0 ? [data] : []);
  }

  async writer(path: string, opts: { append?: boolean } = {}): Promise<FileWriter> {
    const p = norm(path);
    let f = this.files.get(p);
    if (f === undefined || !opts.append) {
      this.checkPlace(p);
      f = { chunks: [], size: 0, modTime: new Date() };
      this.files.set(p, f);
    }
    const file = f;
    let closed = false;
    return {
      get size() {
        return file.size;
      },
      async write(chunk: Uint8Array) {
        if (closed) throw new Error('writer closed');
        file.chunks.push(Buffer.from(chunk));
        file.size += chunk.length;
        file.modTime = new Date();
      },
      async close() {
        closed = true;
      },
    };
  }

  async stat(path: string): Promise<FileInfo> {
    const p = norm(path);
    const f = this.files.get(p);
    if (f !== undefined) return { path: p, size: f.size, modTime: f.modTime, isDir: false };
    if (!this.isDir(p)) throw new StorageError('path_not_found', path);
    let modTime = new Date(0);
    const prefix = p === '/' ? '/' : p + '/';
    for (const [k, v] of this.files) if (k.startsWith(prefix) && v.modTime > modTime) modTime = v.modTime;
    return { path: p, size: 0, modTime, isDir: true };
  }

  async list(path: string): Promise<string[]> {
    const p = norm(path);
    const prefix = p === '/' ? '/' : p + '/';
    const out = new Set<string>();
    for (const k of this.files.keys()) {
      if (!k.startsWith(prefix)) continue;
      const child = k.slice(prefix.length).split('/')[0]!;
      out.add(prefix + child);
    }
    if (out.size === 0) throw new StorageError('path_not_found', path);
    return [...out].sort();
  }

  async move(src: string, dest: string): Promise<void> {
    const s = norm(src);
    const d = norm(dest);
    const f = this.files.get(s);
    if (f === undefined) throw new StorageError('path_not_found', src);
    if (s === d) return;
    this.checkPlace(d);
    this.files.delete(s);
    this.files.set(d, f);
  }

  async delete(path: string): Promise<void> {
    const p = norm(path);
    if (p === '/') throw new StorageError('invalid_path', path, 'refusing to delete the root');
    let found = this.files.delete(p);
    const prefix = p + '/';
    for (const k of [...this.files.keys()]) {
      if (k.startsWith(prefix)) {
        this.files.delete(k);
        found = true;
      }
    }
    if (!found) throw new StorageError('path_not_found', path);
  }
}
