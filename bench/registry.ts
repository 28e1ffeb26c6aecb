// Benchmark: push/pull throughput over loopback of a ~100 MB, 5-layer image of incompressible data.
//
//   node bench/registry.ts [--runs N] [--layers N] [--layer-mb N] [--json]
//
// Rows: berth (berthd) push to / pull from `berth registry serve`; when installed, the real docker CLI + dockerd
// (dockerd.ts) push to / pull from Debian's docker-registry and from berth's registry, and berthd pulling from
// docker-registry (the same registry docker pulls from). Each round starts fresh registries (new roots, new ports, so
// every push uploads everything); pulls follow an `rmi` that removes every layer. The image is a generated docker
// archive loaded into both engines (same image id); ids are checked after every pull.
// Prints a table and `berth pull MB/s / docker pull MB/s` (target >= 1.5). Must run as root. See bench/README.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Dockerd, findDockerd } from '../test/e2e/dockerd.ts';
import { Daemon, runCmd, type RunResult } from '../test/e2e/harness.ts';
import { RegistryProc, which } from '../test/e2e/registry-harness.ts';

const TARGET = 1.5;
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    layers: { type: 'string', default: '5' },
    'layer-mb': { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('usage: node bench/registry.ts [--runs N] [--layers N] [--layer-mb N] [--json]\n');
  process.exit(0);
}
const RUNS = Number(opts.runs);
const LAYERS = Number(opts.layers);
const LAYER_BYTES = Number(opts['layer-mb']) * 1024 * 1024;
const note = (m: string) => process.stderr.write(`# ${m}\n`);

type RowName =
  | 'berth push → berth registry'
  | 'berth pull ← berth registry'
  | 'berth pull ← docker-registry'
  | 'docker push → docker-registry'
  | 'docker pull ← docker-registry'
  | 'docker push → berth registry'
  | 'docker pull ← berth registry';
const samples = new Map<RowName, number[]>();
const add = (row: RowName, s: number) => samples.set(row, [...(samples.get(row) ?? []), s]);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function must(p: Promise<RunResult>, what: string): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function timed(p: () => Promise<RunResult>, what: string): Promise<number> {
  const t0 = performance.now();
  await must(p(), what);
  return (performance.now() - t0) / 1000;
}

/** A docker archive (manifest.json layout) with LAYERS layers of one random file each; returns its path and id. */
async function makeArchive(dir: string): Promise<{ tar: string; id: string; bytes: number }> {
  const root = join(dir, 'archive');
  await mkdir(root, { recursive: true });
  const diffIds: string[] = [];
  const layerPaths: string[] = [];
  let bytes = 0;
  for (let i = 0; i < LAYERS; i++) {
    const src = join(dir, `l${i}`);
    await mkdir(join(src, 'data'), { recursive: true });
    await writeFile(join(src, 'data', `layer${i}.bin`), randomBytes(LAYER_BYTES));
    const ltar = join(dir, `l${i}.tar`);
    await must(runCmd('tar', ['-c', '-f', ltar, '-C', src, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', 'data']), 'tar');
    const h = createHash('sha256');
    const { createReadStream } = await import('node:fs');
    for await (const c of createReadStream(ltar)) h.update(c as Buffer);
    const hex = h.digest('hex');
    diffIds.push(`sha256:${hex}`);
    await mkdir(join(root, hex));
    await must(runCmd('mv', [ltar, join(root, hex, 'layer.tar')]), 'mv');
    layerPaths.push(`${hex}/layer.tar`);
    await rm(src, { recursive: true });
    bytes += LAYER_BYTES;
  }
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
  }));
  const id = createHash('sha256').update(config).digest('hex');
  await writeFile(join(root, `${id}.json`), config);
  await writeFile(join(root, 'manifest.json'), JSON.stringify([{ Config: `${id}.json`, RepoTags: ['bench:1'], Layers: layerPaths }]));
  const tar = join(dir, 'bench.tar');
  await must(runCmd('tar', ['-c', '-f', tar, '-C', root, '.']), 'tar');
  await rm(root, { recursive: true });
  return { tar, id: `sha256:${id}`, bytes };
}

class RefRegistry {
  proc!: ChildProcess;
  addr = '';
  log = '';
  static async start(bin: string, dir: string): Promise<RefRegistry> {
    const r = new RefRegistry();
    r.addr = `127.0.0.1:${await freePort()}`;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.yml'), `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${join(dir, 'data')}}}\nhttp: {addr: "${r.addr}"}\n`);
    r.proc = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    r.proc.stderr!.on('data', (d: Buffer) => (r.log += d.toString()));
    for (let i = 0; ; i++) {
      const st = await fetch(`http://${r.addr}/v2/`).then((x) => x.status, () => 0);
      if (st === 200) return r;
      if (i > 100 || r.proc.exitCode !== null) throw new Error(`docker-registry did not start: ${r.log}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench/registry.ts must run as root\n');
    process.exit(2);
  }
  const dockerdBin = await findDockerd();
  const refBin = await which('docker-registry');
  const work = await mkdtemp('/var/tmp/berth-bench-reg-');
  let berthd: Daemon | undefined;
  let dockerd: Dockerd | undefined;
  const regs: { stop(): Promise<void> }[] = [];
  let bytes = 0;
  try {
    note(`generating a ${LAYERS}×${LAYER_BYTES / 1048576} MiB image`);
    const img = await makeArchive(work);
    bytes = img.bytes;
    note('starting berthd' + (dockerdBin ? ' and dockerd' : ' (dockerd not installed: docker rows skipped)'));
    [berthd, dockerd] = await Promise.all([Daemon.start(['--log-level', 'info']), dockerdBin ? Dockerd.start() : Promise.resolve(undefined)]);
    const b = berthd;
    const berth = (args: string[]) => b.berth(args, { timeoutMs: 600_000 });
    const docker = (args: string[]) => dockerd!.docker(args, { timeoutMs: 600_000 });
    await must(berth(['load', '-i', img.tar]), 'berth load');
    if (dockerd) await must(docker(['load', '-i', img.tar]), 'docker load');
    if (!refBin) note('docker-registry not installed: its rows are skipped');

    const checkId = async (who: 'berth' | 'docker', ref: string) => {
      const out = (await must(who === 'berth' ? berth(['image', 'inspect', '-f', '{{.Id}}', ref]) : docker(['image', 'inspect', '-f', '{{.Id}}', ref]), 'inspect')).trim();
      if (out !== img.id) throw new Error(`${who}: ${ref} has id ${out}, expected ${img.id}`);
    };
    /** Untags every name of the image, so that the next pull downloads and unpacks everything. */
    const berthRmi = async () => {
      const names = JSON.parse(await must(berth(['image', 'inspect', '-f', '{{json .RepoTags}}', img.id]), 'inspect')) as string[];
      await must(berth(['rmi', ...names]), 'berth rmi');
    };
    const dockerRmi = async () => {
      const names = JSON.parse(await must(docker(['image', 'inspect', '-f', '{{json .RepoTags}}', img.id]), 'inspect')) as string[];
      await must(docker(['rmi', ...names]), 'docker rmi');
    };

    for (let run = 1; run <= RUNS; run++) {
      note(`round ${run}/${RUNS}`);
      const br = await RegistryProc.start([], { root: join(work, `berth-reg-${run}`) });
      regs.push(br);
      const ref = refBin ? await RefRegistry.start(refBin, join(work, `ref-${run}`)) : undefined;
      if (ref) regs.push(ref);
      const B = `${br.address}/bench/img:1`;
      const R = ref ? `${ref.addr}/bench/img:1` : '';

      await must(berth(['tag', img.id, B]), 'tag');
      add('berth push → berth registry', await timed(() => berth(['push', B]), 'berth push'));
      if (dockerd) {
        await must(docker(['tag', img.id, B]), 'tag');
        add('docker push → berth registry', await timed(() => docker(['push', `${br.address}/bench/img:1`]), 'docker push (berth registry)'));
        if (ref) {
          await must(docker(['tag', img.id, R]), 'tag');
          add('docker push → docker-registry', await timed(() => docker(['push', R]), 'docker push'));
        }
      }
      // Pulls: berth then docker, alternating, each after removing the image.
      await berthRmi();
      add('berth pull ← berth registry', await timed(() => berth(['pull', B]), 'berth pull'));
      await checkId('berth', B);
      if (dockerd && ref) {
        await dockerRmi();
        add('docker pull ← docker-registry', await timed(() => docker(['pull', R]), 'docker pull'));
        await checkId('docker', R);
      }
      if (ref) {
        await berthRmi();
        add('berth pull ← docker-registry', await timed(() => berth(['pull', R]), 'berth pull (docker-registry)'));
        await checkId('berth', R);
      }
      if (dockerd) {
        await dockerRmi();
        add('docker pull ← berth registry', await timed(() => docker(['pull', B]), 'docker pull (berth registry)'));
        await checkId('docker', B);
      }
      for (const r of regs.splice(0)) await r.stop();
      await rm(join(work, `berth-reg-${run}`), { recursive: true, force: true });
      await rm(join(work, `ref-${run}`), { recursive: true, force: true });
    }
  } finally {
    for (const r of regs) await r.stop().catch(() => {});
    await berthd?.destroy().catch(() => {});
    await dockerd?.destroy().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }

  const mb = bytes / 1e6;
  const rows = [...samples.entries()].map(([name, s]) => ({
    name,
    medianS: median(s),
    mbps: mb / median(s),
    samplesS: s.map((x) => Math.round(x * 1000) / 1000),
  }));
  const lines = [`image: ${LAYERS} layers, ${mb.toFixed(1)} MB (incompressible), ${RUNS} round(s), loopback`, ''];
  lines.push(`${'path'.padEnd(32)} ${'median s'.padStart(9)} ${'MB/s'.padStart(8)}  samples s`);
  for (const r of rows) {
    lines.push(`${r.name.padEnd(32)} ${r.medianS.toFixed(2).padStart(9)} ${r.mbps.toFixed(1).padStart(8)}  ${r.samplesS.join(' ')}`);
  }
  const rate = (n: RowName) => rows.find((r) => r.name === n)?.mbps;
  const bp = rate('berth pull ← berth registry');
  const dp = rate('docker pull ← docker-registry');
  const bpRef = rate('berth pull ← docker-registry');
  let ratio: number | undefined;
  lines.push('');
  if (bp !== undefined && dp !== undefined) {
    ratio = bp / dp;
    lines.push(`berth pull MB/s / docker pull MB/s = ${ratio.toFixed(2)} (target >= ${TARGET})`);
    if (bpRef !== undefined) lines.push(`same registry (docker-registry): berth/docker pull = ${(bpRef / dp).toFixed(2)}`);
  } else {
    lines.push('berth pull / docker pull: n/a (dockerd or docker-registry missing)');
  }
  const table = lines.join('\n') + '\n';
  if (opts.json) {
    process.stderr.write(table);
    process.stdout.write(JSON.stringify({ bytes, layers: LAYERS, runs: RUNS, rows, ratio, target: TARGET }, null, 2) + '\n');
  } else {
    process.stdout.write(table);
  }
}

await main();
