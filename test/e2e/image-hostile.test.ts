// Hostile layers through `load` and `import`, and crash safety of `load`:
//  - hard links to the host's /etc/shadow (absolute, ../), symlinks out of the layer with a file written through
//    them (in one layer, and through a lower layer's symlink, on overlay and vfs), ../ members: refused, or contained
//    inside the layer; absolute members and device nodes are contained; truncated tars and wrong digests refused.
//    Every refusal leaves the store exactly as it was (images, layers, blobs, ingests, spools) and the host untouched.
//  - kill -9 during a load, and a crash between a load's data and its record: after a restart no image record, and
//    the daemon's start-up GC removes the layers and blobs nothing references.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Daemon, isRoot, runCmd, sleep } from './harness.ts';
import { TAR_TRAILER, tarHeader, tarPadding } from '../../src/store/archive/tar-writer.ts';
import { encodeTarHeader, TAR_END, type TarType } from '../../src/store/diff/tar-writer.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Member {
  name: string;
  type?: TarType;
  data?: Buffer | string;
  linkname?: string;
  dev?: [number, number];
}

/** A layer tar from members, exactly as given (no normalization: that is the point). */
function layerTar(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const type = m.type ?? '0';
    const data = Buffer.from(m.data ?? '');
    const size = type === '0' ? data.length : 0;
    parts.push(encodeTarHeader({
      name: m.name, type, mode: type === '5' ? 0o755 : 0o644, uid: 0, gid: 0, size, mtime: 0, linkname: m.linkname,
      devmajor: m.dev?.[0], devminor: m.dev?.[1],
    }));
    if (size) parts.push(data, tarPadding(size));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

/** A docker 25+ style archive (blobs/sha256 + manifest.json) of one image with these layers. */
function archive(layers: Buffer[], tag: string, o: { configName?: string; diffIds?: string[] } = {}): Buffer {
  const config = Buffer.from(JSON.stringify({
    architecture: process.arch === 'arm64' ? 'arm64' : 'amd64', os: 'linux', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: o.diffIds ?? layers.map((l) => `sha256:${sha(l)}`) },
  }));
  const files: [string, Buffer][] = [[`blobs/sha256/${o.configName ?? sha(config)}`, config]];
  for (const l of layers) files.push([`blobs/sha256/${sha(l)}`, l]);
  files.push(['manifest.json', Buffer.from(JSON.stringify([{ Config: files[0]![0], RepoTags: [tag], Layers: layers.map((l) => `blobs/sha256/${sha(l)}`) }]))]);
  const parts: Buffer[] = [tarHeader({ name: 'blobs', type: 'dir' }), tarHeader({ name: 'blobs/sha256', type: 'dir' })];
  const seen = new Set<string>();
  for (const [name, data] of files) {
    if (seen.has(name)) continue;
    seen.add(name);
    parts.push(tarHeader({ name, type: 'file', size: data.length }), data, tarPadding(data.length));
  }
  parts.push(TAR_TRAILER);
  return Buffer.concat(parts);
}

async function storeState(d: Daemon) {
  const ls = (p: string) => readdir(join(d.dataRoot, p)).then((x) => x.sort(), () => [] as string[]);
  const images = await d.api('GET', '/images/json?all=1');
  return {
    layers: [...(await ls('storage/overlay/layers')), ...(await ls('storage/vfs/layers'))],
    blobs: await ls('image/content/blobs/sha256'),
    ingest: await ls('image/content/ingest'),
    spools: await ls('image/load-tmp'),
    records: await ls('image/images'),
    images: (images.body as { Id: string }[]).map((i) => i.Id).sort(),
  };
}

async function hostFingerprint(probe: string) {
  const s = await stat('/etc/shadow');
  return { shadow: sha(await readFile('/etc/shadow')), nlink: s.nlink, mtime: s.mtimeMs, ino: s.ino, probe: await readdir(probe) };
}

describe('hostile layers: load and import', { skip: !isRoot() && 'needs root' }, () => {
  const probe = `/tmp/berth-probe-${randomBytes(4).toString('hex')}`;
  let overlay: Daemon;
  let vfs: Daemon;
  let work: string;
  let base: Buffer; // busybox's layer, so the accepted images can run
  let host: Awaited<ReturnType<typeof hostFingerprint>>;

  before(async () => {
    await mkdir(probe);
    host = await hostFingerprint(probe);
    [overlay, vfs] = await Promise.all([Daemon.start(), Daemon.start(['--storage-driver', 'vfs'])]);
    work = join(overlay.tmp, 'work');
    await mkdir(work);
    for (const d of [overlay, vfs]) assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
    const saved = join(work, 'busybox.tar');
    assert.equal((await overlay.berth(['save', '-o', saved, 'busybox'])).code, 0);
    const x = join(work, 'bb');
    await mkdir(x);
    assert.equal((await runCmd('tar', ['-x', '-f', saved, '-C', x])).code, 0);
    const manifest = JSON.parse(await readFile(join(x, 'manifest.json'), 'utf8'));
    base = await readFile(join(x, manifest[0].Layers[0]));
  });
  after(async () => {
    await overlay?.destroy();
    await vfs?.destroy();
    await rm(probe, { recursive: true, force: true });
  });

  let n = 0;
  async function file(data: Buffer): Promise<string> {
    const p = join(work, `in-${++n}.tar`);
    await writeFile(p, data);
    return p;
  }

  /** The command fails with one line matching `pattern` and changes nothing in the store or on the host. */
  async function refused(d: Daemon, args: string[], pattern: RegExp) {
    const before = await storeState(d);
    const r = await d.berth(args, { timeoutMs: 60_000 });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.deepEqual(await storeState(d), before, `${args.join(' ')}: nothing registered, nothing left over`);
    assert.deepEqual(await hostFingerprint(probe), host, 'host untouched');
  }

  const EVIL: [string, Member[]][] = [
    ['hard link to /etc/shadow', [{ name: 'etc/', type: '5' }, { name: 'etc/x', type: '1', linkname: '/etc/shadow' }]],
    ['hard link to ../../../../etc/shadow', [{ name: 'etc/', type: '5' }, { name: 'etc/x', type: '1', linkname: '../../../../../../../../etc/shadow' }]],
    ['symlink out, file through it', [{ name: 'a', type: '2', linkname: probe }, { name: 'a/pwned', data: 'pwned\n' }]],
    ['relative symlink out, file through it', [{ name: 'a', type: '2', linkname: `../../../../../../../../..${probe}` }, { name: 'a/pwned', data: 'pwned\n' }]],
    ['symlink out, hard link through it', [{ name: 'e', type: '2', linkname: '/etc' }, { name: 'x', type: '1', linkname: 'e/shadow' }]],
    ['../ member', [{ name: `../../../../../../../..${probe}/dd`, data: 'pwned\n' }]],
    ['truncated layer', []],
  ];
  const evilLayer = (name: string, members: Member[]) => {
    if (name !== 'truncated layer') return layerTar(members);
    const full = layerTar([{ name: 'big', data: randomBytes(64 * 1024) }]);
    return full.subarray(0, 20_000);
  };

  for (const [name, members] of EVIL) {
    test(`refused: ${name} (load and import, overlay and vfs)`, async () => {
      const layer = evilLayer(name, members);
      for (const d of [overlay, vfs]) {
        await refused(d, ['load', '-i', await file(archive([base, layer], 'evil:1'))], /failed to register layer/);
        await refused(d, ['import', await file(layer), 'evil:2'], /Error response from daemon: /);
      }
    });
  }

  test('refused: truncated archive, wrong config digest, wrong diffID', async () => {
    const good = archive([base, layerTar([{ name: 'f', data: 'x' }])], 'ok:1');
    await refused(overlay, ['load', '-i', await file(good.subarray(0, Math.floor(good.length * 0.6)))], /unexpected EOF: the archive is truncated/);
    const layer = layerTar([{ name: 'f', data: 'x' }]);
    await refused(overlay, ['load', '-i', await file(archive([base, layer], 'bad:1', { configName: sha('something else') }))], /digest mismatch for blobs\/sha256\//);
    await refused(overlay, ['load', '-i', await file(archive([base, layer], 'bad:1', { diffIds: [`sha256:${sha(base)}`, `sha256:${sha('not it')}`] }))], /digest mismatch|invalid diffID/);
  });

  test('contained: absolute members, a hard link to a file of the layer, a device node, a lower symlink', async () => {
    const layer = layerTar([
      { name: `${probe}/abs`, data: 'inside\n' },
      { name: 'etc/', type: '5' },
      { name: 'etc/shadow', data: 'layer shadow\n' },
      { name: 'etc/x', type: '1', linkname: '/etc/shadow' },
      { name: 'dev2/', type: '5' },
      { name: 'dev2/null', type: '3', dev: [1, 3] },
    ]);
    // Two layers: a symlink out in the lower one, a directory of the same name with a file in the upper one.
    const lower = layerTar([{ name: 'a', type: '2', linkname: probe }]);
    const upper = layerTar([{ name: 'a/', type: '5' }, { name: 'a/pwned', data: 'in the layer\n' }]);
    for (const d of [overlay, vfs]) {
      let r = await d.berth(['load', '-i', await file(archive([base, layer], 'contained:1'))]);
      assert.equal(r.code, 0, r.stderr);
      r = await d.berth(['run', '--rm', '--network', 'none', 'contained:1', 'sh', '-c', `cat ${probe}/abs /etc/shadow /etc/x; test -c /dev2/null && echo chardev`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'inside\nlayer shadow\nlayer shadow\nchardev\n');
      // The device node exists only inside the daemon's data root.
      const found = (await runCmd('find', [d.dataRoot, '-path', '*/dev2/null', '-type', 'c'])).stdout.trim().split('\n').filter(Boolean);
      assert.ok(found.length > 0 && found.every((p) => p.startsWith(d.dataRoot + '/')), found.join(','));
      r = await d.berth(['import', await file(layer), 'contained:2']);
      assert.equal(r.code, 0, r.stderr);

      r = await d.berth(['load', '-i', await file(archive([base, lower, upper], 'lower:1'))]);
      assert.equal(r.code, 0, r.stderr);
      r = await d.berth(['run', '--rm', '--network', 'none', 'lower:1', 'cat', '/a/pwned']);
      assert.equal(r.stdout, 'in the layer\n', r.stderr);
      assert.deepEqual(await hostFingerprint(probe), host, 'host untouched');
      assert.equal((await d.berth(['rmi', 'contained:1', 'contained:2', 'lower:1'])).code, 0);
    }
    // A lower layer's symlink does not carry an upper layer's hard link out either.
    const hl = layerTar([{ name: 'x', type: '1', linkname: 'e/shadow' }]);
    const lowerE = layerTar([{ name: 'e', type: '2', linkname: '/etc' }]);
    for (const d of [overlay, vfs]) {
      await refused(d, ['load', '-i', await file(archive([base, lowerE, hl], 'hl:1'))], /failed to register layer/);
    }
  });
});

describe('load crash safety', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  let work: string;
  let big: string;
  let baseline: Awaited<ReturnType<typeof storeState>>;

  before(async () => {
    d = await Daemon.start();
    work = join(d.tmp, 'work');
    await mkdir(work);
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
    const saved = join(work, 'busybox.tar');
    assert.equal((await d.berth(['save', '-o', saved, 'busybox'])).code, 0);
    const x = join(work, 'bb');
    await mkdir(x);
    await runCmd('tar', ['-x', '-f', saved, '-C', x]);
    const manifest = JSON.parse(await readFile(join(x, 'manifest.json'), 'utf8'));
    const base = await readFile(join(x, manifest[0].Layers[0]));
    big = join(work, 'big.tar');
    await writeFile(big, archive([base, layerTar([{ name: 'data.bin', data: randomBytes(30 << 20) }])], 'big:1'));
    baseline = await storeState(d);
  });
  after(async () => {
    await d?.destroy();
  });

  async function restart() {
    await d.kill9();
    await d.spawn();
  }

  test('kill -9 with half the archive sent: after restart no record, no spool, nothing new', async () => {
    const data = await readFile(big);
    const req = request({ socketPath: d.socket, method: 'POST', path: '/images/load?quiet=1', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': data.length } });
    req.on('error', () => {});
    await new Promise<void>((r) => req.write(data.subarray(0, data.length >> 1), () => r()));
    // Wait until the daemon has spooled a good part of it.
    const spoolRoot = join(d.dataRoot, 'image/load-tmp');
    for (let i = 0; i < 200; i++) {
      const dirs = await readdir(spoolRoot).catch(() => [] as string[]);
      let bytes = 0;
      for (const s of dirs) for (const f of await readdir(join(spoolRoot, s)).catch(() => [] as string[])) bytes += (await stat(join(spoolRoot, s, f)).catch(() => ({ size: 0 }))).size;
      if (bytes > 10 << 20) break;
      await sleep(20);
    }
    await restart();
    req.destroy();
    assert.deepEqual(await storeState(d), baseline);
  });

  test('kill -9 while the load registers layers: after restart either the whole image or nothing', async () => {
    const before = baseline.blobs.length;
    const child = d.berth(['load', '-i', big], { timeoutMs: 60_000 }).catch(() => undefined);
    const blobs = join(d.dataRoot, 'image/content/blobs/sha256');
    for (let i = 0; i < 2000; i++) {
      if ((await readdir(blobs)).length > before) break;
      await sleep(2);
    }
    await restart();
    await child;
    const s = await storeState(d);
    if (s.images.length === baseline.images.length) assert.deepEqual(s, baseline, 'no image: no layer or blob of it either');
    else {
      assert.equal((await d.berth(['rmi', 'big:1'])).code, 0);
      assert.deepEqual(await storeState(d), baseline);
    }
  });

  test('a crash between the data and the record: the start-up GC removes the layers and blobs', async () => {
    let r = await d.berth(['load', '-i', big], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const id = (await d.api('GET', '/images/big:1/json')).body.Id as string;
    const loaded = await storeState(d);
    assert.equal(loaded.layers.length, baseline.layers.length + 1);
    // A container on busybox (stopped) keeps its layer; the record of big:1 vanishes as if never written.
    r = await d.berth(['create', '--network', 'none', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    await d.kill9();
    await rm(join(d.dataRoot, 'image/images', `${id.slice(7)}.json`));
    await d.spawn();
    const s = await storeState(d);
    assert.deepEqual(s, baseline);
    assert.match(d.log, /removed unreferenced image data/);
    r = await d.berth(['run', '--rm', '--network', 'none', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
  });
});
