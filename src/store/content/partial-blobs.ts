// Resumable ingests keyed by the expected digest (downloads from registries). Unlike ContentStore.ingest (random
// names, swept at open), a partial download survives a cancelled pull and a daemon restart, so the next pull can
// continue with an HTTP Range request. On resume the kept prefix is hashed again (the hash covers the whole blob);
// commit verifies size and digest and renames the file to its content address. Partials older than the TTL are
// swept when the daemon opens the store.
//
// On-disk layout: ROOT/content/partial/<hex>   (ROOT = the content store's root)
// One writer per digest: callers serialize (the pull pipeline is single-flight per digest).

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from '../../base/digest.ts';
import { invalidArgument } from '../../base/errors.ts';
import { fsyncDir } from '../../sys/atomic-file.ts';
import type { BlobInfo, ContentStore } from './content-store.ts';

export const DEFAULT_PARTIAL_TTL_MS = 24 * 3600 * 1000;

export interface PartialWriter {
  /** Bytes already held (and hashed). */
  readonly offset: number;
  write(chunk: Buffer): Promise<void>;
  /** Drops the kept bytes (the server ignored the Range and sends everything again). */
  reset(): Promise<void>;
  /** Verifies size and digest and moves the blob into the store. A mismatch deletes the partial and throws. */
  commit(expectedSize?: number): Promise<BlobInfo>;
  /** Closes the file and keeps the bytes for a later resume. */
  close(): Promise<void>;
}

export class PartialBlobs {
  readonly dir: string;
  private readonly store: ContentStore;

  private constructor(store: ContentStore) {
    this.store = store;
    this.dir = join(store.root, 'content', 'partial');
  }

  /** Opens the partial area and removes partials older than `ttlMs` (by last write). */
  static async open(store: ContentStore, opts: { ttlMs?: number; now?: number } = {}): Promise<PartialBlobs> {
    const p = new PartialBlobs(store);
    await mkdir(p.dir, { recursive: true, mode: 0o700 });
    await p.sweep(opts.ttlMs ?? DEFAULT_PARTIAL_TTL_MS, opts.now ?? Date.now());
    return p;
  }

  async sweep(ttlMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name);
      const st = await stat(path).catch(() => undefined);
      if (!st) continue;
      if (!/^[a-f0-9]{64}$/.test(name) || now - st.mtimeMs > ttlMs) {
        await unlink(path).catch(() => {});
        removed++;
      }
    }
    return removed;
  }

  path(digest: string): string {
    return join(this.dir, digestHex(digest));
  }

  /** Bytes held for `digest` (0 when none). */
  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest)).catch(() => undefined))?.size ?? 0;
  }

  async list(): Promise<{ digest: string; size: number }[]> {
    const out = [];
    for (const name of await readdir(this.dir)) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (st) out.push({ digest: `sha256:${name}`, size: st.size });
    }
    return out;
  }

  async remove(digest: string): Promise<void> {
    await unlink(this.path(digest)).catch(() => {});
  }

  /** Opens (or creates) the partial for `digest`, hashing what is already there. */
  async writer(digest: string, opts: { signal?: AbortSignal } = {}): Promise<PartialWriter> {
    const path = this.path(digest);
    let hash = createHash('sha256');
    let offset = 0;
    const existing = await this.size(digest);
    if (existing > 0) {
      for await (const c of createReadStream(path, { end: existing - 1, signal: opts.signal })) {
        hash.update(c as Buffer);
        offset += (c as Buffer).length;
      }
    }
    let fh: FileHandle = await open(path, 'a', 0o600);
    if (offset !== existing) {
      await fh.truncate(offset);
    }
    const store = this.store;
    let closed = false;
    const w: PartialWriter = {
      get offset() {
        return offset;
      },
      async write(chunk: Buffer) {
        await fh.write(chunk);
        hash.update(chunk);
        offset += chunk.length;
      },
      async reset() {
        await fh.truncate(0);
        await fh.close();
        fh = await open(path, 'a', 0o600);
        hash = createHash('sha256');
        offset = 0;
      },
      async commit(expectedSize?: number) {
        await fh.sync();
        await fh.close();
        closed = true;
        const got = `sha256:${(hash as Hash).digest('hex')}`;
        if ((expectedSize !== undefined && offset !== expectedSize) || got !== digest) {
          await unlink(path).catch(() => {});
          if (expectedSize !== undefined && offset !== expectedSize) {
            throw invalidArgument(`size mismatch for ${digest}: got ${offset} bytes, expected ${expectedSize}`, 'size_mismatch');
          }
          throw invalidArgument(`digest mismatch: got ${got}, expected ${digest}`, 'digest_mismatch');
        }
        if (await store.has(digest)) {
          await unlink(path).catch(() => {});
        } else {
          await chmod(path, 0o444);
          await rename(path, store.blobPath(digest));
          await fsyncDir(join(store.root, 'content', 'blobs', 'sha256'));
        }
        return { digest, size: offset };
      },
      async close() {
        if (closed) return;
        closed = true;
        await fh.sync().catch(() => {});
        await fh.close();
      },
    };
    return w;
  }
}
