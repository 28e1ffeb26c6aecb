// Stats: docker stats and berth stats agree (CPU % of a --cpus 0.5 busy loop ≈ 50), the JSON has dockerd's shape,
// streaming works, system df agrees with images / ps -s, and the sampler's cost with 20 watched containers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, isRoot, runCmd, sleep } from './harness.ts';

async function cpuTicks(pid: number): Promise<number> {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15), in 1/100 s
}

async function waitForSize(d: Daemon, name: string, min: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ps = (await d.api('GET', '/containers/json?all=1&size=1')).body as { Names: string[]; SizeRw: number }[];
    if ((ps.find((c) => c.Names[0] === `/${name}`)?.SizeRw ?? 0) >= min) return;
    await sleep(100);
  }
  throw new Error(`${name} never reached ${min} bytes`);
}

describe('stats', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  test('--cpus 0.5 busy loop: docker stats and berth stats both show ≈ 50 %', async () => {
    const r = await d.docker(['run', '-d', '--name', 'busy', '--cpus', '0.5', 'busybox', 'sh', '-c', 'while :; do :; done']);
    assert.equal(r.code, 0, r.stderr);
    await sleep(1500);
    const t0 = Date.now();
    const ds = await d.docker(['stats', '--no-stream', 'busy']);
    const dockerMs = Date.now() - t0;
    const bs = await d.berth(['stats', '--no-stream', 'busy']);
    assert.equal(ds.code, 0, ds.stderr);
    assert.equal(bs.code, 0, bs.stderr);
    const header = /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/;
    for (const out of [ds.stdout, bs.stdout]) {
      const [h, row] = out.trim().split('\n');
      assert.match(h!, header);
      const m = /^([0-9a-f]{12})\s+busy\s+([\d.]+)%\s+([\d.]+\w?i?B) \/ ([\d.]+\w?i?B)\s+([\d.]+)%\s+\S+ \/ \S+\s+\S+ \/ \S+\s+(\d+)$/.exec(row!);
      assert.ok(m, row);
      const cpu = Number(m[2]);
      assert.ok(Math.abs(cpu - 50) <= 15, `CPU ${cpu}% not ≈ 50%`);
      assert.equal(m[6], '1');
    }
    // The same columns, same widths: the berth table is docker's.
    assert.equal(bs.stdout.split('\n')[0], ds.stdout.split('\n')[0]);
    // A warm request is answered without the 2 s dockerd spends.
    const t1 = Date.now();
    await d.docker(['stats', '--no-stream', 'busy']);
    const warmMs = Date.now() - t1;
    console.log(`# docker stats --no-stream: cold ${dockerMs} ms, warm ${warmMs} ms`);

    const j = await d.api('GET', '/containers/busy/stats?stream=false');
    assert.equal(j.status, 200);
    assert.deepEqual(Object.keys(j.body).slice(0, 11), ['read', 'preread', 'pids_stats', 'blkio_stats', 'num_procs', 'storage_stats', 'cpu_stats', 'precpu_stats', 'memory_stats', 'name', 'id']);
    assert.equal(j.body.name, '/busy');
    assert.ok(j.body.cpu_stats.cpu_usage.total_usage > j.body.precpu_stats.cpu_usage.total_usage);
    assert.equal(j.body.cpu_stats.online_cpus, j.body.precpu_stats.online_cpus);
    assert.ok(j.body.cpu_stats.throttling_data.throttled_periods > 0);
    assert.ok('total_inactive_file' in j.body.memory_stats.stats || 'inactive_file' in j.body.memory_stats.stats);
    const one = await d.api('GET', '/containers/busy/stats?stream=false&one-shot=true');
    assert.equal(one.status, 200);
    const missing = await d.api('GET', '/containers/nope/stats?stream=false');
    assert.equal(missing.status, 404);

    // --format and json like docker's.
    const fmt = await d.berth(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'busy']);
    assert.equal(fmt.stdout.trim(), 'busy 1');
    const dj = JSON.parse((await d.docker(['stats', '--no-stream', '--format', 'json', 'busy'])).stdout);
    const bj = JSON.parse((await d.berth(['stats', '--no-stream', '--format', 'json', 'busy'])).stdout);
    assert.deepEqual(Object.keys(bj).sort(), Object.keys(dj).sort());
    await d.docker(['rm', '-f', 'busy']);
  });

  test('stream=true writes one JSON object per second', async () => {
    assert.equal((await d.docker(['run', '-d', '--name', 'st', 'busybox', 'sleep', '60'])).code, 0);
    const p = runCmd('curl', ['-sN', '--max-time', '3.5', '--unix-socket', d.socket, 'http://x/containers/st/stats'], { timeoutMs: 10_000 });
    const r = await p;
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 3 && lines.length <= 5, `${lines.length} lines`);
    for (const l of lines) assert.equal(JSON.parse(l).name, '/st');
    const stopped = await d.docker(['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}}']);
    assert.match(stopped.stdout, /^st /m);
    await d.docker(['rm', '-f', 'st']);
  });

  test('system df agrees with images and ps -s', async () => {
    assert.equal((await d.docker(['run', '--name', 'writer', 'busybox', 'sh', '-c', 'head -c 300000 /dev/zero > /data'])).code, 0);
    assert.equal((await d.docker(['tag', 'busybox', 'bb2'])).code, 0);
    const df = await d.api('GET', '/system/df');
    assert.equal(df.status, 200);
    const imgs = await d.api('GET', '/images/json');
    const imgSize = imgs.body.reduce((a: number, i: { Size: number }) => a + i.Size, 0);
    // busybox and bb2 are one image (one id): its layers counted once.
    assert.equal(df.body.LayersSize, imgSize);
    assert.equal(df.body.Images.length, imgs.body.length);
    assert.equal(df.body.Images[0].Containers, 1);
    const ps = await d.api('GET', '/containers/json?all=1&size=1');
    const w = ps.body.find((c: { Names: string[] }) => c.Names[0] === '/writer');
    assert.ok(w.SizeRw >= 300000, String(w.SizeRw));
    assert.equal(w.SizeRootFs, w.SizeRw + imgSize);
    const dw = df.body.Containers.find((c: { Names: string[] }) => c.Names[0] === '/writer');
    assert.equal(dw.SizeRw, w.SizeRw);
    assert.deepEqual(df.body.BuildCache, []);

    const bdf = await d.berth(['system', 'df']);
    const ddf = await d.docker(['system', 'df']);
    assert.equal(bdf.stdout, ddf.stdout);
    assert.match(ddf.stdout, /^Containers\s+1\s+0\s+300kB\s+300kB \(100%\)$/m);
    const pss = await d.docker(['ps', '-a', '-s', '--format', '{{.Size}}']);
    assert.match(pss.stdout.trim(), /^300kB \(virtual [\d.]+MB\)$/);
    assert.equal((await d.berth(['ps', '-a', '-s', '--format', '{{.Size}}'])).stdout, pss.stdout);
    const v = await d.berth(['system', 'df', '-v']);
    assert.match(v.stdout, /Images space usage:/);
    assert.match(v.stdout, /writer/);

    // system prune: containers, then dangling images; the prompt can be declined.
    const no = await d.berth(['system', 'prune'], { input: 'n\n' });
    assert.match(no.stdout, /WARNING! This will remove:\n {2}- all stopped containers/);
    const yes = await d.berth(['system', 'prune', '-f']);
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, /Deleted Containers:\n[0-9a-f]{64}\n\n/);
    assert.match(yes.stdout, /Total reclaimed space: 300kB/);
    assert.equal((await d.docker(['ps', '-aq'])).stdout.trim(), '');
  });

  test('system df counts a layer two images share once; system prune -a keeps only what running containers use', async () => {
    const run = async (args: string[]) => {
      const r = await d.berth(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    // A second image on top of busybox (shares its layer), a stopped container on it, a running one on busybox.
    await run(['run', '--name', 'mk2', '--network', 'none', 'busybox', 'sh', '-c', 'head -c 200000 /dev/urandom > /blob']);
    await run(['commit', 'mk2', 'second:1']);
    await run(['rm', 'mk2']);
    await run(['create', '--name', 'stopped2', '--network', 'none', 'second:1', 'true']);
    await run(['run', '-d', '--name', 'runner', '--network', 'none', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /rw; sleep 600']);
    await waitForSize(d, 'runner', 100000);

    const df = (await d.api('GET', '/system/df')).body;
    const imgs = (await d.api('GET', '/images/json')).body as { Id: string; RepoTags: string[]; Size: number }[];
    const busy = imgs.find((i) => i.RepoTags.includes('busybox:latest'))!;
    const second = imgs.find((i) => i.RepoTags.includes('second:1'))!;
    assert.ok(second.Size >= busy.Size + 200000, `${second.Size} vs ${busy.Size}`);
    // Shared layer once: the total is the bigger image's size (it holds busybox's layer plus its own), not the sum.
    assert.equal(df.LayersSize, second.Size);
    const dfImg = (id: string) => df.Images.find((i: { Id: string }) => i.Id === id);
    assert.equal(dfImg(busy.Id).SharedSize, busy.Size);
    assert.equal(dfImg(second.Id).SharedSize, busy.Size);
    assert.equal(dfImg(busy.Id).Containers, 1);
    assert.equal(dfImg(second.Id).Containers, 1);
    // Containers: df's SizeRw = ps -s's; the CLIs agree with each other.
    const ps = (await d.api('GET', '/containers/json?all=1&size=1')).body as { Names: string[]; SizeRw: number; SizeRootFs: number }[];
    for (const c of ps) {
      const dc = df.Containers.find((x: { Names: string[] }) => x.Names[0] === c.Names[0]);
      assert.equal(dc.SizeRw, c.SizeRw, c.Names[0]);
      assert.equal(dc.SizeRootFs, c.SizeRootFs, c.Names[0]);
    }
    assert.equal((await d.berth(['system', 'df'])).stdout, (await d.docker(['system', 'df'])).stdout);
    assert.match((await d.docker(['system', 'df'])).stdout, /^Images\s+2\s+2\s/m);
    assert.equal((await d.berth(['ps', '-a', '-s', '--format', '{{.Names}} {{.Size}}'])).stdout, (await d.docker(['ps', '-a', '-s', '--format', '{{.Names}} {{.Size}}'])).stdout);

    // prune -a: the stopped container goes, then second:1 (no container left on it) and its own layer; busybox stays.
    const out = await run(['system', 'prune', '-a', '-f']);
    assert.match(out, /Deleted Containers:\n[0-9a-f]{64}\n/);
    assert.match(out, new RegExp(`untagged: second:1\\ndeleted: ${second.Id}`));
    const after = (await d.api('GET', '/images/json')).body as { Id: string }[];
    assert.deepEqual(after.map((i) => i.Id), [busy.Id]);
    assert.deepEqual((await d.api('GET', '/containers/json?all=1')).body.map((c: { Names: string[] }) => c.Names[0]), ['/runner']);
    const layers = await readdir(join(d.dataRoot, 'storage/overlay/layers'));
    assert.equal(layers.length, 1);
    const blobs = (await readdir(join(d.dataRoot, 'image/content/blobs/sha256'))).sort();
    const inspect = (await d.api('GET', `/images/${busy.Id}/json`)).body;
    assert.deepEqual(blobs, [busy.Id.slice(7), inspect.RootFS.Layers[0].slice(7)].sort());
    const df2 = (await d.api('GET', '/system/df')).body;
    assert.equal(df2.LayersSize, busy.Size);
    await run(['rm', '-f', 'runner']);
  });

  test('sampler cost: 20 idle containers watched by one docker stats stream', async () => {
    const n = Number(process.env.BERTH_STATS_N ?? 20);
    for (let i = 0; i < n; i++) {
      assert.equal((await d.docker(['run', '-d', '--name', `idle${i}`, 'busybox', 'sleep', '600'])).code, 0);
    }
    const pid = d.proc!.pid!;
    await sleep(1000);
    const idle0 = await cpuTicks(pid);
    await sleep(10_000);
    const idleTicks = (await cpuTicks(pid)) - idle0;
    const watcher = spawn('docker', ['stats'], { env: { ...process.env, DOCKER_HOST: d.host }, stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    watcher.stdout.on('data', (b: Buffer) => (seen = (seen + b.toString()).slice(-20000)));
    await sleep(2000);
    const w0 = await cpuTicks(pid);
    await sleep(10_000);
    const watchTicks = (await cpuTicks(pid)) - w0;
    watcher.kill('SIGTERM');
    assert.match(seen, /idle0/);
    const pct = watchTicks / 10; // ticks are 10 ms: ticks/10 s → % of one core
    console.log(`# berthd CPU, ${n} containers: unwatched ${idleTicks / 10}% of a core, watched by docker stats ${pct}% (${(pct / n).toFixed(3)}% per container; ×100 ≈ ${((pct / n) * 100).toFixed(1)}%)`);
    assert.ok(idleTicks <= 20, `unwatched daemon used ${idleTicks} ticks in 10 s`);
    for (let i = 0; i < n; i++) await d.docker(['rm', '-f', `idle${i}`]);
  });
});
