import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../base/digest.ts';
import { run } from '../sys/exec.ts';
import { unmount } from '../sys/mount.ts';
import { OverlaySnapshotter } from '../store/snapshot/overlay-snapshotter.ts';
import { bootstrapBusybox, buildBusyboxRootfsTar } from './bootstrap-busybox.ts';
import { ImageService } from './image-service.ts';

describe('busybox bootstrap', () => {
  let root: string;
  let mnt: string | undefined;
  before(async () => {
    root = await mkdtemp('/var/tmp/berth-busybox-test-');
  });
  after(async () => {
    if (mnt) await unmount(mnt, { lazy: true }).catch(() => {});
    await rm(root, { recursive: true, force: true });
  });

  it('builds the same tar bytes every time', async () => {
    const [a, b] = [await buildBusyboxRootfsTar(), await buildBusyboxRootfsTar()];
    assert.equal(sha256Digest(a), sha256Digest(b));
    const list = (await run('tar', ['-tv', '--numeric-owner'], { input: a })).stdout.toString();
    assert.match(list, /^-rwxr-xr-x 0\/0 .* bin\/busybox$/m);
    assert.match(list, /^lrwxrwxrwx 0\/0 .* bin\/sh -> busybox$/m);
    assert.match(list, /^drwxrwxrwt 0\/0 .* tmp\/$/m);
  });

  it('imports busybox:latest with the same id twice, and its rootfs runs sh', async () => {
    const images = await ImageService.open({ root, snapshotter: await OverlaySnapshotter.open(root) });
    const id = await bootstrapBusybox(images);
    const again = await bootstrapBusybox(await ImageService.open({ root, snapshotter: await OverlaySnapshotter.open(root) }));
    assert.equal(again, id);
    const img = images.inspect('busybox');
    assert.equal(img.Id, id);
    assert.deepEqual(img.RepoTags, ['busybox:latest']);
    assert.deepEqual(img.Config?.Cmd, ['sh']);
    assert.deepEqual(img.Config?.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);

    const s = images.snapshotter;
    await s.prepare('bb', images.layerChainFor(id));
    mnt = await mkdtemp(join(root, 'mnt-'));
    await s.mount('bb', mnt);
    try {
      assert.equal(await readlink(join(mnt, 'bin/sh')), 'busybox');
      assert.ok((await lstat(join(mnt, 'bin/busybox'))).isFile());
      assert.match(await readFile(join(mnt, 'etc/passwd'), 'utf8'), /^nobody:x:65534:65534:/m);
      const { stdout } = await run('chroot', [mnt, '/bin/sh', '-c', 'PATH=/bin; echo hello from $(id -u)']);
      assert.equal(stdout.toString(), 'hello from 0\n');
    } finally {
      await s.unmount('bb', mnt);
    }
    await s.remove('bb');
  });
});
