// Interactive terminals through a real pseudo-terminal, for the docker CLI and for berth alike: typing into
// `run -it`, terminal size and resize, attach and the detach keys, `exec -it`, and Ctrl-C.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BERTH, Daemon, isRoot, PtySession, sleep, waitFor } from './harness.ts';

describe('interactive terminals', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  const sessions: PtySession[] = [];
  before(async () => {
    d = await Daemon.start();
    const r = await d.berth(['bootstrap', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    for (const s of sessions) s.kill();
    await d?.destroy();
  });

  for (const cli of ['docker', 'berth'] as const) {
    const pty = (args: string[], opts: { rows?: number; cols?: number; resizeTo?: [number, number] } = {}) => {
      const env = { BERTH_HOST: d.host, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.tmp, 'docker-config') };
      const s = new PtySession(cli === 'docker' ? 'docker' : BERTH, args, { env, ...opts });
      sessions.push(s);
      return s;
    };
    const run = (args: string[]) => (cli === 'docker' ? d.docker(args) : d.berth(args));

    test(`${cli}: run -it sh, type, exit 5`, async () => {
      const s = pty(['run', '-it', '--rm', '--name', `${cli}-it`, 'busybox', 'sh']);
      await s.expect(/\/ # /);
      s.send('echo hi-$((1+2))\r');
      await s.expect(/echo hi-\$\(\(1\+2\)\)\r\nhi-3\r\n/);
      s.send('exit 5\r');
      assert.equal(await s.exitCode(), 5);
      // Raw terminal, as docker's: the container's "\r\n" reaches us unchanged (no second "\r" from ONLCR).
      assert.doesNotMatch(s.output, /\r\r\n/);
      await waitFor(async () => (await run(['ps', '-aq', '--filter', `name=${cli}-it`])).stdout === '', '--rm removal');
    });

    test(`${cli}: the container's tty has our size, and follows a resize`, async () => {
      const s = pty(['run', '-it', '--rm', 'busybox', 'sh'], { rows: 30, cols: 100, resizeTo: [40, 120] });
      await s.expect(/\/ # /);
      s.send('stty size\r');
      await s.expect(/\r\n30 100\r\n/);
      s.resize();
      await sleep(300);
      s.send('stty size\r');
      await s.expect(/\r\n40 120\r\n/);
      s.send('exit\r');
      assert.equal(await s.exitCode(), 0);
      // And the size the outer `stty` sets, as a user would in a script.
      const st = new PtySession('sh', ['-c', `stty rows 33 cols 91; ${cli === 'docker' ? 'docker' : BERTH} run -it --rm busybox stty size`], {
        env: { BERTH_HOST: d.host, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.tmp, 'docker-config') },
      });
      sessions.push(st);
      await st.expect(/33 91\r\n/);
      assert.equal(await st.exitCode(), 0);
    });

    test(`${cli}: attach, detach with ctrl-p ctrl-q and with --detach-keys`, async () => {
      const name = `${cli}-att`;
      const r = await run(['run', '-dit', '--name', name, 'busybox', 'sh']);
      assert.equal(r.code, 0, r.stderr);
      const a = pty(['attach', name]);
      await a.raw();
      await sleep(200);
      a.send('echo at-$((2*3))\r');
      await a.expect(/at-6\r\n/);
      a.send('\x10\x11');
      assert.equal(await a.exitCode(), 1);
      await a.expect(/read escape sequence\r\n/);
      assert.equal((await run(['inspect', '-f', '{{.State.Running}}', name])).stdout, 'true\n');
      assert.match((await run(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).stdout, /^Up /);

      const b = pty(['attach', '--detach-keys', 'ctrl-a,x', name]);
      await b.raw();
      await sleep(200);
      b.send('\x10\x11'); // not the detach keys now: passed to the shell, which ignores them
      b.send('echo at-$((2*4))\r');
      await b.expect(/at-8\r\n/);
      b.send('\x01x');
      assert.equal(await b.exitCode(), 1);
      assert.equal((await run(['inspect', '-f', '{{.State.Running}}', name])).stdout, 'true\n');

      const e = pty(['exec', '-it', name, 'sh']);
      await e.expect(/\/ # /);
      e.send('echo in-exec-$((3*3))\r');
      await e.expect(/in-exec-9\r\n/);
      e.send('exit 7\r');
      assert.equal(await e.exitCode(), 7);
      assert.equal((await run(['inspect', '-f', '{{.State.Running}}', name])).stdout, 'true\n');

      // The container's shell still works, and exiting it stops the container.
      const c = pty(['attach', name]);
      await c.raw();
      await sleep(200);
      c.send('exit 3\r');
      assert.equal(await c.exitCode(), 3);
      assert.equal((await run(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])).stdout, 'exited 3\n');
      assert.equal((await run(['rm', name])).code, 0);
    });

    test(`${cli}: Ctrl-C reaches the container (run -it, and run -t by signal proxy)`, async () => {
      const script = 'trap "echo got-int; exit 9" INT; echo ready; while true; do sleep 0.1; done';
      const it = pty(['run', '-it', '--rm', 'busybox', 'sh', '-c', script]);
      await it.expect(/ready\r\n/);
      await sleep(200);
      it.send('\x03');
      await it.expect(/got-int/);
      assert.equal(await it.exitCode(), 9);

      // Without -i our terminal stays cooked: Ctrl-C is a SIGINT to the CLI, which passes it on.
      const t = pty(['run', '-t', '--rm', 'busybox', 'sh', '-c', script]);
      await t.expect(/ready/);
      await sleep(200);
      t.send('\x03');
      await t.expect(/got-int/);
      assert.equal(await t.exitCode(), 9);
      await waitFor(async () => (await run(['ps', '-aq'])).stdout === '', 'no containers left');
    });
  }

  test('nothing left behind', async () => {
    assert.equal((await d.berth(['ps', '-aq'])).stdout, '');
    assert.deepEqual(await d.conmonPids(), []);
    assert.deepEqual(await d.mountsUnder(), []);
  });
});
