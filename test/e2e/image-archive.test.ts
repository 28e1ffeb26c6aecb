// docker save / load / image prune end to end: a save from one daemon loads into a fresh one and runs the same
// filesystem; multi-layer legacy archives (symlinked and gzip layers, whiteouts, device nodes) load; bad archives fail
// with one clear line and leave nothing behind; removing images removes their layers and blobs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Daemon, exists, isRoot, runCmd } from './harness.ts';
import { TAR_TRAILER, tarHeader, tarPadding } from '../../src/store/archive/tar-writer.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function sh(cmd: string, args: string[]): Promise<string> {
  const r = await runCmd(cmd, args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Layers, blobs, images and load spools of a daemon: what must not grow when a load fails. */
async function storeState(d: Daemon) {
  const ls = (p: string) => readdir(join(d.dataRoot, p)).then((x) => x.sort(), () => [] as string[]);
  const images = await d.api('GET', '/images/json');
  return {
    layers: [...(await ls('storage/overlay/layers')), ...(await ls('storage/vfs/layers'))],
    blobs: await ls('image/content/blobs/sha256'),
    ingest: await ls('image/content/ingest'),
    spools: await ls('image/load-tmp'),
    images: (images.body as { Id: string }[]).map((i) => i.Id).sort(),
  };
}

describe('image save/load/prune', { skip: !isRoot() && 'needs root' }, () => {
  let d1: Daemon;
  let d2: Daemon;
  let work: string;
  let saved: string;
  const evilName = `berth-evil-${randomBytes(4).toString('hex')}`;

  before(async () => {
    d1 = await Daemon.start();
    d2 = await Daemon.start();
    work = join(d1.tmp, 'work');
    await mkdir(work);
    assert.equal((await d1.berth(['bootstrap', 'busybox'])).code, 0);
    saved = join(work, 'busybox.tar');
    const r = await d1.berth(['save', '-o', saved, 'busybox']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await d1?.destroy();
    await d2?.destroy();
    await rm(`/tmp/${evilName}`, { force: true });
  });

  async function loadFails(file: string | undefined, input: string | undefined, pattern: RegExp) {
    const before = await storeState(d2);
    const r = await d2.berth(file ? ['load', '-i', file] : ['load'], { input });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.deepEqual(await storeState(d2), before, 'nothing registered, nothing left over');
  }

  test('bad archives: one clear line, exit 1, nothing registered', async () => {
    await loadFails(undefined, 'hi\n', /^Error response from daemon: unexpected EOF: the input is not a tar archive$/m);
    await loadFails(undefined, 'x'.repeat(4000), /invalid tar header/);

    const full = await readFile(saved);
    const truncated = join(work, 'truncated.tar');
    await writeFile(truncated, full.subarray(0, Math.floor(full.length * 0.6)));
    await loadFails(truncated, undefined, /unexpected EOF: the archive is truncated/);

    // Tampered layer under its blobs/sha256 name: the name no longer matches the content.
    const x = join(work, 'x');
    await mkdir(x);
    await sh('tar', ['-x', '-f', saved, '-C', x]);
    const manifest = JSON.parse(await readFile(join(x, 'manifest.json'), 'utf8'));
    const layerPath = join(x, manifest[0].Layers[0]);
    const layer = Buffer.from(await readFile(layerPath));
    layer[layer.length - 2048] ^= 0xff; // inside the end-of-archive padding region of the layer tar
    await rm(layerPath, { force: true });
    await writeFile(layerPath, layer);
    const tampered = join(work, 'tampered.tar');
    await sh('tar', ['-c', '-f', tampered, '-C', x, '.']);
    await loadFails(tampered, undefined, /digest mismatch for blobs\/sha256\//);

    // Same tampered layer under a legacy name: caught by the config's diffID.
    await mkdir(join(x, 'legacy'));
    await writeFile(join(x, 'legacy/layer.tar'), layer);
    await writeFile(join(x, 'manifest.json'), JSON.stringify([{ ...manifest[0], Layers: ['legacy/layer.tar'] }]));
    await sh('tar', ['-c', '-f', tampered, '-C', x, '.']);
    await loadFails(tampered, undefined, /invalid diffID for layer 0/);

    // A layer whose entry climbs out with ../ must not touch the host.
    const evilData = Buffer.from('pwned\n');
    const evilLayer = Buffer.concat([tarHeader({ name: `../../../../../../../../tmp/${evilName}`, type: 'file', size: evilData.length }), evilData, tarPadding(evilData.length), TAR_TRAILER]);
    const evilConfig = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${sha(evilLayer)}`] } }));
    const e = join(work, 'evil');
    await mkdir(join(e, 'blobs/sha256'), { recursive: true });
    await writeFile(join(e, 'blobs/sha256', sha(evilLayer)), evilLayer);
    await writeFile(join(e, 'blobs/sha256', sha(evilConfig)), evilConfig);
    await writeFile(join(e, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${sha(evilConfig)}`, RepoTags: ['evil:1'], Layers: [`blobs/sha256/${sha(evilLayer)}`] }]));
    const evil = join(work, 'evil.tar');
    await sh('tar', ['-c', '-f', evil, '-C', e, '.']);
    await loadFails(evil, undefined, /failed to register layer/);
    assert.equal(await exists(`/tmp/${evilName}`), false, 'host untouched');
    await rm(x, { recursive: true, force: true });
  });

  test('save → load into a fresh daemon: same image id, same filesystem, byte-identical re-save', async () => {
    const r = await d2.berth(['load', '-i', saved]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Loaded image: busybox:latest\n');
    const i1 = (await d1.api('GET', '/images/busybox/json')).body;
    const i2 = (await d2.api('GET', '/images/busybox/json')).body;
    assert.equal(i2.Id, i1.Id);
    assert.deepEqual(i2.RootFS, i1.RootFS);
    const probe = ['run', '--rm', 'busybox', 'sh', '-c', 'find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /etc \\) -prune -o -print | sort | md5sum; md5sum /bin/busybox'];
    const a = await d1.berth(probe);
    const b = await d2.berth(probe);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.stdout, a.stdout);
    // Re-saving from the second daemon gives the very same bytes (layer blob kept as loaded; reproducible headers).
    const again = join(work, 'again.tar');
    assert.equal((await d2.berth(['save', '-o', again, 'busybox:latest'])).code, 0);
    assert.equal(sha(await readFile(again)), sha(await readFile(saved)));
    // The API's single-image form and stdout redirection.
    const viaApi = await d2.api('GET', '/images/busybox/get');
    assert.equal(viaApi.status, 200);
    const missing = await d2.berth(['save', '-o', join(work, 'nope.tar'), 'nope:1']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such image: nope:1/);
    assert.equal(await exists(join(work, 'nope.tar')), false);
  });

  let multiTar: string;
  test('multi-layer legacy archive: symlinked + gzip layers, whiteout, device node', async () => {
    const x = join(work, 'm');
    await mkdir(x);
    await sh('tar', ['-x', '-f', saved, '-C', x]);
    const manifest = JSON.parse(await readFile(join(x, 'manifest.json'), 'utf8'));
    const config = JSON.parse(await readFile(join(x, manifest[0].Config), 'utf8'));
    const l2 = join(work, 'l2');
    await mkdir(join(l2, 'opt'), { recursive: true });
    await mkdir(join(l2, 'bin'));
    await writeFile(join(l2, 'hello.txt'), 'hello from layer 2\n');
    await writeFile(join(l2, 'bin/.wh.vi'), '');
    await sh('mknod', [join(l2, 'opt/null'), 'c', '1', '3']);
    const l2tar = join(work, 'l2.tar');
    await sh('tar', ['-c', '-f', l2tar, '--sort=name', '--numeric-owner', '--mtime=@0', '-C', l2, '.']);
    const layer2Bytes = await readFile(l2tar);
    config.rootfs.diff_ids.push(`sha256:${sha(layer2Bytes)}`);
    config.history = [...(config.history ?? []), { created: '2024-01-01T00:00:00Z', created_by: 'test: second layer' }];
    const configBytes = Buffer.from(JSON.stringify(config));
    const legacy = join(work, 'legacy');
    await mkdir(join(legacy, 'v1a'), { recursive: true });
    await mkdir(join(legacy, 'v1b'));
    await mkdir(join(legacy, 'v1c'));
    await writeFile(join(legacy, 'v1a/layer.tar'), await readFile(join(x, manifest[0].Layers[0])));
    await symlink('../v1a/layer.tar', join(legacy, 'v1c/layer.tar'));
    await writeFile(join(legacy, 'v1b/layer.tar'), gzipSync(layer2Bytes));
    await writeFile(join(legacy, `${sha(configBytes)}.json`), configBytes);
    await writeFile(join(legacy, 'manifest.json'), JSON.stringify([{ Config: `${sha(configBytes)}.json`, RepoTags: ['multi:1'], Layers: ['v1c/layer.tar', 'v1b/layer.tar'] }]));
    multiTar = join(work, 'multi.tar');
    await sh('tar', ['-c', '-f', multiTar, '-C', legacy, '.']);
    await rm(x, { recursive: true, force: true });

    const r = await d2.berth(['load', '-q', '-i', multiTar]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Loaded image: multi:1\n');
    const img = (await d2.api('GET', '/images/multi:1/json')).body;
    assert.equal(img.Id, `sha256:${sha(configBytes)}`);
    assert.equal(img.RootFS.Layers.length, 2);
    const run = await d2.berth(['run', '--rm', 'multi:1', 'sh', '-c', 'cat /hello.txt; test -e /bin/vi && echo vi-visible; test -c /opt/null && echo chardev; test -e /bin/ls && echo ls-ok']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hello from layer 2\nchardev\nls-ok\n');
    assert.equal((await d2.berth(['run', '--rm', 'busybox', 'sh', '-c', 'test -e /bin/vi && echo vi-visible'])).stdout, 'vi-visible\n');
    // The device node sits inside the layer's own directory.
    const found = await sh('find', [d2.dataRoot, '-path', '*/opt/null', '-type', 'c']);
    assert.ok(found.trim().length > 0 && found.trim().split('\n').every((p) => p.startsWith(d2.dataRoot)), found);
    // Both layers come back out of save.
    const out = join(work, 'multi-out.tar');
    assert.equal((await d2.berth(['save', '-o', out, 'multi:1'])).code, 0);
    const listing = await sh('tar', ['-t', '-f', out]);
    assert.ok(listing.includes(`blobs/sha256/${sha(layer2Bytes)}`), listing);
  });

  test('rmi of one of two images sharing a layer keeps the other runnable; the last rmi leaves no layer or blob', async () => {
    assert.equal((await d2.berth(['rmi', 'busybox'])).code, 0);
    const run = await d2.berth(['run', '--rm', 'multi:1', 'cat', '/hello.txt']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hello from layer 2\n');
    assert.equal((await d2.berth(['rmi', 'multi:1'])).code, 0);
    const s = await storeState(d2);
    assert.deepEqual(s, { layers: [], blobs: [], ingest: [], spools: [], images: [] });
  });

  test('dangling images: rmi $(images -f dangling=true -q), image prune, prune -a keeps images in use', async () => {
    assert.equal((await d2.berth(['load', '-i', saved])).code, 0);
    const busyId = (await d2.api('GET', '/images/busybox/json')).body.Id as string;
    // An archive that claims busybox:latest for another image turns the old one dangling, as docker reports it.
    const x = join(work, 'retag');
    await mkdir(x);
    await sh('tar', ['-x', '-f', multiTar, '-C', x]);
    const m = JSON.parse(await readFile(join(x, 'manifest.json'), 'utf8'));
    await writeFile(join(x, 'manifest.json'), JSON.stringify([{ ...m[0], RepoTags: ['busybox:latest'] }]));
    const retag = join(work, 'retag.tar');
    await sh('tar', ['-c', '-f', retag, '-C', x, '.']);
    await rm(x, { recursive: true, force: true });
    let r = await d2.berth(['load', '-i', retag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `The image busybox:latest already exists, renaming the old one with ID ${busyId} to empty string\nLoaded image: busybox:latest\n`);
    const dangling = (await d2.berth(['images', '-f', 'dangling=true', '-q'])).stdout.trim().split('\n');
    assert.deepEqual(dangling, [busyId.slice(7, 19)]);
    r = await d2.berth(['rmi', ...dangling]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Deleted: ${busyId}\n`);

    // Dangling again (load the original: busybox:latest moves back), then prune: prompt first, "n" keeps it.
    assert.equal((await d2.berth(['load', '-i', saved])).code, 0);
    const multiId = (await d2.api('GET', `/images/json`)).body.find((i: { RepoTags: string[] }) => i.RepoTags.length === 0)?.Id as string;
    assert.ok(multiId);
    r = await d2.berth(['image', 'prune'], { input: 'n\n' });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
    assert.equal((await d2.api('GET', `/images/${multiId}/json`)).status, 200);
    r = await d2.berth(['image', 'prune', '-f']);
    assert.equal(r.code, 0, r.stderr);
    // The image, then its own top layer (chain id; the base layer stays with busybox): 19 bytes of hello.txt.
    assert.match(r.stdout, new RegExp(`^Deleted Images:\ndeleted: ${multiId}\ndeleted: sha256:[a-f0-9]{64}\n\nTotal reclaimed space: 19B\n$`));

    // prune -a skips images a container uses, then takes everything.
    const c = await d2.berth(['create', 'busybox', 'true']);
    assert.equal(c.code, 0, c.stderr);
    r = await d2.berth(['image', 'prune', '-a', '-f']);
    assert.equal(r.stdout, 'Total reclaimed space: 0B\n');
    assert.equal((await d2.berth(['rm', c.stdout.trim()])).code, 0);
    r = await d2.berth(['image', 'prune', '-a', '-f']);
    assert.match(r.stdout, new RegExp(`^Deleted Images:\nuntagged: busybox:latest\ndeleted: ${busyId}\ndeleted: sha256:[a-f0-9]{64}\n\nTotal reclaimed space: [\\d.]+MB\n$`));
    assert.deepEqual(await storeState(d2), { layers: [], blobs: [], ingest: [], spools: [], images: [] });
    assert.equal((await d2.api('POST', '/images/prune?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D')).status, 400);
  });

  test('stat check: saved archive is a plain tar the system tar lists', async () => {
    const st = await stat(saved);
    assert.ok(st.size > 1024 * 1024);
    const list = (await sh('tar', ['-t', '-f', saved])).trim().split('\n');
    assert.deepEqual(list.filter((n) => n === 'blobs/sha256/' || !n.startsWith('blobs/sha256/')), ['blobs/', 'blobs/sha256/', 'index.json', 'manifest.json', 'oci-layout', 'repositories']);
  });
});
