// Restart policies (also across daemon restarts) and HEALTHCHECK.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, isRoot, sleep, waitFor } from './harness.ts';

describe('restart policies and health checks', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  const inspect = async (name: string, fmt: string) => (await d.docker(['inspect', '-f', fmt, name])).stdout.trim();

  test('on-failure:3 gives up after 3 restarts; always restarts after exit', async () => {
    const r = await d.docker(['run', '-d', '--name', 'fail3', '--restart', 'on-failure:3', 'busybox', 'sh', '-c', 'exit 4']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => (await inspect('fail3', '{{.RestartCount}} {{.State.Status}}')) === '3 exited', 'three restarts', 20_000);
    await sleep(1500);
    assert.equal(await inspect('fail3', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}'), '3 exited 4');

    const a = await d.docker(['run', '-d', '--name', 'alw', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.3; exit 1']);
    assert.equal(a.code, 0, a.stderr);
    await waitFor(async () => Number(await inspect('alw', '{{.RestartCount}}')) >= 2, 'always restarts', 20_000);
    await d.docker(['rm', '-f', 'fail3', 'alw']);
  });

  test('after a daemon restart: always comes back, unless-stopped stays stopped after stop', async () => {
    const loop = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'];
    assert.equal((await d.docker(['run', '-d', '--name', 'alw2', '--restart', 'always', 'busybox', ...loop])).code, 0);
    assert.equal((await d.docker(['run', '-d', '--name', 'uls', '--restart', 'unless-stopped', 'busybox', ...loop])).code, 0);
    assert.equal((await d.docker(['stop', 'alw2', 'uls'])).code, 0);
    await d.stop();
    await d.spawn();
    await waitFor(async () => (await inspect('alw2', '{{.State.Running}}')) === 'true', 'always container started at daemon start', 10_000);
    assert.equal(await inspect('uls', '{{.State.Running}}'), 'false');
    // A container that died while the daemon was down is restarted by its policy when the daemon comes back.
    assert.equal((await d.docker(['run', '-d', '--name', 'uls2', '--restart', 'unless-stopped', 'busybox', 'sh', '-c', 'sleep 1; exit 3'])).code, 0);
    await d.kill9();
    await sleep(1500);
    await d.spawn();
    await waitFor(async () => Number(await inspect('uls2', '{{.RestartCount}}')) >= 1, 'unless-stopped restarted after daemon restart', 10_000);
    await d.docker(['rm', '-f', 'alw2', 'uls', 'uls2']);
  });

  test('health: starting → healthy → unhealthy, with events and ps status', async () => {
    const r = await d.docker([
      'run', '-d', '--name', 'hc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '300ms', '--health-retries', '2',
      'busybox', 'sh', '-c', 'touch /tmp/ok; sleep 60',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(async () => (await inspect('hc', '{{.State.Health.Status}}')) === 'healthy', 'healthy', 10_000);
    const ps = await d.docker(['ps', '--filter', 'name=hc', '--format', '{{.Status}}']);
    assert.match(ps.stdout, /\(healthy\)/);
    await d.docker(['exec', 'hc', 'rm', '/tmp/ok']);
    await waitFor(async () => (await inspect('hc', '{{.State.Health.Status}}')) === 'unhealthy', 'unhealthy', 10_000);
    assert.ok(Number(await inspect('hc', '{{.State.Health.FailingStreak}}')) >= 2);
    const log = await inspect('hc', '{{(index .State.Health.Log 0).ExitCode}}');
    assert.match(log, /^[01]$/);
    const ev = await d.docker(['events', '--since', '1', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=hc', '--format', '{{.Action}}']);
    assert.match(ev.stdout, /^health_status: healthy$/m);
    assert.match(ev.stdout, /^health_status: unhealthy$/m);
    await d.docker(['rm', '-f', 'hc']);
    assert.deepEqual(await d.conmonPids(), []);
  });
});
