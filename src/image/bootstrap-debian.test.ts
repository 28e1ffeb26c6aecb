import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bootstrapDebian, parseDebianName, parseReleaseDate, scrubRootfs } from './bootstrap-debian.ts';
import type { ImageService } from './image-service.ts';

const noImages = {} as ImageService;

describe('debian bootstrap (no network)', () => {
  it('accepts debian:bookworm and debian:12 and tags both', () => {
    const both = { suite: 'bookworm', tags: ['debian:bookworm', 'debian:12'] };
    assert.deepEqual(parseDebianName('debian:bookworm'), both);
    assert.deepEqual(parseDebianName('debian:12'), both);
    assert.deepEqual(parseDebianName('docker.io/library/debian:12'), both);
    assert.equal(parseDebianName('debian'), undefined);
    assert.equal(parseDebianName('debian:13'), undefined);
    assert.equal(parseDebianName('busybox'), undefined);
  });

  it('reads the Release date as the epoch', () => {
    assert.equal(parseReleaseDate('Origin: Debian\nDate: Sat, 10 Jun 2023 08:54:41 UTC\nValid-Until: x\n'), 1686387281);
    assert.equal(parseReleaseDate('Origin: Debian\n'), undefined);
  });

  it('says clearly when debootstrap is missing or no mirror is configured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-deb-'));
    try {
      await assert.rejects(
        bootstrapDebian(noImages, { suite: 'bookworm', tags: [], tmpRoot: dir, searchPath: [join(dir, 'nowhere')] }),
        /debootstrap is not installed: apt-get install debootstrap/,
      );
      await mkdir(join(dir, 'bin'));
      await writeFile(join(dir, 'bin', 'debootstrap'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
      await mkdir(join(dir, 'apt', 'sources.list.d'), { recursive: true });
      await writeFile(join(dir, 'apt', 'sources.list.d', 'vendor.list'), 'deb https://vendor.example/apt nodistro main\n');
      await assert.rejects(
        bootstrapDebian(noImages, { suite: 'bookworm', tags: [], tmpRoot: join(dir, 'tmp'), searchPath: [join(dir, 'bin')], aptDir: join(dir, 'apt') }),
        /no Debian mirror configured/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scrubs what differs between two debootstraps and never follows links out of the rootfs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-scrub-'));
    try {
      const root = join(dir, 'rootfs');
      const outside = join(dir, 'outside');
      await mkdir(outside);
      await writeFile(join(outside, 'keep'), 'x');
      const files: Record<string, string> = {
        'var/cache/apt/pkgcache.bin': 'x', 'var/cache/apt/archives/a.deb': 'x', 'var/cache/apt/archives/lock': '',
        'var/lib/apt/lists/x_Packages': 'x', 'var/lib/apt/lists/lock': '', 'var/log/dpkg.log': 'log',
        'var/log/apt/history.log': 'log', 'var/cache/ldconfig/aux-cache': 'x', 'var/lib/dpkg/status': 's',
        'var/lib/dpkg/status-old': 's', 'var/cache/debconf/config.dat-old': 'c', 'var/cache/debconf/config.dat': 'c',
        'etc/machine-id': 'abc\n', 'etc/hostname': 'buildhost\n', 'etc/resolv.conf': 'nameserver 10.0.0.1\n',
        'dev/null': '', 'debootstrap/debootstrap.log': 'x',
      };
      for (const [f, body] of Object.entries(files)) {
        await mkdir(join(root, f, '..'), { recursive: true });
        await writeFile(join(root, f), body);
      }
      await mkdir(join(root, 'var/lib/apt/lists/partial'));
      await mkdir(join(root, 'dev/pts'));
      await mkdir(join(root, 'var/cache/apt/archives/partial'));
      // A hostile rootfs cannot make the scrub empty a host directory.
      await rm(join(root, 'var/cache/ldconfig'), { recursive: true });
      await symlink(outside, join(root, 'var/cache/ldconfig'));
      await scrubRootfs(root);
      const ls = async (p: string) => (await readdir(join(root, p))).sort();
      assert.deepEqual(await ls('var/cache/apt'), ['archives']);
      assert.deepEqual(await ls('var/cache/apt/archives'), ['lock', 'partial']);
      assert.deepEqual(await ls('var/lib/apt/lists'), ['lock', 'partial']);
      assert.deepEqual(await ls('var/log'), ['apt', 'dpkg.log']);
      assert.equal((await stat(join(root, 'var/log/apt/history.log'))).size, 0);
      assert.deepEqual(await ls('var/lib/dpkg'), ['status']);
      assert.deepEqual(await ls('var/cache/debconf'), ['config.dat']);
      assert.deepEqual(await ls('dev'), []);
      assert.equal(await lstat(join(root, 'debootstrap')).catch(() => null), null);
      for (const f of ['etc/machine-id', 'etc/hostname', 'etc/resolv.conf']) assert.equal(await readFile(join(root, f), 'utf8'), '');
      assert.deepEqual(await readdir(outside), ['keep']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
