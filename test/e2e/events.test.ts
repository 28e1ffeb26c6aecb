// Events: every container lifecycle event, filters, and --since replay across a daemon restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, isRoot, runCmd, sleep } from './harness.ts';

describe('events', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  test('lifecycle events replay with --since/--until, also after kill -9 and restart', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    // A live follower sees events as they happen.
    const follower = runCmd('docker', ['events', '--filter', 'type=container', '--filter', 'event=die', '--format', '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'], {
      env: { DOCKER_HOST: d.host },
      timeoutMs: 20_000,
    });
    await sleep(300);
    const r = await d.docker(['run', '--name', 'ev1', '--label', 'team=a', 'busybox', 'sh', '-c', 'exit 2']);
    assert.equal(r.code, 2);
    await d.docker(['rename', 'ev1', 'ev2']);
    await d.docker(['rm', 'ev2']);
    await sleep(200);
    await d.kill9();
    await d.spawn();
    const until = Math.floor(Date.now() / 1000) + 1;
    const ev = await d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=container', '--format', '{{.Action}}']);
    assert.equal(ev.code, 0, ev.stderr);
    assert.deepEqual(ev.stdout.trim().split('\n'), ['create', 'attach', 'start', 'die', 'rename', 'destroy']);
    const byLabel = await d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'label=team=a', '--filter', 'event=die', '--format', '{{json .}}']);
    const die = JSON.parse(byLabel.stdout.trim());
    assert.equal(die.Type, 'container');
    assert.equal(die.Actor.Attributes.exitCode, '2');
    assert.equal(die.Actor.Attributes.image, 'busybox');
    assert.equal(typeof die.timeNano, 'number');
    const images = await d.docker(['events', '--since', String(since - 60), '--until', String(until), '--filter', 'type=image', '--format', '{{.Action}}']);
    assert.match(images.stdout, /^import$/m);
    // The follower was cut by the kill -9; what it saw before is the die event.
    const f = await follower;
    assert.match(f.stdout, /^ev1 2$/m);
  });

  test('bad filters are refused like Docker', async () => {
    const bad = await d.api('GET', '/events?filters=' + encodeURIComponent('{"nope":["x"]}') + '&until=1');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /invalid filter 'nope'/);
  });
});
