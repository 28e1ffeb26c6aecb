// Benchmark: the cost of Berth's networking, in one invocation.
//   1. Request rate of a busybox httpd container (one connection per request, like wrk/ab against busybox httpd)
//      through its published port 127.0.0.1:<port> (kernel DNAT) against its container IP directly.
//   2. Start time of `run --rm busybox true` with `--network none` against the default bridge, medians, plus the
//      daemon's own network step (from berthd's `container started ... network=` marks).
// It starts its own berthd (temp socket, data root, exec root, cgroup parent, bridge name and subnets) and removes
// everything it made by name in a `finally`. Traffic goes only to 127.0.0.1 and to the container it started.
//
//   node bench/network.ts [--seconds 5] [--connections 8] [--runs 10] [--client node|ab|wrk] [--json]
//
// Must run as root. See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { get, request } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BERTHD = join(REPO, 'bin', 'berthd');
const BERTH = join(REPO, 'bin', 'berth');
const TARGET = 0.8;

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    runs: { type: 'string', default: '10' },
    client: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('usage: node bench/network.ts [--seconds 5] [--connections 8] [--runs 10] [--client node|ab|wrk] [--json]\n');
  process.exit(0);
}
const SECONDS = Number(opts.seconds);
const CONNS = Number(opts.connections);
const RUNS = Number(opts.runs);
if (!(SECONDS > 0) || !Number.isInteger(CONNS) || CONNS < 1 || !Number.isInteger(RUNS) || RUNS < 1) die('bad --seconds/--connections/--runs');

const rand = randomBytes(4).toString('hex');
const octet = 1 + (randomBytes(1)[0]! % 250);
const cfg = {
  bridge: `bn${rand}`,
  bip: `10.212.${octet}.1/24`,
  pool: `10.211.${octet}.0/24`,
  cgroupParent: `/berth-bench-${rand}`,
};
const st = { tmp: '', varTmp: '', dataRoot: '', sock: '', log: '', daemon: null as ChildProcess | null };

function die(msg: string): never {
  process.stderr.write(`network: ${msg}\n`);
  process.exit(2);
}
function note(msg: string): void {
  process.stderr.write(`network: ${msg}\n`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  return null;
}

function sh(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; allowFail?: boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => {
      if (code !== 0 && !o.allowFail) rej(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
      else res({ code, stdout, stderr });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function ping(): Promise<boolean> {
  return new Promise((res) => {
    const req = request({ socketPath: st.sock, path: '/_ping' }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.end();
  });
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

// ---------------------------------------------------------------- the daemon and its clients

async function startBerthd(): Promise<void> {
  st.sock = join(st.tmp, 'berth.sock');
  st.log = join(st.tmp, 'berthd.log');
  await writeFile(join(st.tmp, 'daemon.json'), '{}\n');
  const args = [
    '-H', `unix://${st.sock}`, '--data-root', st.dataRoot, '--exec-root', join(st.tmp, 'x'),
    '--cgroup-parent', cfg.cgroupParent, '--config-file', join(st.tmp, 'daemon.json'), '--log-level', 'debug',
    '--no-live-restore', '--bridge-name', cfg.bridge, '--bip', cfg.bip, '--default-address-pool', cfg.pool,
  ];
  const fd = openSync(st.log, 'a');
  st.daemon = spawn(BERTHD, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const deadline = Date.now() + 30_000;
  while (!(await ping())) {
    if (st.daemon.exitCode !== null) throw new Error(`berthd exited: ${await readFile(st.log, 'utf8')}`);
    if (Date.now() > deadline) throw new Error('berthd did not come up');
    await sleep(50);
  }
}

/** The docker CLI when installed (cheap start-up), else berth; both talk to our berthd. */
const useDocker = !!which('docker');
function cli(args: string[], allowFail = false) {
  const env = { ...process.env, DOCKER_HOST: `unix://${st.sock}`, BERTH_HOST: `unix://${st.sock}`, DOCKER_CONFIG: join(st.tmp, 'dc'), DOCKER_CLI_HINTS: 'false' };
  return sh(useDocker ? 'docker' : BERTH, args, { env, allowFail });
}

// ---------------------------------------------------------------- load

function httpOnce(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const req = get({ host, port, path: '/', agent: false, headers: { Connection: 'close' } }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode === 200));
      r.on('error', () => res(false));
    });
    req.setTimeout(3000, () => req.destroy());
    req.on('error', () => res(false));
  });
}

/** Requests per second with CONNS loops, each one fresh connection per request, for `secs`. */
async function nodeLoad(host: string, port: number, secs: number): Promise<{ rps: number; errors: number }> {
  const end = performance.now() + secs * 1000;
  let ok = 0;
  let errors = 0;
  const loop = async () => {
    while (performance.now() < end) (await httpOnce(host, port)) ? ok++ : errors++;
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNS }, loop));
  return { rps: ok / ((performance.now() - t0) / 1000), errors };
}

async function toolLoad(tool: 'ab' | 'wrk', host: string, port: number, secs: number): Promise<{ rps: number; errors: number }> {
  const url = `http://${host}:${port}/`;
  if (tool === 'wrk') {
    // wrk keeps connections alive; busybox httpd closes each one, so it reconnects per request as well.
    const r = await sh('wrk', ['-t', '2', '-c', String(CONNS), '-d', `${Math.max(1, Math.round(secs))}s`, url]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
    const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
    return { rps, errors: errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0 };
  }
  // ab's -t takes whole seconds (0 would mean "no limit").
  const r = await sh('ab', ['-q', '-c', String(CONNS), '-t', String(Math.max(1, Math.round(secs))), '-n', '10000000', url], { allowFail: true });
  const rps = Number(/Requests per second:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  if (!(rps > 0)) throw new Error(`ab: ${r.stdout}${r.stderr}`);
  return { rps, errors: Number(/Failed requests:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0) };
}

// ---------------------------------------------------------------- cleanup (by name, our objects only)

async function cleanup(): Promise<void> {
  const d = st.daemon;
  if (d && d.exitCode === null && d.signalCode === null) {
    await cli(['rm', '-f', 'bench-web'], true).catch(() => {});
    const gone = new Promise((r) => d.once('exit', r));
    d.kill('SIGTERM');
    if (!(await Promise.race([gone.then(() => true), sleep(10_000).then(() => false)]))) {
      d.kill('SIGKILL');
      await Promise.race([gone, sleep(3000)]);
    }
  }
  // Processes still referring to our temp dirs (conmon), by pid.
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid || !st.tmp) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(st.tmp + '/') || (st.varTmp && cmd.includes(st.varTmp + '/'))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
  }
  // Mounts under our dirs, deepest first.
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const mounts = info.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => (st.tmp && m.startsWith(st.tmp)) || (st.varTmp && m.startsWith(st.varTmp)));
  for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  // Network objects named in berthd's records, then its bridges and chains.
  if (st.dataRoot) {
    const bridges = new Set([cfg.bridge]);
    const cdir = join(st.dataRoot, 'network', 'containers');
    for (const f of await readdir(cdir).catch(() => [] as string[])) {
      const s = JSON.parse(await readFile(join(cdir, f), 'utf8').catch(() => '{}')) as { Sandbox?: { Netns: string; Endpoints: Record<string, { Veth: string }> } };
      for (const ep of Object.values(s.Sandbox?.Endpoints ?? {})) await sh('ip', ['link', 'del', ep.Veth], { allowFail: true });
      if (s.Sandbox?.Netns) await sh('ip', ['netns', 'del', s.Sandbox.Netns], { allowFail: true });
    }
    const ndir = join(st.dataRoot, 'network', 'networks');
    for (const f of await readdir(ndir).catch(() => [] as string[])) {
      const n = JSON.parse(await readFile(join(ndir, f), 'utf8').catch(() => '{}')) as { BridgeName?: string };
      if (n.BridgeName) bridges.add(n.BridgeName);
    }
    for (const b of bridges) await sh('ip', ['link', 'del', b], { allowFail: true });
  }
  const p = `BERTH-${cfg.bridge}`;
  const jumps: [string, string, string[]][] = [
    ['filter', 'FORWARD', ['-j', `${p}-FWD`]],
    ['nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', `${p}-DNAT`]],
    ['nat', 'OUTPUT', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', `${p}-DNAT`]],
    ['nat', 'POSTROUTING', ['-j', `${p}-POST`]],
  ];
  for (const [t, c, args] of jumps) for (let i = 0; i < 5; i++) if ((await sh('iptables', ['-w', '-t', t, '-D', c, ...args], { allowFail: true })).code !== 0) break;
  for (const [t, c] of [['filter', `${p}-FWD`], ['nat', `${p}-DNAT`], ['nat', `${p}-POST`]] as const) {
    await sh('iptables', ['-w', '-t', t, '-F', c], { allowFail: true });
    await sh('iptables', ['-w', '-t', t, '-X', c], { allowFail: true });
  }
  // cgroups (v1 hierarchies and v2), then the temp dirs.
  const base = '/sys/fs/cgroup';
  const name = cfg.cgroupParent.slice(1);
  for (const dir of [join(base, name), ...(await readdir(base).catch(() => [] as string[])).map((h) => join(base, h, name))]) {
    if (!(await stat(dir).catch(() => null))?.isDirectory()) continue;
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await rmdir(join(dir, e.name)).catch(() => {});
    await rmdir(dir).catch(() => {});
  }
  for (const dir of [st.tmp, st.varTmp]) if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) die('must run as root');
  const client = (opts.client ?? (which('wrk') ? 'wrk' : 'node')) as 'node' | 'ab' | 'wrk';
  if (!['node', 'ab', 'wrk'].includes(client)) die(`--client: node, ab or wrk`);
  if (client !== 'node' && !which(client)) die(`${client} is not installed`);
  st.tmp = await mkdtemp('/tmp/bn-');
  st.varTmp = await mkdtemp('/var/tmp/berth-bench-net-');
  st.dataRoot = join(st.varTmp, 'data');
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => (interrupted = true));
  try {
    note(`starting berthd (bridge ${cfg.bridge}, ${cfg.bip})`);
    await startBerthd();
    await sh(BERTH, ['-H', `unix://${st.sock}`, 'bootstrap', 'busybox']);

    // 1. Published port vs container IP.
    const port = await freePort();
    const httpd = 'mkdir -p /www && echo hello-berth > /www/index.html && exec httpd -f -p 80 -h /www';
    await cli(['run', '-d', '--name', 'bench-web', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', httpd]);
    const ip = (await cli(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'bench-web'])).stdout.trim();
    if (!/^10\.212\./.test(ip)) throw new Error(`unexpected container address ${ip}`);
    const deadline = Date.now() + 10_000;
    while (!((await httpOnce(ip, 80)) && (await httpOnce('127.0.0.1', port)))) {
      if (Date.now() > deadline) throw new Error('httpd did not answer');
      await sleep(100);
    }
    const load = (host: string, p: number, secs: number) => (client === 'node' ? nodeLoad(host, p, secs) : toolLoad(client, host, p, secs));
    await load(ip, 80, 0.5);
    await load('127.0.0.1', port, 0.5);
    // Short slices alternating between the two paths (whole seconds for ab/wrk), so that the background load of a
    // shared machine hits both alike; the figures are the medians of the slices' rates.
    const slices = client === 'node' ? Math.max(2, Math.round(SECONDS / 0.5)) : Math.max(2, Math.round(SECONDS));
    const slice = SECONDS / slices;
    const direct: number[] = [];
    const published: number[] = [];
    let errors = 0;
    for (let i = 0; i < slices && !interrupted; i++) {
      for (const [arr, host, p] of (i % 2 ? [[published, '127.0.0.1', port], [direct, ip, 80]] : [[direct, ip, 80], [published, '127.0.0.1', port]]) as [number[], string, number][]) {
        const r = await load(host, p, slice);
        arr.push(r.rps);
        errors += r.errors;
      }
    }
    await cli(['rm', '-f', 'bench-web']);
    const directRps = median(direct);
    const pubRps = median(published);

    // 2. Start time, none vs default bridge, interleaved; the daemon's network step from its log.
    const times: Record<'none' | 'bridge', number[]> = { none: [], bridge: [] };
    const netStep: number[] = [];
    const once = async (mode: 'none' | 'bridge') => {
      const t0 = performance.now();
      const r = await cli(['run', '--rm', ...(mode === 'none' ? ['--network', 'none'] : []), 'busybox', 'true'], true);
      const ms = performance.now() - t0;
      if (r.code !== 0) throw new Error(`run --rm (${mode}) failed: ${r.stderr}`);
      return ms;
    };
    for (let i = 0; i < 2; i++) for (const m of ['none', 'bridge'] as const) await once(m);
    for (let i = 0; i < RUNS && !interrupted; i++) {
      for (const m of (i % 2 ? ['bridge', 'none'] : ['none', 'bridge']) as ('none' | 'bridge')[]) {
        times[m].push(await once(m));
        if (m === 'bridge') {
          const line = (await readFile(st.log, 'utf8')).split('\n').filter((l) => l.includes('container started')).at(-1) ?? '';
          const mount = Number(/mount=(\d+)/.exec(line)?.[1]);
          const net = Number(/network=(\d+)/.exec(line)?.[1]);
          if (net >= mount) netStep.push(net - mount);
        }
      }
    }
    const noneMs = median(times.none);
    const bridgeMs = median(times.bridge);
    const result = {
      client: client === 'node' ? `node http, keep-alive off, ${CONNS} connections` : `${client} -c ${CONNS}`,
      seconds: SECONDS,
      direct_rps: Math.round(directRps),
      published_rps: Math.round(pubRps),
      published_vs_direct: Number((pubRps / directRps).toFixed(2)),
      errors,
      cli: useDocker ? 'docker' : 'berth',
      runs: RUNS,
      start_none_median_ms: Number(noneMs.toFixed(1)),
      start_bridge_median_ms: Number(bridgeMs.toFixed(1)),
      bridge_vs_none: Number((bridgeMs / noneMs).toFixed(2)),
      daemon_network_step_median_ms: netStep.length ? median(netStep) : null,
      load: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
    };
    const table = [
      `request rate (${result.client}, ${SECONDS} s per path in ${direct.length} alternating slices, medians)`,
      `  container IP directly      ${String(result.direct_rps).padStart(7)} req/s`,
      `  published 127.0.0.1:${String(port).padEnd(5)}  ${String(result.published_rps).padStart(7)} req/s`,
      `  published/direct = ${result.published_vs_direct.toFixed(2)} (target >= ${TARGET})${errors ? `, ${errors} failed requests` : ''}`,
      `start time: ${result.cli} run --rm busybox true, ${RUNS} runs each, interleaved`,
      `  --network none             ${noneMs.toFixed(1).padStart(7)} ms median`,
      `  default bridge             ${bridgeMs.toFixed(1).padStart(7)} ms median`,
      `  bridge/none = ${result.bridge_vs_none.toFixed(2)}; berthd's network step: ${result.daemon_network_step_median_ms ?? '?'} ms median`,
      `host load: ${result.load}`,
    ].join('\n');
    if (opts.json) {
      process.stderr.write(table + '\n');
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    } else process.stdout.write(table + '\n');
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  process.stderr.write(`network: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
