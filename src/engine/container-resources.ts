// Resource limits as dockerd checks them (daemon/daemon_unix.go verifyPlatformContainerResources), against what this
// host really has: CPU count and cpuset, whether the I/O scheduler has weights (it has none here: findings §2), and the
// major:minor of throttled block devices.
import { readFile, stat, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { invalidArgument } from '../base/errors.ts';
import type { HostConfig } from '../spec/docker-api.ts';
import type { LinuxBlockIO, LinuxResources, LinuxThrottleDevice } from '../spec/oci-runtime.ts';
import { buildResources } from '../runtime/oci-spec.ts';

export interface HostResources {
  ncpu: number;
  /** cpuset.cpus of the root cpuset (e.g. "0-1"). */
  cpus: string;
  mems: string;
  blkioWeight: boolean;
  cgroupVersion: '1' | '2';
}

const MIN_MEMORY = 6 * 1024 * 1024;

async function firstText(paths: string[]): Promise<string> {
  for (const p of paths) {
    const t = await readFile(p, 'utf8').catch(() => '');
    if (t.trim()) return t.trim();
  }
  return '';
}

let cached: Promise<HostResources> | null = null;

export function hostResources(root = '/sys'): Promise<HostResources> {
  if (root !== '/sys') return probe(root);
  cached ??= probe(root);
  return cached;
}

async function probe(root: string): Promise<HostResources> {
  const v2 = await stat(`${root}/fs/cgroup/cgroup.controllers`).then(() => true, () => false);
  const ncpu = availableParallelism();
  const cpus = (await firstText([`${root}/fs/cgroup/cpuset/cpuset.cpus`, `${root}/fs/cgroup/cpuset.cpus.effective`, `${root}/devices/system/cpu/online`])) || `0-${ncpu - 1}`;
  const mems = (await firstText([`${root}/fs/cgroup/cpuset/cpuset.mems`, `${root}/fs/cgroup/cpuset.mems.effective`, `${root}/devices/system/node/online`])) || '0';
  let blkioWeight: boolean;
  if (v2) {
    // v2 has io.weight (or io.bfq.weight) in child cgroups when the io controller is enabled and a scheduler weighs.
    const ctrls = await readFile(`${root}/fs/cgroup/cgroup.controllers`, 'utf8').catch(() => '');
    blkioWeight = ctrls.split(/\s+/).includes('io') && (await readdir(`${root}/fs/cgroup`).catch(() => [] as string[])).some((f) => f === 'io.bfq.weight' || f === 'io.weight');
  } else {
    const files = await readdir(`${root}/fs/cgroup/blkio`).catch(() => [] as string[]);
    blkioWeight = files.includes('blkio.weight') || files.includes('blkio.bfq.weight');
  }
  return { ncpu, cpus, mems, blkioWeight, cgroupVersion: v2 ? '2' : '1' };
}

/** "0-2,4" → {0,1,2,4}; null when malformed (Docker's parsers.ParseUintList). */
export function parseCpuList(s: string): Set<number> | null {
  const out = new Set<number>();
  if (s.trim() === '') return out;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) return null;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}

type Resources = Pick<
  HostConfig,
  'Memory' | 'MemorySwap' | 'MemoryReservation' | 'MemorySwappiness' | 'NanoCpus' | 'CpuQuota' | 'CpuPeriod' | 'CpuShares' |
  'CpusetCpus' | 'CpusetMems' | 'PidsLimit' | 'BlkioWeight' | 'BlkioWeightDevice' | 'ShmSize' | 'OomKillDisable'
>;

/** Throws dockerd's message for a limit this host cannot give; returns dockerd's warnings. */
export function validateResources(hc: Resources, host: HostResources, opts: { update?: boolean } = {}): string[] {
  const warnings: string[] = [];
  const memory = hc.Memory ?? 0;
  if (memory !== 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB', 'invalid_memory');
  const swap = hc.MemorySwap ?? 0;
  if (!opts.update && memory === 0 && swap > 0) {
    throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (memory > 0 && swap > 0 && swap < memory) {
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  const reservation = hc.MemoryReservation ?? 0;
  if (reservation !== 0 && reservation < MIN_MEMORY) throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  const swappiness = hc.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw invalidArgument(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  const nano = hc.NanoCpus ?? 0;
  if (nano !== 0 && ((hc.CpuQuota ?? 0) > 0 || (hc.CpuPeriod ?? 0) > 0) && !opts.update) {
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (nano < 0 || nano > host.ncpu * 1e9) {
    throw invalidArgument(`Range of CPUs is from 0.01 to ${host.ncpu}.00, as there are only ${host.ncpu} CPUs available`);
  }
  if ((hc.CpuShares ?? 0) < 0) throw invalidArgument(`Invalid value: ${hc.CpuShares}, CPU shares must be a positive number`);
  const period = hc.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = hc.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  checkCpuset(hc.CpusetCpus, host.cpus, 'cpus', 'CPUs');
  checkCpuset(hc.CpusetMems, host.mems, 'mems', 'memory nodes');
  const weight = hc.BlkioWeight ?? 0;
  if (weight > 0 || (hc.BlkioWeightDevice?.length ?? 0) > 0) {
    if (weight > 0 && (weight < 10 || weight > 1000)) throw invalidArgument('Range of blkio weight is from 10 to 1000');
    if (!host.blkioWeight) {
      // dockerd only warns and drops the weight; a limit that silently does nothing is worse, so refuse it.
      throw invalidArgument(
        'Your kernel does not support Block I/O weight or the cgroup is not mounted: this host has no blkio.weight ' +
          '(the block I/O scheduler has no weights); use --device-read-bps/--device-write-bps throttles instead',
        'blkio_weight_unsupported',
      );
    }
  }
  if ((hc.ShmSize ?? 0) < 0) throw invalidArgument('SHM size can not be less than 0');
  if (hc.OomKillDisable && host.cgroupVersion === '2') {
    warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
  }
  if (hc.OomKillDisable && memory === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  return warnings;
}

function checkCpuset(value: string | undefined, available: string, what: 'cpus' | 'mems', noun: string): void {
  if (!value) return;
  const want = parseCpuList(value);
  if (!want) throw invalidArgument(`Invalid value ${value} for cpuset ${what}`);
  const have = parseCpuList(available) ?? new Set<number>();
  for (const c of want) {
    if (!have.has(c)) throw invalidArgument(`Requested ${noun} are not available - requested ${value}, available: ${available}`);
  }
}

/** Linux's dev_t split (glibc major()/minor()). */
export function devNumbers(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  const major = Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
  const minor = Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
  return { major, minor };
}

async function throttles(list: { Path: string; Rate: number }[] | null | undefined): Promise<LinuxThrottleDevice[] | undefined> {
  if (!list?.length) return undefined;
  const out: LinuxThrottleDevice[] = [];
  for (const d of list) {
    const st = await stat(d.Path).catch((e: NodeJS.ErrnoException) => {
      throw invalidArgument(`stat ${d.Path}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    });
    if (!st.isBlockDevice()) throw invalidArgument(`${d.Path} is not a block device`);
    out.push({ ...devNumbers(st.rdev), rate: d.Rate });
  }
  return out;
}

/** --device-{read,write}-{bps,iops} → OCI blockIO throttles (major:minor resolved now, like dockerd at start). */
export async function resolveBlockIO(hc: HostConfig): Promise<LinuxBlockIO | undefined> {
  const io: LinuxBlockIO = {};
  const rb = await throttles(hc.BlkioDeviceReadBps);
  const wb = await throttles(hc.BlkioDeviceWriteBps);
  const ri = await throttles(hc.BlkioDeviceReadIOps);
  const wi = await throttles(hc.BlkioDeviceWriteIOps);
  if (rb) io.throttleReadBpsDevice = rb;
  if (wb) io.throttleWriteBpsDevice = wb;
  if (ri) io.throttleReadIOPSDevice = ri;
  if (wi) io.throttleWriteIOPSDevice = wi;
  if (hc.BlkioWeight) io.weight = hc.BlkioWeight;
  return Object.keys(io).length ? io : undefined;
}

/** The LinuxResources `runc update` gets for a HostConfig (the same mapping the spec builder uses at start). */
export async function linuxResourcesOf(hc: HostConfig): Promise<LinuxResources> {
  const res = buildResources({
    resources: {
      memory: hc.Memory || undefined,
      memorySwap: hc.MemorySwap || undefined,
      memoryReservation: hc.MemoryReservation || undefined,
      cpuShares: hc.CpuShares || undefined,
      cpuQuota: hc.CpuQuota || undefined,
      cpuPeriod: hc.CpuPeriod || undefined,
      cpusetCpus: hc.CpusetCpus || undefined,
      cpusetMems: hc.CpusetMems || undefined,
      // update can lift a pids limit: -1 is "max" for runc.
      pidsLimit: hc.PidsLimit === undefined || hc.PidsLimit === null ? undefined : hc.PidsLimit > 0 ? hc.PidsLimit : -1,
      nanoCpus: hc.NanoCpus || undefined,
      blockIO: await resolveBlockIO(hc),
    },
  });
  // Lifting a CPU limit: runc keeps a field that is absent, so say "no quota" explicitly.
  if (!hc.NanoCpus && !hc.CpuQuota) res.cpu = { ...(res.cpu ?? {}), quota: -1 };
  return res;
}
