// Benchmark: what watching many containers costs berthd. One invocation starts its own berthd (test/e2e harness:
// temp socket/data root/exec root/cgroup parent), runs N idle `busybox sleep 600` containers (`--network none`),
// measures berthd's CPU (utime+stime from /proc/PID/stat) while nobody watches, then while one `docker stats`
// stream watches all of them, prints the figures (JSON with --json) and removes everything it made.
//
//   node bench/stats.ts [--containers 100] [--seconds 15] [--json] [--cpu-prof DIR]
//
// Must run as root. See bench/README.md.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Daemon, sleep } from '../test/e2e/harness.ts';

const TARGET_PCT = 5;

const { values: opts } = parseArgs({
  options: {
    containers: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '15' },
    json: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('node bench/stats.ts [--containers 100] [--seconds 15] [--json] [--cpu-prof DIR]\n');
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  process.stderr.write('bench/stats.ts must run as root\n');
  process.exit(1);
}
const N = Math.max(1, Number(opts.containers));
const SECONDS = Math.max(2, Number(opts.seconds));

function note(msg: string): void {
  process.stderr.write(`stats-bench: ${msg}\n`);
}

/** utime + stime of a process, in 1/100 s. */
async function cpuTicks(pid: number): Promise<number> {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Monotonic µs, the clock of .cpuprofile timestamps (to cut a profile to a window). */
function monoUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Per-thread ticks by thread name (node's main thread, the worker, libuv pool, V8 GC helpers...). */
async function threadTicks(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const s = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const m = /^\d+ \((.*)\) (.*)$/s.exec(s);
    if (!m) continue;
    const f = m[2]!.split(' ');
    const name = tid === String(pid) ? 'main' : m[1]!;
    out.set(name, (out.get(name) ?? 0) + Number(f[11]) + Number(f[12]));
  }
  return out;
}

const threadBreakdown: Record<string, Record<string, number>> = {};

async function measure(pid: number, seconds: number, label: string): Promise<number> {
  const m0 = monoUs();
  const t0 = performance.now();
  const c0 = await cpuTicks(pid);
  const th0 = await threadTicks(pid);
  await sleep(seconds * 1000);
  const c1 = await cpuTicks(pid);
  const th1 = await threadTicks(pid);
  const wall = (performance.now() - t0) / 1000;
  const per: Record<string, number> = {};
  for (const [k, v] of th1) {
    const d = (v - (th0.get(k) ?? 0)) / wall;
    if (d > 0) per[k] = round(d);
  }
  threadBreakdown[label] = per;
  note(`${label}: %core by thread ${JSON.stringify(per)}`);
  if (opts['cpu-prof']) note(`profile window ${label}: ${m0}..${monoUs()}`);
  return (c1 - c0) / wall; // ticks per second = % of one core
}

async function main(): Promise<void> {
  const saved = process.env.NODE_OPTIONS;
  if (opts['cpu-prof']) process.env.NODE_OPTIONS = `${saved ?? ''} --cpu-prof --cpu-prof-dir=${opts['cpu-prof']}`.trim();
  const d = await Daemon.start(['--log-level', 'info']);
  if (saved === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = saved;
  let watcher: ReturnType<typeof spawn> | null = null;
  try {
    const b = await d.berth(['bootstrap', 'busybox']);
    if (b.code !== 0) throw new Error(`bootstrap: ${b.stderr}`);
    note(`starting ${N} containers`);
    const t0 = Date.now();
    let next = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next < N) {
        const i = next++;
        const r = await d.docker(['run', '-d', '--network', 'none', '--name', `s${i}`, 'busybox', 'sleep', '600']);
        if (r.code !== 0) throw new Error(`run s${i}: ${r.stderr}`);
      }
    }));
    note(`${N} containers up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const pid = d.proc!.pid!;
    await sleep(2000);
    const idlePct = await measure(pid, Math.min(SECONDS, 10), 'unwatched');

    watcher = spawn('docker', ['stats'], { env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.tmp}/docker-config` }, stdio: ['ignore', 'pipe', 'ignore'] });
    let tail = '';
    let bytes = 0;
    watcher.stdout!.on('data', (c: Buffer) => {
      bytes += c.length;
      tail = (tail + c.toString()).slice(-200_000);
    });
    await sleep(3000); // docker stats opens one stream per container; let them all start
    const load0 = loadavg()[0]!;
    const watchedPct = await measure(pid, SECONDS, 'watched');
    // The last full screen: every container has a row.
    const rows = new Set(tail.match(/\bs\d+\b/g) ?? []);
    if (rows.size < N) note(`warning: only ${rows.size}/${N} containers seen in docker stats output`);
    const rss = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const result = {
      containers: N,
      seconds: SECONDS,
      idlePctOfCore: round(idlePct),
      watchedPctOfCore: round(watchedPct),
      perContainerPct: round(watchedPct / N, 4),
      target: `< ${TARGET_PCT}% of one core`,
      ok: watchedPct < TARGET_PCT,
      berthdRssMb: round(rss, 1),
      dockerStatsBytes: bytes,
      load1: round(load0, 2),
      threads: threadBreakdown,
    };
    if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    process.stderr.write(
      `containers  unwatched %core  watched %core  per container  berthd RSS\n` +
        `${String(N).padStart(10)}  ${result.idlePctOfCore.toFixed(2).padStart(15)}  ${result.watchedPctOfCore.toFixed(2).padStart(13)}  ${result.perContainerPct.toFixed(4).padStart(13)}  ${result.berthdRssMb} MB\n` +
        `watched ${N} containers: ${result.watchedPctOfCore.toFixed(2)}% of one core (target < ${TARGET_PCT}%) ${result.ok ? 'OK' : 'OVER'}; load1 ${result.load1}\n`,
    );
  } finally {
    if (watcher && watcher.exitCode === null) watcher.kill('SIGTERM');
    note('cleaning up');
    let next = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next < N) await d.api('DELETE', `/containers/s${next++}?force=1`).catch(() => {});
    }));
    await d.destroy();
  }
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

await main();
