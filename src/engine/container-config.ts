// Validation and merging of a create request with its image's config, the way dockerd does it.
import { invalidArgument, notFound } from '../base/errors.ts';
import type { ContainerConfig, ContainerCreateBody, HostConfig, ImageRuntimeConfig } from '../spec/docker-api.ts';

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, 'invalid_name');
  }
  return name.replace(/^\//, '');
}

function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}

/** Container env overrides image env by key; order: image entries first (Docker's ReplaceOrAppendEnvValues). */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  for (const e of overrides) {
    const k = envKey(e);
    const idx = out.findIndex((x) => envKey(x) === k);
    if (!e.includes('=')) {
      // `-e FOO` without a value and FOO unset on the client: Docker drops it.
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = e;
    else out.push(e);
  }
  return out;
}

export function mergeConfig(body: ContainerCreateBody, image: ImageRuntimeConfig): ContainerConfig {
  const cfg: ContainerConfig = {
    Hostname: body.Hostname ?? '',
    Domainname: body.Domainname ?? '',
    User: body.User || image.User || '',
    AttachStdin: !!body.AttachStdin,
    AttachStdout: !!body.AttachStdout,
    AttachStderr: !!body.AttachStderr,
    ExposedPorts: { ...(image.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) },
    Tty: !!body.Tty,
    OpenStdin: !!body.OpenStdin,
    StdinOnce: !!body.StdinOnce,
    Env: mergeEnv(image.Env ?? [], body.Env ?? []),
    Cmd: null,
    Image: body.Image ?? '',
    Volumes: { ...(image.Volumes ?? {}), ...(body.Volumes ?? {}) },
    WorkingDir: body.WorkingDir || image.WorkingDir || '',
    Entrypoint: null,
    OnBuild: image.OnBuild ?? null,
    Labels: { ...(image.Labels ?? {}), ...(body.Labels ?? {}) },
  };
  // An entrypoint given at create time discards the image's Cmd too (Docker semantics).
  if (body.Entrypoint && body.Entrypoint.length > 0) {
    cfg.Entrypoint = body.Entrypoint;
    cfg.Cmd = body.Cmd && body.Cmd.length ? body.Cmd : null;
  } else if (body.Entrypoint && body.Entrypoint.length === 0 && Array.isArray(body.Entrypoint)) {
    // `--entrypoint ""` clears the image entrypoint.
    cfg.Entrypoint = null;
    cfg.Cmd = body.Cmd && body.Cmd.length ? body.Cmd : (image.Cmd ?? null);
  } else {
    cfg.Entrypoint = image.Entrypoint ?? null;
    cfg.Cmd = body.Cmd && body.Cmd.length ? body.Cmd : (image.Cmd ?? null);
  }
  const stopSignal = body.StopSignal || image.StopSignal;
  if (stopSignal) cfg.StopSignal = stopSignal;
  if (body.StopTimeout !== undefined && body.StopTimeout !== null) cfg.StopTimeout = body.StopTimeout;
  const health = body.Healthcheck ?? image.Healthcheck;
  if (health) cfg.Healthcheck = health;
  if (!cfg.Volumes || Object.keys(cfg.Volumes).length === 0) cfg.Volumes = null;
  if (cfg.ExposedPorts && Object.keys(cfg.ExposedPorts).length === 0) delete cfg.ExposedPorts;
  return cfg;
}

export function commandOf(cfg: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
  if (argv.length === 0) throw invalidArgument('no command specified', 'no_command');
  return { path: argv[0]!, args: argv.slice(1) };
}

const SIGNALS = new Set([
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM',
  'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO',
  'PWR', 'SYS',
]);
const SIGNAL_NUMBERS: Record<number, string> = {
  1: 'HUP', 2: 'INT', 3: 'QUIT', 4: 'ILL', 5: 'TRAP', 6: 'ABRT', 7: 'BUS', 8: 'FPE', 9: 'KILL', 10: 'USR1', 11: 'SEGV',
  12: 'USR2', 13: 'PIPE', 14: 'ALRM', 15: 'TERM', 17: 'CHLD', 18: 'CONT', 19: 'STOP', 20: 'TSTP', 28: 'WINCH',
};

/** Accepts 'SIGTERM', 'TERM', 'term', '15', 'RTMIN+3'; returns runc's form ('TERM' or a number string). */
export function parseSignal(value: string): string {
  const v = value.trim().toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1 || n > 64) throw invalidArgument(`Invalid signal: ${value}`, 'invalid_signal');
    return SIGNAL_NUMBERS[n] ?? String(n);
  }
  if (SIGNALS.has(v)) return v;
  const rt = /^RTM(IN|AX)([+-]\d+)?$/.exec(v);
  if (rt) {
    const base = rt[1] === 'IN' ? 34 : 64;
    const n = base + Number(rt[2] ?? 0);
    if (n >= 34 && n <= 64) return String(n);
  }
  throw invalidArgument(`Invalid signal: ${value}`, 'invalid_signal');
}

/** Without a network subsystem only the built-in modes exist. */
export function validateBuiltinNetworkMode(hc: HostConfig): void {
  const net = hc.NetworkMode ?? '';
  if (!['', 'default', 'bridge', 'none', 'host'].includes(net)) {
    throw notFound(`network ${net} not found`, 'network_not_found');
  }
}

export function validateHostConfig(hc: HostConfig): void {
  const policy = hc.RestartPolicy?.Name ?? '';
  if (!['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(policy)) {
    throw invalidArgument(`invalid restart policy '${policy}'`, 'invalid_restart_policy');
  }
  if (hc.AutoRemove && policy !== '' && policy !== 'no') {
    throw invalidArgument(`can't create 'AutoRemove' container with restart policy`, 'invalid_restart_policy');
  }
  if ((hc.RestartPolicy?.MaximumRetryCount ?? 0) < 0) {
    throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  }
  if (hc.RestartPolicy?.MaximumRetryCount && policy !== 'on-failure') {
    throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if (hc.Memory && hc.Memory > 0 && hc.Memory < 6 * 1024 * 1024) {
    throw invalidArgument('Minimum memory limit allowed is 6MB', 'invalid_memory');
  }
  if (hc.Memory && hc.MemorySwap && hc.MemorySwap > 0 && hc.MemorySwap < hc.Memory) {
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (hc.NanoCpus && (hc.CpuQuota || hc.CpuPeriod)) {
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  // CPU range, cpuset, blkio and the rest are checked against the host in container-resources.ts.
  if (hc.ShmSize !== undefined && hc.ShmSize < 0) throw invalidArgument('SHM size can not be less than 0');
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const strList = (v: unknown): boolean => v === null || v === undefined || (Array.isArray(v) && v.every(isStr));

/**
 * Shape checks for a create body, like Go's JSON decoding into typed structs: a wrong type is a 400, never a crash
 * deep in the engine. Docker's StrSlice fields (Cmd, Entrypoint) also accept a single string.
 */
export function normalizeCreateBody(body: Record<string, unknown>): void {
  const fail = (field: string, want: string) => {
    throw invalidArgument(`json: cannot unmarshal ${describe(body[field])} into Go struct field Config.${field} of type ${want}`, 'invalid_json');
  };
  if (body.Image !== undefined && !isStr(body.Image)) fail('Image', 'string');
  for (const f of ['Cmd', 'Entrypoint'] as const) {
    if (isStr(body[f])) body[f] = [body[f]];
    if (!strList(body[f])) fail(f, 'strslice.StrSlice');
  }
  for (const f of ['Env', 'OnBuild', 'Shell'] as const) if (!strList(body[f])) fail(f, '[]string');
  for (const f of ['Hostname', 'Domainname', 'User', 'WorkingDir', 'StopSignal', 'MacAddress'] as const) {
    if (body[f] !== undefined && body[f] !== null && !isStr(body[f])) fail(f, 'string');
  }
  for (const f of ['Tty', 'OpenStdin', 'StdinOnce', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'NetworkDisabled'] as const) {
    if (body[f] !== undefined && body[f] !== null && typeof body[f] !== 'boolean') fail(f, 'bool');
  }
  if (body.Labels !== undefined && body.Labels !== null) {
    if (typeof body.Labels !== 'object' || Array.isArray(body.Labels)) fail('Labels', 'map[string]string');
    for (const v of Object.values(body.Labels as object)) if (!isStr(v)) fail('Labels', 'map[string]string');
  }
  if (body.HostConfig !== undefined && body.HostConfig !== null && (typeof body.HostConfig !== 'object' || Array.isArray(body.HostConfig))) {
    fail('HostConfig', 'container.HostConfig');
  }
  const hc = (body.HostConfig ?? {}) as Record<string, unknown>;
  for (const f of ['Binds', 'CapAdd', 'CapDrop', 'SecurityOpt', 'ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions', 'GroupAdd', 'VolumesFrom']) {
    if (!strList(hc[f])) throw invalidArgument(`json: cannot unmarshal ${describe(hc[f])} into Go struct field HostConfig.${f} of type []string`, 'invalid_json');
  }
  for (const f of ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuQuota', 'CpuPeriod', 'PidsLimit', 'ShmSize']) {
    const v = hc[f];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw invalidArgument(`json: cannot unmarshal ${describe(v)} into Go struct field HostConfig.${f} of type int64`, 'invalid_json');
    }
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}
