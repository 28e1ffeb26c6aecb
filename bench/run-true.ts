// Benchmark: wall time of `run --rm busybox true` through berth, the docker CLI against berthd, bare runc, and
// (when installed) a side-by-side dockerd. One invocation starts its own daemons in temp dirs, warms each path up,
// interleaves the measured runs round-robin, prints a table (or JSON with --json) and cleans up everything it made.
//
//   node bench/run-true.ts [--runs N] [--warmup N] [--json] [--only berth,docker-cli,runc,dockerd]
//                          [--daemon-log FILE] [--daemon-log-level LEVEL] [--cpu-prof DIR] [--strace FILE]
//
// Must run as root. See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, openSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BERTHD = join(REPO, 'bin', 'berthd');
const BERTH = join(REPO, 'bin', 'berth');
const RUNC = '/usr/sbin/runc';
const TARGET_RATIO = 2.5;

type PathName = 'berth' | 'docker-cli' | 'runc' | 'dockerd';
const ALL_PATHS: PathName[] = ['berth', 'docker-cli', 'runc', 'dockerd'];
const LABELS: Record<PathName, string> = {
  berth: 'berth run --rm (berthd)',
  'docker-cli': 'docker run --rm (berthd)',
  runc: 'runc run (bare)',
  dockerd: 'docker run --rm (dockerd)',
};

interface Row {
  path: PathName;
  label: string;
  command: string;
  runs: number;
  failures: number;
  medianMs: number | null;
  p90Ms: number | null;
  minMs: number | null;
  maxMs: number | null;
  ratioToRunc: number | null;
  samplesMs: number[];
  skipped?: string;
}

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    'daemon-log': { type: 'string' },
    'daemon-log-level': { type: 'string', default: 'info' },
    'cpu-prof': { type: 'string' },
    strace: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: false,
});

if (opts.help) {
  process.stdout.write(
    'usage: node bench/run-true.ts [--runs N] [--warmup N] [--json] [--only berth,docker-cli,runc,dockerd]\n' +
      '       [--daemon-log FILE] [--daemon-log-level LEVEL] [--cpu-prof DIR] [--strace FILE]\n',
  );
  process.exit(0);
}

const RUNS = positiveInt(opts.runs!, '--runs');
const WARMUP = nonNegativeInt(opts.warmup!, '--warmup');
const selected: PathName[] = opts.only
  ? opts.only.split(',').map((s) => {
      if (!ALL_PATHS.includes(s as PathName)) die(`--only: unknown path ${s} (one of ${ALL_PATHS.join(', ')})`);
      return s as PathName;
    })
  : ALL_PATHS;

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) die(`${flag} must be a positive integer`);
  return n;
}
function nonNegativeInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) die(`${flag} must be a non-negative integer`);
  return n;
}
function die(msg: string): never {
  process.stderr.write(`run-true: ${msg}\n`);
  process.exit(2);
}
function note(msg: string): void {
  process.stderr.write(`run-true: ${msg}\n`);
}

// ---------------------------------------------------------------- state to clean up

const rand = randomBytes(4).toString('hex');
const cgroupParent = `/berth-bench-${rand}`;
const state = {
  tmp: '', // /tmp/bb-XXXX: sockets, exec roots, runc roots, bundle
  varTmp: '', // /var/tmp/berth-bench-XXXX: data roots
  daemons: [] as { name: string; child: ChildProcess }[],
  runcRoots: [] as string[],
  createdHostPaths: [] as string[],
  interrupted: false,
};
/** Deepest first. containerd 1.6 puts shim sockets in /run/containerd/s whatever its state dir. */
const HOST_PATHS_DOCKERD_CREATES = ['/run/containerd/s', '/run/containerd', '/run/docker/plugins', '/run/docker', '/etc/docker/key.json'];

// ---------------------------------------------------------------- small helpers

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** Run a command to completion, collecting output. Throws on non-zero exit unless `allowFail`. */
function sh(
  cmd: string,
  args: string[],
  o: { env?: NodeJS.ProcessEnv; cwd?: string; allowFail?: boolean; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env: o.env ?? process.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => {
      if (code !== 0 && !o.allowFail) rej(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
      else res({ code, stdout, stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}

/** Time one command: from spawn to process exit, in ms. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; ok: boolean; err: string }> {
  return new Promise((res) => {
    const t0 = process.hrtime.bigint();
    let t1 = 0n;
    let err = '';
    let code: number | null = null;
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (c) => {
      t1 = process.hrtime.bigint();
      code = c;
    });
    child.on('error', (e) => res({ ms: 0, ok: false, err: String(e) }));
    child.on('close', () => res({ ms: Number(t1 - t0) / 1e6, ok: code === 0, err: err.trim() }));
  });
}

function httpUnix(socketPath: string, method: string, path: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = request({ socketPath, method, path, timeout: timeoutMs, headers: { Host: 'localhost' } }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (body += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

async function waitForPing(socketPath: string, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early (${child.exitCode ?? child.signalCode})`);
    try {
      const r = await httpUnix(socketPath, 'GET', '/_ping', 1000);
      if (r.status === 200) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer /_ping on ${socketPath} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  // nearest-rank
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

// ---------------------------------------------------------------- setup

async function startBerthd(): Promise<{ sock: string; logFile: string }> {
  const sock = join(state.tmp, 'berth.sock');
  const dataRoot = await mkdtemp(join(state.varTmp, 'berthd-'));
  const execRoot = join(state.tmp, 'b');
  // A config file that does not exist: berthd would otherwise read /etc/berth/daemon.json. If berthd refuses a
  // missing --config-file given on the command line, fall back to an empty JSON object.
  const configFile = join(state.tmp, 'berthd-daemon.json');
  const logFile = join(state.tmp, 'berthd.log');
  const args = [
    '-H', `unix://${sock}`,
    '--data-root', dataRoot,
    '--exec-root', execRoot,
    '--cgroup-parent', cgroupParent,
    '--config-file', configFile,
    '--log-level', opts['daemon-log-level']!,
    '--no-live-restore',
  ];
  const env = { ...process.env };
  if (opts['cpu-prof']) {
    await mkdir(resolve(opts['cpu-prof']), { recursive: true });
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${resolve(opts['cpu-prof'])}`.trim();
  }
  const launch = async () => {
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    if (opts.strace) {
      // strace -f follows berthd's children (conmon, runc); -ttt + -T give absolute times and syscall durations.
      child = spawn('strace', ['-f', '--seccomp-bpf', '-ttt', '-qq', '-s', '200', '-e', 'trace=execve,exit_group,rename,renameat2', '-o', resolve(opts.strace), BERTHD, ...args], {
        env,
        stdio: ['ignore', fd, fd],
      });
    } else {
      child = spawn(BERTHD, args, { env, stdio: ['ignore', fd, fd] });
    }
    closeSync(fd);
    state.daemons.push({ name: 'berthd', child });
    return child;
  };
  let child = await launch();
  try {
    await waitForPing(sock, child, 'berthd', 30_000);
  } catch (e) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (/config file/i.test(log) && !existsSync(configFile)) {
      note(`berthd refused the missing --config-file (${lastLine(log)}); retrying with an empty {} config file`);
      await writeFile(configFile, '{}\n');
      child = await launch();
      await waitForPing(sock, child, 'berthd', 30_000);
    } else {
      throw new Error(`${(e as Error).message}\n--- berthd log ---\n${log}`);
    }
  }
  state.runcRoots.push(join(execRoot, 'runc'));
  return { sock, logFile };
}

function lastLine(s: string): string {
  return s.trim().split('\n').at(-1) ?? '';
}

async function bootstrapBerthImage(sock: string): Promise<void> {
  // Prefer the CLI command; fall back to the API route when the CLI does not know it yet.
  const viaCli = await sh(BERTH, ['-H', `unix://${sock}`, 'bootstrap', 'busybox'], { allowFail: true });
  if (viaCli.code === 0) return;
  const r = await new Promise<{ status: number; body: string }>((res, rej) => {
    const req = request({ socketPath: sock, method: 'POST', path: '/berth/bootstrap?name=busybox', headers: { Host: 'localhost' } }, (resp) => {
      let body = '';
      resp.setEncoding('utf8');
      resp.on('data', (d) => (body += d));
      resp.on('end', () => res({ status: resp.statusCode ?? 0, body }));
    });
    req.on('error', rej);
    req.end();
  });
  if (r.status !== 200) throw new Error(`bootstrap busybox failed: ${r.status} ${r.body}`);
}

/** A busybox rootfs as a plain directory: /bin/busybox plus one symlink per applet, /etc/passwd and /etc/group. */
async function buildRootfs(root: string): Promise<void> {
  const busybox = existsSync('/bin/busybox') ? '/bin/busybox' : which('busybox');
  if (!busybox) throw new Error('busybox not found (install busybox-static)');
  await mkdir(join(root, 'bin'), { recursive: true });
  await copyFile(busybox, join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  const list = (await sh(busybox, ['--list'])).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  for (const applet of list) {
    if (applet === 'busybox' || applet.includes('/')) continue;
    await symlink('busybox', join(root, 'bin', applet)).catch(() => {});
  }
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'root']) await mkdir(join(root, d), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(root, 'etc', 'group'), 'root:x:0:\n');
}

async function prepareRuncBundle(): Promise<{ bundle: string; root: string; writeConfig: (cgroupsPath: string) => Promise<void> }> {
  const bundle = join(state.tmp, 'bundle');
  await mkdir(bundle, { recursive: true });
  await buildRootfs(join(bundle, 'rootfs'));
  await sh(RUNC, ['spec'], { cwd: bundle });
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
  spec.process.args = ['true'];
  spec.process.terminal = false;
  const root = join(state.tmp, 'runc');
  state.runcRoots.push(root);
  return {
    bundle,
    root,
    writeConfig: async (cgroupsPath: string) => {
      spec.linux.cgroupsPath = cgroupsPath;
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    },
  };
}

async function startDockerd(rootfs: string): Promise<string | null> {
  const dockerd = which('dockerd');
  if (!dockerd) return null;
  const dir = join(state.tmp, 'd');
  await mkdir(dir, { recursive: true });
  const sock = join(dir, 'docker.sock');
  const dataRoot = await mkdtemp(join(state.varTmp, 'dockerd-'));
  const cfg = join(dir, 'daemon.json');
  // dockerd 20.10 writes a trust key to /etc/docker/key.json unless told otherwise (daemon.json only, no flag).
  await writeFile(cfg, JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }) + '\n');
  // dockerd and its containerd create these host paths whatever their roots; remove those that we created.
  for (const p of HOST_PATHS_DOCKERD_CREATES) if (!existsSync(p)) state.createdHostPaths.push(p);
  const logFile = join(state.tmp, 'dockerd.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(
    dockerd,
    [
      '-H', `unix://${sock}`,
      '--data-root', dataRoot,
      '--exec-root', join(dir, 'x'),
      '--pidfile', join(dir, 'docker.pid'),
      '--config-file', cfg,
      '--bridge=none', '--iptables=false', '--ip-masq=false',
      '--storage-driver', 'overlay2',
      '--cgroup-parent', `${cgroupParent}/dockerd`,
    ],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  state.daemons.push({ name: 'dockerd', child });
  try {
    await waitForPing(sock, child, 'dockerd', 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- dockerd log ---\n${await readFile(logFile, 'utf8').catch(() => '')}`);
  }
  const tar = join(state.tmp, 'rootfs.tar');
  await sh('tar', ['-C', rootfs, '-cf', tar, '.']);
  await sh('docker', ['import', '--change', 'CMD ["sh"]', tar, 'busybox:latest'], { env: dockerEnv(sock) });
  await rm(tar, { force: true });
  return sock;
}

function dockerEnv(sock: string): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(state.tmp, 'docker-config'), DOCKER_CLI_HINTS: 'false' };
}

// ---------------------------------------------------------------- cleanup

async function cleanup(): Promise<void> {
  // 1. Daemons: SIGTERM, then SIGKILL, by their own pids (berthd runs with --no-live-restore, so it stops leftovers).
  for (const d of state.daemons.reverse()) {
    const c = d.child;
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    if (d.name === 'berthd' && opts.strace) {
      // strace would detach on SIGTERM and leave berthd running: signal the traced node process itself.
      for (const pid of await pidsWithCmdline((cmd) => cmd.includes('berthd.ts') && cmd.includes(state.tmp) && !cmd.startsWith('strace'))) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    } else c.kill('SIGTERM');
    const ok = await Promise.race([gone.then(() => true), sleep(10_000).then(() => false)]);
    if (!ok) {
      note(`${d.name} (pid ${c.pid}) ignored SIGTERM; sending SIGKILL`);
      c.kill('SIGKILL');
      await Promise.race([gone, sleep(3000)]);
    }
  }
  // 2. runc leftovers in our own runc roots.
  for (const root of state.runcRoots) {
    if (!existsSync(root)) continue;
    const ls = await sh(RUNC, ['--root', root, 'list', '-q'], { allowFail: true });
    for (const id of ls.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      await sh(RUNC, ['--root', root, 'delete', '-f', id], { allowFail: true });
    }
  }
  // 3. Any process still referring to our temp dirs (conmon, containerd-shim): kill by pid.
  if (state.tmp) await killProcessesUnder([state.tmp, state.varTmp].filter(Boolean));
  // 4. Mounts under our temp dirs, deepest first.
  await unmountUnder([state.tmp, state.varTmp].filter(Boolean));
  // 5. cgroups: /sys/fs/cgroup/<hierarchy>/berth-bench-<rand> (v1 and unified) or /sys/fs/cgroup/berth-bench-<rand> (v2).
  await removeCgroups();
  // 6. Host paths dockerd/containerd created outside their roots (only empty dirs are removed).
  for (const p of state.createdHostPaths) {
    if (p.endsWith('.json')) await rm(p, { force: true }).catch(() => {});
    else await rmdir(p).catch((e) => note(`left ${p}: ${(e as NodeJS.ErrnoException).code}`));
  }
  // 7. Temp dirs.
  for (const d of [state.tmp, state.varTmp]) {
    if (!d) continue;
    await rm(d, { recursive: true, force: true }).catch((e) => note(`could not remove ${d}: ${(e as Error).message}`));
  }
}

async function pidsWithCmdline(match: (cmdline: string) => boolean): Promise<number[]> {
  const self = String(process.pid);
  const out: number[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || pid === self) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd && match(cmd)) out.push(Number(pid));
  }
  return out;
}

async function killProcessesUnder(dirs: string[]): Promise<void> {
  const victims = await pidsWithCmdline((cmd) => dirs.some((d) => cmd.includes(d + '/') || cmd.includes(d + '\0')));
  for (const pid of victims) {
    note(`killing leftover pid ${pid}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (victims.length) await sleep(200);
}

function decodeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

async function unmountUnder(dirs: string[]): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
    const points = info
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((p): p is string => !!p)
      .map(decodeMountPath)
      .filter((p) => dirs.some((d) => p === d || p.startsWith(d + '/')))
      .sort((a, b) => b.length - a.length);
    if (!points.length) return;
    for (const p of points) {
      const r = spawnSync('umount', [p], { stdio: 'ignore' });
      if (r.status !== 0) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
    }
  }
}

async function rmdirTree(dir: string): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(join(dir, e.name));
  for (let i = 0; i < 10; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (i === 9) note(`could not remove cgroup ${dir}: ${code}`);
      await sleep(100); // EBUSY right after a container exits
    }
  }
}

async function removeCgroups(): Promise<void> {
  const base = '/sys/fs/cgroup';
  const name = cgroupParent.slice(1);
  const candidates = [join(base, name)];
  for (const h of await readdir(base).catch(() => [] as string[])) candidates.push(join(base, h, name));
  for (const c of candidates) {
    const s = await stat(c).catch(() => null);
    if (s?.isDirectory()) await rmdirTree(c);
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) die('must run as root');
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (state.interrupted) return;
      state.interrupted = true;
      note(`${sig}: stopping after the current run, then cleaning up`);
    });
  }
  state.tmp = await mkdtemp('/tmp/bb-');
  state.varTmp = await mkdtemp('/var/tmp/berth-bench-');
  const rows = new Map<PathName, Row>();
  let dockerdMissing = false;
  let daemonLogFile = '';
  let berthdRssMiB: number | null = null;
  try {
    const rc = await prepareRuncBundle();
    const paths = new Map<PathName, () => Promise<{ ms: number; ok: boolean; err: string }>>();
    const commands = new Map<PathName, string>();

    let berthSock = '';
    if (selected.includes('berth') || selected.includes('docker-cli')) {
      note('starting berthd');
      const b = await startBerthd();
      berthSock = b.sock;
      daemonLogFile = b.logFile;
      note('bootstrapping busybox into berthd');
      await bootstrapBerthImage(berthSock);
    }
    if (selected.includes('berth')) {
      const args = ['-H', `unix://${berthSock}`, 'run', '--rm', 'busybox', 'true'];
      commands.set('berth', `bin/berth ${args.join(' ')}`);
      paths.set('berth', () => timed(BERTH, args, process.env));
    }
    if (selected.includes('docker-cli')) {
      const env = dockerEnv(berthSock);
      commands.set('docker-cli', `DOCKER_HOST=unix://${berthSock} docker run --rm busybox true`);
      paths.set('docker-cli', () => timed('docker', ['run', '--rm', 'busybox', 'true'], env));
    }
    if (selected.includes('runc')) {
      let n = 0;
      commands.set('runc', `runc --root ${rc.root} run -b ${rc.bundle} bench-${rand}-<n>`);
      paths.set('runc', async () => {
        n++;
        await rc.writeConfig(`${cgroupParent}/runc-${n}`);
        return timed(RUNC, ['--root', rc.root, 'run', '-b', rc.bundle, `bench-${rand}-${n}`], process.env);
      });
    }
    if (selected.includes('dockerd')) {
      note('looking for dockerd');
      const sock = await startDockerd(join(rc.bundle, 'rootfs'));
      if (!sock) {
        dockerdMissing = true;
        note('dockerd not on PATH: skipping the dockerd row');
      } else {
        const env = dockerEnv(sock);
        commands.set('dockerd', `DOCKER_HOST=unix://${sock} docker run --rm --network none busybox true`);
        paths.set('dockerd', () => timed('docker', ['run', '--rm', '--network', 'none', 'busybox', 'true'], env));
      }
    }

    const order = selected.filter((p) => paths.has(p));
    for (const p of order) {
      rows.set(p, {
        path: p, label: LABELS[p], command: commands.get(p)!, runs: 0, failures: 0,
        medianMs: null, p90Ms: null, minMs: null, maxMs: null, ratioToRunc: null, samplesMs: [],
      });
    }

    note(`warming up (${WARMUP} per path)`);
    for (let i = 0; i < WARMUP && !state.interrupted; i++) {
      for (const p of order) {
        const r = await paths.get(p)!();
        if (!r.ok) throw new Error(`warm-up of ${p} failed: ${r.err || 'non-zero exit'}`);
      }
    }

    note(`measuring ${RUNS} runs per path, round-robin`);
    for (let i = 0; i < RUNS && !state.interrupted; i++) {
      // Rotate the starting path each round so no path always follows the same one.
      for (let k = 0; k < order.length; k++) {
        const p = order[(i + k) % order.length]!;
        const row = rows.get(p)!;
        const r = await paths.get(p)!();
        row.runs++;
        if (r.ok) row.samplesMs.push(r.ms);
        else {
          row.failures++;
          note(`${p} run failed: ${r.err.split('\n')[0] || 'non-zero exit'}`);
        }
      }
      if (!opts.json) process.stderr.write(`\r  round ${i + 1}/${RUNS}`);
    }
    if (!opts.json) process.stderr.write('\n');
    // berthd's resident size matters: every spawn() forks it, and fork time grows with the parent's page tables.
    const berthd = state.daemons.findLast((d) => d.name === 'berthd' && d.child.exitCode === null);
    if (berthd?.child.pid && !opts.strace) {
      const status = await readFile(`/proc/${berthd.child.pid}/status`, 'utf8').catch(() => '');
      const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
      if (kb) berthdRssMiB = round(Number(kb) / 1024);
    }

    for (const row of rows.values()) {
      const s = [...row.samplesMs].sort((a, b) => a - b);
      if (!s.length) continue;
      row.medianMs = round(median(s));
      row.p90Ms = round(percentile(s, 90));
      row.minMs = round(s[0]!);
      row.maxMs = round(s.at(-1)!);
      row.samplesMs = row.samplesMs.map((x) => round(x));
    }
    const runcMedian = rows.get('runc')?.medianMs ?? null;
    for (const row of rows.values()) {
      row.ratioToRunc = runcMedian && row.medianMs !== null ? round(row.medianMs / runcMedian, 2) : null;
    }
  } finally {
    if (opts['daemon-log'] && daemonLogFile) copyFileSafe(daemonLogFile, resolve(opts['daemon-log']));
    note('cleaning up');
    await cleanup();
  }

  const list = [...rows.values()];
  if (dockerdMissing) {
    list.push({
      path: 'dockerd', label: LABELS.dockerd, command: 'docker run --rm --network none busybox true', runs: 0, failures: 0,
      medianMs: null, p90Ms: null, minMs: null, maxMs: null, ratioToRunc: null, samplesMs: [],
      skipped: 'dockerd not on PATH',
    });
  }
  const berthRatio = rows.get('berth')?.ratioToRunc ?? null;
  const result = {
    date: new Date().toISOString(),
    host: { cpus: (await readFile('/proc/cpuinfo', 'utf8')).split('\n').filter((l) => l.startsWith('processor')).length, loadavg: (await readFile('/proc/loadavg', 'utf8')).trim() },
    runs: RUNS,
    warmup: WARMUP,
    interrupted: state.interrupted,
    rows: list,
    berthdRssMiB,
    berthOverRunc: berthRatio,
    target: TARGET_RATIO,
    meetsTarget: berthRatio !== null ? berthRatio <= TARGET_RATIO : null,
  };
  const table = renderTable(list) + (berthdRssMiB !== null ? `berthd RSS after the runs: ${berthdRssMiB} MiB\n` : '') + (berthRatio !== null ? `berth/runc = ${berthRatio.toFixed(2)} (target <= ${TARGET_RATIO})\n` : '');
  if (opts.json) {
    process.stderr.write(table);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    process.stdout.write(table);
  }
}

function copyFileSafe(from: string, to: string): void {
  try {
    copyFileSync(from, to);
  } catch (e) {
    note(`could not copy ${from} to ${to}: ${(e as Error).message}`);
  }
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function renderTable(rows: Row[]): string {
  const head = ['path', 'median ms', 'p90 ms', 'x runc', 'ok/runs'];
  const body = rows.map((r) =>
    r.skipped
      ? [r.label, '-', '-', '-', `skipped: ${r.skipped}`]
      : [
          r.label,
          r.medianMs?.toFixed(1) ?? '-',
          r.p90Ms?.toFixed(1) ?? '-',
          r.ratioToRunc?.toFixed(2) ?? '-',
          `${r.runs - r.failures}/${r.runs}`,
        ],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd() + '\n';
  return line(head) + line(widths.map((w) => '-'.repeat(w))) + body.map(line).join('');
}

main().catch(async (e) => {
  process.stderr.write(`run-true: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
