// Wiring of the disk budget (engine/disk-budget.ts) into berthd: what it measures and removes, what triggers a check
// (builds, pulls, loads, commits, imports, bootstraps; plus every 5 minutes), and where it reports (log, a `daemon`
// event `disk-budget`, GET /info `BerthDiskBudget`, GET /system/df `BerthDiskBudget`).
import type { Backends } from '../api/backend.ts';
import { isBerthError } from '../base/errors.ts';
import type { BuildCache } from '../builder/build-cache.ts';
import { DiskBudget, type BudgetImage } from '../engine/disk-budget.ts';
import type { EventSink } from '../events/event-log.ts';
import type { ImageService } from '../image/image-service.ts';
import type { Logger } from './logger.ts';

export interface DiskBudgetWiring {
  budget: number;
  graceMs?: number;
  engineId: string;
  images: ImageService;
  cache: BuildCache;
  imageInUse(id: string): string | null;
  /** Bytes covered: system df's LayersSize. */
  layersSize(): Promise<number>;
  events: EventSink;
  log: Logger;
  backends: Backends;
}

const ms = (t: string | undefined) => (t ? Date.parse(t) || 0 : 0);

export function wireDiskBudget(w: DiskBudgetWiring): DiskBudget {
  const store = w.images.store;
  let building = 0;
  const budget = new DiskBudget(w.budget, {
    used: () => w.layersSize(),
    images: () =>
      store.list().map((r): BudgetImage => ({
        id: r.id,
        tagged: store.refsFor(r.id).length > 0,
        children: store.children(r.id).length,
        inUse: w.imageInUse(r.id) !== null,
        lastUsed: Math.max(ms(r.created), ms(r.lastTagTime)),
      })),
    cacheEntries: () => w.cache.all().map((e) => ({ key: e.key, imageId: e.imageId, lastUsed: ms(e.lastUsed) })),
    removeCacheEntry: (key) => w.cache.remove(key),
    removeImage: async (id) => {
      // Every tag, then the id: rmi's rules (no container, no children; dangling parents go too).
      const before = store.list().map((r) => r.id);
      for (const t of [...store.refsFor(id), id]) {
        if (!store.get(id)) break;
        try {
          await w.images.remove(t, { imageInUse: w.imageInUse });
        } catch (e) {
          if (!isBerthError(e, 'conflict') && !isBerthError(e, 'not_found')) throw e;
        }
      }
      const deleted = before.filter((i) => !store.get(i));
      for (const d of deleted) w.events.emit({ type: 'image', action: 'delete', id: d, attributes: { reason: 'disk-budget' } });
      return deleted;
    },
    busy: () => building > 0,
    onCollected: (r) =>
      w.events.emit({
        type: 'daemon',
        action: 'disk-budget',
        id: w.engineId,
        attributes: {
          budget: String(r.Budget),
          used: String(r.Used),
          freed: String(r.Freed),
          removed: String(r.Removed.length),
          images: String(r.Images),
          buildCache: String(r.BuildCache),
        },
      }),
    log: w.log,
  }, { graceMs: w.graceMs });
  if (!budget.enabled) return budget;

  const b = w.backends;
  const after = <T>(p: Promise<T>) => p.finally(() => budget.schedule());
  if (b.build) {
    const build = b.build.build.bind(b.build);
    b.build.build = async (p) => {
      building++;
      try {
        return await build(p);
      } finally {
        building--;
        budget.schedule();
      }
    };
  }
  if (b.distribution) {
    const pull = b.distribution.pull.bind(b.distribution);
    b.distribution.pull = (r, o) => after(pull(r, o));
  }
  if (b.imageArchive) {
    const load = b.imageArchive.load.bind(b.imageArchive);
    b.imageArchive.load = (t, o) => after(load(t, o));
  }
  if (b.containerFs) {
    const commit = b.containerFs.commit.bind(b.containerFs);
    b.containerFs.commit = (r, o) => after(commit(r, o));
  }
  if (b.images) {
    const imp = b.images.importRootfs.bind(b.images);
    b.images.importRootfs = (t, o) => after(imp(t, o));
    const boot = b.images.bootstrap.bind(b.images);
    b.images.bootstrap = (n, o) => after(boot(n, o));
  }
  const info = b.system.info.bind(b.system);
  b.system.info = async () => ({ ...(await info()), BerthDiskBudget: await budget.status() });
  const df = b.diskUsage?.df.bind(b.diskUsage);
  if (b.diskUsage && df) {
    b.diskUsage.df = async (o) => ({ ...((await df(o)) as Record<string, unknown>), BerthDiskBudget: await budget.status() });
  }
  budget.start();
  return budget;
}
