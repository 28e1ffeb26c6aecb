import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CgroupLocator, parseCgroupMounts, parseProcCgroup, resolveCgroupDirs } from './cgroup-paths.ts';
import { parseIoStatV2, parseNetDev, parseProcStat } from './cgroup-stats.ts';
import { StatsSampler, type StatsTarget } from './stats-sampler.ts';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:    1500      10    1    2    0     0          0         0      700       5    3    4    0     0       0          0
`;

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

/** A fake host: /proc plus v1 hierarchies with cpu and cpuacct mounted separately (findings §0). */
async function fakeV1(root: string, pid: number, cpuNs: { v: number }): Promise<() => Promise<void>> {
  const cg = join(root, 'sys/fs/cgroup');
  const ctrls = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'];
  const mountinfo = ctrls.map((c, i) => `${32 + i} 31 0:${29 + i} / ${cg}/${c} rw,relatime - cgroup cgroup rw,${c}`).join('\n') +
    `\n41 31 0:38 / ${cg}/unified rw,relatime - cgroup2 cgroup2 rw\n`;
  await put(join(root, 'proc/self/mountinfo'), mountinfo);
  await put(join(root, `proc/${pid}/cgroup`), ctrls.map((c, i) => `${i + 1}:${c}:/berth/abc`).join('\n') + '\n0::/berth/abc\n');
  await put(join(root, `proc/${pid}/net/dev`), NET_DEV);
  const d = (c: string, f: string) => join(cg, c, 'berth/abc', f);
  const write = async () => {
    await put(d('cpuacct', 'cpuacct.usage'), `${cpuNs.v}\n`);
    await put(d('cpuacct', 'cpuacct.usage_percpu'), `${cpuNs.v / 2} ${cpuNs.v / 2} \n`);
    await put(d('cpuacct', 'cpuacct.stat'), 'user 30\nsystem 20\n');
    await put(join(root, 'proc/stat'), `cpu  ${cpuNs.v / 1e7 * 4} 0 0 0 0 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0 0 0 0\n`);
  };
  await write();
  await put(d('cpu', 'cpu.stat'), 'nr_periods 10\nnr_throttled 4\nthrottled_time 5000\n');
  await put(d('memory', 'memory.usage_in_bytes'), '10485760\n');
  await put(d('memory', 'memory.max_usage_in_bytes'), '20971520\n');
  await put(d('memory', 'memory.limit_in_bytes'), '9223372036854771712\n');
  await put(d('memory', 'memory.failcnt'), '0\n');
  await put(d('memory', 'memory.stat'), 'cache 4096\nrss 8192\ntotal_inactive_file 2097152\n');
  await put(d('pids', 'pids.current'), '3\n');
  await put(d('pids', 'pids.max'), 'max\n');
  await put(d('blkio', 'blkio.throttle.io_service_bytes_recursive'), '254:0 Read 100\n254:0 Write 200\n254:0 Total 300\nTotal 300\n');
  await put(d('blkio', 'blkio.throttle.io_serviced_recursive'), '254:0 Read 1\n254:0 Write 2\nTotal 3\n');
  return write;
}

describe('cgroup paths', () => {
  it('maps separately mounted cpu/cpuacct and combined cpu,cpuacct', () => {
    const mounts = parseCgroupMounts([
      '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
    ].join('\n'));
    const dirs = resolveCgroupDirs(mounts, parseProcCgroup('2:cpu,cpuacct:/p/x\n4:memory:/p/x\n0::/p/x\n'));
    assert.equal(dirs.mode, 'v1');
    assert.equal(dirs.v1.cpu, '/sys/fs/cgroup/cpu,cpuacct/p/x');
    assert.equal(dirs.v1.cpuacct, '/sys/fs/cgroup/cpu,cpuacct/p/x');
    assert.equal(dirs.v1.memory, '/sys/fs/cgroup/memory/p/x');
    assert.equal(dirs.v2, '/sys/fs/cgroup/unified/p/x');
  });

  it('pure v2 host', () => {
    const mounts = parseCgroupMounts('25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate');
    const dirs = resolveCgroupDirs(mounts, parseProcCgroup('0::/berth/abc\n'));
    assert.deepEqual(dirs, { v1: {}, v2: '/sys/fs/cgroup/berth/abc', mode: 'v2' });
  });

  it('parses /proc/stat, io.stat and net/dev', () => {
    assert.deepEqual(parseProcStat('cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1\ncpu1 1\nintr 5\n'), { system: 28e7, onlineCpus: 2 });
    assert.deepEqual(parseIoStatV2('8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n').bytes, [
      { major: 8, minor: 0, op: 'read', value: 10 },
      { major: 8, minor: 0, op: 'write', value: 20 },
    ]);
    const net = parseNetDev(NET_DEV)!;
    assert.deepEqual(Object.keys(net), ['eth0']);
    assert.equal(net.eth0!.rx_bytes, 1500);
    assert.equal(net.eth0!.tx_dropped, 4);
  });
});

describe('stats sampler (fake cgroup tree)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp('/tmp/berth-stats-test-');
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('builds dockerd JSON, CPU % from precpu, one shared read, no clock without watchers', async () => {
    const cpu = { v: 1e9 };
    const write = await fakeV1(root, 4242, cpu);
    const target: StatsTarget = { id: 'abc'.padEnd(64, '0'), name: 'web', pid: 4242, running: true };
    const s = new StatsSampler({
      lookup: (ref) => {
        if (!target.id.startsWith(ref) && ref !== 'web') throw new Error('not found');
        return target;
      },
      locator: new CgroupLocator({ proc: join(root, 'proc') }),
      intervalMs: 100,
      lingerMs: 150,
      machineMemory: 1 << 30,
    });
    try {
      assert.equal(s.activeCount(), 0);
      const first = s.once('web');
      setTimeout(() => {
        cpu.v = 2e9;
        void write();
      }, 300);
      const r = await first;
      assert.equal(r.name, '/web');
      assert.equal(r.id, target.id);
      assert.equal(r.cpu_stats.cpu_usage.total_usage, 2e9);
      assert.equal(r.precpu_stats.cpu_usage.total_usage, 1e9);
      assert.deepEqual(r.cpu_stats.cpu_usage.percpu_usage, [1e9, 1e9]);
      assert.equal(r.cpu_stats.cpu_usage.usage_in_usermode, 30e7);
      assert.equal(r.cpu_stats.online_cpus, 2);
      // docker's formula: Δtotal / Δsystem × online CPUs × 100 = 1e9 / 4e9 × 2 × 100.
      const pct = ((r.cpu_stats.cpu_usage.total_usage - r.precpu_stats.cpu_usage.total_usage) /
        (r.cpu_stats.system_cpu_usage! - r.precpu_stats.system_cpu_usage!)) * r.cpu_stats.online_cpus! * 100;
      assert.equal(pct, 50);
      assert.equal(r.memory_stats.limit, 1 << 30, 'unlimited → machine memory');
      assert.equal(r.memory_stats.usage, 10485760);
      assert.equal(r.memory_stats.max_usage, 20971520);
      assert.equal(r.memory_stats.stats!.total_inactive_file, 2097152);
      assert.deepEqual(r.pids_stats, { current: 3 });
      assert.deepEqual(r.blkio_stats.io_service_bytes_recursive, [
        { major: 254, minor: 0, op: 'Read', value: 100 },
        { major: 254, minor: 0, op: 'Write', value: 200 },
        { major: 254, minor: 0, op: 'Total', value: 300 },
      ]);
      assert.deepEqual(r.cpu_stats.throttling_data, { periods: 10, throttled_periods: 4, throttled_time: 5000 });
      assert.equal(r.networks!.eth0!.rx_bytes, 1500);
      assert.deepEqual(Object.keys(r), ['read', 'preread', 'pids_stats', 'blkio_stats', 'num_procs', 'storage_stats',
        'cpu_stats', 'precpu_stats', 'memory_stats', 'name', 'id', 'networks']);

      // A second request right away is answered from the kept samples without waiting.
      const t0 = Date.now();
      const again = await s.once('web');
      assert.ok(Date.now() - t0 < 200, 'warm answer is immediate');
      assert.ok(again.precpu_stats.system_cpu_usage! > 0);

      // Streaming: two watchers share one sampler; after they leave and the linger passes, the clock stops.
      const a: number[] = [];
      const b: number[] = [];
      const jsonA: (() => string)[] = [];
      const jsonB: (() => string)[] = [];
      const stopA = await s.watch('web', (x, j) => (a.push(x.cpu_stats.cpu_usage.total_usage), jsonA.push(j)));
      const stopB = await s.watch('web', (x, j) => (b.push(x.cpu_stats.cpu_usage.total_usage), jsonB.push(j)));
      const readsBefore = s.reads;
      await new Promise((r) => setTimeout(r, 450));
      stopA();
      stopB();
      assert.ok(a.length >= 3 && b.length >= 3, `${a.length} ${b.length}`);
      assert.ok(s.reads - readsBefore <= 6, `one read per tick shared: ${s.reads - readsBefore}`);
      // One serialization per sample, shared: the same closure reaches both watchers of a tick.
      const last = jsonA[jsonA.length - 1]!;
      assert.ok(jsonB.includes(last));
      assert.equal(last(), last());
      assert.equal(JSON.parse(last()).name, '/web');

      // Limits are re-read every 10 s, or at once after limitsChanged (docker update).
      const mem = join(root, 'sys/fs/cgroup/memory/berth/abc/memory.limit_in_bytes');
      await writeFile(mem, '104857600\n');
      assert.equal((await s.once('web', { oneShot: true })).memory_stats.limit, 1 << 30, 'cached limit');
      s.limitsChanged('web');
      await new Promise((r) => setTimeout(r, 10));
      assert.equal((await s.once('web', { oneShot: true })).memory_stats.limit, 104857600);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(s.activeCount(), 0);
      const idle = s.reads;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(s.reads, idle, 'no reads without watchers');

      target.running = false;
      const stopped = await s.once('web');
      assert.equal(stopped.read, '0001-01-01T00:00:00Z');
      assert.deepEqual(stopped.memory_stats, {});
    } finally {
      s.close();
    }
  });
});
