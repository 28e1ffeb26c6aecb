import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { muxFrame } from '../../../client/stdcopy.ts';
import { FakeDaemon, sendJson, writeUpgradeHead } from '../../../client/testing/fake-daemon.ts';
import { main } from '../../main.ts';
import { testIo } from '../../testing/test-io.ts';

const ID = 'f'.repeat(64);
let d: FakeDaemon;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-run-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  await d?.close();
  d = await FakeDaemon.start();
  d.json('POST', '/containers/create', 201, { Id: ID, Warnings: [] });
  d.on('POST', '/containers/\\w+/start', (_req, res) => {
    res.writeHead(204);
    res.end();
  });
});
after(() => d.close());

const run = (args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) => {
  const io = testIo({ env: { BERTH_HOST: d.host, ...opts.env }, stdin: opts.stdin });
  return main(args, io).then((code) => ({ code, out: io.stdoutText(), err: io.stderrText() }));
};

test('run -d sends docker-shaped create body and prints the id', async () => {
  const seccomp = join(dir, 'seccomp.json');
  writeFileSync(seccomp, '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
  const r = await run(
    [
      'run', '-d', '--rm', '--name', 'web', '-e', 'A=1', '-e', 'FROMENV', '-l', 'x=y', '--label', 'bare',
      '--entrypoint', '/bin/sh', '--init', '--read-only', '--cap-add', 'NET_ADMIN', '--cap-drop=ALL',
      '--security-opt', `seccomp=${seccomp}`, '--security-opt', 'no-new-privileges', '-m', '512m', '--cpus', '1.5',
      '--restart', 'on-failure:3', '--ulimit', 'nofile=1024:2048', '-p', '127.0.0.1:8080:80', '-p', '53/udp',
      '-v', '/host:/ctr:ro', '--stop-signal', 'SIGUSR1', '--stop-timeout', '7', '--pids-limit', '64',
      '-w', '/work', '-u', '1000:1000', '-h', 'box', '--tmpfs', '/run:size=1m', '--sysctl', 'net.core.somaxconn=100',
      'busybox', '-c', 'echo hi',
    ],
    { env: { FROMENV: 'v' } },
  );
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  assert.equal(r.out, `${ID}\n`);
  const create = d.find('POST', '/containers/create')!;
  assert.equal(create.query.get('name'), 'web');
  const b = create.json as Record<string, any>;
  assert.equal(b.Image, 'busybox');
  assert.deepEqual(b.Cmd, ['-c', 'echo hi']);
  assert.deepEqual(b.Entrypoint, ['/bin/sh']);
  assert.deepEqual(b.Env, ['A=1', 'FROMENV=v']);
  assert.deepEqual(b.Labels, { x: 'y', bare: '' });
  assert.equal(b.StopSignal, 'SIGUSR1');
  assert.equal(b.StopTimeout, 7);
  assert.equal(b.WorkingDir, '/work');
  assert.equal(b.User, '1000:1000');
  assert.equal(b.Hostname, 'box');
  assert.equal(b.AttachStdout, false);
  assert.deepEqual(b.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  const h = b.HostConfig;
  assert.equal(h.Init, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.equal(h.AutoRemove, true);
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['ALL']);
  assert.deepEqual(h.SecurityOpt, ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'no-new-privileges']);
  assert.equal(h.Memory, 512 * 1024 * 1024);
  assert.equal(h.NanoCpus, 1_500_000_000);
  assert.equal(h.PidsLimit, 64);
  assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
  assert.deepEqual(h.PortBindings, {
    '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
    '53/udp': [{ HostIp: '', HostPort: '' }],
  });
  assert.deepEqual(h.Binds, ['/host:/ctr:ro']);
  assert.deepEqual(h.Tmpfs, { '/run': 'size=1m' });
  assert.deepEqual(h.Sysctls, { 'net.core.somaxconn': '100' });
  assert.ok(d.find('POST', `/containers/${ID}/start`));
});

test('attached non-tty run demultiplexes output and exits with the wait status', async () => {
  const order: string[] = [];
  let release!: () => void;
  const exited = new Promise<void>((r) => (release = r));
  d.onUpgrade('POST', '/containers/\\w+/attach', async (req, socket) => {
    order.push(`attach stdin=${req.query.get('stdin')}`);
    writeUpgradeHead(socket, false);
    await exited;
    socket.write(muxFrame(1, 'out line\n'));
    socket.end(muxFrame(2, 'err line\n'));
  });
  d.on('POST', '/containers/\\w+/wait', async (req, res) => {
    order.push(`wait ${req.query.get('condition')}`);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    await exited;
    res.end('{"StatusCode":3}\n');
  });
  d.on('POST', '/containers/\\w+/start', (_req, res) => {
    order.push('start');
    res.writeHead(204);
    res.end();
    setTimeout(release, 10);
  });
  const r = await run(['run', 'busybox', 'sh', '-c', 'exit 3']);
  assert.deepEqual(order, ['attach stdin=null', 'wait next-exit', 'start']);
  assert.equal(r.code, 3);
  assert.equal(r.out, 'out line\n');
  assert.equal(r.err, 'err line\n');
  const b = d.find('POST', '/containers/create')!.json as Record<string, any>;
  assert.equal(b.AttachStdout, true);
  assert.equal(b.AttachStdin, false);
});

test('run -i pipes stdin and --rm waits for removal', async () => {
  let got = '';
  d.onUpgrade('POST', '/containers/\\w+/attach', (_req, socket) => {
    writeUpgradeHead(socket, false);
    socket.on('data', (b: Buffer) => (got += b.toString()));
    socket.on('end', () => socket.end(muxFrame(1, got.toUpperCase())));
  });
  d.on('POST', '/containers/\\w+/wait', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    setTimeout(() => res.end(`{"StatusCode":0,"cond":"${req.query.get('condition')}"}`), 30);
  });
  const r = await run(['run', '-i', '--rm', 'busybox', 'cat'], { stdin: 'abc\n' });
  assert.equal(r.code, 0);
  assert.equal(r.out, 'ABC\n');
  assert.equal(d.find('POST', '/containers/\\w+/wait')!.query.get('condition'), 'removed');
  const b = d.find('POST', '/containers/create')!.json as Record<string, any>;
  assert.equal(b.OpenStdin, true);
  assert.equal(b.StdinOnce, true);
});

test('missing image: pull attempt, then docker-style error and 125', async () => {
  d.json('POST', '/containers/create', 404, { message: 'No such image: nosuch:latest' });
  d.json('POST', '/images/create', 404, { message: 'pull access denied for nosuch' });
  const r = await run(['run', 'nosuch']);
  assert.equal(r.code, 125);
  assert.equal(
    r.err,
    "Unable to find image 'nosuch:latest' locally\n" +
      "berth: Error response from daemon: pull access denied for nosuch\n\nRun 'berth run --help' for more information\n",
  );
  const pull = d.find('POST', '/images/create')!;
  assert.equal(pull.query.get('fromImage'), 'docker.io/library/nosuch');
  assert.equal(pull.query.get('tag'), 'latest');
});

test('start failures map to 127 / 126 / 125', async () => {
  const cases: [string, number][] = [
    ['failed to create task: exec: "nope": executable file not found in $PATH', 127],
    ['exec /bin/x: permission denied', 126],
    ['something else broke', 125],
  ];
  for (const [message, code] of cases) {
    d.json('POST', '/containers/\\w+/start', 400, { message });
    const r = await run(['run', '-d', 'busybox', 'nope']);
    assert.equal(r.code, code, message);
    assert.equal(r.err, `berth: Error response from daemon: ${message}\n\nRun 'berth run --help' for more information\n`);
  }
});

test('flag errors read like docker and exit 125', async () => {
  let r = await run(['run', '--memory', 'abc', 'busybox']);
  assert.equal(r.code, 125);
  assert.equal(
    r.err,
    `invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n`,
  );
  r = await run(['run', '--foo', 'busybox']);
  assert.equal(r.code, 125);
  assert.match(r.err, /^unknown flag: --foo\n/);
  r = await run(['stop']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^berth: 'berth stop' requires at least 1 argument\n/);
  // Flags after the image belong to the container's command.
  r = await run(['run', '-d', 'busybox', 'ls', '--foo', '-la']);
  assert.equal(r.code, 0);
  assert.deepEqual((d.find('POST', '/containers/create')!.json as { Cmd: string[] }).Cmd, ['ls', '--foo', '-la']);
});

test('multi-container commands echo successes and report failures with exit 1', async () => {
  d.on('POST', '/containers/(\\w+)/stop', (req, res) => {
    if (req.match[1] === 'bad') return sendJson(res, 404, { message: 'No such container: bad' });
    res.writeHead(204);
    res.end();
  });
  const r = await run(['stop', '-t', '3', 'a', 'bad', 'b']);
  assert.equal(r.code, 1);
  assert.equal(r.out, 'a\nb\n');
  assert.equal(r.err, 'Error response from daemon: No such container: bad\n');
  assert.equal(d.find('POST', '/containers/a/stop')!.query.get('t'), '3');
});
