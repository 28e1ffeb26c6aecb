// The real docker CLI against berthd: the scenarios a Docker user types every day.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, isRoot, runCmd, sleep, waitFor } from './harness.ts';

describe('docker CLI against berthd', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    const r = await d.berth(['bootstrap', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await d?.destroy();
  });

  test('version and info talk to berthd', async () => {
    const v = await d.docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout.trim(), /^0\.1\.0 1\.\d+$/);
    const i = await d.docker(['info', '--format', '{{.Driver}} {{.CgroupDriver}} {{.LiveRestoreEnabled}}']);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout.trim(), /^(overlayfs|vfs) cgroupfs true$/);
  });

  test('run --rm echo prints and leaves nothing', async () => {
    const r = await d.docker(['run', '--rm', 'busybox', 'echo', 'hello from docker']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from docker\n');
    await waitFor(async () => {
      const ps = await d.docker(['ps', '-aq']);
      return ps.stdout.trim() === '';
    }, 'auto-removal');
  });

  test('exit codes propagate, stderr stays stderr', async () => {
    const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const nf = await d.docker(['run', '--rm', 'busybox', 'no-such-binary']);
    assert.equal(nf.code, 127, nf.stderr);
    assert.match(nf.stderr, /executable file not found|no such file/);
  });

  test('run -d, ps, logs -f, exec, stop, start, restart, rm -f', async () => {
    const run = await d.docker(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo started; while true; do sleep 0.2; done']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await d.docker(['ps']);
    assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    assert.match(ps.stdout, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'echo started…"\\s+.*Up .*\\s+web\\n`));
    const logs = await waitFor(async () => {
      const l = await d.docker(['logs', 'web']);
      return l.stdout.includes('started') && l;
    }, 'log line');
    assert.equal(logs.stdout, 'started\n');
    const ex = await d.docker(['exec', '-e', 'X=42', '-w', '/tmp', 'web', 'sh', '-c', 'echo $X $(pwd) $(id -u)']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout, '42 /tmp 0\n');
    const exCode = await d.docker(['exec', 'web', 'sh', '-c', 'exit 4']);
    assert.equal(exCode.code, 4);
    const exUser = await d.docker(['exec', '-u', 'nobody', 'web', 'id', '-un']);
    assert.equal(exUser.stdout.trim(), 'nobody');
    // logs -f ends when the container stops
    const follow = runCmd('docker', ['logs', '-f', 'web'], { env: { DOCKER_HOST: d.host } });
    await sleep(300);
    const stop = await d.docker(['stop', '-t', '1', 'web']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout.trim(), 'web');
    const f = await follow;
    assert.equal(f.code, 0);
    assert.match(f.stdout, /^started\n/);
    const st = await d.docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'web']);
    assert.equal(st.stdout.trim(), 'exited 137');
    assert.equal((await d.docker(['start', 'web'])).code, 0);
    assert.equal((await d.docker(['inspect', '-f', '{{.State.Running}}', 'web'])).stdout.trim(), 'true');
    assert.equal((await d.docker(['restart', '-t', '0', 'web'])).code, 0);
    assert.equal((await d.docker(['inspect', '-f', '{{.State.Running}}', 'web'])).stdout.trim(), 'true');
    const rm = await d.docker(['rm', 'web']);
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /container is running: stop the container before removing or force remove/);
    const rmf = await d.docker(['rm', '-f', 'web']);
    assert.equal(rmf.code, 0, rmf.stderr);
    assert.deepEqual(await d.mountsUnder(), []);
    assert.deepEqual(await d.conmonPids(), []);
  });

  test('wait, container prune, inspect --format', async () => {
    const c = await d.docker(['run', '-d', 'busybox', 'sh', '-c', 'sleep 0.3; exit 5']);
    const id = c.stdout.trim();
    const w = await d.docker(['wait', id]);
    assert.equal(w.stdout.trim(), '5');
    const f = await d.docker(['inspect', '--format', '{{.Id}} {{.State.Status}} {{.Config.Image}}', id]);
    assert.equal(f.stdout.trim(), `${id} exited busybox`);
    const p = await d.docker(['container', 'prune', '-f']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^Deleted Containers:\n/);
    assert.match(p.stdout, new RegExp(`\\n${id}\\n`));
    assert.match(p.stdout, /\nTotal reclaimed space: /);
    assert.equal((await d.docker(['ps', '-aq'])).stdout.trim(), '');
  });

  test('docker import of a rootfs tar, then run it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-import-'));
    try {
      await mkdir(join(dir, 'bin'));
      await copyFile('/bin/busybox', join(dir, 'bin/busybox'));
      await symlink('busybox', join(dir, 'bin/sh'));
      await writeFile(join(dir, 'marker'), 'imported\n');
      const tar = await runCmd('tar', ['-C', dir, '-cf', join(dir, '..', `${dir.split('/').pop()}.tar`), '.']);
      assert.equal(tar.code, 0, tar.stderr);
      const imp = await d.docker(['import', '--change', 'CMD ["/bin/sh", "-c", "cat /marker"]', `${dir}.tar`, 'imported:v1']);
      assert.equal(imp.code, 0, imp.stderr);
      assert.match(imp.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
      const run = await d.docker(['run', '--rm', 'imported:v1']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'imported\n');
      const images = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.match(images.stdout, /^imported:v1$/m);
      const rmi = await d.docker(['rmi', 'imported:v1']);
      assert.equal(rmi.code, 0, rmi.stderr);
      assert.match(rmi.stdout, /^Untagged: imported:v1\nDeleted: sha256:[0-9a-f]{64}\n/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.tar`, { force: true });
    }
  });

  test('bad input: clear errors, right exit codes', async () => {
    const img = await d.docker(['run', '--rm', 'nosuchimage:1']);
    assert.equal(img.code, 125, img.stderr);
    assert.match(img.stderr, /Unable to find image 'nosuchimage:1' locally/);
    await d.docker(['create', '--name', 'dup', 'busybox', 'true']);
    const dup = await d.docker(['create', '--name', 'dup', 'busybox', 'true']);
    assert.equal(dup.code, 1, dup.stderr);
    assert.match(dup.stderr, /Conflict\. The container name "\/dup" is already in use/);
    const ex = await d.docker(['exec', 'dup', 'true']);
    assert.notEqual(ex.code, 0);
    assert.match(ex.stderr, /is not running/);
    const bad = await d.docker(['run', '--rm', '--memory', 'lots', 'busybox', 'true']);
    assert.equal(bad.code, 125, bad.stderr);
    const nx = await d.docker(['rm', 'nosuch']);
    assert.equal(nx.code, 1);
    assert.match(nx.stderr, /No such container: nosuch/);
    await d.docker(['rm', 'dup']);
    assert.deepEqual(await d.mountsUnder(), []);
  });
});
