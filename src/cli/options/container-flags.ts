// The flag set shared by `run` and `create`, and its translation into a POST /containers/create body.
import { Option } from 'commander';
import type { ContainerCreateBody, HostConfig, RestartPolicy, Ulimit } from '../../spec/docker-api.ts';
import type { BerthCommand } from '../berth-command.ts';
import { collect, flagParser, parseFloatFlag, parseIntFlag } from '../berth-command.ts';
import { FlagError } from '../cli-errors.ts';
import { ramInBytes } from '../format/units.ts';
import { parsePortSpecs } from './port-spec.ts';
import {
  parseKeyValues,
  parseMount,
  parseRestartPolicy,
  parseTmpfs,
  parseUlimit,
  readLinesFile,
  resolveEnv,
  resolveSecurityOpts,
} from './value-parsers.ts';
import type { MountSpec } from '../../spec/docker-api.ts';

export interface ContainerFlags {
  addHost?: string[];
  attach?: string[];
  capAdd?: string[];
  capDrop?: string[];
  cgroupns?: string;
  cidfile?: string;
  cpuPeriod?: number;
  blkioWeight?: number;
  blkioWeightDevice?: string[];
  deviceReadBps?: string[];
  deviceWriteBps?: string[];
  deviceReadIops?: string[];
  deviceWriteIops?: string[];
  cpuQuota?: number;
  cpuShares?: number;
  cpus?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  detach?: boolean;
  detachKeys?: string;
  dns?: string[];
  dnsOption?: string[];
  dnsSearch?: string[];
  entrypoint?: string;
  env?: string[];
  envFile?: string[];
  expose?: string[];
  groupAdd?: string[];
  hostname?: string;
  init?: boolean;
  interactive?: boolean;
  ipc?: string;
  label?: string[];
  labelFile?: string[];
  logDriver?: string;
  logOpt?: string[];
  memory?: number;
  memoryReservation?: number;
  memorySwap?: number;
  mount?: MountSpec[];
  name?: string;
  network?: string;
  net?: string;
  networkAlias?: string[];
  ip?: string;
  healthcheck?: boolean;
  healthCmd?: string;
  healthInterval?: number;
  healthTimeout?: number;
  healthRetries?: number;
  healthStartPeriod?: number;
  healthStartInterval?: number;
  oomKillDisable?: boolean;
  oomScoreAdj?: number;
  pid?: string;
  pidsLimit?: number;
  platform?: string;
  privileged?: boolean;
  publish?: string[];
  publishAll?: boolean;
  pull?: string;
  readOnly?: boolean;
  restart?: RestartPolicy;
  rm?: boolean;
  runtime?: string;
  securityOpt?: string[];
  shmSize?: number;
  sigProxy?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  storageOpt?: string[];
  sysctl?: string[];
  tmpfs?: string[];
  tty?: boolean;
  ulimit?: Ulimit[];
  user?: string;
  userns?: string;
  uts?: string;
  volume?: string[];
  volumesFrom?: string[];
  workdir?: string;
  quiet?: boolean;
}

const collectWith =
  <T,>(flags: string, parse: (v: string) => T) =>
  (v: string, prev: T[] | undefined): T[] => [...(prev ?? []), flagParser(flags, parse)(v)];

const memoryOr = (flags: string) => flagParser(flags, (v: string) => (v === '-1' ? -1 : ramInBytes(v)));

/** Registers docker's run/create flags on `cmd`. `withRunOnly` adds -d, --rm-time flags that only `run` has. */
export function addContainerFlags(cmd: BerthCommand, opts: { run: boolean }): BerthCommand {
  cmd
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect)
    .option('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', collect)
    .option('--cap-add <list>', 'Add Linux capabilities', collect)
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect)
    .option('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .option('--cidfile <string>', 'Write the container ID to the file')
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', flagParser('--blkio-weight', parseIntFlag))
    .option('--blkio-weight-device <list>', 'Block IO weight (relative device weight)', collect)
    .option('--device-read-bps <list>', 'Limit read rate (bytes per second) from a device', collect)
    .option('--device-read-iops <list>', 'Limit read rate (IO per second) from a device', collect)
    .option('--device-write-bps <list>', 'Limit write rate (bytes per second) to a device', collect)
    .option('--device-write-iops <list>', 'Limit write rate (IO per second) to a device', collect)
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period', flagParser('--cpu-period', parseIntFlag))
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota', flagParser('--cpu-quota', parseIntFlag))
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', flagParser('-c, --cpu-shares', parseIntFlag))
    .option('--cpus <decimal>', 'Number of CPUs', flagParser('--cpus', parseFloatFlag))
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--dns <list>', 'Set custom DNS servers', collect)
    .option('--dns-option <list>', 'Set DNS options', collect)
    .option('--dns-search <list>', 'Set custom DNS search domains', collect)
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-e, --env <list>', 'Set environment variables', collect)
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('--expose <list>', 'Expose a port or a range of ports', collect)
    .option('--group-add <list>', 'Add additional groups to join', collect)
    .option('-h, --hostname <string>', 'Container host name')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--ipc <string>', 'IPC mode to use')
    .option('-l, --label <list>', 'Set meta data on a container', collect)
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect)
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--log-opt <list>', 'Log driver options', collect)
    .option('-m, --memory <bytes>', 'Memory limit', memoryOr('-m, --memory'))
    .option('--memory-reservation <bytes>', 'Memory soft limit', memoryOr('--memory-reservation'))
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", memoryOr('--memory-swap'))
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collectWith('--mount', parseMount))
    .option('--name <string>', 'Assign a name to the container')
    .option('--network <network>', 'Connect a container to a network')
    .option('--network-alias <list>', 'Add network-scoped alias for the container', collect)
    .option('--ip <string>', 'IPv4 address (e.g., 172.30.100.104)')
    .addOption(new Option('--net <network>').hideHelp())
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)', flagParser('--health-interval', parseGoDurationNs))
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', flagParser('--health-timeout', parseGoDurationNs))
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy', flagParser('--health-retries', parseIntFlag))
    .option('--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', flagParser('--health-start-period', parseGoDurationNs))
    .option('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', flagParser('--health-start-interval', parseGoDurationNs))
    .option('--oom-kill-disable', 'Disable OOM Killer')
    .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)", flagParser('--oom-score-adj', parseIntFlag))
    .option('--pid <string>', 'PID namespace to use')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', flagParser('--pids-limit', parseIntFlag))
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--privileged', 'Give extended privileges to this container')
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect)
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--restart <string>', 'Restart policy to apply when a container exits', flagParser('--restart', parseRestartPolicy))
    .option('--runtime <string>', 'Runtime to use for this container')
    .option('--security-opt <list>', 'Security Options', collect)
    .option('--shm-size <bytes>', 'Size of /dev/shm', flagParser('--shm-size', ramInBytes))
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container', flagParser('--stop-timeout', parseIntFlag))
    .option('--storage-opt <list>', 'Storage driver options for the container', collect)
    .option('--sysctl <map>', 'Sysctl options', collect)
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect)
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--ulimit <ulimit>', 'Ulimit options', collectWith('--ulimit', parseUlimit))
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--userns <string>', 'User namespace to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('-v, --volume <list>', 'Bind mount a volume', collect)
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect)
    .option('-w, --workdir <string>', 'Working directory inside the container');
  if (opts.run) {
    cmd
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
      .option('--sig-proxy', 'Proxy received signals to the process', true)
      .addOption(new Option('--no-sig-proxy').hideHelp());
  }
  return cmd;
}

export interface CreateRequest {
  body: ContainerCreateBody;
  name?: string;
  platform?: string;
}

/**
 * Builds the create body like docker's parse(): image, command, attach flags (run decides the final ones),
 * HostConfig with only the fields the user set. Throws Error with docker's wording on bad values.
 */
export function buildCreateRequest(
  f: ContainerFlags,
  image: string,
  command: string[],
  ctx: { env: NodeJS.ProcessEnv; consoleSize?: [number, number] },
): CreateRequest {
  const attach = new Set((f.attach ?? []).map((a) => a.toLowerCase()));
  for (const a of attach) {
    if (!['stdin', 'stdout', 'stderr'].includes(a)) throw new Error(`valid streams are STDIN, STDOUT and STDERR`);
  }
  let attachStdin = attach.has('stdin');
  let attachStdout = attach.has('stdout');
  let attachStderr = attach.has('stderr');
  if (attach.size === 0) {
    attachStdout = true;
    attachStderr = true;
    attachStdin = !!f.interactive;
  }

  const envItems = [...(f.envFile ?? []).flatMap(readLinesFile), ...(f.env ?? [])];
  const env = resolveEnv(envItems, ctx.env);
  const labels = parseKeyValues([...(f.labelFile ?? []).flatMap(readLinesFile), ...(f.label ?? [])], 'label', '');
  const ports = parsePortSpecs(f.publish ?? [], f.expose ?? []);

  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of f.volume ?? []) {
    // A lone container path is an anonymous volume; anything with a source is a bind (or named volume).
    const parts = v.split(':');
    if (parts.length === 1 && v.startsWith('/')) volumes[v] = {};
    else if (parts.length >= 2) binds.push(v);
    else throw new Error(`invalid volume specification: '${v}'`);
  }

  const logOpts = parseKeyValues(f.logOpt ?? [], 'log-opt');
  const host: HostConfig = {
    Binds: binds.length ? binds : null,
    ContainerIDFile: f.cidfile ?? '',
    LogConfig: { Type: f.logDriver ?? '', Config: logOpts },
    NetworkMode: f.network ?? f.net ?? 'default',
    PortBindings: ports.bindings,
    RestartPolicy: f.restart ?? { Name: 'no' },
    AutoRemove: !!f.rm,
    VolumesFrom: f.volumesFrom ?? null,
    CapAdd: f.capAdd ?? null,
    CapDrop: f.capDrop ?? null,
    CgroupnsMode: f.cgroupns ?? '',
    Dns: f.dns ?? [],
    DnsOptions: f.dnsOption ?? [],
    DnsSearch: f.dnsSearch ?? [],
    ExtraHosts: f.addHost ?? null,
    GroupAdd: f.groupAdd ?? null,
    IpcMode: f.ipc ?? '',
    OomScoreAdj: f.oomScoreAdj ?? 0,
    PidMode: f.pid ?? '',
    Privileged: !!f.privileged,
    PublishAllPorts: !!f.publishAll,
    ReadonlyRootfs: !!f.readOnly,
    SecurityOpt: f.securityOpt ? resolveSecurityOpts(f.securityOpt) : null,
    UTSMode: f.uts ?? '',
    UsernsMode: f.userns ?? '',
    ShmSize: f.shmSize ?? 0,
    ConsoleSize: ctx.consoleSize ?? [0, 0],
    CpuShares: f.cpuShares ?? 0,
    BlkioWeight: f.blkioWeight ?? 0,
    BlkioWeightDevice: (f.blkioWeightDevice ?? []).map((v) => { const t = throttleSpec('--blkio-weight-device', v, Number); return { Path: t.Path, Weight: t.Rate }; }),
    BlkioDeviceReadBps: (f.deviceReadBps ?? []).map((v) => throttleSpec('--device-read-bps', v, ramInBytes)),
    BlkioDeviceWriteBps: (f.deviceWriteBps ?? []).map((v) => throttleSpec('--device-write-bps', v, ramInBytes)),
    BlkioDeviceReadIOps: (f.deviceReadIops ?? []).map((v) => throttleSpec('--device-read-iops', v, Number)),
    BlkioDeviceWriteIOps: (f.deviceWriteIops ?? []).map((v) => throttleSpec('--device-write-iops', v, Number)),
    Memory: f.memory ?? 0,
    NanoCpus: f.cpus !== undefined ? Math.round(f.cpus * 1e9) : 0,
    CpuPeriod: f.cpuPeriod ?? 0,
    CpuQuota: f.cpuQuota ?? 0,
    CpusetCpus: f.cpusetCpus ?? '',
    CpusetMems: f.cpusetMems ?? '',
    MemoryReservation: f.memoryReservation ?? 0,
    MemorySwap: f.memorySwap ?? 0,
    MemorySwappiness: null,
    OomKillDisable: f.oomKillDisable ? true : null,
    PidsLimit: f.pidsLimit ?? null,
    Ulimits: f.ulimit ?? null,
    Init: f.init ? true : null,
  };
  if (f.mount?.length) host.Mounts = f.mount;
  if (f.tmpfs?.length) host.Tmpfs = parseTmpfs(f.tmpfs);
  if (f.sysctl?.length) host.Sysctls = parseKeyValues(f.sysctl, 'sysctl');
  if (f.storageOpt?.length) host.StorageOpt = parseKeyValues(f.storageOpt, 'storage-opt');
  if (f.runtime) host.Runtime = f.runtime;

  const body: ContainerCreateBody = {
    Hostname: f.hostname ?? '',
    Domainname: '',
    User: f.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(ports.exposed).length ? ports.exposed : undefined,
    Tty: !!f.tty,
    OpenStdin: !!f.interactive,
    StdinOnce: false,
    Env: env.length ? env : null,
    Cmd: command.length ? command : null,
    Image: image,
    Volumes: volumes,
    WorkingDir: f.workdir ?? '',
    Entrypoint: f.entrypoint !== undefined ? [f.entrypoint] : null,
    OnBuild: null,
    Labels: labels,
    HostConfig: host,
    NetworkingConfig: { EndpointsConfig: endpointsConfig(f) },
  };
  if (f.healthcheck === false) {
    if (f.healthCmd) throw new FlagError('--no-healthcheck conflicts with --health-* options');
    body.Healthcheck = { Test: ['NONE'] };
  } else if (f.healthCmd || f.healthInterval || f.healthTimeout || f.healthRetries || f.healthStartPeriod || f.healthStartInterval) {
    body.Healthcheck = {
      Test: f.healthCmd ? ['CMD-SHELL', f.healthCmd] : undefined,
      Interval: f.healthInterval,
      Timeout: f.healthTimeout,
      Retries: f.healthRetries,
      StartPeriod: f.healthStartPeriod,
      StartInterval: f.healthStartInterval,
    };
  }
  if (f.stopSignal) body.StopSignal = f.stopSignal;
  if (f.stopTimeout !== undefined) body.StopTimeout = f.stopTimeout;
  return { body, name: f.name, platform: f.platform };
}

/** Go's time.ParseDuration ("1m30s", "500ms", "2h") in nanoseconds, as the API's health fields want. */
export function parseGoDurationNs(v: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v))) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== v.length || pos === 0) throw new Error(`time: invalid duration "${v}"`);
  return Math.round(total);
}

/** docker's EndpointsConfig for the --network given (aliases and a static IP apply to it). */
function endpointsConfig(f: { network?: string; net?: string; networkAlias?: string[]; ip?: string }): Record<string, unknown> {
  const net = f.network ?? f.net ?? 'default';
  if (!f.networkAlias?.length && !f.ip) return {};
  return { [net]: { Aliases: f.networkAlias ?? [], ...(f.ip ? { IPAMConfig: { IPv4Address: f.ip } } : {}) } };
}

/** "/dev/vda:1mb" → {Path, Rate} (docker's ValidateThrottleBpsDevice / ValidateThrottleIOpsDevice). */
function throttleSpec(flag: string, v: string, parse: (s: string) => number): { Path: string; Rate: number } {
  const i = v.lastIndexOf(':');
  const path = i > 0 ? v.slice(0, i) : '';
  if (!path.startsWith('/dev/')) throw new Error(`invalid argument "${v}" for "${flag}" flag: bad format: ${v}`);
  let rate: number;
  try {
    rate = parse(v.slice(i + 1));
  } catch {
    rate = NaN;
  }
  if (!Number.isFinite(rate) || rate < 0) throw new Error(`invalid argument "${v}" for "${flag}" flag: invalid rate for device: ${v}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
  return { Path: path, Rate: rate };
}
