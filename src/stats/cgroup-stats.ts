// One reading of a container's cgroup counters, straight from the files (no runc call): cgroup v1 (cpuacct, cpu,
// memory, pids, blkio; findings §2) or v2 (cpu.stat, memory.current, memory.stat, pids.*, io.stat), plus the
// container's own view of /proc/<pid>/net/dev (its netns, so no setns is needed).
import { SmallFileReader } from '../sys/small-file-reader.ts';
import { join } from 'node:path';
import type { BlkioStatEntry, NetworkStats } from '../spec/stats-api.ts';
import type { CgroupDirs } from './cgroup-paths.ts';

export interface RawSample {
  /** Date.now() when read. */
  at: number;
  /** RFC 3339 with nanosecond-style precision, as dockerd prints `read`. */
  read: string;
  cpu: {
    total: number;
    percpu?: number[];
    kernel: number;
    user: number;
    throttling: { periods: number; throttled_periods: number; throttled_time: number };
  };
  /** /proc/stat's first line in ns (dockerd's system_cpu_usage). */
  system: number;
  onlineCpus: number;
  memory: { usage: number; maxUsage?: number; limit: number; failcnt?: number; stats: Record<string, number> };
  pids: { current?: number; limit?: number };
  blkio: { bytes: BlkioStatEntry[]; ios: BlkioStatEntry[] };
  networks?: Record<string, NetworkStats>;
}

/** USER_HZ: cpuacct.stat and /proc/stat count in 1/100 s. */
const NS_PER_TICK = 1e7;

// One shared off-thread reader: sampling is a hot path (every watched container, every second).
let reader: SmallFileReader | null = null;

async function text(path: string): Promise<string> {
  reader ??= new SmallFileReader();
  return (await reader.read(path)) ?? '';
}

function num(s: string): number {
  const t = s.trim();
  if (t === '' || t === 'max') return 0;
  const n = Number(t);
  return Number.isFinite(n) ? n : 0;
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat): scanned in place, no split per line. */
export function parseFlatKeyed(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  let i = 0;
  const n = s.length;
  while (i < n) {
    let nl = s.indexOf('\n', i);
    if (nl < 0) nl = n;
    const sp = s.indexOf(' ', i);
    if (sp > i && sp < nl) {
      const v = Number(s.slice(sp + 1, nl));
      if (Number.isFinite(v)) out[s.slice(i, sp)] = v;
    }
    i = nl + 1;
  }
  return out;
}

/** /proc/stat → system_cpu_usage (ns; user..softirq like dockerd) and online CPUs (cpuN lines). */
export function parseProcStat(s: string): { system: number; onlineCpus: number } {
  let system = 0;
  let onlineCpus = 0;
  for (const line of s.split('\n')) {
    if (line.startsWith('cpu ')) {
      const parts = line.split(/\s+/).slice(1, 8);
      system = parts.reduce((a, p) => a + Number(p), 0) * NS_PER_TICK;
    } else if (/^cpu\d/.test(line)) onlineCpus++;
  }
  return { system, onlineCpus };
}

/** blkio.throttle.io_service_bytes_recursive: "8:0 Read 123" lines (the bare "Total" line is dropped, per-device Total kept, like dockerd). */
export function parseBlkioV1(s: string): BlkioStatEntry[] {
  const out: BlkioStatEntry[] = [];
  for (const line of s.split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

/** io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." → dockerd's lower-case read/write entries. */
export function parseIoStatV2(s: string): { bytes: BlkioStatEntry[]; ios: BlkioStatEntry[] } {
  const bytes: BlkioStatEntry[] = [];
  const ios: BlkioStatEntry[] = [];
  for (const line of s.split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(kvs.map((x) => x.split('=')).map(([k, v]) => [k, Number(v)]));
    const major = Number(m[1]);
    const minor = Number(m[2]);
    bytes.push({ major, minor, op: 'read', value: kv.rbytes ?? 0 }, { major, minor, op: 'write', value: kv.wbytes ?? 0 });
    ios.push({ major, minor, op: 'read', value: kv.rios ?? 0 }, { major, minor, op: 'write', value: kv.wios ?? 0 });
  }
  return { bytes, ios };
}

/** /proc/<pid>/net/dev: every interface but loopback, with dockerd's field names. */
export function parseNetDev(s: string): Record<string, NetworkStats> | undefined {
  const out: Record<string, NetworkStats> = {};
  for (const line of s.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    out[name] = {
      rx_bytes: f[0] ?? 0, rx_packets: f[1] ?? 0, rx_errors: f[2] ?? 0, rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0, tx_packets: f[9] ?? 0, tx_errors: f[10] ?? 0, tx_dropped: f[11] ?? 0,
    };
  }
  return Object.keys(out).length ? out : undefined;
}

export interface SystemCpuSource {
  read(): Promise<{ system: number; onlineCpus: number }>;
}

/** /proc/stat, shared by every container sampled in the same instant (one read per 100 ms at most). */
export class ProcStat implements SystemCpuSource {
  private readonly path: string;
  private last: { at: number; value: Promise<{ system: number; onlineCpus: number }> } | null = null;
  constructor(procRoot = '/proc') {
    this.path = join(procRoot, 'stat');
  }
  read(): Promise<{ system: number; onlineCpus: number }> {
    const now = Date.now();
    if (this.last && now - this.last.at < 100) return this.last.value;
    const value = text(this.path).then(parseProcStat);
    this.last = { at: now, value };
    return value;
  }
}

function isoNow(ms: number): string {
  // dockerd prints nanoseconds; we have milliseconds plus a monotonic sub-millisecond part.
  const frac = String(Math.floor((performance.now() % 1) * 1e6)).padStart(6, '0');
  return new Date(ms).toISOString().replace(/Z$/, `${frac}Z`);
}

/** Files whose values rarely change (limits) are re-read only this often; `docker update` shows within it. */
export const SLOW_FILE_MS = 10_000;

/** A container's file paths, joined once (not per tick), and its slowly changing values. */
interface ReadPlan {
  fast: string[];
  slow: string[];
  slowAt: number;
  slowValues: string[];
}
const plans = new WeakMap<CgroupDirs, ReadPlan>();

function planFor(dirs: CgroupDirs, pid: number, procRoot: string): ReadPlan {
  let p = plans.get(dirs);
  if (p) return p;
  const netDev = join(procRoot, String(pid), 'net/dev');
  if (dirs.mode === 'v1') {
    const d = dirs.v1;
    const acct = d.cpuacct ?? '';
    const cpu = d.cpu ?? acct;
    const mem = d.memory ?? '';
    const fast = [
      join(acct, 'cpuacct.usage'), join(acct, 'cpuacct.usage_percpu'), join(acct, 'cpuacct.stat'), join(cpu, 'cpu.stat'),
      join(mem, 'memory.usage_in_bytes'), join(mem, 'memory.max_usage_in_bytes'), join(mem, 'memory.failcnt'),
      join(mem, 'memory.stat'), d.pids ? join(d.pids, 'pids.current') : '',
      d.blkio ? join(d.blkio, 'blkio.throttle.io_service_bytes_recursive') : '',
      d.blkio ? join(d.blkio, 'blkio.throttle.io_serviced_recursive') : '', netDev,
    ];
    p = { fast, slow: [join(mem, 'memory.limit_in_bytes'), d.pids ? join(d.pids, 'pids.max') : ''], slowAt: 0, slowValues: [] };
  } else {
    const dir = dirs.v2 ?? '';
    const fast = ['cpu.stat', 'memory.current', 'memory.stat', 'pids.current', 'io.stat'].map((f) => join(dir, f));
    fast.push(netDev);
    p = { fast, slow: [join(dir, 'memory.max'), join(dir, 'pids.max')], slowAt: 0, slowValues: [] };
  }
  plans.set(dirs, p);
  return p;
}

/** Limits were changed (`docker update`): the next sample re-reads them. */
export function invalidateSlowFiles(dirs: CgroupDirs): void {
  const p = plans.get(dirs);
  if (p) p.slowAt = 0;
}

function readAll(paths: string[]): Promise<string[]> {
  return Promise.all(paths.map((f) => (f ? text(f) : '')));
}

export async function readSample(
  dirs: CgroupDirs,
  opts: { pid: number; procRoot: string; systemCpu: SystemCpuSource },
): Promise<RawSample> {
  const plan = planFor(dirs, opts.pid, opts.procRoot);
  const at = Date.now();
  const sys = opts.systemCpu.read();
  const refreshSlow = at - plan.slowAt >= SLOW_FILE_MS;
  const [fast, slow] = await Promise.all([readAll(plan.fast), refreshSlow ? readAll(plan.slow) : plan.slowValues]);
  if (refreshSlow) {
    plan.slowValues = slow;
    plan.slowAt = at;
  }
  const sample = dirs.mode === 'v1' ? fromV1(fast, slow, at) : fromV2(fast, slow, at);
  const { system, onlineCpus } = await sys;
  return { ...sample, system, onlineCpus, networks: parseNetDev(fast[fast.length - 1]!) };
}

function fromV1(f: string[], slow: string[], at: number): Omit<RawSample, 'system' | 'onlineCpus' | 'networks'> {
  const [usage, percpu, acctStat, cpuStat, mUsage, mMax, mFail, mStat, pCur, bBytes, bIos] = f as [string, string, string, string, string, string, string, string, string, string, string];
  const [mLimit, pMax] = slow as [string, string];
  const as = parseFlatKeyed(acctStat);
  const cs = parseFlatKeyed(cpuStat);
  const pidsMax = pMax.trim();
  const pc = percpu.trim();
  return {
    at,
    read: isoNow(at),
    cpu: {
      total: num(usage),
      percpu: pc ? pc.split(' ').map(Number) : undefined,
      kernel: (as.system ?? 0) * NS_PER_TICK,
      user: (as.user ?? 0) * NS_PER_TICK,
      throttling: { periods: cs.nr_periods ?? 0, throttled_periods: cs.nr_throttled ?? 0, throttled_time: cs.throttled_time ?? 0 },
    },
    memory: { usage: num(mUsage), maxUsage: num(mMax), limit: num(mLimit), failcnt: num(mFail), stats: parseFlatKeyed(mStat) },
    pids: {
      current: pCur.trim() ? num(pCur) : undefined,
      limit: pidsMax && pidsMax !== 'max' ? num(pidsMax) : undefined,
    },
    blkio: { bytes: bBytes ? parseBlkioV1(bBytes) : [], ios: bIos ? parseBlkioV1(bIos) : [] },
  };
}

function fromV2(f: string[], slow: string[], at: number): Omit<RawSample, 'system' | 'onlineCpus' | 'networks'> {
  const [cpuStat, mCur, mStat, pCur, io] = f as [string, string, string, string, string];
  const [mMax, pMax] = slow as [string, string];
  const cs = parseFlatKeyed(cpuStat);
  const pidsMax = pMax.trim();
  const limit = mMax.trim();
  return {
    at,
    read: isoNow(at),
    cpu: {
      total: (cs.usage_usec ?? 0) * 1000,
      kernel: (cs.system_usec ?? 0) * 1000,
      user: (cs.user_usec ?? 0) * 1000,
      throttling: { periods: cs.nr_periods ?? 0, throttled_periods: cs.nr_throttled ?? 0, throttled_time: (cs.throttled_usec ?? 0) * 1000 },
    },
    memory: { usage: num(mCur), limit: limit === 'max' || limit === '' ? Number.MAX_SAFE_INTEGER : num(limit), stats: parseFlatKeyed(mStat) },
    pids: {
      current: pCur.trim() ? num(pCur) : undefined,
      limit: pidsMax && pidsMax !== 'max' ? num(pidsMax) : undefined,
    },
    blkio: parseIoStatV2(io),
  };
}
