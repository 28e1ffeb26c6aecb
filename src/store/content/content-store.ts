// Content-addressed blob store. Two-phase writes: a blob is streamed into an ingest file, hashed on the way, fsynced,
// verified against the expected size and digest, and only then renamed to its content address. A crash leaves at
// most an ingest file (swept at open), never a blob whose bytes do not match its name.
//
// On-disk layout (ROOT is the store's root, e.g. <data-root>):
//   ROOT/content/blobs/sha256/<hex>   committed blobs, read-only (0444)
//   ROOT/content/ingest/<random>      in-flight writes

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { invalidArgument, notFound } from '../../base/errors.ts';
import { assertDigest, digestHex } from '../../base/digest.ts';
import { fsyncDir } from '../../sys/atomic-file.ts';

/** Bytes between early writeback kicks of a big ingest. */
const SYNC_EVERY = 16 << 20;

export interface BlobInfo {
  digest: string;
  size: number;
}

/** What readers of blobs need (image export, push, registry). */
export interface BlobReader {
  has(digest: string): Promise<boolean>;
  info(digest: string): Promise<BlobInfo | undefined>;
  readStream(digest: string): Promise<Readable>;
  readBuffer(digest: string): Promise<Buffer>;
}

/** What writers of blobs need (pull, import, load, commit). */
export interface BlobWriter {
  ingest(stream: NodeJS.ReadableStream | Uint8Array, opts?: IngestOptions): Promise<BlobInfo>;
  delete(digest: string): Promise<void>;
}

export interface IngestOptions {
  /** When given, the blob must hash to this digest (and have this size) or nothing is committed. */
  expected?: { digest: string; size?: number };
  signal?: AbortSignal;
}

export class ContentStore implements BlobReader, BlobWriter {
  readonly root: string;
  private readonly blobDir: string;
  private readonly ingestDir: string;

  private constructor(root: string) {
    this.root = root;
    this.blobDir = join(root, 'content', 'blobs', 'sha256');
    this.ingestDir = join(root, 'content', 'ingest');
  }

  /** Opens (creating if needed) the store under `root` and sweeps ingests left by a crash. */
  static async open(root: string): Promise<ContentStore> {
    const store = new ContentStore(root);
    await mkdir(store.blobDir, { recursive: true });
    await rm(store.ingestDir, { recursive: true, force: true });
    await mkdir(store.ingestDir, { recursive: true });
    return store;
  }

  blobPath(digest: string): string {
    return join(this.blobDir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async readStream(digest: string): Promise<Readable> {
    const path = this.blobPath(digest);
    // Open first so a missing blob is a clean notFound rather than a later stream error.
    const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? notFound(`blob ${digest} not found`, 'blob_not_found') : e;
    });
    return fh.createReadStream();
  }

  async readBuffer(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found`, 'blob_not_found');
      throw e;
    }
  }

  /** When the blob was committed (ms since the epoch); undefined if absent. */
  async modified(digest: string): Promise<number | undefined> {
    return (await stat(this.blobPath(digest)).catch(() => undefined))?.mtimeMs;
  }

  async delete(digest: string): Promise<void> {
    try {
      await unlink(this.blobPath(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return;
    }
    await fsyncDir(this.blobDir);
  }

  async list(): Promise<string[]> {
    return (await readdir(this.blobDir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /**
   * Commits an existing file (same filesystem) by hard link, without copying: for data a caller already hashed while
   * writing it (`docker load`'s spool). The caller vouches for `digest`; the size is checked. The file is fsynced and
   * made read-only (its other name, if kept, shares the inode).
   */
  async adopt(path: string, expected: { digest: string; size: number }): Promise<BlobInfo> {
    assertDigest(expected.digest);
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (st.size !== expected.size) {
        throw invalidArgument(`size mismatch for ${expected.digest}: got ${st.size} bytes, expected ${expected.size}`, 'size_mismatch');
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (await this.has(expected.digest)) return { digest: expected.digest, size: expected.size };
    await chmod(path, 0o444);
    try {
      await link(path, this.blobPath(expected.digest));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EXDEV') return this.ingest(createReadStream(path), { expected });
      if (code !== 'EEXIST') throw e;
      return { digest: expected.digest, size: expected.size };
    }
    await fsyncDir(this.blobDir);
    return { digest: expected.digest, size: expected.size };
  }

  async ingest(input: NodeJS.ReadableStream | Uint8Array, opts: IngestOptions = {}): Promise<BlobInfo> {
    if (opts.expected) assertDigest(opts.expected.digest);
    const tmp = join(this.ingestDir, randomBytes(12).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const fh = await open(tmp, 'wx', 0o444);
    let committed = false;
    try {
      // One write in flight while the next chunk is hashed (chunks are never reused by their producers).
      let inFlight: Promise<unknown> = Promise.resolve();
      let syncing: Promise<void> | undefined;
      let synced = 0;
      try {
        const source = input instanceof Uint8Array ? [input] : input;
        for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
          opts.signal?.throwIfAborted();
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          hash.update(buf);
          size += buf.length;
          // Fail early on oversize input instead of writing it all to disk first.
          if (opts.expected?.size !== undefined && size > opts.expected.size) {
            throw invalidArgument(`size mismatch for ${opts.expected.digest}: more than ${opts.expected.size} bytes`, 'size_mismatch');
          }
          await inFlight;
          inFlight = fh.write(buf);
          // Start writeback as the data comes (one datasync at a time, not awaited) so the final fsync of a big
          // blob is not one long tail after the last byte.
          if (size - synced >= SYNC_EVERY && !syncing) {
            synced = size;
            syncing = fh.datasync().finally(() => void (syncing = undefined));
          }
        }
        await inFlight;
        await syncing;
        opts.signal?.throwIfAborted();
        await fh.sync();
      } finally {
        await inFlight.catch(() => {});
        await syncing?.catch(() => {});
        await fh.close();
      }
      const digest = `sha256:${hash.digest('hex')}`;
      if (opts.expected) {
        if (opts.expected.size !== undefined && size !== opts.expected.size) {
          throw invalidArgument(`size mismatch for ${opts.expected.digest}: got ${size} bytes, expected ${opts.expected.size}`, 'size_mismatch');
        }
        if (digest !== opts.expected.digest) {
          throw invalidArgument(`digest mismatch: got ${digest}, expected ${opts.expected.digest}`, 'digest_mismatch');
        }
      }
      // Same content already committed: keep the existing file (readers may have it open).
      if (!(await this.has(digest))) {
        await rename(tmp, this.blobPath(digest));
        committed = true;
        await fsyncDir(this.blobDir);
      }
      return { digest, size };
    } finally {
      if (!committed) await unlink(tmp).catch(() => {});
    }
  }
}

/** Convenience for callers holding a Buffer-like blob. */
export const bufferStream = (data: Uint8Array): Readable => Readable.from([data]);
