// Benchmark: image save / load / commit of a ~100 MB layer, berthd against a side-by-side dockerd (when installed).
// One invocation starts its own berthd (and dockerd) in temp dirs, builds the image in both the same way (a container
// writes 100 MB of incompressible data, then commit), and measures, round-robin over the daemons:
//   commit  `commit C big:N` of a stopped container whose upper dir holds 100 MB
//   save    `save -o FILE big:1`
//   load    `load -i FILE` into a store without the image (rmi of it and of busybox first; FILE = berth's save)
// Every timed command goes through the docker CLI (the same Go client for both daemons); the berth CLI rows add its
// own start-up. Prints a table with medians and berth/docker ratios; cleans up everything it made.
//
//   node bench/images.ts [--runs N] [--mib N] [--only commit,save,load] [--json] [--cpu-prof DIR]
//
// Must run as root. See bench/README.md.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Daemon, runCmd, type RunResult } from '../test/e2e/harness.ts';
import { Dockerd, findDockerd } from '../test/e2e/dockerd.ts';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    mib: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
    only: { type: 'string', default: 'commit,save,load' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('usage: node bench/images.ts [--runs N] [--mib N] [--only commit,save,load] [--json] [--cpu-prof DIR]\n');
  process.exit(0);
}
const RUNS = Math.max(1, Number(opts.runs) | 0);
const MIB = Math.max(1, Number(opts.mib) | 0);
const ONLY = new Set(opts.only!.split(','));
const note = (m: string) => process.stderr.write(`images: ${m}\n`);

/** dockerd/containerd create these whatever their roots; removed at the end if this run created them (empty only). */
const HOST_PATHS_DOCKERD_CREATES = ['/run/containerd/s', '/run/containerd', '/run/docker/plugins', '/run/docker', '/etc/docker/key.json'];

type Op = 'commit' | 'save' | 'load';
type Who = 'berthd (docker CLI)' | 'berthd (berth CLI)' | 'dockerd (docker CLI)';
interface Client {
  who: Who;
  daemon: 'berth' | 'docker';
  run(args: string[], timeoutMs?: number): Promise<RunResult>;
}

async function must(c: Client, args: string[]): Promise<string> {
  const r = await c.run(args, 600_000);
  if (r.code !== 0) throw new Error(`${c.who}: ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function timed(c: Client, args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  await must(c, args);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    note('must run as root');
    process.exit(2);
  }
  const createdHostPaths = HOST_PATHS_DOCKERD_CREATES.filter((p) => !existsSync(p));
  const work = await mkdtemp('/var/tmp/berth-bench-img-');
  let berthd: Daemon | undefined;
  let dockerd: Dockerd | undefined;
  const samples = new Map<string, number[]>();
  const add = (op: Op, who: Who, ms: number) => {
    const k = `${op}|${who}`;
    samples.set(k, [...(samples.get(k) ?? []), ms]);
  };
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void (interrupted = true));
  try {
    note('starting berthd');
    const env = opts['cpu-prof'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${opts['cpu-prof']}` } : undefined;
    if (env) process.env.NODE_OPTIONS = env.NODE_OPTIONS; // inherited by berthd (and by the berth CLI: ignore those)
    berthd = await Daemon.start(['--log-level', 'info']);
    if (env) delete process.env.NODE_OPTIONS;
    const b = berthd;
    const clients: Client[] = [
      { who: 'berthd (docker CLI)', daemon: 'berth', run: (a, t) => b.docker(a, { timeoutMs: t }) },
      { who: 'berthd (berth CLI)', daemon: 'berth', run: (a, t) => b.berth(a, { timeoutMs: t }) },
    ];
    if (await findDockerd()) {
      note('starting dockerd');
      dockerd = await Dockerd.start();
      const d = dockerd;
      clients.push({ who: 'dockerd (docker CLI)', daemon: 'docker', run: (a, t) => d.docker(a, { timeoutMs: t }) });
    } else note('dockerd not installed: berth rows only');
    const berthCli = clients[1]!;
    const dockerCli = clients[2];

    // busybox in both: bootstrapped in berthd, loaded into dockerd from berth's save (same layer bytes, same id).
    await must(berthCli, ['bootstrap', 'busybox']);
    const busyTar = join(work, 'busybox.tar');
    await must(berthCli, ['save', '-o', busyTar, 'busybox']);
    if (dockerCli) await must(dockerCli, ['load', '-q', '-i', busyTar]);

    const writer = ['sh', '-c', `head -c ${MIB * 1024 * 1024} /dev/urandom > /data.bin && sync`];
    let n = 0;
    /** A stopped container with MIB MiB in its upper dir. */
    const makeContainer = async (c: Client) => {
      const name = `bench-${process.pid}-${++n}`;
      await must(c, ['run', '--network', 'none', '--name', name, 'busybox', ...writer]);
      return name;
    };

    // ---- commit
    note(`commit: ${RUNS} run(s) per client`);
    for (let i = 0; i < RUNS && !interrupted && ONLY.has('commit'); i++) {
      for (let k = 0; k < clients.length; k++) {
        const c = clients[(i + k) % clients.length]!;
        const name = await makeContainer(c);
        await runCmd('sync', []);
        add('commit', c.who, await timed(c, ['commit', name, `big:c${i}`]));
        await must(c, ['rm', name]);
        await must(c, ['rmi', `big:c${i}`]);
      }
    }

    // ---- the image for save/load, built in berthd; dockerd gets it by `docker load` of berth's save.
    const name = await makeContainer(berthCli);
    await must(berthCli, ['commit', name, 'big:1']);
    await must(berthCli, ['rm', name]);
    const berthSave = join(work, 'berth-save.tar');
    await must(berthCli, ['save', '-o', berthSave, 'big:1']);
    const archiveBytes = (await stat(berthSave)).size;
    if (dockerCli) await must(dockerCli, ['load', '-q', '-i', berthSave]);

    // ---- save
    note(`save: ${RUNS} run(s) per client`);
    for (let i = 0; i < RUNS && !interrupted && ONLY.has('save'); i++) {
      for (let k = 0; k < clients.length; k++) {
        const c = clients[(i + k) % clients.length]!;
        const out = join(work, `out-${c.daemon}.tar`);
        await rm(out, { force: true });
        await runCmd('sync', []);
        add('save', c.who, await timed(c, ['save', '-o', out, 'big:1']));
        await rm(out, { force: true });
      }
    }

    // ---- load (of berth's save) into a store without the image or its base layer
    note(`load: ${RUNS} run(s) per client`);
    for (const c of clients.filter((x) => x.who !== 'berthd (berth CLI)')) await must(c, ['rmi', 'busybox']);
    for (let i = 0; i < RUNS && !interrupted && ONLY.has('load'); i++) {
      for (let k = 0; k < clients.length; k++) {
        const c = clients[(i + k) % clients.length]!;
        await must(c, ['rmi', 'big:1']); // the last image: its layers and blobs go too
        await runCmd('sync', []);
        add('load', c.who, await timed(c, ['load', '-q', '-i', berthSave]));
      }
    }

    // ---- report
    const rows: { op: Op; who: Who; medianMs: number; samplesMs: number[]; xDocker: number | null }[] = [];
    for (const op of (['commit', 'save', 'load'] as Op[]).filter((o) => ONLY.has(o))) {
      const dockerMedian = median(samples.get(`${op}|dockerd (docker CLI)`) ?? []);
      for (const c of clients) {
        const s = samples.get(`${op}|${c.who}`) ?? [];
        const m = median(s);
        rows.push({ op, who: c.who, medianMs: Math.round(m), samplesMs: s.map(Math.round), xDocker: Number.isFinite(dockerMedian) ? Math.round((m / dockerMedian) * 100) / 100 : null });
      }
    }
    const head = ['op', 'daemon (client)', 'median ms', 'MB/s', 'x docker', 'samples ms'];
    const body = rows.map((r) => [
      r.op, r.who, String(r.medianMs), (archiveBytes / 1e6 / (r.medianMs / 1000)).toFixed(0), r.xDocker?.toFixed(2) ?? '-', r.samplesMs.join(' '),
    ]);
    const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd() + '\n';
    let table = `image: ${MIB} MiB of /dev/urandom on busybox; archive ${(archiveBytes / 1e6).toFixed(1)} MB; ${RUNS} run(s); ${(await runCmd('cat', ['/proc/loadavg'])).stdout.trim()}\n`;
    table += line(head) + line(w.map((x) => '-'.repeat(x))) + body.map(line).join('');
    const slower = rows.filter((r) => r.who === 'berthd (docker CLI)' && r.xDocker !== null && r.xDocker > 1.0);
    table += slower.length ? `slower than docker: ${slower.map((r) => `${r.op} x${r.xDocker}`).join(', ')}\n` : 'berthd (docker CLI) is not slower than dockerd on any op\n';
    if (opts.json) {
      process.stderr.write(table);
      process.stdout.write(JSON.stringify({ date: new Date().toISOString(), mib: MIB, runs: RUNS, archiveBytes, rows }, null, 2) + '\n');
    } else process.stdout.write(table);
  } finally {
    note('cleaning up');
    await berthd?.destroy().catch((e) => note(`berthd cleanup: ${(e as Error).message}`));
    await dockerd?.destroy().catch((e) => note(`dockerd cleanup: ${(e as Error).message}`));
    for (const p of createdHostPaths) {
      if (p.endsWith('.json')) await rm(p, { force: true }).catch(() => {});
      else await rmdir(p).catch(() => {});
    }
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`images: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
