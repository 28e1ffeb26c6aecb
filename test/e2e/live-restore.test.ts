// kill -9 of berthd must not touch containers: conmon keeps them, the next berthd adopts them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, isRoot, sleep, waitFor } from './harness.ts';

describe('live restore after kill -9', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  test('running containers survive, one that exited meanwhile shows its code', async () => {
    const loop = 'trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done';
    const ids: string[] = [];
    for (const n of ['lr1', 'lr2', 'lr3']) {
      const r = await d.docker(['run', '-d', '--name', n, 'busybox', 'sh', '-c', loop]);
      assert.equal(r.code, 0, r.stderr);
      ids.push(r.stdout.trim());
    }
    const quitter = await d.docker(['run', '-d', '--name', 'lr4', 'busybox', 'sh', '-c', 'sleep 1; exit 9']);
    assert.equal(quitter.code, 0, quitter.stderr);
    const pidsBefore = (await d.conmonPids()).sort();
    assert.equal(pidsBefore.length, 4);

    await d.kill9();
    await sleep(1500); // lr4 exits while no daemon runs
    // The three looping containers' monitors outlived the daemon; lr4's ended with its container.
    const alive = await d.conmonPids();
    assert.equal(alive.length, 3);
    assert.ok(alive.every((p) => pidsBefore.includes(p)));
    await d.spawn();

    const ps = await d.docker(['ps', '--format', '{{.Names}} {{.State}}']);
    assert.deepEqual(ps.stdout.trim().split('\n').sort(), ['lr1 running', 'lr2 running', 'lr3 running']);
    const st = await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'lr4']);
    assert.equal(st.stdout.trim(), 'exited 9');

    // Still manageable: exec, logs, stop (graceful: trap exits 0), wait.
    const ex = await d.docker(['exec', 'lr2', 'echo', 'alive']);
    assert.equal(ex.stdout, 'alive\n');
    const logs = await d.docker(['logs', 'lr3']);
    assert.equal(logs.stdout, 'ready\n');
    const stop = await d.docker(['stop', 'lr1']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'lr1'])).stdout.trim(), '0');

    // An exit after the restart is recorded by the new daemon through the exit file.
    await d.docker(['kill', '-s', 'TERM', 'lr2']);
    await waitFor(async () => (await d.docker(['inspect', '-f', '{{.State.Status}}', 'lr2'])).stdout.trim() === 'exited', 'lr2 exit');

    const rm = await d.docker(['rm', '-f', 'lr1', 'lr2', 'lr3', 'lr4']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(await d.mountsUnder(), []);
    assert.deepEqual(await d.conmonPids(), []);
    assert.deepEqual(await d.cgroupsLeft(), []);
  });

  test('graceful shutdown (SIGTERM) leaves containers running', async () => {
    const r = await d.docker(['run', '-d', '--name', 'gs1', 'busybox', 'sleep', '60']);
    assert.equal(r.code, 0, r.stderr);
    await d.stop();
    assert.equal((await d.conmonPids()).length, 1);
    await d.spawn();
    assert.equal((await d.docker(['inspect', '-f', '{{.State.Running}}', 'gs1'])).stdout.trim(), 'true');
    assert.equal((await d.docker(['rm', '-f', 'gs1'])).code, 0);
  });
});
