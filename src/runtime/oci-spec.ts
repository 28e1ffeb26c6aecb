// Builds runc's config.json from a container's Docker-style configuration, the way dockerd does (its default spec
// plus the per-container options), with two host-safety rules Docker does not need on its own hosts:
// capabilities are cut to the daemon's bounding set, and no rlimit goes above the daemon's own hard limit
// (runc cannot raise either without CAP_SYS_RESOURCE; see shared/design/runtime-findings.md §0).
import { access, lstat, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { invalidArgument } from '../base/errors.ts';
import {
  OCI_VERSION,
  type LinuxDevice,
  type LinuxDeviceCgroup,
  type LinuxNamespace,
  type LinuxResources,
  type Mount,
  type POSIXRlimit,
  type Spec,
} from '../spec/oci-runtime.ts';
import { intersectWithBounding, tweakCapabilities } from './capabilities.ts';
import { compileSeccompProfile, defaultSeccompProfile, dockerArch, parseSeccompProfile } from './seccomp-default.ts';
import { resolveUser } from './user-lookup.ts';

export type { Spec } from '../spec/oci-runtime.ts';

export interface HostLimits {
  capBnd: bigint;
  /** Keys like 'RLIMIT_NOFILE'; Infinity means unlimited. */
  rlimits: Record<string, { soft: number; hard: number }>;
  /** Running kernel, for seccomp minKernel filters; os.release() when absent. */
  kernelRelease?: string;
  /** Docker arch name (amd64, arm64, ...); from process.arch when absent. */
  arch?: string;
  /** Host device nodes given to privileged containers; /dev is scanned when absent. */
  devices?: LinuxDevice[];
}

export interface SpecInput {
  id: string;
  rootfs: string;
  readonlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  groupAdd?: string[];
  hostname: string;
  domainname?: string;
  tty: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  init?: { hostPath: string };
  network: { mode: 'none' | 'host' } | { mode: 'netns'; path: string };
  ipcMode?: 'private' | 'host' | 'shareable';
  pidMode?: 'private' | 'host';
  utsMode?: 'private' | 'host';
  /** Docker's default is 'host' on cgroup v1 and 'private' on v2; no cgroup namespace unless 'private'. */
  cgroupnsMode?: 'private' | 'host';
  etcFiles?: { hosts?: string; hostname?: string; resolvConf?: string };
  extraMounts?: { source: string; destination: string; type?: string; options: string[] }[];
  /** Host tmpfs to bind at /dev/shm for a 'shareable' IPC namespace; a private tmpfs is used when absent. */
  shmPath?: string;
  cgroupsPath: string;
  resources?: {
    memory?: number;
    memorySwap?: number;
    memoryReservation?: number;
    memorySwappiness?: number;
    cpuShares?: number;
    cpuQuota?: number;
    cpuPeriod?: number;
    cpusetCpus?: string;
    cpusetMems?: string;
    pidsLimit?: number;
    oomKillDisable?: boolean;
    nanoCpus?: number;
    /** Resolved throttles (--device-read-bps ...) and weight; the engine stats the device paths. */
    blockIO?: LinuxResources['blockIO'];
  };
  ulimits?: { Name: string; Soft: number; Hard: number }[];
  shmSize?: number;
  sysctls?: Record<string, string>;
  oomScoreAdj?: number;
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
/** Docker's containers get this NOFILE limit; here it is capped at the daemon's own hard limit. */
export const DEFAULT_NOFILE = 1048576;
const INIT_PATH = '/sbin/docker-init';
const MIN_MEMORY = 6 * 1024 * 1024;
const RLIM_INFINITY_TEXT = '18446744073709551615';

export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
]);

export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
]);

/**
 * Devices-cgroup rules for unprivileged containers: deny everything (fuse explicitly, as Docker does), then mknod
 * of any node, the standard character devices, ptys and tun (Docker's list together with the ones runc appends).
 */
export const DEFAULT_DEVICE_RULES: readonly LinuxDeviceCgroup[] = Object.freeze([
  { allow: false, access: 'rwm' },
  // Before the mknod wildcard: cgroup v1 cannot punch a hole into an existing wildcard rule.
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }, // fuse
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // pts/*
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun
] as LinuxDeviceCgroup[]);

// Docker's ulimit names (go-units) plus 'as'.
const ULIMIT_NAMES = new Set([
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio',
  'rttime', 'sigpending', 'stack',
]);

interface SecurityOptions {
  noNewPrivileges: boolean;
  /** 'default', 'unconfined' or the JSON text of a profile. */
  seccomp: string;
}

const GO_BOOLS: Record<string, boolean> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

/** Docker's --security-opt parsing; apparmor= and label= are accepted and ignored. */
export function parseSecurityOptions(opts: readonly string[]): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: 'default' };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') continue; // label=disable in its legacy spelling
    let key: string;
    let value: string;
    const eq = opt.indexOf('=');
    const colon = opt.indexOf(':');
    if (eq >= 0) [key, value] = [opt.slice(0, eq), opt.slice(eq + 1)];
    else if (colon >= 0) [key, value] = [opt.slice(0, colon), opt.slice(colon + 1)];
    else throw invalidArgument(`invalid --security-opt 1: ${JSON.stringify(opt)}`, 'invalid_security_opt');
    switch (key) {
      case 'label':
      case 'apparmor':
        break;
      case 'seccomp':
        out.seccomp = value === 'builtin' || value === '' ? 'default' : value;
        break;
      case 'no-new-privileges': {
        const b = GO_BOOLS[value];
        if (b === undefined) throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`, 'invalid_security_opt');
        out.noNewPrivileges = b;
        break;
      }
      default:
        throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`, 'invalid_security_opt');
    }
  }
  return out;
}

/** Docker's env merge: overrides replace same-named entries in place, are appended otherwise; bare NAME unsets. */
export function mergeEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: (string | undefined)[] = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(e!.split('=', 1)[0]!, i));
  for (const v of overrides) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    const at = index.get(key);
    if (eq < 0) {
      if (at !== undefined) out[at] = undefined;
      continue;
    }
    if (at !== undefined && out[at] !== undefined) out[at] = v;
    else {
      index.set(key, out.length);
      out.push(v);
    }
  }
  return out.filter((e): e is string => e !== undefined);
}

const rlimitValue = (n: number): number => (n < 0 ? Infinity : n);
const rawJson = (text: string): unknown => (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(text);
const limitJson = (n: number): unknown => (n === Infinity ? rawJson(RLIM_INFINITY_TEXT) : n);

/**
 * An rlimit entry. When a value is unlimited (Infinity) it carries a hidden toJSON, so even a plain JSON.stringify
 * writes RLIM_INFINITY as the exact integer runc expects instead of null.
 */
function rlimit(type: string, hard: number, soft: number): POSIXRlimit {
  const r: POSIXRlimit = { type, hard, soft };
  if (hard === Infinity || soft === Infinity) {
    Object.defineProperty(r, 'toJSON', {
      enumerable: false,
      value(this: POSIXRlimit) {
        return { type: this.type, hard: limitJson(this.hard), soft: limitJson(this.soft) };
      },
    });
  }
  return r;
}
const showLimit = (n: number): string => (n === Infinity ? 'unlimited' : String(n));

function buildRlimits(input: SpecInput, host: HostLimits): POSIXRlimit[] {
  const rlimits: POSIXRlimit[] = [];
  const seen = new Set<string>();
  for (const ul of input.ulimits ?? []) {
    const name = ul.Name.toLowerCase();
    if (!ULIMIT_NAMES.has(name)) throw invalidArgument(`invalid ulimit type: ${ul.Name}`, 'invalid_ulimit');
    const soft = rlimitValue(ul.Soft);
    const hard = rlimitValue(ul.Hard);
    if (soft > hard) {
      throw invalidArgument(
        `ulimit soft limit must be less than or equal to hard limit: ${showLimit(soft)} > ${showLimit(hard)}`,
        'invalid_ulimit',
      );
    }
    const type = `RLIMIT_${name.toUpperCase()}`;
    const hostHard = host.rlimits[type]?.hard ?? Infinity;
    if (hard > hostHard) {
      throw invalidArgument(
        `ulimit ${name}=${showLimit(soft)}:${showLimit(hard)} is above the daemon's own hard limit ` +
          `(${showLimit(hostHard)}); a container cannot be given more than the daemon has`,
        'ulimit_above_host',
      );
    }
    if (seen.has(type)) continue;
    seen.add(type);
    rlimits.push(rlimit(type, hard, soft));
  }
  if (!seen.has('RLIMIT_NOFILE')) {
    const cap = Math.min(DEFAULT_NOFILE, host.rlimits.RLIMIT_NOFILE?.hard ?? Infinity);
    rlimits.push(rlimit('RLIMIT_NOFILE', cap, cap));
  }
  return rlimits;
}

export function buildResources(input: Pick<SpecInput, 'resources'>): LinuxResources {
  const r = input.resources ?? {};
  const res: LinuxResources = {};
  const memory = r.memory ?? 0;
  let swap = r.memorySwap ?? 0;
  const reservation = r.memoryReservation ?? 0;
  if (memory > 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (memory === 0 && swap > 0) {
    throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (memory > 0 && swap > 0 && swap < memory) {
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  // Docker's default swap allowance: as much again as the memory limit.
  if (memory > 0 && swap === 0) swap = memory * 2;
  const mem: NonNullable<LinuxResources['memory']> = {};
  if (memory > 0) mem.limit = memory;
  if (reservation > 0) mem.reservation = reservation;
  if (swap > 0) mem.swap = swap;
  if (r.memorySwappiness !== undefined && r.memorySwappiness >= 0) {
    if (r.memorySwappiness > 100) {
      throw invalidArgument(`Invalid value: ${r.memorySwappiness}, valid memory swappiness range is 0-100`);
    }
    mem.swappiness = r.memorySwappiness;
  }
  if (r.oomKillDisable !== undefined) mem.disableOOMKiller = r.oomKillDisable;
  if (Object.keys(mem).length > 0) res.memory = mem;

  const cpu: NonNullable<LinuxResources['cpu']> = {};
  const nano = r.nanoCpus ?? 0;
  if (nano !== 0) {
    if (r.cpuPeriod) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if (r.cpuQuota) throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    const ncpu = os.availableParallelism();
    if (nano < 0 || nano > ncpu * 1e9) {
      throw invalidArgument(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
    }
    cpu.period = 100000;
    cpu.quota = Math.round((nano * 100000) / 1e9);
  }
  if (r.cpuPeriod) {
    if (r.cpuPeriod < 1000 || r.cpuPeriod > 1000000) {
      throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    }
    cpu.period = r.cpuPeriod;
  }
  if (r.cpuQuota) {
    if (r.cpuQuota > 0 && r.cpuQuota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
    cpu.quota = r.cpuQuota;
  }
  if (r.cpuShares) {
    if (r.cpuShares < 0) throw invalidArgument(`shares: invalid argument (${r.cpuShares})`);
    // The kernel's own bounds for cpu.shares; Docker adjusts rather than fails.
    cpu.shares = Math.min(Math.max(r.cpuShares, 2), 262144);
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) res.cpu = cpu;

  if (r.pidsLimit !== undefined) res.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : -1 };
  if (r.blockIO && Object.keys(r.blockIO).length > 0) res.blockIO = r.blockIO;
  return res;
}

const depth = (dest: string): number => path.posix.normalize(dest).split('/').length;

function clearReadOnly(m: Mount): void {
  m.options = (m.options ?? []).filter((o) => o !== 'ro');
}

function buildMounts(input: SpecInput, ipcMode: string, pidMode: string): Mount[] {
  const shmSize = input.shmSize && input.shmSize > 0 ? input.shmSize : DEFAULT_SHM_SIZE;
  const defaults: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev', 'relatime'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`],
    },
  ];
  // docker-init belongs with the defaults: Docker adds it before user mounts are merged.
  if (input.init && pidMode !== 'host') {
    defaults.push({ destination: INIT_PATH, type: 'bind', source: input.init.hostPath, options: ['bind', 'ro'] });
  }

  // What Docker calls the container's own mounts: IPC, network files, volumes/binds/tmpfs.
  const user: Mount[] = [];
  const bind = (source: string, destination: string, writable: boolean): Mount => ({
    destination,
    type: 'bind',
    source,
    options: writable ? ['rbind', 'rprivate'] : ['rbind', 'ro', 'rprivate'],
  });
  if (ipcMode === 'host') user.push(bind('/dev/shm', '/dev/shm', true));
  else if (ipcMode === 'shareable' && input.shmPath) user.push(bind(input.shmPath, '/dev/shm', true));
  const etc = input.etcFiles ?? {};
  const etcWritable = !input.readonlyRootfs;
  if (etc.resolvConf) user.push(bind(etc.resolvConf, '/etc/resolv.conf', etcWritable));
  if (etc.hostname) user.push(bind(etc.hostname, '/etc/hostname', etcWritable));
  if (etc.hosts) user.push(bind(etc.hosts, '/etc/hosts', etcWritable));
  for (const m of input.extraMounts ?? []) {
    if (!m.destination.startsWith('/')) {
      throw invalidArgument(`invalid mount config: mount path must be absolute: ${m.destination}`, 'invalid_mount');
    }
    user.push({ destination: m.destination, type: m.type ?? 'bind', source: m.source, options: [...m.options] });
  }
  // Parents before children; stable so equal depths keep their order.
  const sorted = user.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i);
  const userDests = new Set(user.map((m) => path.posix.normalize(m.destination)));
  const devMounted = userDests.has('/dev');

  const mounts = defaults.filter(
    (m) => !userDests.has(m.destination) && !(devMounted && m.destination.startsWith('/dev/')),
  );
  if (input.readonlyRootfs) {
    for (const m of mounts) {
      if (['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)) continue;
      if (!m.options?.includes('ro')) m.options = [...(m.options ?? []), 'ro'];
    }
  }
  mounts.push(...sorted.map((x) => x.m));
  if (input.privileged) {
    for (const m of mounts) if (m.destination === '/sys' || m.type === 'cgroup') clearReadOnly(m);
  }
  return mounts;
}

function buildNamespaces(input: SpecInput, ipcMode: string, pidMode: string, utsMode: string): LinuxNamespace[] {
  const ns: LinuxNamespace[] = [{ type: 'mount' }];
  if (input.network.mode === 'netns') ns.push({ type: 'network', path: input.network.path });
  else if (input.network.mode === 'none') ns.push({ type: 'network' });
  if (utsMode !== 'host') ns.push({ type: 'uts' });
  if (pidMode !== 'host') ns.push({ type: 'pid' });
  if (ipcMode !== 'host') ns.push({ type: 'ipc' });
  if (input.cgroupnsMode === 'private') ns.push({ type: 'cgroup' });
  return ns;
}

async function sysctlExists(key: string): Promise<boolean> {
  try {
    await access(path.join('/proc/sys', key.replaceAll('.', '/')));
    return true;
  } catch {
    return false;
  }
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

async function buildSysctls(input: SpecInput, ipcMode: string): Promise<Record<string, string>> {
  const user = input.sysctls ?? {};
  for (const key of Object.keys(user)) {
    if (input.network.mode === 'host' && key.startsWith('net.')) {
      throw invalidArgument(`sysctl "${key}" is not allowed in host network namespace`, 'invalid_sysctl');
    }
    if (ipcMode === 'host' && (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.'))) {
      throw invalidArgument(`sysctl "${key}" is not allowed in host IPC namespace`, 'invalid_sysctl');
    }
  }
  const out: Record<string, string> = {};
  // Docker's defaults for a container's own network namespace: ping without CAP_NET_RAW, low ports without
  // CAP_NET_BIND_SERVICE. Only where the kernel has them, since runc fails on unknown sysctls.
  if (input.network.mode !== 'host') {
    if (await sysctlExists('net.ipv4.ping_group_range')) out['net.ipv4.ping_group_range'] = '0 2147483647';
    if (await sysctlExists('net.ipv4.ip_unprivileged_port_start')) out['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  return { ...out, ...user };
}

/** Builds the OCI runtime spec for one container. Throws invalid_argument errors with Docker's messages. */
export async function buildSpec(input: SpecInput, host: HostLimits): Promise<Spec> {
  if (input.args.length === 0) throw invalidArgument('No command specified', 'no_command');
  const cwdRaw = input.cwd === '' ? '/' : input.cwd;
  if (!cwdRaw.startsWith('/')) {
    throw invalidArgument(`the working directory '${input.cwd}' is invalid, it needs to be an absolute path`);
  }
  // Cleaned like Go's filepath.Clean: no '..', no trailing slash.
  const cwd = path.posix.normalize(cwdRaw).replace(/(.)\/+$/, '$1');
  const ipcMode = input.ipcMode ?? 'private';
  const pidMode = input.pidMode ?? 'private';
  const utsMode = input.utsMode ?? 'private';
  const security = parseSecurityOptions(input.securityOpt);

  const user = await resolveUser(input.rootfs, input.user, { groupAdd: input.groupAdd ?? [] });

  const caps = intersectWithBounding(
    tweakCapabilities({ add: input.capAdd, drop: input.capDrop, privileged: input.privileged }),
    host.capBnd,
  );
  // Like execve for a non-root user: only the bounding set; the process starts with no effective capabilities.
  const capabilities = user.uid === 0 ? { bounding: caps, effective: [...caps], permitted: [...caps] } : { bounding: caps };

  const baseEnv = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${input.hostname}`, ...(input.tty ? ['TERM=xterm'] : [])];
  const env = mergeEnv(baseEnv, input.env);
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);

  const args = input.init && pidMode !== 'host' ? [INIT_PATH, '--', ...input.args] : [...input.args];

  const resources = buildResources(input);
  let devices: LinuxDevice[] = [];
  if (input.privileged) {
    devices = host.devices ?? (await readHostDevices());
    resources.devices = [{ allow: true, access: 'rwm' }];
  } else {
    resources.devices = DEFAULT_DEVICE_RULES.map((d) => ({ ...d }));
  }

  let seccomp: NonNullable<Spec['linux']>['seccomp'];
  if (!input.privileged && security.seccomp !== 'unconfined') {
    const profile = security.seccomp === 'default' ? defaultSeccompProfile() : parseSeccompProfile(security.seccomp);
    seccomp = compileSeccompProfile(profile, {
      arch: host.arch ?? dockerArch(),
      capabilities: caps,
      kernelRelease: host.kernelRelease ?? os.release(),
    });
  }

  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: input.tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args,
      env,
      cwd,
      capabilities,
      rlimits: buildRlimits(input, host),
      ...(security.noNewPrivileges ? { noNewPrivileges: true } : {}),
      ...(input.oomScoreAdj !== undefined ? { oomScoreAdj: input.oomScoreAdj } : {}),
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
  };
  if (utsMode !== 'host') {
    if (input.hostname) spec.hostname = input.hostname;
    if (input.domainname) spec.domainname = input.domainname;
  }
  spec.mounts = buildMounts(input, ipcMode, pidMode);
  const sysctl = await buildSysctls(input, ipcMode);
  spec.linux = {
    ...(Object.keys(sysctl).length > 0 ? { sysctl } : {}),
    resources,
    cgroupsPath: input.cgroupsPath,
    namespaces: buildNamespaces(input, ipcMode, pidMode, utsMode),
    devices,
    ...(seccomp ? { seccomp } : {}),
  };
  if (!input.privileged) {
    spec.linux.maskedPaths = [...(input.maskedPaths ?? DEFAULT_MASKED_PATHS)];
    spec.linux.readonlyPaths = [...(input.readonlyPaths ?? DEFAULT_READONLY_PATHS)];
  }
  return spec;
}

/**
 * Serialises a spec for runc. Unlimited rlimits (Infinity) become RLIM_INFINITY written as the exact integer
 * 18446744073709551615, which a JS number cannot carry through JSON.stringify. (Entries made by buildSpec also do
 * this by themselves; this covers specs edited or assembled elsewhere.)
 */
export function specToJson(spec: Spec, space?: number): string {
  return JSON.stringify(spec, (_key, value: unknown) => limitJson(value as number), space);
}

// /proc/self/limits row titles → RLIMIT_* names.
const LIMIT_ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** Parses /proc/PID/limits text; 'unlimited' becomes Infinity. */
export function parseProcLimits(text: string): Record<string, { soft: number; hard: number }> {
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const line of text.split('\n')) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const type = LIMIT_ROWS[m[1]!];
    if (!type) continue;
    const num = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
    out[type] = { soft: num(m[2]!), hard: num(m[3]!) };
  }
  return out;
}

/** Parses the CapBnd line of /proc/PID/status. */
export function parseCapBnd(status: string): bigint {
  const m = /^CapBnd:\s*([0-9a-fA-F]+)$/m.exec(status);
  if (!m) throw new Error('CapBnd not found in /proc/self/status');
  return BigInt(`0x${m[1]}`);
}

/** The daemon's own bounding set and rlimits: what every container it starts can have at most. */
export async function readHostLimits(): Promise<HostLimits> {
  const [status, limits] = await Promise.all([
    readFile('/proc/self/status', 'utf8'),
    readFile('/proc/self/limits', 'utf8'),
  ]);
  return { capBnd: parseCapBnd(status), rlimits: parseProcLimits(limits), kernelRelease: os.release(), arch: dockerArch() };
}

// Subtrees of /dev that are not device inventory (other filesystems, or per-container in any case).
const SKIP_DEV_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Character and block devices under `root` (normally /dev), as runc device entries; for privileged containers. */
export async function readHostDevices(root = '/dev'): Promise<LinuxDevice[]> {
  const out: LinuxDevice[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DEV_DIRS.has(e.name)) await walk(full);
        continue;
      }
      if (e.name === 'console' || !(e.isCharacterDevice() || e.isBlockDevice())) continue;
      try {
        const st = await lstat(full, { bigint: true });
        const rdev = st.rdev;
        const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
        const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
        out.push({
          path: path.join('/dev', path.relative(root, full)),
          type: e.isCharacterDevice() ? 'c' : 'b',
          major,
          minor,
          fileMode: Number(st.mode & 0o777n),
          uid: Number(st.uid),
          gid: Number(st.gid),
        });
      } catch {
        // vanished while scanning
      }
    }
  }
  await walk(root);
  return out;
}
