import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DiskBudget, nextVictim, type BudgetCacheEntry, type BudgetImage, type GcReport } from './disk-budget.ts';

const img = (id: string, o: Partial<BudgetImage> = {}): BudgetImage => ({ id, tagged: true, children: 0, inUse: false, lastUsed: 0, ...o });

describe('disk budget selection', () => {
  it('build cache first (oldest use), then dangling, then unused; never in use, parents or recent ones', () => {
    const now = 1_000_000;
    const images = [
      img('base', { children: 3, lastUsed: 1 }), // a parent: its layers are shared
      img('step-old', { tagged: false, lastUsed: 10 }),
      img('step-new', { tagged: false, lastUsed: 5 }), // stored earlier, but a cache hit later
      img('dangling', { tagged: false, lastUsed: 2 }),
      img('app', { lastUsed: 3 }),
      img('app-older', { lastUsed: 1 }),
      img('used', { lastUsed: 0, inUse: true }),
      img('fresh', { tagged: false, lastUsed: now - 5 }),
    ];
    const cache: BudgetCacheEntry[] = [
      { key: 'k-new', imageId: 'step-new', lastUsed: 50 },
      { key: 'k-old', imageId: 'step-old', lastUsed: 20 },
      { key: 'k-gone', imageId: 'missing', lastUsed: 0 },
      { key: 'k-tagged', imageId: 'app', lastUsed: 0 }, // a tagged final image: an unused image, not cache
    ];
    const order: string[] = [];
    let imgs = images;
    let c = cache;
    for (;;) {
      const v = nextVictim(imgs, c, now, 1000);
      if (!v) break;
      order.push(`${v.kind}:${v.imageId}`);
      imgs = imgs.filter((i) => i.id !== v.imageId);
      if (v.kind === 'build-cache') c = c.filter((e) => e.key !== v.key);
    }
    assert.deepEqual(order, ['build-cache:step-old', 'build-cache:step-new', 'dangling:dangling', 'unused:app-older', 'unused:app']);
  });

  it('collects until under budget and reports what it freed', async () => {
    const sizes: Record<string, number> = { a: 40, b: 30, c: 20, keep: 50 };
    let images = [img('a', { lastUsed: 1 }), img('b', { lastUsed: 2 }), img('c', { lastUsed: 3 }), img('keep', { inUse: true })];
    const reports: GcReport[] = [];
    const b = new DiskBudget(90, {
      used: async () => images.reduce((t, i) => t + sizes[i.id]!, 0),
      images: () => images,
      cacheEntries: () => [],
      removeCacheEntry: async () => {},
      removeImage: async (id) => {
        images = images.filter((i) => i.id !== id);
        return [id];
      },
      busy: () => false,
      onCollected: (r) => reports.push(r),
      log: { info() {}, warn() {} },
    }, { graceMs: 0 });
    const r = await b.collect();
    assert.ok(r);
    assert.deepEqual(r.Removed, ['a', 'b']);
    assert.equal(r.Freed, 70);
    assert.equal(r.Used, 70);
    assert.equal(reports.length, 1);
    assert.deepEqual(images.map((i) => i.id), ['c', 'keep']);
    assert.equal(await b.collect(), null, 'under budget: nothing to do');
    assert.deepEqual((await b.status()).LastGC?.Freed, 70);
  });

  it('does nothing while a build runs, or when off', async () => {
    let removed = 0;
    const deps = {
      used: async () => 1000,
      images: () => [img('x')],
      cacheEntries: () => [],
      removeCacheEntry: async () => {},
      removeImage: async () => (removed++, ['x']),
      onCollected: () => {},
      log: { info() {}, warn() {} },
    };
    assert.equal(await new DiskBudget(10, { ...deps, busy: () => true }, { graceMs: 0 }).collect(), null);
    assert.equal(await new DiskBudget(0, { ...deps, busy: () => false }, { graceMs: 0 }).collect(), null);
    assert.equal(removed, 0);
  });
});
