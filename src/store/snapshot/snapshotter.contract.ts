// The behaviour every Snapshotter must have. Each implementation's test calls snapshotterContract() with a factory.
// Needs root (mounts, mknod, trusted.* xattrs).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { chainIdOf } from '../../base/digest.ts';
import { run } from '../../sys/exec.ts';
import { isMounted, unmount } from '../../sys/mount.ts';
import type { Snapshotter } from './snapshotter.ts';

/** Builds a layer tar from a map of path → content (string: file, null: directory). */
export async function makeLayerTar(files: Record<string, string | null>, scratch: string): Promise<Buffer> {
  const dir = await mkdtemp(join(scratch, 'layer-src-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, path);
      if (content === null) await mkdir(full, { recursive: true });
      else {
        await mkdir(join(full, '..'), { recursive: true });
        await writeFile(full, content);
      }
    }
    const { stdout } = await run('tar', ['-c', '--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '-C', dir, '.']);
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const exists = (p: string) => stat(p).then(() => true, () => false);

export function snapshotterContract(label: string, open: (root: string) => Promise<Snapshotter>): void {
  describe(`snapshotter contract: ${label}`, () => {
    let root: string;
    let s: Snapshotter;
    let baseTar: Buffer;
    let childTar: Buffer;
    const targets: string[] = [];

    before(async () => {
      root = await mkdtemp('/var/tmp/berth-snap-test-');
      s = await open(join(root, 'store'));
      baseTar = await makeLayerTar(
        {
          'etc/': null,
          'etc/hostname': 'base\n',
          'gone.txt': 'to be deleted',
          'c/z': 'in c',
          'd/x': 'x',
          'd/y': 'y',
        },
        root,
      );
      childTar = await makeLayerTar({ '.wh.gone.txt': '', '.wh.c': '', 'd/.wh..wh..opq': '', 'd/new': 'new', 'b.txt': 'bee' }, root);
    });

    after(async () => {
      // Mounts first, then the files under them.
      for (const t of targets) await unmount(t, { lazy: true }).catch(() => {});
      await rm(root, { recursive: true, force: true });
    });

    async function target(): Promise<string> {
      const t = await mkdtemp(join(root, 'mnt-'));
      targets.push(t);
      return t;
    }

    it('applies a base layer: diffId is the tar digest, chainId = diffId', async () => {
      const r = await s.applyLayer({ parent: null, tar: Readable.from([baseTar]) });
      assert.equal(r.diffId, sha(baseTar));
      assert.equal(r.chainId, r.diffId);
      assert.ok(!r.existed);
      assert.ok(r.size >= 'base\n'.length + 'to be deleted'.length);
      assert.equal(await s.hasLayer(r.chainId), true);
      assert.deepEqual(await s.layerInfo(r.chainId), { chainId: r.chainId, parent: null, diffId: r.diffId, size: r.size });
    });

    it('applies a child layer with whiteouts; chainId follows OCI', async () => {
      const base = sha(baseTar);
      const r = await s.applyLayer({ parent: base, tar: Readable.from([childTar]) });
      assert.equal(r.diffId, sha(childTar));
      assert.equal(r.chainId, 'sha256:' + createHash('sha256').update(`${base} ${r.diffId}`).digest('hex'));
      assert.equal(r.chainId, chainIdOf(base, r.diffId));
      assert.deepEqual((await s.listLayers()).sort(), [base, r.chainId].sort());
    });

    it('re-applying an existing layer returns it without change, and checks a claimed chain id', async () => {
      const again = await s.applyLayer({ parent: null, tar: Readable.from([baseTar]) });
      assert.equal(again.chainId, sha(baseTar));
      assert.equal(again.existed, true);
      const claimed = await s.applyLayer({ parent: null, chainId: sha(baseTar), tar: Readable.from([baseTar]) });
      assert.equal(claimed.chainId, sha(baseTar));
      await assert.rejects(
        s.applyLayer({ parent: null, chainId: sha(baseTar), tar: Readable.from([childTar]) }),
        /does not match/,
      );
      assert.equal((await s.listLayers()).length, 2);
    });

    it('rejects a bad archive or missing parent and leaves nothing behind', async () => {
      const before = (await s.listLayers()).sort();
      await assert.rejects(s.applyLayer({ parent: null, tar: Readable.from([Buffer.alloc(2048, 0x41)]) }));
      await assert.rejects(
        s.applyLayer({ parent: 'sha256:' + '0'.repeat(64), tar: Readable.from([childTar]) }),
        /does not exist/,
      );
      const failing = new Readable({
        read() {
          this.push(baseTar.subarray(0, 1024));
          this.destroy(new Error('source broke'));
        },
      });
      await assert.rejects(s.applyLayer({ parent: null, tar: failing }), /source broke/);
      assert.deepEqual((await s.listLayers()).sort(), before);
    });

    it('mounts a container rootfs whose merged view applies whiteouts and opaque dirs', async () => {
      const top = chainIdOf(sha(baseTar), sha(childTar));
      await s.prepare('c1', top);
      await assert.rejects(s.prepare('c1', top), /already exists/);
      const mnt = await target();
      await s.mount('c1', mnt);
      try {
        assert.equal(await isMounted(mnt), true);
        assert.equal(await readFile(join(mnt, 'etc/hostname'), 'utf8'), 'base\n');
        assert.equal(await readFile(join(mnt, 'b.txt'), 'utf8'), 'bee');
        assert.equal(await exists(join(mnt, 'gone.txt')), false);
        assert.equal(await exists(join(mnt, 'c')), false);
        assert.deepEqual((await readdir(join(mnt, 'd'))).sort(), ['new']);
        assert.deepEqual((await readdir(mnt)).filter((n) => n.startsWith('.wh.')), []);

        await writeFile(join(mnt, 'written.bin'), Buffer.alloc(10000, 1));
        await rm(join(mnt, 'etc/hostname'));
      } finally {
        await s.unmount('c1', mnt);
      }
      assert.equal(await isMounted(mnt), false);
      assert.equal((await readFile(join(s.upperDir('c1'), 'written.bin'))).length, 10000);
      const used = await s.usage('c1');
      // vfs can only measure growth, so the deleted file counts against it there.
      assert.ok(used >= 9990 && used < 10000 + 4096, `usage ${used}`);

      // The layers themselves are untouched by the container.
      await s.prepare('c2', top);
      const mnt2 = await target();
      await s.mount('c2', mnt2);
      try {
        assert.equal(await readFile(join(mnt2, 'etc/hostname'), 'utf8'), 'base\n');
        assert.equal(await exists(join(mnt2, 'written.bin')), false);
      } finally {
        await s.unmount('c2', mnt2);
      }
      await s.remove('c1');
      await s.remove('c2');
      await s.remove('c2'); // idempotent
      assert.deepEqual(await s.listContainers(), []);
    });

    it('prepares an empty rootfs without a parent', async () => {
      await s.prepare('scratch', null);
      const mnt = await target();
      await s.mount('scratch', mnt);
      try {
        assert.deepEqual(await readdir(mnt), []);
        await writeFile(join(mnt, 'f'), 'x');
      } finally {
        await s.unmount('scratch', mnt);
      }
      assert.equal(await s.usage('scratch'), 1);
      await s.remove('scratch');
    });

    it("a lower layer's symlinks never lead a child layer outside its tree", async () => {
      const outside = await mkdtemp(join(root, 'outside-'));
      await writeFile(join(outside, 'secret'), 'host\n');
      const src = await mkdtemp(join(root, 'evil-src-'));
      await symlink(outside, join(src, 'a'));
      await symlink(outside, join(src, 'h'));
      const { stdout: lower } = await run('tar', ['-c', '--numeric-owner', '-C', src, 'a', 'h']);
      // Child: a/pwned written through the symlink, and a hard link whose target goes through the other one.
      await rm(src, { recursive: true });
      await mkdir(join(src, 'a'), { recursive: true });
      await writeFile(join(src, 'a/pwned'), 'pwned\n');
      const { stdout: child } = await run('tar', ['-c', '--numeric-owner', '-C', src, 'a']);
      const link = Buffer.alloc(512);
      link.write('x', 0);
      link.write('0000644\0', 100);
      link.write('0000000\0', 108);
      link.write('0000000\0', 116);
      link.write('00000000000\0', 124);
      link.write('00000000000\0', 136);
      link.write('1', 156);
      link.write('h/secret', 157);
      link.write('ustar\x0000', 257);
      link.write('        ', 148);
      let sum = 0;
      for (const b of link) sum += b;
      link.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      const withLink = Buffer.concat([link, Buffer.alloc(1024)]);
      const l1 = await s.applyLayer({ parent: null, tar: Readable.from([lower]) });
      const l2 = await s.applyLayer({ parent: l1.chainId, tar: Readable.from([child]) });
      await assert.rejects(s.applyLayer({ parent: l1.chainId, tar: Readable.from([withLink]) }));
      assert.deepEqual(await readdir(outside), ['secret']);
      assert.equal((await stat(join(outside, 'secret'))).nlink, 1);
      await rm(outside, { recursive: true });
      await rm(src, { recursive: true });
      await s.removeLayer(l2.chainId);
      await s.removeLayer(l1.chainId);
    });

    it('rejects unsafe keys', async () => {
      await assert.rejects(s.prepare('../escape', null), /invalid snapshot key/);
    });

    it('removes layers', async () => {
      const top = chainIdOf(sha(baseTar), sha(childTar));
      await s.removeLayer(top);
      await s.removeLayer(top);
      assert.equal(await s.hasLayer(top), false);
      assert.equal(await s.hasLayer(sha(baseTar)), true);
      await s.removeLayer(sha(baseTar));
      assert.deepEqual(await s.listLayers(), []);
    });
  });
}
