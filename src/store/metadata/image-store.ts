// Image records and repository references, persisted as JSON files and held in memory for lookups (listing never
// touches the disk). One writer: mutations are serialized through a promise queue.
//
// On-disk layout (ROOT = the store root):
//   ROOT/images/<hex>.json   one ImageRecord per image; <hex> is the config digest
//   ROOT/images/refs.json    { "<familiar tagged ref>": "sha256:<image id>" }, e.g. "busybox:latest"
// Records are written before the refs that name them and refs are dropped before their record, so a crash leaves at
// worst an untagged (dangling) image, never a ref to nothing. Stray refs found at open are dropped.

import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assertDigest, digestHex, isDigest } from '../../base/digest.ts';
import { isBerthError, notFound } from '../../base/errors.ts';
import type { OciImageConfig } from '../../spec/oci-image.ts';
import { familiarName, familiarString, parseReference, withDefaultTag, type Reference } from '../../spec/reference.ts';
import { fsyncDir, isAtomicTempName, readJson, writeFileAtomic } from '../../sys/atomic-file.ts';

export interface ImageRecord {
  /** sha256:<hex> of the config JSON. */
  id: string;
  config: OciImageConfig;
  /** Chain id of the top layer; null for an image without layers. */
  chainId: string | null;
  /** Bytes of all layers' content. */
  size: number;
  /** Bytes of each layer's content, bottom first (for history). */
  layerSizes?: number[];
  /** When this image was stored here (RFC 3339). */
  created: string;
  /** Familiar digested references, e.g. "busybox@sha256:...". */
  repoDigests: string[];
  /** The image this one was built or committed from (Docker's Parent), if known. */
  parent?: string;
  lastTagTime?: string;
}

/** A ref as stored: familiar, with the default tag applied ("busybox" → "busybox:latest"). */
export function canonicalRef(ref: string | Reference): string {
  return familiarString(withDefaultTag(typeof ref === 'string' ? parseReference(ref) : ref));
}

export class ImageStore {
  private readonly dir: string;
  private readonly images = new Map<string, ImageRecord>();
  /** familiar tagged ref → image id */
  private readonly refs = new Map<string, string>();
  /** familiar digested ref → image id */
  private readonly digestRefs = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(root: string) {
    this.dir = join(root, 'images');
  }

  static async open(root: string): Promise<ImageStore> {
    const s = new ImageStore(root);
    await mkdir(s.dir, { recursive: true });
    for (const name of await readdir(s.dir)) {
      if (isAtomicTempName(name)) {
        await unlink(join(s.dir, name)).catch(() => {});
        continue;
      }
      const m = /^([a-f0-9]{64})\.json$/.exec(name);
      if (!m) continue;
      const rec = await readJson<ImageRecord>(join(s.dir, name));
      if (rec && rec.id === `sha256:${m[1]}`) s.index(rec);
    }
    const refs = (await readJson<Record<string, string>>(join(s.dir, 'refs.json'))) ?? {};
    let stray = false;
    for (const [ref, id] of Object.entries(refs)) {
      if (s.images.has(id)) s.refs.set(ref, id);
      else stray = true;
    }
    if (stray) await s.saveRefs();
    return s;
  }

  private index(rec: ImageRecord): void {
    const old = this.images.get(rec.id);
    if (old) for (const d of old.repoDigests) this.digestRefs.delete(d);
    this.images.set(rec.id, rec);
    for (const d of rec.repoDigests) this.digestRefs.set(d, rec.id);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => {});
    return p;
  }

  private recordPath(id: string): string {
    return join(this.dir, `${digestHex(id)}.json`);
  }

  private async saveRefs(): Promise<void> {
    const obj: Record<string, string> = {};
    for (const [k, v] of [...this.refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) obj[k] = v;
    await writeFileAtomic(join(this.dir, 'refs.json'), JSON.stringify(obj, null, 1) + '\n');
  }

  get(id: string): ImageRecord | undefined {
    return this.images.get(id);
  }

  list(): ImageRecord[] {
    return [...this.images.values()];
  }

  /** Stores (or replaces) a record. */
  put(rec: ImageRecord): Promise<void> {
    assertDigest(rec.id);
    return this.serial(async () => {
      await writeFileAtomic(this.recordPath(rec.id), JSON.stringify(rec) + '\n');
      this.index(structuredClone(rec));
    });
  }

  /** Removes a record and every ref to it. */
  delete(id: string): Promise<void> {
    return this.serial(async () => {
      const rec = this.images.get(id);
      if (!rec) return;
      let changed = false;
      for (const [ref, target] of this.refs) {
        if (target === id) {
          this.refs.delete(ref);
          changed = true;
        }
      }
      if (changed) await this.saveRefs();
      for (const d of rec.repoDigests) this.digestRefs.delete(d);
      this.images.delete(id);
      await unlink(this.recordPath(id)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      await fsyncDir(this.dir);
    });
  }

  /**
   * Points `ref` (default tag applied) at image `id`, moving it from any other image. Returns the image it pointed to
   * before, if any.
   */
  tag(id: string, ref: string | Reference): Promise<string | undefined> {
    const key = canonicalRef(ref);
    return this.serial(async () => {
      const rec = this.images.get(id);
      if (!rec) throw notFound(`No such image: ${id}`, 'image_not_found');
      const previous = this.refs.get(key);
      this.refs.set(key, id);
      await this.saveRefs();
      const tagged = { ...rec, lastTagTime: new Date().toISOString() };
      await writeFileAtomic(this.recordPath(id), JSON.stringify(tagged) + '\n');
      this.index(tagged);
      return previous;
    });
  }

  /** Removes a tag; returns the image id it pointed to, or undefined if there was no such tag. */
  untag(ref: string | Reference): Promise<string | undefined> {
    const key = canonicalRef(ref);
    return this.serial(async () => {
      const id = this.refs.get(key);
      if (id === undefined) return undefined;
      this.refs.delete(key);
      await this.saveRefs();
      return id;
    });
  }

  /** Replaces an image's digested references (set by pull/push; pruned by rmi). */
  setRepoDigests(id: string, repoDigests: string[]): Promise<void> {
    return this.serial(async () => {
      const rec = this.images.get(id);
      if (!rec) throw notFound(`No such image: ${id}`, 'image_not_found');
      const next = { ...rec, repoDigests: [...new Set(repoDigests)] };
      await writeFileAtomic(this.recordPath(id), JSON.stringify(next) + '\n');
      this.index(next);
    });
  }

  /** Familiar tagged refs of an image, sorted. */
  refsFor(id: string): string[] {
    const out: string[] = [];
    for (const [ref, target] of this.refs) if (target === id) out.push(ref);
    return out.sort();
  }

  /** Images whose parent is `id` (they would lose their base if it were deleted). */
  children(id: string): ImageRecord[] {
    return this.list().filter((r) => r.parent === id);
  }

  /** The image a tagged ref points to, if any (no id or prefix matching). */
  lookupRef(ref: string | Reference): string | undefined {
    return this.refs.get(canonicalRef(ref));
  }

  /**
   * Resolves what a user typed, in Docker's order: full id ("sha256:<hex>" or 64 hex), then a name (default tag
   * latest; name@digest through repo digests), then a unique id prefix. Anything else: "No such image: <input>".
   */
  resolve(refOrId: string): ImageRecord {
    const rec = this.tryResolve(refOrId);
    if (!rec) throw notFound(`No such image: ${refOrId}`, 'image_not_found');
    return rec;
  }

  tryResolve(refOrId: string): ImageRecord | undefined {
    if (isDigest(refOrId)) return this.images.get(refOrId);
    if (/^[a-f0-9]{64}$/.test(refOrId)) return this.images.get(`sha256:${refOrId}`);
    let ref: Reference | undefined;
    try {
      ref = parseReference(refOrId);
    } catch (e) {
      if (!isBerthError(e, 'invalid_argument')) throw e;
    }
    if (ref) {
      if (ref.digest !== undefined) {
        const id = this.digestRefs.get(`${familiarName(ref)}@${ref.digest}`);
        if (id) return this.images.get(id);
      } else {
        const id = this.refs.get(canonicalRef(ref));
        if (id) return this.images.get(id);
      }
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(refOrId)?.[1];
    if (prefix !== undefined) {
      let found: ImageRecord | undefined;
      for (const [id, rec] of this.images) {
        if (!id.startsWith(`sha256:${prefix}`)) continue;
        if (found) return undefined; // ambiguous: Docker reports it as not found too
        found = rec;
      }
      return found;
    }
    return undefined;
  }
}
