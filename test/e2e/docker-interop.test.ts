// Image archives between Berth and a real dockerd (started side by side on its own socket and roots: dockerd.ts):
// docker save → berth load → berth run, and berth save → docker load → docker run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, isRoot, runCmd } from './harness.ts';
import { Dockerd, findDockerd } from './dockerd.ts';

const dockerd = await findDockerd();
const skip = !isRoot() ? 'needs root' : !dockerd ? 'dockerd is not installed (apt-get install docker.io); interop tests skipped' : false;
if (skip) console.log(`# docker interop: skipped: ${skip}`);

describe('image archives: interop with real docker', { skip }, () => {
  let berth: Daemon;
  let docker: Dockerd;
  let work: string;

  before(async () => {
    berth = await Daemon.start();
    docker = await Dockerd.start();
    work = join(berth.tmp, 'interop');
    await mkdir(work);
    assert.equal((await berth.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await berth?.destroy();
    await docker?.destroy();
  });

  test('berth save busybox → docker load → docker run prints ok', async () => {
    const tar = join(work, 'busybox.tar');
    assert.equal((await berth.berth(['save', '-o', tar, 'busybox'])).code, 0);
    const load = await docker.docker(['load', '-i', tar]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /Loaded image: busybox:latest/);
    const berthId = (await berth.api('GET', '/images/busybox/json')).body.Id;
    const dockerId = (await docker.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox:latest'])).stdout.trim();
    assert.equal(dockerId, berthId, 'same config bytes, same image id');
    const run = await docker.docker(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'ok']);
    assert.equal(run.code, 0, run.stderr + docker.log.slice(-2000));
    assert.equal(run.stdout, 'ok\n');
  });

  test('docker import + docker save → berth load → berth run', async () => {
    // A small rootfs: the busybox layer as a plain tar, imported into dockerd with a CMD and a label.
    const x = join(work, 'x');
    await mkdir(x);
    const tar = join(work, 'busybox.tar');
    await runCmd('tar', ['-x', '-f', tar, '-C', x]);
    const manifest = JSON.parse(await readFile(join(x, 'manifest.json'), 'utf8'));
    const rootfs = join(x, manifest[0].Layers[0]);
    const imp = await docker.docker(['import', '--change', 'CMD ["/bin/sh", "-c", "echo from-docker"]', '--change', 'LABEL origin=dockerd', rootfs, 'mini:1']);
    assert.equal(imp.code, 0, imp.stderr);
    const saved = join(work, 'mini.tar');
    const save = await docker.docker(['save', '-o', saved, 'mini:1']);
    assert.equal(save.code, 0, save.stderr);
    const load = await berth.berth(['load', '-i', saved]);
    assert.equal(load.code, 0, load.stderr);
    assert.equal(load.stdout, 'Loaded image: mini:1\n');
    const dockerId = (await docker.docker(['image', 'inspect', '--format', '{{.Id}}', 'mini:1'])).stdout.trim();
    const img = (await berth.api('GET', '/images/mini:1/json')).body;
    assert.equal(img.Id, dockerId);
    assert.equal(img.Config.Labels.origin, 'dockerd');
    const run = await berth.berth(['run', '--rm', 'mini:1']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'from-docker\n');
    // And back: berth's save of the docker-made image loads into docker under the same id.
    const back = join(work, 'mini-back.tar');
    assert.equal((await berth.berth(['save', '-o', back, 'mini:1'])).code, 0);
    assert.equal((await docker.docker(['rmi', 'mini:1'])).code, 0);
    const reload = await docker.docker(['load', '-i', back]);
    assert.equal(reload.code, 0, reload.stderr);
    assert.equal((await docker.docker(['image', 'inspect', '--format', '{{.Id}}', 'mini:1'])).stdout.trim(), dockerId);
  });
});
