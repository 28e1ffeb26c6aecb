// The registry's storage driver: a small, streaming, path-addressed file store (after distribution's
// registry/storage/driver). Paths are absolute, '/'-separated, with components of [A-Za-z0-9._-] that are not '.' or
// '..'. Directories exist implicitly while they hold a file. Every implementation runs driver.contract.ts.
import type { Readable } from 'node:stream';

export interface FileInfo {
  path: string;
  size: number;
  modTime: Date;
  isDir: boolean;
}

/** An open file being written. Bytes written are durable-on-close and visible to stat/reader as they land. */
export interface FileWriter {
  /** Current size of the file, including what was there before an append. */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes and releases the file; what was written stays (a dropped upload keeps its received bytes). */
  close(): Promise<void>;
}

export interface StorageDriver {
  readonly name: string;
  getContent(path: string): Promise<Buffer>;
  /** Replaces the file atomically: readers see the old or the new content, never a mix. */
  putContent(path: string, data: Uint8Array | string): Promise<void>;
  /** Streams the file from `offset`; offset === size gives an empty stream, offset > size is an InvalidOffset error. */
  reader(path: string, offset?: number, length?: number): Promise<Readable>;
  /** Opens for writing; `append` keeps existing bytes (creating the file if missing), otherwise truncates. */
  writer(path: string, opts?: { append?: boolean }): Promise<FileWriter>;
  stat(path: string): Promise<FileInfo>;
  /** Immediate children (full paths, sorted). A missing or non-directory path is PathNotFound. */
  list(path: string): Promise<string[]>;
  /** Renames, replacing `dest`, atomically where the medium allows. */
  move(src: string, dest: string): Promise<void>;
  /** Removes a file or a whole tree. */
  delete(path: string): Promise<void>;
}

export class StorageError extends Error {
  readonly code: 'path_not_found' | 'invalid_path' | 'invalid_offset';
  readonly path: string;
  constructor(code: StorageError['code'], path: string, message?: string) {
    super(message ?? `${code.replace(/_/g, ' ')}: ${path}`);
    this.name = 'StorageError';
    this.code = code;
    this.path = path;
  }
}

export const isPathNotFound = (e: unknown): boolean => e instanceof StorageError && e.code === 'path_not_found';

const COMPONENT_RE = /^[A-Za-z0-9._-]+$/;

/** Validates a driver path; returns its components. '/' alone is the root (no components). */
export function pathComponents(path: string): string[] {
  if (!path.startsWith('/')) throw new StorageError('invalid_path', path);
  if (path === '/') return [];
  const parts = path.slice(1).split('/');
  for (const p of parts) {
    if (!COMPONENT_RE.test(p) || p === '.' || p === '..') throw new StorageError('invalid_path', path);
  }
  return parts;
}

/** Reads a whole stream (small files: manifests, links). */
export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Tolerates a missing path: returns undefined instead of throwing PathNotFound. */
export async function orMissing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isPathNotFound(e)) return undefined;
    throw e;
  }
}
