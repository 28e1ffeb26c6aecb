// One disk budget for the engine (user needs 2 and 23): when images' layers (build-cache step images included: the
// cache's bytes are those images) exceed `--disk-budget`, berthd removes, oldest last use first, until under budget:
//   1. build cache entries whose step image only the cache keeps (untagged leaf, no container), with that image
//      (docker rmi semantics: untagged parents left dangling go with it);
//   2. dangling images (untagged, no children, no container);
//   3. unused images (tagged leaves no container, running or stopped, uses).
// Never an image a container uses, nor one with children (its layers are shared). Images used or stored within the
// grace period are kept too (a `run` between its pull and its create). What went is logged, emitted as a daemon
// event and kept for GET /info. Containers' logs are bounded by rotation; writable layers and volumes are not
// collectable and not counted.
import { errorMessage } from '../base/errors.ts';

export interface BudgetImage {
  id: string;
  /** Has a tag (a dangling image has none). */
  tagged: boolean;
  children: number;
  /** A container (running or stopped) uses it. */
  inUse: boolean;
  /** ms: the newest of stored/tagged/cache hit. */
  lastUsed: number;
}

export interface BudgetCacheEntry {
  key: string;
  imageId: string;
  /** ms */
  lastUsed: number;
}

export type Victim =
  | { kind: 'build-cache'; key: string; imageId: string }
  | { kind: 'dangling'; imageId: string }
  | { kind: 'unused'; imageId: string };

/** The next thing to remove, or null when nothing more may go. Pure: the selection order in one place. */
export function nextVictim(images: BudgetImage[], cache: BudgetCacheEntry[], now: number, graceMs: number): Victim | null {
  const byId = new Map(images.map((i) => [i.id, i]));
  const lastUse = new Map<string, number>();
  for (const i of images) lastUse.set(i.id, i.lastUsed);
  for (const e of cache) if (byId.has(e.imageId)) lastUse.set(e.imageId, Math.max(lastUse.get(e.imageId) ?? 0, e.lastUsed));
  const removable = (i: BudgetImage | undefined): i is BudgetImage =>
    !!i && !i.inUse && i.children === 0 && now - (lastUse.get(i.id) ?? 0) >= graceMs;

  const entries = cache.filter((e) => {
    const i = byId.get(e.imageId);
    return removable(i) && !i.tagged;
  });
  if (entries.length) {
    const e = entries.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
    return { kind: 'build-cache', key: e.key, imageId: e.imageId };
  }
  const oldest = (list: BudgetImage[]) => list.reduce((a, b) => ((lastUse.get(b.id) ?? 0) < (lastUse.get(a.id) ?? 0) ? b : a));
  const dangling = images.filter((i) => removable(i) && !i.tagged);
  if (dangling.length) return { kind: 'dangling', imageId: oldest(dangling).id };
  const unused = images.filter((i) => removable(i) && i.tagged);
  if (unused.length) return { kind: 'unused', imageId: oldest(unused).id };
  return null;
}

export interface DiskBudgetDeps {
  /** Bytes the budget covers now (system df's LayersSize: every layer once). */
  used(): Promise<number>;
  images(): BudgetImage[];
  cacheEntries(): BudgetCacheEntry[];
  removeCacheEntry(key: string): Promise<void>;
  /** Removes the image (untagging every tag); returns the image ids deleted (dangling parents included). */
  removeImage(id: string): Promise<string[]>;
  /** Something (a build) is writing images the selection must not see half-made. */
  busy(): boolean;
  onCollected(r: GcReport): void;
  log: { info(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void };
}

export interface GcReport {
  /** RFC 3339 */
  At: string;
  Budget: number;
  UsedBefore: number;
  Used: number;
  Freed: number;
  /** Image ids and build cache keys removed. */
  Removed: string[];
  Images: number;
  BuildCache: number;
}

export class DiskBudget {
  readonly budget: number;
  private readonly d: DiskBudgetDeps;
  private readonly graceMs: number;
  private running: Promise<GcReport | null> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private periodic: NodeJS.Timeout | null = null;
  lastGc: GcReport | null = null;

  constructor(budget: number, d: DiskBudgetDeps, opts: { graceMs?: number } = {}) {
    this.budget = budget;
    this.d = d;
    this.graceMs = opts.graceMs ?? 30_000;
  }

  get enabled(): boolean {
    return this.budget > 0;
  }

  /** Checks every `everyMs` (and once soon). */
  start(everyMs = 5 * 60_000): void {
    if (!this.enabled) return;
    this.schedule(1000);
    this.periodic = setInterval(() => this.schedule(0), everyMs);
    this.periodic.unref();
  }

  stop(): void {
    if (this.periodic) clearInterval(this.periodic);
    if (this.timer) clearTimeout(this.timer);
    this.periodic = this.timer = null;
  }

  /** After a build, pull, load, commit or import: check soon (debounced). */
  schedule(delayMs = 500): void {
    if (!this.enabled || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.collect().catch((e) => this.d.log.warn('disk budget check failed', { error: errorMessage(e) }));
    }, delayMs);
    this.timer.unref();
  }

  /** One pass; concurrent calls share it (and a call during a pass runs one more after it). */
  async collect(): Promise<GcReport | null> {
    if (!this.enabled) return null;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass();
    try {
      return await this.running;
    } finally {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    }
  }

  private async pass(): Promise<GcReport | null> {
    // Checked again when the build ends (it schedules a check), or at the next period.
    if (this.d.busy()) return null;
    const before = await this.d.used();
    let used = before;
    if (used <= this.budget) return null;
    const removed: string[] = [];
    let images = 0;
    let cacheEntries = 0;
    const refused = new Set<string>();
    while (used > this.budget && !this.d.busy()) {
      const v = nextVictim(this.d.images().filter((i) => !refused.has(i.id)), this.d.cacheEntries(), Date.now(), this.graceMs);
      if (!v) break;
      try {
        if (v.kind === 'build-cache') {
          await this.d.removeCacheEntry(v.key);
          removed.push(`build-cache:${v.key.slice(0, 25)}`);
          cacheEntries++;
        }
        const gone = await this.d.removeImage(v.imageId);
        if (!gone.length) refused.add(v.imageId);
        for (const id of gone) removed.push(id);
        images += gone.length;
      } catch (e) {
        // A conflict (a container appeared, a tag was added): leave it and go on with the next.
        refused.add(v.imageId);
        this.d.log.warn('disk budget: could not remove', { image: v.imageId, error: errorMessage(e) });
      }
      used = await this.d.used();
    }
    // Entries whose image went with a parent's removal are dead weight: drop them too.
    const live = new Set(this.d.images().map((i) => i.id));
    for (const e of this.d.cacheEntries()) {
      if (!live.has(e.imageId)) {
        await this.d.removeCacheEntry(e.key);
        removed.push(`build-cache:${e.key.slice(0, 25)}`);
        cacheEntries++;
      }
    }
    const report: GcReport = {
      At: new Date().toISOString(),
      Budget: this.budget,
      UsedBefore: before,
      Used: used,
      Freed: Math.max(0, before - used),
      Removed: removed,
      Images: images,
      BuildCache: cacheEntries,
    };
    this.lastGc = report;
    this.d.log.info('disk budget: collected', {
      budget: this.budget, usedBefore: before, used, freed: report.Freed, images, buildCache: cacheEntries,
      ...(used > this.budget ? { stillOver: 'everything left is in use, shared, or recent' } : {}),
    });
    this.d.onCollected(report);
    return report;
  }

  /** For GET /info and system df. */
  async status(): Promise<{ Budget: number; Used: number; LastGC: { At: string; Freed: number; Removed: number } | null }> {
    const g = this.lastGc;
    return { Budget: this.budget, Used: await this.d.used(), LastGC: g ? { At: g.At, Freed: g.Freed, Removed: g.Removed.length } : null };
  }
}
