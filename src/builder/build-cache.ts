// The build cache: content-keyed step results that survive daemon restarts, and explanations for misses.
//
// key = sha256 of { parent image id, the step as executed (instruction after expansion, its created_by), the build
// args it uses, and for COPY/ADD the digest over every file it reads (path, type, mode, owner, content sha256) }.
// Never mtimes: touching a file keeps the key. On disk (DATA_ROOT/builder/cache/<key>.json, atomic writes):
//   { key, imageId, parentId, step, args, files: {path: "file 644 0:0 sha256:..."}, created, lastUsed, usage }
// An entry whose image is gone is dropped at lookup. A miss is explained from the newest entry for the same step
// text: same parent → which build arg or file changed; else "parent image changed".

import { createHash } from 'node:crypto';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, writeFileAtomic } from '../sys/atomic-file.ts';

export interface CacheInputs {
  parentId: string;
  /** The step as executed, e.g. "RUN /bin/sh -c make" or "COPY --chown=1:1 [src] /app" (expanded). */
  step: string;
  /** Build args the step uses. */
  args: Record<string, string>;
  /** COPY/ADD: per-path input digests (see copy-plan.ts itemDigests). */
  files?: Record<string, string>;
}

export interface CacheEntry extends CacheInputs {
  key: string;
  imageId: string;
  created: string;
  lastUsed: string;
  usage: number;
}

const MAX_FILES_RECORDED = 20_000;

export function cacheKey(inp: CacheInputs): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ p: inp.parentId, s: inp.step, a: Object.entries(inp.args).sort(([a], [b]) => (a < b ? -1 : 1)) }));
  if (inp.files) for (const k of Object.keys(inp.files).sort()) h.update(`\n${k}\0${inp.files[k]}`);
  return h.digest('hex');
}

const short = (d: string) => {
  const hex = d.replace(/^.*sha256:/, '');
  return hex.slice(0, 8) + '…';
};

/** Why `now` misses although `prev` (same step text) exists. */
export function explainMiss(prev: CacheEntry, now: CacheInputs): string {
  if (prev.parentId !== now.parentId) return `parent image changed (${short(prev.parentId)} → ${short(now.parentId)})`;
  const reasons: string[] = [];
  const keys = new Set([...Object.keys(prev.args), ...Object.keys(now.args)]);
  for (const k of [...keys].sort()) {
    if (prev.args[k] !== now.args[k]) reasons.push(`build arg ${k} changed`);
  }
  if (prev.files || now.files) {
    const a = prev.files ?? {};
    const b = now.files ?? {};
    const changed: string[] = [];
    for (const p of Object.keys(b).sort()) {
      if (!(p in a)) changed.push(`file ${p} added`);
      else if (a[p] !== b[p]) {
        const da = a[p]!.split(' ');
        const db = b[p]!.split(' ');
        if (da[3] !== db[3]) changed.push(`file ${p} changed (sha256 ${short(da[3]!)} → ${short(db[3]!)})`);
        else changed.push(`file ${p} changed (${a[p]!.split(' ').slice(0, 3).join(' ')} → ${b[p]!.split(' ').slice(0, 3).join(' ')})`);
      }
    }
    for (const p of Object.keys(a).sort()) if (!(p in b)) changed.push(`file ${p} removed`);
    if (changed.length > 5) reasons.push(...changed.slice(0, 5), `and ${changed.length - 5} more file changes`);
    else reasons.push(...changed);
  }
  return reasons.length ? reasons.join(', ') : 'inputs changed';
}

export class BuildCache {
  private readonly dir: string;
  private readonly entries = new Map<string, CacheEntry>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async open(dir: string): Promise<BuildCache> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const c = new BuildCache(dir);
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      const e = await readJson<CacheEntry>(join(dir, name)).catch(() => undefined);
      if (e?.key && e.imageId) c.entries.set(e.key, e);
    }
    return c;
  }

  all(): CacheEntry[] {
    return [...this.entries.values()];
  }

  /** A valid hit (its image exists), or undefined. Entries whose image is gone are dropped. */
  async lookup(inp: CacheInputs, imageExists: (id: string) => boolean): Promise<CacheEntry | undefined> {
    const key = cacheKey(inp);
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (!imageExists(e.imageId)) {
      await this.remove(key);
      return undefined;
    }
    e.lastUsed = new Date().toISOString();
    e.usage++;
    await this.write(e).catch(() => {});
    return e;
  }

  /** The newest entry for the same step text (to explain a miss). */
  previous(inp: CacheInputs, imageExists: (id: string) => boolean): CacheEntry | undefined {
    let best: CacheEntry | undefined;
    for (const e of this.entries.values()) {
      if (e.step !== inp.step || !imageExists(e.imageId)) continue;
      const sameParent = e.parentId === inp.parentId;
      const bestSame = best?.parentId === inp.parentId;
      if (!best || (sameParent && !bestSame) || (sameParent === bestSame && e.lastUsed > best.lastUsed)) best = e;
    }
    return best;
  }

  async put(inp: CacheInputs, imageId: string): Promise<CacheEntry> {
    const now = new Date().toISOString();
    let files = inp.files;
    if (files && Object.keys(files).length > MAX_FILES_RECORDED) files = Object.fromEntries(Object.entries(files).slice(0, MAX_FILES_RECORDED));
    const e: CacheEntry = { ...inp, ...(files ? { files } : {}), key: cacheKey(inp), imageId, created: now, lastUsed: now, usage: 1 };
    this.entries.set(e.key, e);
    await this.write(e);
    return e;
  }

  async remove(key: string): Promise<void> {
    this.entries.delete(key);
    await unlink(join(this.dir, `${key}.json`)).catch(() => {});
  }

  private write(e: CacheEntry): Promise<void> {
    return writeFileAtomic(join(this.dir, `${e.key}.json`), JSON.stringify(e, null, 1) + '\n');
  }
}
