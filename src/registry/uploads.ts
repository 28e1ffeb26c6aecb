// Blob upload sessions: start → (append)* → finish | cancel.
//
// Bytes land in _uploads/<uuid>/data as they arrive; the resumable offset is simply that file's size, so a dropped
// connection loses nothing that reached the disk and the session survives a server restart. finish() verifies the
// digest over the whole file and only then renames it to blobs/sha256/.../data: a blob that is visible is complete.
// A running sha256 follows the appends while the process lives; after a restart (or a mismatch in the offsets) the
// file is hashed again from the start.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { KeyedMutex } from '../base/keyed-mutex.ts';
import { regErr, RegistryError } from './registry-error.ts';
import { blobData, uploadData, uploadDir, uploadInfo } from './paths.ts';
import type { StorageDriver } from './storage/driver.ts';
import { isPathNotFound, orMissing } from './storage/driver.ts';

export interface UploadInfo {
  repository: string;
  startedAt: string;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

const UUID_RE = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;
export const isUploadId = (s: string): boolean => UUID_RE.test(s);

/** Parses a chunk's Content-Range: "<start>-<end>" (also tolerates a "bytes " / "bytes=" prefix). */
export function parseContentRange(h: string): ByteRange | undefined {
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(h.trim());
  if (m === null) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end };
}

/** The upload Range header: "0-<last byte>", and "0-0" for an empty upload (as distribution answers). */
export const uploadRangeHeader = (offset: number): string => `0-${Math.max(0, offset - 1)}`;

export class Uploads {
  private readonly driver: StorageDriver;
  private readonly locks = new KeyedMutex();
  private readonly hashes = new Map<string, { hash: Hash; offset: number }>();

  constructor(driver: StorageDriver) {
    this.driver = driver;
  }

  async start(repository: string): Promise<string> {
    const uuid = randomUUID();
    const info: UploadInfo = { repository, startedAt: new Date().toISOString() };
    await this.driver.putContent(uploadInfo(uuid), JSON.stringify(info));
    await (await this.driver.writer(uploadData(uuid))).close();
    this.hashes.set(uuid, { hash: createHash('sha256'), offset: 0 });
    return uuid;
  }

  /** The session's info; BLOB_UPLOAD_UNKNOWN when it does not exist or belongs to another repository. */
  async info(repository: string, uuid: string): Promise<UploadInfo> {
    if (!isUploadId(uuid)) throw regErr('BLOB_UPLOAD_UNKNOWN', undefined, { uuid });
    const raw = await orMissing(this.driver.getContent(uploadInfo(uuid)));
    if (raw === undefined) throw regErr('BLOB_UPLOAD_UNKNOWN', undefined, { uuid });
    const info = JSON.parse(raw.toString()) as UploadInfo;
    if (info.repository !== repository) throw regErr('BLOB_UPLOAD_UNKNOWN', undefined, { uuid });
    return info;
  }

  /** Bytes received so far. */
  async offset(repository: string, uuid: string): Promise<number> {
    await this.info(repository, uuid);
    const st = await orMissing(this.driver.stat(uploadData(uuid)));
    if (st === undefined) throw regErr('BLOB_UPLOAD_UNKNOWN', undefined, { uuid });
    return st.size;
  }

  /**
   * Appends a chunk. With `range`, its start must equal the current offset (else 416 with the current Range) and the
   * body must carry exactly end-start+1 bytes. Whatever arrives before the stream breaks is kept.
   */
  append(
    repository: string,
    uuid: string,
    body: AsyncIterable<Uint8Array>,
    opts: { range?: ByteRange; length?: number } = {},
  ): Promise<number> {
    return this.locks.run(uuid, async () => {
      const offset = await this.offset(repository, uuid);
      if (opts.range !== undefined && opts.range.start !== offset) {
        throw new RegistryError('BLOB_UPLOAD_INVALID', `chunk starts at ${opts.range.start}, upload is at ${offset}`, {
          status: 416,
          headers: { Range: uploadRangeHeader(offset) },
          detail: { offset },
        });
      }
      const expected = opts.range !== undefined ? opts.range.end - opts.range.start + 1 : opts.length;
      let h = this.hashes.get(uuid);
      if (h !== undefined && h.offset !== offset) {
        this.hashes.delete(uuid);
        h = undefined;
      }
      const w = await this.driver.writer(uploadData(uuid), { append: true });
      let received = 0;
      try {
        for await (const chunk of body) {
          await w.write(chunk);
          received += chunk.length;
          if (h !== undefined) {
            h.hash.update(chunk);
            h.offset += chunk.length;
          }
        }
      } finally {
        await w.close();
      }
      if (expected !== undefined && received !== expected) {
        throw new RegistryError('SIZE_INVALID', `chunk carried ${received} bytes, expected ${expected}`, {
          headers: { Range: uploadRangeHeader(offset + received) },
        });
      }
      return offset + received;
    });
  }

  /**
   * Verifies the upload against `digest` and makes it a blob. On a mismatch the session is cancelled and nothing
   * becomes visible. Returns the blob size.
   */
  finish(repository: string, uuid: string, digest: string, commit: (size: number) => Promise<void>): Promise<number> {
    return this.locks.run(uuid, async () => {
      const size = await this.offset(repository, uuid);
      let actual: string;
      const h = this.hashes.get(uuid);
      if (h !== undefined && h.offset === size) {
        actual = 'sha256:' + h.hash.copy().digest('hex');
      } else {
        const hash = createHash('sha256');
        for await (const c of await this.driver.reader(uploadData(uuid))) hash.update(c as Buffer);
        actual = 'sha256:' + hash.digest('hex');
      }
      if (actual !== digest) {
        await this.remove(uuid);
        throw regErr('DIGEST_INVALID', `provided digest ${digest} does not match uploaded content ${actual}`, {
          digest,
        });
      }
      const existing = await orMissing(this.driver.stat(blobData(digest)));
      if (existing === undefined) await this.driver.move(uploadData(uuid), blobData(digest));
      await commit(size);
      await this.remove(uuid);
      return size;
    });
  }

  cancel(repository: string, uuid: string): Promise<void> {
    return this.locks.run(uuid, async () => {
      await this.info(repository, uuid);
      await this.remove(uuid);
    });
  }

  private async remove(uuid: string): Promise<void> {
    this.hashes.delete(uuid);
    try {
      await this.driver.delete(uploadDir(uuid));
    } catch (e) {
      if (!isPathNotFound(e)) throw e;
    }
  }
}
