// The resolved Compose model: every service in its canonical (long) form, as `compose config` prints it.

export type Condition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface PortConfig {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: string;
  mode?: string;
  name?: string;
  app_protocol?: string;
}

export interface VolumeMount {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean; propagation?: string; selinux?: string };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  network?: string;
  no_cache?: boolean;
  pull?: boolean;
  tags?: string[];
}

export interface HealthcheckConfig {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

export interface DependsOn {
  condition: Condition;
  restart?: boolean;
  required: boolean;
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  priority?: number;
}

/** A service in canonical form. Keys mirror the compose file; only the forms differ (lists vs maps, long syntax). */
export interface Service {
  name: string;
  image?: string;
  build?: BuildConfig;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  env_file?: string[];
  ports?: PortConfig[];
  expose?: string[];
  volumes?: VolumeMount[];
  tmpfs?: string[];
  networks?: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  depends_on?: Record<string, DependsOn>;
  healthcheck?: HealthcheckConfig;
  restart?: string;
  scale?: number;
  deploy?: {
    replicas?: number;
    resources?: { limits?: { cpus?: string | number; memory?: string; pids?: number }; reservations?: { cpus?: string | number; memory?: string } };
    restart_policy?: { condition?: string; max_attempts?: number };
    [k: string]: unknown;
  };
  labels?: Record<string, string>;
  container_name?: string;
  hostname?: string;
  domainname?: string;
  working_dir?: string;
  user?: string;
  init?: boolean;
  read_only?: boolean;
  stop_signal?: string;
  stop_grace_period?: string;
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  extra_hosts?: string[];
  dns?: string[];
  dns_search?: string[];
  dns_opt?: string[];
  mem_limit?: string | number;
  mem_reservation?: string | number;
  memswap_limit?: string | number;
  cpus?: string | number;
  cpu_shares?: number;
  pids_limit?: number;
  shm_size?: string | number;
  profiles?: string[];
  tty?: boolean;
  stdin_open?: boolean;
  security_opt?: string[];
  sysctls?: Record<string, string>;
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  logging?: { driver?: string; options?: Record<string, string> };
  pull_policy?: string;
  platform?: string;
  ipc?: string;
  pid?: string;
  group_add?: string[];
  [k: `x-${string}`]: unknown;
}

export interface NetworkConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv6?: boolean;
  ipam?: { driver?: string; config?: { subnet?: string; gateway?: string; ip_range?: string }[]; options?: Record<string, string> };
  labels?: Record<string, string>;
}

export interface VolumeConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface Project {
  name: string;
  workingDir: string;
  configFiles: string[];
  /** Services enabled by the active profiles. */
  services: Record<string, Service>;
  /** Services left out by profiles (still known, e.g. for `run`). */
  disabledServices: Record<string, Service>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  /** Variables used for interpolation (process env over .env). */
  environment: Record<string, string>;
  /** Which file a service was (last) defined in, for error messages. */
  serviceFiles: Record<string, string>;
}

export class ComposeError extends Error {}
