// Raw cgroup samples → the Engine API's stats JSON, field for field as dockerd writes it (daemon/stats_unix.go),
// so the docker CLI's CPU % (delta total_usage / delta system_cpu_usage × online_cpus) and memory (usage minus
// total_inactive_file on v1, inactive_file on v2) come out the same as against dockerd.
import type { BlkioStats, CpuStats, StatsResponse } from '../spec/stats-api.ts';
import type { RawSample } from './cgroup-stats.ts';

export const TIME_ZERO = '0001-01-01T00:00:00Z';

function emptyCpu(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

function emptyBlkio(): BlkioStats {
  return {
    io_service_bytes_recursive: null,
    io_serviced_recursive: null,
    io_queue_recursive: null,
    io_service_time_recursive: null,
    io_wait_time_recursive: null,
    io_merged_recursive: null,
    io_time_recursive: null,
    sectors_recursive: null,
  };
}

function cpuOf(s: RawSample): CpuStats {
  // dockerd's field order: total, percpu (v1 only), kernel, user.
  const usage: CpuStats['cpu_usage'] = s.cpu.percpu
    ? { total_usage: s.cpu.total, percpu_usage: s.cpu.percpu, usage_in_kernelmode: s.cpu.kernel, usage_in_usermode: s.cpu.user }
    : { total_usage: s.cpu.total, usage_in_kernelmode: s.cpu.kernel, usage_in_usermode: s.cpu.user };
  return {
    cpu_usage: usage,
    system_cpu_usage: s.system,
    online_cpus: s.onlineCpus,
    throttling_data: { ...s.cpu.throttling },
  };
}

/** A stopped container: dockerd answers with only name and id set. */
export function emptyStats(meta: { id: string; name: string }): StatsResponse {
  return {
    read: TIME_ZERO,
    preread: TIME_ZERO,
    pids_stats: {},
    blkio_stats: emptyBlkio(),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: emptyCpu(),
    precpu_stats: emptyCpu(),
    memory_stats: {},
    name: '/' + meta.name.replace(/^\//, ''),
    id: meta.id,
  };
}

export function toStatsResponse(
  cur: RawSample,
  prev: RawSample | null,
  meta: { id: string; name: string; machineMemory: number },
): StatsResponse {
  const out = emptyStats(meta);
  out.read = cur.read;
  out.preread = prev?.read ?? TIME_ZERO;
  if (cur.pids.current !== undefined) {
    out.pids_stats = { current: cur.pids.current };
    if (cur.pids.limit !== undefined) out.pids_stats.limit = cur.pids.limit;
  }
  out.blkio_stats.io_service_bytes_recursive = cur.blkio.bytes.length ? cur.blkio.bytes : null;
  out.blkio_stats.io_serviced_recursive = cur.blkio.ios.length ? cur.blkio.ios : null;
  out.cpu_stats = cpuOf(cur);
  out.precpu_stats = prev ? cpuOf(prev) : emptyCpu();
  const m = cur.memory;
  // An unlimited cgroup reports a huge number; dockerd shows the machine's memory instead.
  const limit = m.limit > meta.machineMemory && meta.machineMemory > 0 ? meta.machineMemory : m.limit;
  out.memory_stats = { usage: m.usage, stats: m.stats, limit };
  if (m.maxUsage !== undefined) out.memory_stats.max_usage = m.maxUsage;
  if (m.failcnt) out.memory_stats.failcnt = m.failcnt;
  if (cur.networks) out.networks = cur.networks;
  return out;
}
