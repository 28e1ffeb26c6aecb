// Benchmark: the classic builder on a 5-step Dockerfile with a 50 MB context file — cold (`--no-cache`) and fully
// cached rebuilds through `berth build` → berthd, `DOCKER_BUILDKIT=0 docker build` → berthd and (when dockerd is
// installed) `DOCKER_BUILDKIT=0 docker build` → a side-by-side dockerd with busybox loaded from `berth save`.
// One invocation starts its own daemons (test/e2e harness: temp socket/roots), interleaves the measured runs
// round-robin, prints a table (JSON with --json) and cleans up everything it made.
//
//   node bench/build.ts [--runs N] [--size-mb 50] [--json] [--only berth,docker-cli,dockerd]
//
// Must run as root. See bench/README.md.
import { randomBytes } from 'node:crypto';
import { open, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Daemon, runCmd, type RunResult } from '../test/e2e/harness.ts';
import { Dockerd, findDockerd } from '../test/e2e/dockerd.ts';

const TARGET_RATIO = 0.5;

type PathName = 'berth' | 'docker-cli' | 'dockerd';
const ALL_PATHS: PathName[] = ['berth', 'docker-cli', 'dockerd'];
const LABELS: Record<PathName, string> = {
  berth: 'berth build (berthd)',
  'docker-cli': 'docker build (berthd)',
  dockerd: 'docker build (dockerd)',
};

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'size-mb': { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('node bench/build.ts [--runs N] [--size-mb 50] [--json] [--only berth,docker-cli,dockerd]\n');
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  process.stderr.write('bench/build.ts must run as root\n');
  process.exit(1);
}
const RUNS = Math.max(1, Number(opts.runs));
const SIZE_MB = Math.max(1, Number(opts['size-mb']));
const only = opts.only ? (opts.only.split(',') as PathName[]) : ALL_PATHS;

const DOCKERFILE = `FROM busybox
COPY data.bin /data.bin
RUN md5sum /data.bin > /data.md5
ENV BENCH=1
CMD ["cat", "/data.md5"]
`;

interface Sample {
  ms: number;
  /** Context bytes the CLI reported sending. */
  uploadBytes?: number;
}

interface Row {
  path: PathName;
  label: string;
  cold: Sample[];
  cached: Sample[];
  failures: number;
  skipped?: string;
}

const median = (xs: number[]): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

function parseUpload(out: string): number | undefined {
  // berth: "Sending build context to Berth daemon  52.43MB"; docker: "Sending build context to Docker daemon  52.43MB"
  const lines = [...out.matchAll(/Sending build context to \w+ daemon\s+([\d.]+)\s*([kKMG]?B)/g)];
  const m = lines[lines.length - 1];
  if (!m) return undefined;
  const mult: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };
  return Math.round(Number(m[1]) * (mult[m[2]!] ?? 1));
}

async function makeContext(dir: string): Promise<void> {
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
  const fh = await open(join(dir, 'data.bin'), 'w');
  try {
    const chunk = 1 << 20;
    for (let i = 0; i < SIZE_MB; i++) await fh.write(randomBytes(chunk));
  } finally {
    await fh.close();
  }
}

async function main(): Promise<number> {
  const work = await mkdtemp('/var/tmp/berth-bench-build-');
  let d: Daemon | undefined;
  let dk: Dockerd | undefined;
  const rows: Row[] = only.map((p) => ({ path: p, label: LABELS[p], cold: [], cached: [], failures: 0 }));
  try {
    const ctx = join(work, 'ctx');
    await runCmd('mkdir', ['-p', ctx]);
    await makeContext(ctx);
    d = await Daemon.start();
    const boot = await d.berth(['bootstrap', 'busybox'], { timeoutMs: 120_000 });
    if (boot.code !== 0) throw new Error(`bootstrap: ${boot.stderr}`);

    const dockerEnv = (host: string) => ({ DOCKER_HOST: host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(work, 'docker-config') });
    const hasDocker = (await runCmd('docker', ['--version']).catch(() => undefined))?.code === 0;
    if (only.includes('dockerd')) {
      const row = rows.find((r) => r.path === 'dockerd')!;
      if (!hasDocker || !(await findDockerd())) row.skipped = 'dockerd/docker not installed';
      else {
        dk = await Dockerd.start();
        const saved = join(work, 'busybox.tar');
        const s = await d.berth(['save', '-o', saved, 'busybox'], { timeoutMs: 120_000 });
        if (s.code !== 0) throw new Error(`save: ${s.stderr}`);
        const l = await dk.docker(['load', '-i', saved]);
        if (l.code !== 0) throw new Error(`docker load: ${l.stderr}`);
      }
    }
    if (!hasDocker) for (const r of rows) if (r.path === 'docker-cli') r.skipped = 'docker CLI not installed';

    const build = (p: PathName, noCache: boolean): Promise<RunResult> => {
      const args = ['build', ...(noCache ? ['--no-cache'] : []), '-t', `bench-${p}:latest`, ctx];
      if (p === 'berth') return d!.berth(args, { timeoutMs: 300_000, input: '' });
      return runCmd('docker', args, { env: dockerEnv(p === 'dockerd' ? dk!.host : d!.host), timeoutMs: 300_000, input: '' });
    };
    const measure = async (p: PathName, noCache: boolean): Promise<Sample | undefined> => {
      const t0 = performance.now();
      const r = await build(p, noCache);
      const ms = performance.now() - t0;
      if (r.code !== 0) {
        process.stderr.write(`${LABELS[p]}${noCache ? ' --no-cache' : ''} failed (${r.code}): ${r.stderr.trim()}\n`);
        return undefined;
      }
      if (!noCache && !/Using cache/.test(r.stdout)) process.stderr.write(`warning: ${LABELS[p]} rebuild did not hit the cache\n`);
      const up = parseUpload(r.stdout);
      return { ms, ...(up !== undefined ? { uploadBytes: up } : {}) };
    };

    const active = rows.filter((r) => !r.skipped);
    // Warm-up: one cold build per path (page cache, image layers, the daemons' first-build costs).
    for (const r of active) await measure(r.path, true);
    for (let i = 0; i < RUNS; i++) {
      const order = active.map((_, k) => active[(k + i) % active.length]!);
      for (const r of order) {
        const cold = await measure(r.path, true);
        if (cold) r.cold.push(cold);
        else r.failures++;
        const cached = await measure(r.path, false);
        if (cached) r.cached.push(cached);
        else r.failures++;
      }
    }
  } finally {
    await d?.destroy().catch((e) => process.stderr.write(`berthd cleanup: ${e}\n`));
    await dk?.destroy().catch((e) => process.stderr.write(`dockerd cleanup: ${e}\n`));
    await rm(work, { recursive: true, force: true });
  }

  const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '-' : v.toFixed(digits));
  const mb = (b: number | undefined) => (b === undefined ? '-' : b < 1e6 ? `${(b / 1e3).toFixed(1)} kB` : `${(b / 1e6).toFixed(2)} MB`);
  const cachedMed = (p: PathName) => median(rows.find((r) => r.path === p)?.cached.map((s) => s.ms) ?? []);
  const ref = cachedMed('dockerd');
  const berthCached = cachedMed('berth');
  const ratio = ref && berthCached ? berthCached / ref : null;
  const lines = [
    `context: ${SIZE_MB} MB incompressible file + Dockerfile (5 steps); ${RUNS} measured runs per path; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `${'path'.padEnd(24)} ${'cold ms'.padStart(9)} ${'cached ms'.padStart(10)} ${'upload (cached)'.padStart(16)}  ok/runs`,
  ];
  for (const r of rows) {
    if (r.skipped) {
      lines.push(`${r.label.padEnd(24)} skipped: ${r.skipped}`);
      continue;
    }
    const up = r.cached.map((s) => s.uploadBytes).filter((x): x is number => x !== undefined);
    lines.push(`${r.label.padEnd(24)} ${fmt(median(r.cold.map((s) => s.ms))).padStart(9)} ${fmt(median(r.cached.map((s) => s.ms))).padStart(10)} ${mb(median(up) ?? undefined).padStart(16)}  ${r.cold.length + r.cached.length}/${2 * RUNS}`);
  }
  lines.push(`cached rebuild berth/docker(dockerd) = ${fmt(ratio, 2)} (target <= ${TARGET_RATIO})`);
  if (opts.json) {
    process.stderr.write(lines.join('\n') + '\n');
    process.stdout.write(JSON.stringify({ sizeMb: SIZE_MB, runs: RUNS, load: loadavg(), rows, ratio, target: TARGET_RATIO }, null, 1) + '\n');
  } else process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

process.exitCode = await main();
