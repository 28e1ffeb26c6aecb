// e2e interop: skopeo copies between Debian's reference registry (docker-registry, distribution 2.8) and Berth's
// registry, both on 127.0.0.1, in both directions, for an OCI manifest and a Docker schema2 manifest; the manifest
// digest must survive every hop. Skipped with a message when skopeo or docker-registry is missing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryProc, execFileP, http, sha256, tinyImage, which, writeOciLayout } from './registry-harness.ts';

const SKOPEO = await which('skopeo');
const REFERENCE = (await which('docker-registry')) ?? undefined;
const skip =
  SKOPEO === undefined
    ? 'skopeo not installed (apt-get install skopeo)'
    : REFERENCE === undefined
      ? 'the reference registry is not installed (apt-get install docker-registry)'
      : false;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const skopeo = (...args: string[]) => execFileP(SKOPEO!, args, { timeout: 60_000 });
const digestOf = async (ref: string) => sha256((await skopeo('inspect', '--raw', '--tls-verify=false', ref)).stdout);

describe('registry interop with the reference registry', { skip }, () => {
  let tmp: string;
  let berth: RegistryProc;
  let ref: ChildProcess;
  let refAddr: string;
  let refLog = '';

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'berth-reg-interop-'));
    berth = await RegistryProc.start();
    refAddr = `127.0.0.1:${await freePort()}`;
    const config = join(tmp, 'config.yml');
    await writeFile(
      config,
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(tmp, 'ref')}\n` +
        `  delete:\n    enabled: true\nhttp:\n  addr: ${refAddr}\n`,
    );
    ref = spawn(REFERENCE!, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    ref.stderr!.on('data', (d: Buffer) => (refLog += d.toString()));
    for (let i = 0; ; i++) {
      const ok = await http(`http://${refAddr}`, 'GET', '/v2/').then((r) => r.status === 200, () => false);
      if (ok) break;
      if (i > 100 || ref.exitCode !== null) throw new Error(`reference registry did not start: ${refLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    if (ref !== undefined && ref.exitCode === null && ref.signalCode === null) {
      const exited = new Promise((r) => ref.once('exit', r));
      ref.kill('SIGTERM');
      await exited;
    }
    await berth?.stop();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  it('OCI image: Berth → reference → Berth keeps the manifest digest', async () => {
    const img = tinyImage('interop oci');
    const src = join(tmp, 'oci');
    await writeOciLayout(src, img, 'v1');
    await skopeo('copy', '--dest-tls-verify=false', `oci:${src}:v1`, `docker://${berth.address}/interop/oci:v1`);
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false',
      `docker://${berth.address}/interop/oci:v1`, `docker://${refAddr}/interop/oci:v1`);
    assert.equal(await digestOf(`docker://${refAddr}/interop/oci:v1`), img.manifestDigest);
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false',
      `docker://${refAddr}/interop/oci:v1`, `docker://${berth.address}/interop/back:v1`);
    assert.equal(await digestOf(`docker://${berth.address}/interop/back:v1`), img.manifestDigest);
  });

  it('Docker schema2 image: reference → Berth → reference keeps the manifest digest', async () => {
    const src = join(tmp, 'oci2');
    await writeOciLayout(src, tinyImage('interop docker'), 'v1');
    await skopeo('copy', '--dest-tls-verify=false', '--format', 'v2s2', `oci:${src}:v1`, `docker://${refAddr}/interop/docker:v1`);
    const d = await digestOf(`docker://${refAddr}/interop/docker:v1`);
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false',
      `docker://${refAddr}/interop/docker:v1`, `docker://${berth.address}/interop/docker:v1`);
    const m = await http(berth.url, 'GET', '/v2/interop/docker/manifests/v1', {
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    assert.equal(m.headers['content-type'], 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(m.headers['docker-content-digest'], d);
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false',
      `docker://${berth.address}/interop/docker:v1`, `docker://${refAddr}/interop/again:v1`);
    assert.equal(await digestOf(`docker://${refAddr}/interop/again:v1`), d);
  });
});
