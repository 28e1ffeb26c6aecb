// GET /containers/{id}/stats and GET /system/df wire shapes (Engine API; moby api/types/container/stats.go,
// api/types/system/disk_usage.go). Field names and omitempty behaviour follow dockerd.

export interface CpuUsage {
  total_usage: number;
  /** cgroup v1 only (cpuacct.usage_percpu); dockerd omits it on v2. */
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}

export interface ThrottlingData {
  periods: number;
  throttled_periods: number;
  throttled_time: number;
}

export interface CpuStats {
  cpu_usage: CpuUsage;
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: ThrottlingData;
}

export interface MemoryStats {
  usage?: number;
  max_usage?: number;
  stats?: Record<string, number>;
  failcnt?: number;
  limit?: number;
}

export interface BlkioStatEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface BlkioStats {
  io_service_bytes_recursive: BlkioStatEntry[] | null;
  io_serviced_recursive: BlkioStatEntry[] | null;
  io_queue_recursive: BlkioStatEntry[] | null;
  io_service_time_recursive: BlkioStatEntry[] | null;
  io_wait_time_recursive: BlkioStatEntry[] | null;
  io_merged_recursive: BlkioStatEntry[] | null;
  io_time_recursive: BlkioStatEntry[] | null;
  sectors_recursive: BlkioStatEntry[] | null;
}

export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

export interface StatsResponse {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: BlkioStats;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: MemoryStats;
  name: string;
  id: string;
  networks?: Record<string, NetworkStats>;
}

export interface ContainerUpdateBody {
  BlkioWeight?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  KernelMemory?: number;
  NanoCpus?: number;
  PidsLimit?: number | null;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  [key: string]: unknown;
}

export interface DiskUsageImage {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

export interface DiskUsageVolume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Scope: string;
  Options: Record<string, string> | null;
  UsageData: { Size: number; RefCount: number } | null;
}

export interface DiskUsage {
  LayersSize: number;
  Images: DiskUsageImage[];
  Containers: Record<string, unknown>[];
  Volumes: DiskUsageVolume[];
  BuildCache: unknown[];
}
