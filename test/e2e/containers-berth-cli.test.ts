// The berth CLI against berthd: the scenarios of containers-docker-cli.test.ts and more, with berth's output held to
// the real docker CLI's where both can talk to the same daemon.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTH, Daemon, isRoot, runCmd, sleep, waitFor } from './harness.ts';

/** Runs the same command through berth and docker until both print the same (time texts change at second edges). */
async function sameAsDocker(d: Daemon, args: string[], tries = 5): Promise<string> {
  let last = '';
  for (let i = 0; i < tries; i++) {
    const [b, k] = await Promise.all([d.berth(args), d.docker(args)]);
    if (b.stdout === k.stdout && b.stderr === k.stderr && b.code === k.code) return b.stdout;
    last = `berth (${b.code}):\n${b.stdout}${b.stderr}\ndocker (${k.code}):\n${k.stdout}${k.stderr}`;
    await sleep(150);
  }
  assert.fail(`berth ${args.join(' ')} differs from docker:\n${last}`);
}

const capEff = (status: string) => /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];

describe('berth CLI against berthd', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  let scratch: string;
  before(async () => {
    d = await Daemon.start();
    scratch = await mkdtemp('/tmp/bt-cli-');
    const r = await d.berth(['bootstrap', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await d?.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('one-letter names are refused as docker does', async () => {
    const r = await d.berth(['create', '--name', 'k', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Invalid container name \(k\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
  });

  test('run --rm echo prints and leaves nothing', async () => {
    const r = await d.berth(['run', '--rm', 'busybox', 'echo', 'hello from berth']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from berth\n');
    assert.equal(r.stderr, '');
    await waitFor(async () => (await d.berth(['ps', '-aq'])).stdout === '', 'auto-removal');
  });

  test('exit codes propagate, stderr stays stderr', async () => {
    const r = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const nf = await d.berth(['run', '--rm', 'busybox', 'no-such-binary']);
    assert.equal(nf.code, 127, nf.stderr);
    assert.match(nf.stderr, /^berth: Error response from daemon: .*executable file not found in \$PATH\n\nRun 'berth run --help' for more information\n$/);
  });

  test('run -d, ps like docker, logs, logs -f, exec, stop, start, restart, rm', async () => {
    const run = await d.berth(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo started; echo warn >&2; while true; do sleep 0.2; done']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await sameAsDocker(d, ['ps']);
    assert.match(ps, /^CONTAINER ID   IMAGE     COMMAND                  CREATED\s+STATUS\s+PORTS     NAMES\n/);
    assert.match(ps, new RegExp(`\\n${id.slice(0, 12)}   busybox   "sh -c 'echo started…"   .+ago\\s+Up .+\\s+web\\n$`));
    await sameAsDocker(d, ['ps', '-a', '--no-trunc']);

    const logs = await waitFor(async () => {
      const l = await d.berth(['logs', 'web']);
      return l.stdout.includes('started') && l.stderr.includes('warn') && l;
    }, 'log lines');
    assert.equal(logs.stdout, 'started\n');
    assert.equal(logs.stderr, 'warn\n');
    const tail = await d.berth(['logs', '--tail', '1', 'web']);
    assert.equal(tail.stdout + tail.stderr, 'warn\n');
    const ts = await d.berth(['logs', '-t', 'web']);
    assert.match(ts.stdout, /^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z started\n$/);
    const future = await d.berth(['logs', '--since', new Date(Date.now() + 60_000).toISOString(), 'web']);
    assert.equal(future.code, 0, future.stderr);
    assert.equal(future.stdout + future.stderr, '');
    const recent = await d.berth(['logs', '--since', '1h', 'web']);
    assert.equal(recent.stdout, 'started\n');
    const bad = await d.berth(['logs', '--since', 'abc', 'web']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'invalid value for "since": failed to parse value as time or duration: "abc"\n');

    const ex = await d.berth(['exec', '-e', 'X=42', '-w', '/tmp', 'web', 'sh', '-c', 'echo $X $(pwd) $(id -u)']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout, '42 /tmp 0\n');
    assert.equal((await d.berth(['exec', 'web', 'sh', '-c', 'exit 4'])).code, 4);
    const exUser = await d.berth(['exec', '-u', 'nobody', 'web', 'id', '-un']);
    assert.equal(exUser.stdout, 'nobody\n');

    // logs -f ends when the container stops
    const follow = runCmd(BERTH, ['logs', '-f', 'web'], { env: { BERTH_HOST: d.host } });
    await sleep(300);
    const stop = await d.berth(['stop', '-t', '1', 'web']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, 'web\n');
    const f = await follow;
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stdout, 'started\n');
    assert.equal((await d.berth(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'web'])).stdout, 'exited 137\n');
    const start = await d.berth(['start', 'web']);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(start.stdout, 'web\n');
    assert.equal((await d.berth(['inspect', '-f', '{{.State.Running}}', 'web'])).stdout, 'true\n');
    const pid1 = (await d.berth(['inspect', '-f', '{{.State.Pid}}', 'web'])).stdout;
    const restart = await d.berth(['restart', '-t', '0', 'web']);
    assert.equal(restart.code, 0, restart.stderr);
    assert.equal(restart.stdout, 'web\n');
    assert.equal((await d.berth(['inspect', '-f', '{{.State.Running}}', 'web'])).stdout, 'true\n');
    assert.notEqual((await d.berth(['inspect', '-f', '{{.State.Pid}}', 'web'])).stdout, pid1);
    const rm = await d.berth(['rm', 'web']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /^Error response from daemon: cannot remove container "\/web": container is running: stop the container before removing or force remove\n$/);
    const rmf = await d.berth(['rm', '-f', 'web']);
    assert.equal(rmf.code, 0, rmf.stderr);
    assert.equal(rmf.stdout, 'web\n');
    assert.equal((await d.berth(['ps', '-aq'])).stdout, '');
    assert.deepEqual(await d.mountsUnder(), []);
    assert.deepEqual(await d.conmonPids(), []);
  });

  test('kill -s, pause/unpause, rename, top', async () => {
    const run = await d.berth(['run', '-d', '--name', 'kk', 'busybox', 'sh', '-c', 'trap "echo got-usr1" USR1; while true; do sleep 0.1; done']);
    assert.equal(run.code, 0, run.stderr);
    await sleep(200);
    const kill = await d.berth(['kill', '-s', 'USR1', 'kk']);
    assert.equal(kill.code, 0, kill.stderr);
    assert.equal(kill.stdout, 'kk\n');
    await waitFor(async () => (await d.berth(['logs', 'kk'])).stdout === 'got-usr1\n', 'trap output');
    const badSig = await d.berth(['kill', '-s', 'NOPE', 'kk']);
    assert.equal(badSig.code, 1);
    assert.equal(badSig.stderr, 'Error response from daemon: Invalid signal: NOPE\n');

    assert.equal((await d.berth(['pause', 'kk'])).stdout, 'kk\n');
    assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'kk'])).stdout, 'paused true\n');
    assert.match((await d.berth(['ps', '--format', '{{.Status}}'])).stdout, /^Up .* \(Paused\)\n$/);
    assert.equal((await d.berth(['unpause', 'kk'])).stdout, 'kk\n');
    assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}}', 'kk'])).stdout, 'running\n');

    const ren = await d.berth(['rename', 'kk', 'k2']);
    assert.equal(ren.code, 0, ren.stderr);
    assert.equal((await d.berth(['ps', '--format', '{{.Names}}'])).stdout, 'k2\n');
    const renBad = await d.berth(['rename', 'nosuch', 'x']);
    assert.equal(renBad.code, 1);
    assert.equal(renBad.stderr, 'Error response from daemon: No such container: nosuch\nError: failed to rename container named nosuch\n');

    const top = await d.berth(['top', 'k2']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/);
    assert.match(top.stdout, /\nroot\s+\d+\s+\d+\s+.*sh -c trap "echo got-usr1" USR1; while true; do sleep 0\.1; done\n/);
    assert.equal((await d.berth(['rm', '-f', 'k2'])).code, 0);
    const still = await d.berth(['run', '-d', '--name', 'still', 'busybox', 'sleep', '30']);
    assert.equal(still.code, 0, still.stderr);
    await sameAsDocker(d, ['top', 'still']);
    await sameAsDocker(d, ['top', 'still', '-o', 'pid,comm']);
    assert.equal((await d.berth(['rm', '-f', 'still'])).code, 0);
  });

  test('wait, container prune, inspect --format', async () => {
    const c = await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'sleep 0.3; exit 5']);
    const id = c.stdout.trim();
    const w = await d.berth(['wait', id]);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, '5\n');
    const f = await d.berth(['inspect', '--format', '{{.Id}} {{.State.Status}} {{.Config.Image}}', id]);
    assert.equal(f.stdout, `${id} exited busybox\n`);
    assert.equal((await d.berth(['container', 'inspect', '-f', '{{.State.ExitCode}}', id.slice(0, 10)])).stdout, '5\n');
    const p = await d.berth(['container', 'prune', '-f']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, `Deleted Containers:\n${id}\n\nTotal reclaimed space: 0B\n`);
    assert.equal((await d.berth(['ps', '-aq'])).stdout, '');
  });

  test('images, images -q, import a tar and run it', async () => {
    const imgs = await sameAsDocker(d, ['images']);
    assert.match(imgs, /^REPOSITORY   TAG       IMAGE ID       CREATED\s+SIZE\nbusybox      latest    [0-9a-f]{12}   /);
    const q = await d.berth(['images', '-q']);
    assert.match(q.stdout, /^[0-9a-f]{12}\n$/);
    await sameAsDocker(d, ['images', '--format', '{{json .}}']);

    const root = join(scratch, 'rootfs');
    await mkdir(join(root, 'bin'), { recursive: true });
    await runCmd('cp', ['/bin/busybox', join(root, 'bin/busybox')]);
    await runCmd('ln', ['-s', 'busybox', join(root, 'bin/sh')]);
    await writeFile(join(root, 'greeting'), 'imported rootfs\n');
    const imp = await runCmd('sh', ['-c', `tar -C ${root} -c . | ${BERTH} import - myimg:1`], { env: { BERTH_HOST: d.host } });
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const r = await d.berth(['run', '--rm', 'myimg:1', '/bin/sh', '-c', '/bin/busybox cat /greeting']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'imported rootfs\n');
    const tags = await d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.deepEqual(tags.stdout.trim().split('\n').sort(), ['busybox:latest', 'myimg:1']);
    assert.equal((await d.berth(['rmi', 'myimg:1'])).code, 0);
  });

  test('-e, --env-file, -w, -u, --entrypoint, --hostname', async () => {
    const envFile = join(scratch, 'env');
    await writeFile(envFile, 'A=1\n# comment\nB=two words\nFROM_HOST\n');
    const r = await d.berth(
      ['run', '--rm', '-e', 'X=1', '-e', 'PASSED', '--env-file', envFile, '-w', '/tmp', '-u', '1000:1000', 'busybox', 'sh', '-c', 'echo "$X|$A|$B|$PASSED|$FROM_HOST|$(pwd)|$(id -u):$(id -g)"'],
      { env: { PASSED: 'p', FROM_HOST: 'h' } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1|1|two words|p|h|/tmp|1000:1000\n');
    const missing = await d.berth(['run', '--rm', '--env-file', join(scratch, 'nope'), 'busybox', 'true']);
    assert.equal(missing.code, 125);
    assert.equal(missing.stderr, `berth: open ${join(scratch, 'nope')}: no such file or directory\n\nRun 'berth run --help' for more information\n`);
    const ep = await d.berth(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint']);
    assert.equal(ep.stdout, 'via entrypoint\n');
    const hn = await d.berth(['run', '--rm', '--hostname', 'myhost', 'busybox', 'hostname']);
    assert.equal(hn.stdout, 'myhost\n');
  });

  test('labels, --init, --stop-signal, --stop-timeout', async () => {
    const init = await d.berth(['run', '--rm', '--init', 'busybox', 'cat', '/proc/1/cmdline']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /^\/sbin\/docker-init\0--\0cat\0\/proc\/1\/cmdline\0$/);
    const noInit = await d.berth(['run', '--rm', 'busybox', 'cat', '/proc/1/cmdline']);
    assert.equal(noInit.stdout, 'cat\0/proc/1/cmdline\0');

    const sig = await d.berth(['run', '-d', '--name', 'sig', '-l', 'app=x', '-l', 'tier=web', '--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "echo got-usr1; exit 11" USR1; while true; do sleep 0.1; done']);
    assert.equal(sig.code, 0, sig.stderr);
    const slow = await d.berth(['run', '-d', '--name', 'slow', '--stop-timeout', '1', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
    assert.equal(slow.code, 0, slow.stderr);
    assert.equal((await d.berth(['ps', '--filter', 'label=app=x', '--format', '{{.Names}}'])).stdout, 'sig\n');
    assert.equal((await d.berth(['ps', '--filter', 'label=tier', '--format', '{{.Names}} {{.Label "app"}} {{.Labels}}'])).stdout, 'sig x app=x,tier=web\n');
    assert.equal((await d.berth(['inspect', '-f', '{{.Config.StopSignal}} {{.Config.Labels.app}}', 'sig'])).stdout, 'USR1 x\n');
    await sleep(300);
    const t0 = Date.now();
    assert.equal((await d.berth(['stop', 'sig'])).code, 0);
    assert.ok(Date.now() - t0 < 5000, 'the stop signal ends it without the 10 s timeout');
    assert.equal((await d.berth(['inspect', '-f', '{{.State.ExitCode}}', 'sig'])).stdout, '11\n');
    assert.equal((await d.berth(['logs', 'sig'])).stdout, 'got-usr1\n');
    const t1 = Date.now();
    assert.equal((await d.berth(['stop', 'slow'])).code, 0);
    const took = Date.now() - t1;
    assert.ok(took >= 900 && took < 5000, `--stop-timeout 1 took ${took} ms`);
    assert.equal((await d.berth(['inspect', '-f', '{{.State.ExitCode}} {{.Config.StopTimeout}}', 'slow'])).stdout, '137 1\n');
    assert.equal((await d.berth(['rm', 'sig', 'slow'])).stdout, 'sig\nslow\n');
  });

  test('--read-only, --privileged, --cap-drop, --security-opt', async () => {
    const ro = await d.berth(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /Read-only file system/);
    const tmpOk = await d.berth(['run', '--rm', 'busybox', 'touch', '/x']);
    assert.equal(tmpOk.code, 0, tmpOk.stderr);

    const plain = await d.berth(['run', '--rm', 'busybox', 'cat', '/proc/self/status']);
    const priv = await d.berth(['run', '--rm', '--privileged', 'busybox', 'cat', '/proc/self/status']);
    const plainCaps = BigInt(`0x${capEff(plain.stdout)}`);
    const privCaps = BigInt(`0x${capEff(priv.stdout)}`);
    assert.notEqual(plainCaps, privCaps);
    assert.equal(plainCaps & privCaps, plainCaps, 'privileged has every default capability');
    assert.ok(privCaps & (1n << 21n), 'privileged has CAP_SYS_ADMIN');
    assert.equal(plainCaps & (1n << 21n), 0n, 'default lacks CAP_SYS_ADMIN');
    assert.match(plain.stdout, /^NoNewPrivs:\s*0$/m);
    assert.match(plain.stdout, /^Seccomp:\s*2$/m);

    const chown = await d.berth(['run', '--rm', '--cap-drop', 'CHOWN', 'busybox', 'chown', '1', '/tmp']);
    assert.equal(chown.code, 1);
    assert.match(chown.stderr, /Operation not permitted/);
    assert.equal((await d.berth(['run', '--rm', 'busybox', 'chown', '1', '/tmp'])).code, 0);

    const nnp = await d.berth(['run', '--rm', '--security-opt', 'no-new-privileges', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']);
    assert.match(nnp.stdout, /^NoNewPrivs:\s*1$/m);
    const unconf = await d.berth(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'grep', '^Seccomp:', '/proc/self/status']);
    assert.match(unconf.stdout, /^Seccomp:\s*0$/m);
  });

  test('ps filters, --no-trunc, -q, --format', async () => {
    const a = (await d.berth(['run', '-d', '--name', 'fa', 'busybox', 'sleep', '30'])).stdout.trim();
    const b = (await d.berth(['run', '--name', 'fb', 'busybox', 'sh', '-c', 'exit 2'])).code;
    assert.equal(b, 2);
    const c = (await d.berth(['create', '--name', 'fc', 'busybox', 'true'])).stdout.trim();
    assert.match(c, /^[0-9a-f]{64}$/);
    const names = async (...args: string[]) => (await d.berth(['ps', '-a', '--format', '{{.Names}}', ...args])).stdout.trim().split('\n').filter(Boolean).sort();
    assert.deepEqual(await names('--filter', 'status=running'), ['fa']);
    assert.deepEqual(await names('--filter', 'status=exited'), ['fb']);
    assert.deepEqual(await names('--filter', 'status=created'), ['fc']);
    assert.deepEqual(await names('--filter', 'name=f'), ['fa', 'fb', 'fc']);
    assert.deepEqual(await names('--filter', 'name=fb'), ['fb']);
    assert.deepEqual(await names('--filter', `id=${a.slice(0, 8)}`), ['fa']);
    assert.deepEqual(await names('--filter', 'ancestor=busybox'), ['fa', 'fb', 'fc']);
    assert.deepEqual(await names('--filter', 'ancestor=nosuchimage'), []);
    assert.deepEqual(await names('--filter', 'exited=2'), ['fb']);
    assert.deepEqual(await names('--filter', 'exited=0'), []);
    const badFilter = await d.berth(['ps', '--filter', 'bogus=1']);
    assert.equal(badFilter.code, 1);
    assert.match(badFilter.stderr, /invalid filter 'bogus'/);

    assert.equal((await d.berth(['ps', '-q'])).stdout, `${a.slice(0, 12)}\n`);
    assert.equal((await d.berth(['ps', '-q', '--no-trunc'])).stdout, `${a}\n`);
    assert.equal((await d.berth(['ps', '--format', '{{.ID}} {{.Names}}'])).stdout, `${a.slice(0, 12)} fa\n`);
    const js = (await d.berth(['ps', '-a', '--format', '{{json .}}'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(js.length, 3);
    const fa = js.find((o) => o.Names === 'fa');
    assert.equal(fa.ID, a.slice(0, 12));
    assert.equal(fa.State, 'running');
    assert.equal(fa.Image, 'busybox');
    assert.equal(fa.Command, '"sleep 30"');
    await sameAsDocker(d, ['ps', '-a', '--format', '{{json .}}']);
    await sameAsDocker(d, ['ps', '-a', '--no-trunc', '--format', 'table {{.ID}}\t{{.Names}}\t{{.Command}}\t{{.State}}\t{{.CreatedAt}}']);
    await sameAsDocker(d, ['ps', '-a', '--filter', 'status=exited']);
    await sameAsDocker(d, ['ps', '--format', '{{.Nope}}']);
    await sameAsDocker(d, ['ps', '--format', '{{json.}}']);
    assert.equal((await d.berth(['rm', '-f', 'fa', 'fb', 'fc'])).code, 0);
  });

  test('bad input: ambiguous prefix, bad flags, unknown image', async () => {
    // Create containers until two ids share a first hex digit (at most 17 by pigeonhole; usually 3-5).
    const ids: string[] = [];
    let prefix = '';
    while (!prefix) {
      const id = (await d.berth(['create', 'busybox', 'true'])).stdout.trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      prefix = ids.find((x) => x[0] === id[0])?.[0] ?? '';
      ids.push(id);
    }
    const amb = await d.berth(['inspect', '-f', '{{.Id}}', prefix]);
    assert.equal(amb.code, 1);
    assert.equal(amb.stderr, `Error response from daemon: multiple IDs found with provided prefix: ${prefix}\n`);
    await sameAsDocker(d, ['inspect', '-f', '{{.Id}}', prefix]);
    const ambRm = await d.berth(['rm', prefix]);
    assert.equal(ambRm.code, 1);
    assert.match(ambRm.stderr, /multiple IDs found with provided prefix/);
    // Other references are still inspected after one fails, as in docker.
    await sameAsDocker(d, ['inspect', '-f', '{{.Id}}', ids[0]!, prefix, 'nosuch']);
    assert.equal((await d.berth(['rm', ...ids])).code, 0);

    const mem = await d.berth(['run', '--rm', '--memory', 'abc', 'busybox', 'true']);
    assert.equal(mem.code, 125);
    assert.equal(
      mem.stderr,
      `invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n`,
    );
    const unk = await d.berth(['run', '--bogus', 'busybox', 'true']);
    assert.equal(unk.code, 125);
    assert.equal(unk.stderr, `unknown flag: --bogus\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n`);
    const short = await d.berth(['ps', '-Z']);
    assert.equal(short.code, 125);
    assert.match(short.stderr, /^unknown shorthand flag: 'Z' in -Z\n/);
    const missing = await d.berth(['run', '-m']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /^flag needs an argument: 'm' in -m\n/);

    const img = await d.berth(['run', '--rm', 'nosuchimage:1']);
    assert.equal(img.code, 125, img.stderr);
    assert.match(img.stderr, /^Unable to find image 'nosuchimage:1' locally\n/);
    assert.match(img.stderr, /\nRun 'berth run --help' for more information\n$/);
    const nx = await d.berth(['rm', 'nosuch']);
    assert.equal(nx.code, 1);
    assert.equal(nx.stderr, 'Error response from daemon: No such container: nosuch\n');
    assert.equal((await d.berth(['ps', '-aq'])).stdout, '');
    assert.deepEqual(await d.mountsUnder(), []);
    assert.deepEqual(await d.conmonPids(), []);
  });
});
