// Turns one service as written in one file into its canonical form: short syntaxes expanded to long ones, lists to
// maps, relative paths resolved against that file's directory. Errors name the file and the key.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { BuildConfig, Condition, DependsOn, HealthcheckConfig, PortConfig, Service, ServiceNetwork, VolumeMount } from './model.ts';
import { ComposeError } from './model.ts';
import { parseEnvFile } from './interpolate.ts';
import type { Lookup } from './interpolate.ts';

/** Keys the Compose specification allows in a service. */
export const SERVICE_KEYS = new Set([
  'annotations', 'attach', 'build', 'blkio_config', 'cpu_count', 'cpu_percent', 'cpu_shares', 'cpu_period', 'cpu_quota',
  'cpu_rt_runtime', 'cpu_rt_period', 'cpus', 'cpuset', 'cap_add', 'cap_drop', 'cgroup', 'cgroup_parent', 'command',
  'configs', 'container_name', 'credential_spec', 'depends_on', 'deploy', 'develop', 'device_cgroup_rules', 'devices',
  'dns', 'dns_opt', 'dns_search', 'domainname', 'entrypoint', 'env_file', 'environment', 'expose', 'extends',
  'external_links', 'extra_hosts', 'gpus', 'group_add', 'healthcheck', 'hostname', 'image', 'init', 'ipc', 'isolation',
  'labels', 'label_file', 'links', 'logging', 'mac_address', 'mem_limit', 'mem_reservation', 'mem_swappiness',
  'memswap_limit', 'network_mode', 'networks', 'oom_kill_disable', 'oom_score_adj', 'pid', 'pids_limit', 'platform',
  'ports', 'post_start', 'pre_stop', 'privileged', 'profiles', 'pull_policy', 'read_only', 'restart', 'runtime',
  'scale', 'secrets', 'security_opt', 'shm_size', 'stdin_open', 'stop_grace_period', 'stop_signal', 'storage_opt',
  'sysctls', 'tmpfs', 'tty', 'ulimits', 'user', 'userns_mode', 'uts', 'volumes', 'volumes_from', 'working_dir',
]);

export const TOP_LEVEL_KEYS = new Set(['version', 'name', 'services', 'networks', 'volumes', 'configs', 'secrets', 'include']);

export interface FileContext {
  /** The file as named in messages. */
  file: string;
  /** Directory relative paths resolve against. */
  dir: string;
  lookup: Lookup;
}

type Raw = Record<string, unknown>;

const isMap = (v: unknown): v is Raw => !!v && typeof v === 'object' && !Array.isArray(v);

function fail(ctx: FileContext, key: string, msg: string): never {
  throw new ComposeError(`${ctx.file}: ${key} ${msg}`);
}

/** Splits a command string the way a POSIX shell would (quotes and backslashes; no expansions). */
export function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | '' = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q === "'") {
      if (c === "'") q = '';
      else cur += c;
    } else if (q === '"') {
      if (c === '"') q = '';
      else if (c === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (q) throw new Error(`unterminated quote in ${JSON.stringify(s)}`);
  if (has || cur) out.push(cur);
  return out;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));

function stringList(ctx: FileContext, key: string, v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) fail(ctx, key, 'must be a list of strings');
  return v.map((x) => str(x));
}

/** A list of KEY=VALUE (or KEY) or a mapping → mapping; a null value means "take from the environment". */
export function keyValueMap(ctx: FileContext, key: string, v: unknown, sep = '='): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (v === null || v === undefined) return out;
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = str(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
    return out;
  }
  if (!isMap(v)) fail(ctx, key, 'must be a mapping or a list');
  for (const [k, val] of Object.entries(v)) out[k] = val === null || val === undefined ? null : str(val);
  return out;
}

function commandValue(ctx: FileContext, key: string, v: unknown): string[] | null {
  if (v === null) return null;
  if (typeof v === 'string') {
    try {
      return shellSplit(v);
    } catch (e) {
      fail(ctx, key, (e as Error).message);
    }
  }
  return stringList(ctx, key, v);
}

function resolvePath(ctx: FileContext, p: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(ctx.lookup('HOME') ?? '/root', p.slice(2));
  return isAbsolute(p) ? p : resolve(ctx.dir, p);
}

/** "[ip:][host[-range]:]container[-range][/proto]" → one PortConfig per container port. */
export function parsePortShort(spec: string): PortConfig[] {
  let rest = spec;
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
  }
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new Error(`invalid proto: ${protocol}`);
  let ip = '';
  let parts: string[];
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new Error(`invalid ip address: ${rest}`);
    ip = rest.slice(1, close);
    parts = rest.slice(close + 2).split(':');
  } else {
    parts = rest.split(':');
    if (parts.length > 3) throw new Error(`invalid port specification: ${JSON.stringify(spec)}`);
    if (parts.length === 3) ip = parts.shift()!;
  }
  const container = parts.pop()!;
  const host = parts.length ? parts[0]! : '';
  const range = (s: string): [number, number] => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (!m) throw new Error(`invalid port specification: ${JSON.stringify(spec)}`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (a < 0 || b > 65535 || b < a) throw new Error(`invalid port specification: ${JSON.stringify(spec)}`);
    return [a, b];
  };
  const [c0, c1] = range(container);
  const out: PortConfig[] = [];
  if (!host) {
    for (let p = c0; p <= c1; p++) out.push({ mode: 'ingress', ...(ip ? { host_ip: ip } : {}), target: p, protocol });
    return out;
  }
  const [h0, h1] = range(host);
  if (c1 - c0 === h1 - h0) {
    for (let i = 0; i <= c1 - c0; i++) out.push({ mode: 'ingress', ...(ip ? { host_ip: ip } : {}), target: c0 + i, published: String(h0 + i), protocol });
    return out;
  }
  if (c0 === c1) return [{ mode: 'ingress', ...(ip ? { host_ip: ip } : {}), target: c0, published: `${h0}-${h1}`, protocol }];
  throw new Error(`invalid port specification: ${JSON.stringify(spec)}: port ranges don't match`);
}

function ports(ctx: FileContext, key: string, v: unknown): PortConfig[] {
  if (!Array.isArray(v)) fail(ctx, key, 'must be a list');
  const out: PortConfig[] = [];
  v.forEach((item, i) => {
    if (typeof item === 'number') out.push({ mode: 'ingress', target: item, protocol: 'tcp' });
    else if (typeof item === 'string') {
      try {
        out.push(...parsePortShort(item));
      } catch (e) {
        fail(ctx, `${key}[${i}]`, (e as Error).message);
      }
    } else if (isMap(item)) {
      const target = Number(item.target);
      if (!Number.isInteger(target) || target <= 0 || target > 65535) fail(ctx, `${key}[${i}].target`, 'must be a port number');
      const p: PortConfig = { mode: str(item.mode) || 'ingress', target, protocol: str(item.protocol) || 'tcp' };
      if (item.host_ip) p.host_ip = str(item.host_ip);
      if (item.published !== undefined && item.published !== null && item.published !== '') p.published = str(item.published);
      if (item.name) p.name = str(item.name);
      if (item.app_protocol) p.app_protocol = str(item.app_protocol);
      out.push(p);
    } else fail(ctx, `${key}[${i}]`, 'must be a string, number or mapping');
  });
  return out;
}

function volumeShort(ctx: FileContext, key: string, spec: string): VolumeMount {
  // SRC:DST[:MODE] or DST; SRC may be a path or a volume name.
  const parts = spec.split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  if (parts.length > 3) fail(ctx, key, `invalid volume specification: ${JSON.stringify(spec)}`);
  const [src, target, mode = ''] = parts as [string, string, string?];
  const modes = mode.split(',').filter(Boolean);
  const ro = modes.includes('ro');
  const isPath = src.startsWith('.') || src.startsWith('/') || src.startsWith('~');
  const m: VolumeMount = isPath
    ? { type: 'bind', source: resolvePath(ctx, src), target, bind: { create_host_path: true } }
    : { type: 'volume', source: src, target, volume: {} };
  if (ro) m.read_only = true;
  const sel = modes.find((x) => x === 'z' || x === 'Z');
  if (sel && m.bind) m.bind.selinux = sel;
  const prop = modes.find((x) => /^r?(shared|slave|private)$/.test(x));
  if (prop && m.bind) m.bind.propagation = prop;
  if (modes.includes('nocopy') && m.volume) m.volume.nocopy = true;
  if (m.volume && Object.keys(m.volume).length === 0) delete m.volume;
  return m;
}

function volumes(ctx: FileContext, key: string, v: unknown): VolumeMount[] {
  if (!Array.isArray(v)) fail(ctx, key, 'must be a list');
  return v.map((item, i) => {
    if (typeof item === 'string') return volumeShort(ctx, `${key}[${i}]`, item);
    if (!isMap(item)) fail(ctx, `${key}[${i}]`, 'must be a string or a mapping');
    const type = str(item.type);
    if (!['volume', 'bind', 'tmpfs'].includes(type)) fail(ctx, `${key}[${i}].type`, `must be one of volume, bind, tmpfs (got ${JSON.stringify(type)})`);
    if (!item.target) fail(ctx, `${key}[${i}]`, 'requires a target');
    const m: VolumeMount = { type: type as VolumeMount['type'], target: str(item.target) };
    if (item.source) m.source = type === 'bind' ? resolvePath(ctx, str(item.source)) : str(item.source);
    if (item.read_only) m.read_only = true;
    if (isMap(item.bind)) m.bind = { ...(item.bind as object) };
    if (type === 'bind') m.bind = { create_host_path: true, ...(m.bind ?? {}) };
    if (isMap(item.volume)) m.volume = { ...(item.volume as object) };
    if (isMap(item.tmpfs)) m.tmpfs = { ...(item.tmpfs as object) } as VolumeMount['tmpfs'];
    return m;
  });
}

function build(ctx: FileContext, key: string, v: unknown): BuildConfig {
  if (typeof v === 'string') return { context: resolvePath(ctx, v), dockerfile: 'Dockerfile' };
  if (!isMap(v)) fail(ctx, key, 'must be a string or a mapping');
  const allowed = new Set(['context', 'dockerfile', 'dockerfile_inline', 'args', 'target', 'labels', 'network', 'no_cache', 'pull', 'tags', 'cache_from', 'cache_to', 'extra_hosts', 'shm_size', 'platforms', 'secrets', 'ssh', 'additional_contexts', 'isolation', 'privileged', 'ulimits']);
  for (const k of Object.keys(v)) if (!allowed.has(k) && !k.startsWith('x-')) fail(ctx, key, `additional properties '${k}' not allowed`);
  const b: BuildConfig = { context: resolvePath(ctx, str(v.context ?? '.')) };
  if (v.dockerfile_inline !== undefined) b.dockerfile_inline = str(v.dockerfile_inline);
  else b.dockerfile = str(v.dockerfile ?? 'Dockerfile');
  if (v.args !== undefined) {
    const args = keyValueMap(ctx, `${key}.args`, v.args);
    b.args = {};
    for (const [k, val] of Object.entries(args)) {
      const resolved = val ?? ctx.lookup(k);
      if (resolved !== undefined) b.args[k] = resolved;
    }
  }
  if (v.target !== undefined) b.target = str(v.target);
  if (v.labels !== undefined) b.labels = Object.fromEntries(Object.entries(keyValueMap(ctx, `${key}.labels`, v.labels)).map(([k, x]) => [k, x ?? '']));
  if (v.network !== undefined) b.network = str(v.network);
  if (v.no_cache !== undefined) b.no_cache = !!v.no_cache;
  if (v.pull !== undefined) b.pull = !!v.pull;
  if (v.tags !== undefined) b.tags = stringList(ctx, `${key}.tags`, v.tags);
  return b;
}

function healthcheck(ctx: FileContext, key: string, v: unknown): HealthcheckConfig {
  if (!isMap(v)) fail(ctx, key, 'must be a mapping');
  const allowed = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable']);
  for (const k of Object.keys(v)) if (!allowed.has(k) && !k.startsWith('x-')) fail(ctx, key, `additional properties '${k}' not allowed`);
  const h: HealthcheckConfig = {};
  if (v.test !== undefined) {
    if (typeof v.test === 'string') h.test = ['CMD-SHELL', v.test];
    else {
      h.test = stringList(ctx, `${key}.test`, v.test);
      if (!['NONE', 'CMD', 'CMD-SHELL'].includes(h.test[0] ?? '')) fail(ctx, `${key}.test`, 'must start with "CMD", "CMD-SHELL" or "NONE"');
    }
  }
  for (const d of ['interval', 'timeout', 'start_period', 'start_interval'] as const) {
    if (v[d] !== undefined) {
      const s = str(v[d]);
      if (!/^((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$/.test(s)) fail(ctx, `${key}.${d}`, `invalid duration ${JSON.stringify(s)}`);
      h[d] = s;
    }
  }
  if (v.retries !== undefined) h.retries = Number(v.retries);
  if (v.disable !== undefined) h.disable = !!v.disable;
  return h;
}

function dependsOn(ctx: FileContext, key: string, v: unknown): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  if (Array.isArray(v)) {
    for (const s of v) out[str(s)] = { condition: 'service_started', required: true };
    return out;
  }
  if (!isMap(v)) fail(ctx, key, 'must be a list or a mapping');
  for (const [name, d] of Object.entries(v)) {
    const m = isMap(d) ? d : {};
    const condition = str(m.condition ?? 'service_started') as Condition;
    if (!['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition)) {
      fail(ctx, `${key}.${name}.condition`, `must be one of service_started, service_healthy, service_completed_successfully`);
    }
    out[name] = { condition, required: m.required === undefined ? true : !!m.required, ...(m.restart !== undefined ? { restart: !!m.restart } : {}) };
  }
  return out;
}

function serviceNetworks(ctx: FileContext, key: string, v: unknown): Record<string, ServiceNetwork | null> {
  const out: Record<string, ServiceNetwork | null> = {};
  if (Array.isArray(v)) {
    for (const n of v) out[str(n)] = null;
    return out;
  }
  if (!isMap(v)) fail(ctx, key, 'must be a list or a mapping');
  for (const [name, cfg] of Object.entries(v)) {
    if (cfg === null || cfg === undefined) {
      out[name] = null;
      continue;
    }
    if (!isMap(cfg)) fail(ctx, `${key}.${name}`, 'must be a mapping');
    const n: ServiceNetwork = {};
    if (cfg.aliases !== undefined) n.aliases = stringList(ctx, `${key}.${name}.aliases`, cfg.aliases);
    if (cfg.ipv4_address !== undefined) n.ipv4_address = str(cfg.ipv4_address);
    if (cfg.ipv6_address !== undefined) n.ipv6_address = str(cfg.ipv6_address);
    if (cfg.priority !== undefined) n.priority = Number(cfg.priority);
    out[name] = n;
  }
  return out;
}

function extraHosts(ctx: FileContext, key: string, v: unknown): string[] {
  if (isMap(v)) return Object.entries(v).flatMap(([h, ip]) => (Array.isArray(ip) ? ip : [ip]).map((x) => `${h}:${str(x)}`));
  // Compose accepts "host=ip" and "host:ip"; the Engine API wants "host:ip".
  return stringList(ctx, key, v).map((s) => (s.includes('=') ? s.replace('=', ':') : s));
}

function bool(ctx: FileContext, key: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  fail(ctx, key, 'must be a boolean');
}

/** Canonicalizes one service of one file (extends not yet applied; it is kept as written). */
export function normalizeService(ctx: FileContext, name: string, raw: unknown): Service & { extends?: unknown } {
  const key = `services.${name}`;
  if (raw === null || raw === undefined) raw = {};
  if (!isMap(raw)) fail(ctx, key, 'must be a mapping');
  for (const k of Object.keys(raw)) {
    if (!SERVICE_KEYS.has(k) && !k.startsWith('x-')) fail(ctx, key, `additional properties '${k}' not allowed`);
  }
  const s: Service & { extends?: unknown } = { name };
  for (const [k, v] of Object.entries(raw)) {
    const kk = `${key}.${k}`;
    switch (k) {
      case 'image':
      case 'container_name':
      case 'hostname':
      case 'domainname':
      case 'working_dir':
      case 'user':
      case 'stop_signal':
      case 'stop_grace_period':
      case 'restart':
      case 'network_mode':
      case 'pull_policy':
      case 'platform':
      case 'ipc':
      case 'pid':
        (s as unknown as Record<string, unknown>)[k] = str(v);
        break;
      case 'build':
        s.build = build(ctx, kk, v);
        break;
      case 'command':
      case 'entrypoint':
        s[k] = commandValue(ctx, kk, v);
        break;
      case 'environment':
        s.environment = { ...(s.environment ?? {}), ...keyValueMap(ctx, kk, v) };
        break;
      case 'env_file': {
        const files = typeof v === 'string' ? [v] : Array.isArray(v) ? v.map((x) => (isMap(x) ? str(x.path) : str(x))) : fail(ctx, kk, 'must be a string or a list');
        s.env_file = files.map((f) => resolvePath(ctx, f));
        break;
      }
      case 'labels':
        s.labels = Object.fromEntries(Object.entries(keyValueMap(ctx, kk, v)).map(([a, b]) => [a, b ?? '']));
        break;
      case 'ports':
        s.ports = ports(ctx, kk, v);
        break;
      case 'expose':
        s.expose = stringList(ctx, kk, v);
        break;
      case 'volumes':
        s.volumes = volumes(ctx, kk, v);
        break;
      case 'tmpfs':
      case 'cap_add':
      case 'cap_drop':
      case 'dns':
      case 'dns_search':
      case 'dns_opt':
      case 'profiles':
      case 'security_opt':
      case 'group_add':
        (s as unknown as Record<string, unknown>)[k] = stringList(ctx, kk, v);
        break;
      case 'extra_hosts':
        s.extra_hosts = extraHosts(ctx, kk, v);
        break;
      case 'networks':
        s.networks = serviceNetworks(ctx, kk, v);
        break;
      case 'depends_on':
        s.depends_on = dependsOn(ctx, kk, v);
        break;
      case 'healthcheck':
        s.healthcheck = healthcheck(ctx, kk, v);
        break;
      case 'init':
      case 'read_only':
      case 'privileged':
      case 'tty':
      case 'stdin_open':
        (s as unknown as Record<string, unknown>)[k] = bool(ctx, kk, v);
        break;
      case 'scale':
      case 'pids_limit':
      case 'cpu_shares': {
        const n = Number(v);
        if (!Number.isInteger(n)) fail(ctx, kk, 'must be an integer');
        (s as unknown as Record<string, unknown>)[k] = n;
        break;
      }
      case 'mem_limit':
      case 'mem_reservation':
      case 'memswap_limit':
      case 'shm_size':
      case 'cpus':
        (s as unknown as Record<string, unknown>)[k] = typeof v === 'number' ? v : str(v);
        break;
      case 'deploy':
        if (!isMap(v)) fail(ctx, kk, 'must be a mapping');
        s.deploy = structuredClone(v) as Service['deploy'];
        if (s.deploy?.replicas !== undefined) s.deploy.replicas = Number(s.deploy.replicas);
        break;
      case 'sysctls':
        s.sysctls = Object.fromEntries(Object.entries(keyValueMap(ctx, kk, v)).map(([a, b]) => [a, b ?? '']));
        break;
      case 'extends':
        s.extends = typeof v === 'string' ? { service: v } : v;
        break;
      default:
        (s as unknown as Record<string, unknown>)[k] = structuredClone(v);
    }
  }
  return s;
}

/** environment with env_file entries under it and bare names taken from the environment; unset ones dropped. */
export function resolveEnvironment(s: Service, lookup: Lookup, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of s.env_file ?? []) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new ComposeError(`${file}: services.${s.name}.env_file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `env file ${f} not found` : (e as Error).message}`);
    }
    Object.assign(out, parseEnvFile(text, lookup));
  }
  for (const [k, v] of Object.entries(s.environment ?? {})) {
    const val = v ?? lookup(k);
    if (val !== undefined) out[k] = val;
  }
  return out;
}
