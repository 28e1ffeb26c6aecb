import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { run } from '../../sys/exec.ts';
import { unmount } from '../../sys/mount.ts';
import { OverlaySnapshotter } from './overlay-snapshotter.ts';
import { makeLayerTar, snapshotterContract } from './snapshotter.contract.ts';
import { VfsSnapshotter } from './vfs-snapshotter.ts';

snapshotterContract('overlayfs', (root) => OverlaySnapshotter.open(root));
snapshotterContract('vfs', (root) => VfsSnapshotter.open(root));

describe('overlayfs specifics', () => {
  let root: string | undefined;
  const mnt: string[] = [];
  after(async () => {
    for (const m of mnt) await unmount(m, { lazy: true }).catch(() => {});
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('stores whiteouts as char 0/0 devices and opaque dirs as xattrs', async () => {
    root = await mkdtemp('/var/tmp/berth-ovl-test-');
    const s = await OverlaySnapshotter.open(join(root, 'store'));
    const base = await s.applyLayer({ parent: null, tar: Readable.from([await makeLayerTar({ 'a/f': '1', g: '2' }, root)]) });
    const child = await s.applyLayer({
      parent: base.chainId,
      tar: Readable.from([await makeLayerTar({ '.wh.g': '', 'a/.wh..wh..opq': '' }, root)]),
    });
    const diff = join(s.home, 'layers', child.chainId.slice(7), 'diff');
    const { stdout } = await run('stat', ['-c', '%F %t:%T', join(diff, 'g')]);
    assert.equal(stdout.toString().trim(), 'character special file 0:0');
    const attr = await run('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(diff, 'a')]);
    assert.equal(attr.stdout.toString(), 'y');
    const data = s.graphDriverData([base.chainId, child.chainId]);
    assert.equal(data?.UpperDir, diff);
    assert.equal(data?.LowerDir, join(s.home, 'layers', base.chainId.slice(7), 'diff'));
  });

  it('mounts deep layer stacks through short relative lowerdirs', async () => {
    root ??= await mkdtemp('/var/tmp/berth-ovl-test-');
    const s = await OverlaySnapshotter.open(join(root, 'deep'));
    let parent: string | null = null;
    const depth = 48; // ~100-byte absolute lowerdirs: far beyond one page of mount options
    for (let i = 0; i < depth; i++) {
      const tar = await makeLayerTar({ [`f${i}`]: String(i), top: String(i) }, root);
      parent = (await s.applyLayer({ parent, tar: Readable.from([tar]) })).chainId;
    }
    await s.prepare('deep', parent);
    const plan = await s.mountPlan('deep');
    assert.equal(plan.cwd, s.home);
    assert.equal(plan.lowerdirs.length, depth);
    assert.match(plan.lowerdirs[0]!, /^l\/[A-Z0-9]{26}$/);
    const target = await mkdtemp(join(root, 'mnt-'));
    mnt.push(target);
    await s.mount('deep', target);
    try {
      assert.equal(await readFile(join(target, 'top'), 'utf8'), String(depth - 1));
      assert.equal(await readFile(join(target, 'f0'), 'utf8'), '0');
    } finally {
      await s.unmount('deep', target);
    }
    await s.remove('deep');
  });
});
