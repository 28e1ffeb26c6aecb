import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256Digest } from '../base/digest.ts';
import { collectGarbage } from './gc.ts';
import { blobData } from './paths.ts';
import { Registry } from './registry.ts';
import { imageManifest, pushBlob } from './test-helpers.ts';
import { MemoryDriver } from './storage/memory-driver.ts';

test('gc: unreferenced blobs go, referenced stay, grace and dry run respected', async () => {
  const driver = new MemoryDriver();
  const reg = new Registry(driver);
  const config = await pushBlob(reg, 'r', '{}');
  const layer = await pushBlob(reg, 'r', 'kept layer');
  const junk = await pushBlob(reg, 'r', 'unreferenced');
  const m = await reg.putManifest('r', 'v1', imageManifest(config, [layer]), '');
  const inflight = await reg.uploads.start('r');

  const young = await collectGarbage(reg, { graceMs: 3600_000 });
  assert.equal(young.blobs.length, 0);
  assert.equal(young.young, 1);

  const later = Date.now() + 2 * 3600_000;
  const dry = await collectGarbage(reg, { graceMs: 1000, now: later, dryRun: true, uploadGraceMs: 10 * 3600_000 });
  assert.deepEqual(dry.blobs, [junk]);
  assert.equal(dry.bytesFreed, junk.size);
  await driver.stat(blobData(junk.digest));

  const real = await collectGarbage(reg, { graceMs: 1000, now: later, uploadGraceMs: 10 * 3600_000 });
  assert.deepEqual(real.blobs, [junk]);
  assert.equal(real.referenced, 3); // manifest, config, layer
  await assert.rejects(driver.stat(blobData(junk.digest)));
  for (const d of [config.digest, layer.digest, m.digest]) await driver.stat(blobData(d));
  assert.equal(await reg.uploads.offset('r', inflight), 0);

  // Untagged manifests go only with deleteUntagged; their blobs follow.
  const layer2 = await pushBlob(reg, 'r', 'second');
  const m2 = imageManifest(config, [layer2]);
  await reg.putManifest('r', sha256Digest(m2), m2, '');
  const keep = await collectGarbage(reg, { graceMs: 1000, now: later + 10_000, uploadGraceMs: 10 * 3600_000 });
  assert.equal(keep.blobs.length, 0);
  const drop = await collectGarbage(reg, { graceMs: 1000, now: later + 10_000, deleteUntagged: true, uploadGraceMs: 10 * 3600_000 });
  assert.deepEqual(drop.manifests, [{ repository: 'r', digest: sha256Digest(m2) }]);
  assert.deepEqual(drop.blobs.map((b) => b.digest).sort(), [layer2.digest, sha256Digest(m2)].sort());
  assert.equal((await reg.getManifest('r', 'v1')).digest, m.digest);
  assert.equal(drop.uploads.length, 0);
  const stale = await collectGarbage(reg, { graceMs: 1000, now: later + 20 * 3600_000 });
  assert.equal(stale.uploads.length, 1);
});
