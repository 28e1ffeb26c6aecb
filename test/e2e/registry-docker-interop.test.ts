// Registry interop with the real docker stack, all on 127.0.0.1 (dockerd treats 127.0.0.0/8 as insecure):
//  - the docker CLI against a real dockerd (dockerd.ts) logs in to `berth registry serve --htpasswd`, pushes a
//    2-layer image, removes it, pulls it back and runs it; berthd pulls the same image from there and pushes its own,
//    which dockerd pulls;
//  - berthd and dockerd exchange images through Debian's reference registry (docker-registry, htpasswd auth) in both
//    directions.
// Image ids (config digests) must be the same on both engines after every hop. Skipped with a message when not root,
// or when dockerd, docker-registry or htpasswd is missing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Dockerd, findDockerd } from './dockerd.ts';
import { Daemon, isRoot, type RunResult } from './harness.ts';
import { RegistryProc, execFileP, which } from './registry-harness.ts';

const DOCKERD = await findDockerd();
const REFERENCE = await which('docker-registry');
const HTPASSWD = await which('htpasswd');
const skip = !isRoot()
  ? 'needs root'
  : DOCKERD === undefined
    ? 'dockerd is not installed (apt-get install docker.io)'
    : REFERENCE === undefined
      ? 'the reference registry is not installed (apt-get install docker-registry)'
      : HTPASSWD === undefined
        ? 'htpasswd is not installed (apt-get install apache2-utils)'
        : false;
if (skip) console.log(`# registry docker interop: skipped: ${skip}`);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const ok = async (p: Promise<RunResult>, what = ''): Promise<string> => {
  const r = await p;
  assert.equal(r.code, 0, `${what}\n${r.stderr}${r.stdout}`);
  return r.stdout;
};

describe('registry interop: docker CLI + dockerd, berthd, berth registry, docker-registry', { skip }, () => {
  let work: string;
  let berthd: Daemon;
  let dockerd: Dockerd;
  let reg: RegistryProc;
  let ref: ChildProcess | undefined;
  let refAddr = '';
  let refLog = '';
  let env: Record<string, string>;
  const berth = (args: string[], input?: string) => berthd.berth(args, { env, input, timeoutMs: 120_000 });
  const docker = (args: string[], input?: string) => dockerd.docker(args, { input, timeoutMs: 120_000 });
  const berthId = async (image: string) => (await ok(berth(['image', 'inspect', '-f', '{{.Id}}', image]))).trim();
  const dockerId = async (image: string) => (await ok(docker(['image', 'inspect', '-f', '{{.Id}}', image]))).trim();
  /** A 2-layer image in dockerd: busybox (loaded from berth) + a committed layer. */
  let dockerImageId = '';
  /** A 2-layer image in berthd, committed there. */
  let berthImageId = '';

  before(async () => {
    work = await mkdtemp('/tmp/berth-reg-dk-');
    await writeFile(join(work, 'htpasswd'), (await execFileP(HTPASSWD!, ['-Bbn', 'alice', 's3cret'])).stdout);
    reg = await RegistryProc.start(['--htpasswd', join(work, 'htpasswd')]);
    refAddr = `127.0.0.1:${await freePort()}`;
    await writeFile(join(work, 'config.yml'), [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${join(work, 'ref')}}}`,
      `http: {addr: "${refAddr}"}`,
      `auth: {htpasswd: {realm: basic-realm, path: ${join(work, 'htpasswd')}}}`,
      '',
    ].join('\n'));
    ref = spawn(REFERENCE!, ['serve', join(work, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    ref.stderr!.on('data', (d: Buffer) => (refLog += d.toString()));
    for (let i = 0; ; i++) {
      const st = await fetch(`http://${refAddr}/v2/`).then((r) => r.status, () => 0);
      if (st === 401) break;
      if (i > 100 || ref.exitCode !== null) throw new Error(`docker-registry did not start: ${refLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    [berthd, dockerd] = await Promise.all([Daemon.start(), Dockerd.start()]);
    env = { DOCKER_CONFIG: join(berthd.tmp, 'docker-config') };

    // Images on both sides: busybox into berthd and (by save/load) into dockerd, one committed layer each.
    await ok(berth(['bootstrap', 'busybox']));
    const tar = join(work, 'busybox.tar');
    await ok(berth(['save', '-o', tar, 'busybox']));
    await ok(docker(['load', '-i', tar]));
    await ok(docker(['run', '--name', 'mk', '--network', 'none', 'busybox', 'sh', '-c', 'echo from-dockerd > /who; head -c 300000 /dev/urandom > /rnd']), 'docker run');
    dockerImageId = (await ok(docker(['commit', 'mk', 'fromdocker:1']))).trim();
    await ok(docker(['rm', 'mk']));
    await ok(berth(['run', '--name', 'mk', 'busybox', 'sh', '-c', 'echo from-berthd > /who; head -c 300000 /dev/urandom > /rnd']));
    berthImageId = (await ok(berth(['commit', 'mk', 'fromberth:1']))).trim();
    await ok(berth(['rm', 'mk']));
  });

  after(async () => {
    await berthd?.destroy();
    await dockerd?.destroy();
    await reg?.stop();
    if (ref?.pid !== undefined && ref.exitCode === null && ref.signalCode === null) {
      const exited = new Promise((r) => ref!.once('exit', r));
      ref.kill('SIGTERM');
      await exited;
    }
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  test('docker login/push/rmi/pull/run against berth registry serve (htpasswd)', async () => {
    const R = reg.address;
    const bad = await docker(['login', '-u', 'alice', '--password-stdin', R], 'wrong\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unauthorized|401/);
    const anon = await docker(['pull', `${R}/nobody/x:1`]);
    assert.notEqual(anon.code, 0);
    assert.match(anon.stderr, /no basic auth credentials|unauthorized|authentication required/);
    assert.match(await ok(docker(['login', '-u', 'alice', '--password-stdin', R], 's3cret\n')), /Login Succeeded/);
    await ok(docker(['tag', 'fromdocker:1', `${R}/team/fromdocker:1`]));
    const push = await ok(docker(['push', `${R}/team/fromdocker:1`]), 'docker push');
    assert.match(push, /: Pushed/);
    assert.match(push, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
    assert.match(await ok(docker(['push', `${R}/team/fromdocker:1`])), /Layer already exists/);
    // Another repository: dockerd mounts the layers across repositories.
    await ok(docker(['tag', 'fromdocker:1', `${R}/team/copy:1`]));
    assert.match(await ok(docker(['push', `${R}/team/copy:1`])), /Mounted from team\/fromdocker|Layer already exists/);
    await ok(docker(['rmi', `${R}/team/fromdocker:1`, `${R}/team/copy:1`, 'fromdocker:1']));
    const pull = await ok(docker(['pull', `${R}/team/fromdocker:1`]), 'docker pull');
    assert.match(pull, /Status: Downloaded newer image/);
    assert.equal(await dockerId(`${R}/team/fromdocker:1`), dockerImageId);
    assert.equal((await ok(docker(['run', '--rm', '--network', 'none', `${R}/team/fromdocker:1`, 'cat', '/who']))).trim(), 'from-dockerd');
  });

  test('berthd pulls what dockerd pushed to berth registry serve, and pushes what dockerd then pulls', async () => {
    const R = reg.address;
    await ok(berth(['login', '-u', 'alice', '--password-stdin', R], 's3cret\n'));
    await ok(berth(['pull', `${R}/team/fromdocker:1`]), 'berth pull');
    assert.equal(await berthId(`${R}/team/fromdocker:1`), dockerImageId);
    assert.equal((await ok(berth(['run', '--rm', `${R}/team/fromdocker:1`, 'cat', '/who']))).trim(), 'from-dockerd');
    await ok(berth(['tag', 'fromberth:1', `${R}/team/fromberth:1`]));
    assert.match(await ok(berth(['push', `${R}/team/fromberth:1`]), 'berth push'), /: Pushed/);
    await ok(docker(['pull', `${R}/team/fromberth:1`]), 'docker pull');
    assert.equal(await dockerId(`${R}/team/fromberth:1`), berthImageId);
    assert.equal((await ok(docker(['run', '--rm', '--network', 'none', `${R}/team/fromberth:1`, 'cat', '/who']))).trim(), 'from-berthd');
  });

  test('berthd ↔ docker-registry ↔ dockerd in both directions keeps image ids', async () => {
    const R = refAddr;
    await ok(berth(['login', '-u', 'alice', '--password-stdin', R], 's3cret\n'));
    await ok(docker(['login', '-u', 'alice', '--password-stdin', R], 's3cret\n'));
    // berthd → reference registry → dockerd.
    await ok(berth(['tag', 'fromberth:1', `${R}/x/fromberth:1`]));
    assert.match(await ok(berth(['push', `${R}/x/fromberth:1`]), 'berth push'), /digest: sha256:[a-f0-9]{64}/);
    await ok(docker(['pull', `${R}/x/fromberth:1`]), 'docker pull');
    assert.equal(await dockerId(`${R}/x/fromberth:1`), berthImageId);
    // dockerd → reference registry → berthd (berthd has never seen this image under this name: fresh pull).
    await ok(docker(['tag', `${reg.address}/team/fromdocker:1`, `${R}/x/fromdocker:1`]));
    await ok(docker(['push', `${R}/x/fromdocker:1`]), 'docker push');
    await ok(berth(['rmi', `${reg.address}/team/fromdocker:1`]));
    assert.equal((await berth(['image', 'inspect', dockerImageId])).code, 1, 'gone from berthd before the pull');
    const pull = await ok(berth(['pull', `${R}/x/fromdocker:1`]), 'berth pull');
    assert.match(pull, /Pull complete|Already exists/);
    assert.equal(await berthId(`${R}/x/fromdocker:1`), dockerImageId);
    assert.equal((await ok(berth(['run', '--rm', `${R}/x/fromdocker:1`, 'cat', '/who']))).trim(), 'from-dockerd');
    // The manifest digest dockerd pushed is the one berthd records.
    const dockerDigest = (await ok(docker(['image', 'inspect', '-f', '{{json .RepoDigests}}', `${R}/x/fromdocker:1`])));
    const berthDigest = (await ok(berth(['image', 'inspect', '-f', '{{json .RepoDigests}}', `${R}/x/fromdocker:1`])));
    const pick = (s: string) => (JSON.parse(s) as string[]).find((d) => d.startsWith(`${R}/x/fromdocker@`));
    assert.equal(pick(berthDigest), pick(dockerDigest));
  });
});
