// From the model to Engine API requests: dependency order, the config hash, resource names and Docker Compose's
// labels, and the POST /containers/create body of one service container.
import { createHash } from 'node:crypto';
import type { ContainerCreateBody, HostConfig, MountSpec, PortBinding } from '../../spec/docker-api.ts';
import { ramInBytes } from '../format/units.ts';
import { parseGoDurationNs } from '../options/container-flags.ts';
import type { Project, Service } from './model.ts';
import { ComposeError } from './model.ts';
import { resolveEnvironment } from './normalize.ts';

export const COMPOSE_VERSION = '2.29.0';

export const L = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  configHash: 'com.docker.compose.config-hash',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  replace: 'com.docker.compose.replace',
} as const;

/** Services in start order (dependencies first), ties by name. */
export function startOrder(services: Record<string, Service>): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (n: string) => {
    if (done.has(n) || !services[n]) return;
    done.add(n);
    for (const dep of Object.keys(services[n]!.depends_on ?? {}).sort()) visit(dep);
    if (services[n]!.network_mode?.startsWith('service:')) visit(services[n]!.network_mode!.slice(8));
    out.push(n);
  };
  for (const n of Object.keys(services).sort()) visit(n);
  return out;
}

/** Services that depend on `name`, directly or not. */
export function dependents(services: Record<string, Service>, names: string[]): string[] {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [n, s] of Object.entries(services)) {
      if (out.has(n)) continue;
      if (Object.keys(s.depends_on ?? {}).some((d) => names.includes(d) || out.has(d))) {
        out.add(n);
        grew = true;
      }
    }
  }
  return [...out];
}

/** The service plus everything it depends on (transitively). */
export function withDependencies(services: Record<string, Service>, names: string[]): string[] {
  const out = new Set<string>();
  const visit = (n: string) => {
    if (out.has(n) || !services[n]) return;
    out.add(n);
    for (const d of Object.keys(services[n]!.depends_on ?? {})) visit(d);
  };
  names.forEach(visit);
  return [...out];
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** sha256 of the service's resolved configuration, without what does not change a container (replicas, profiles). */
export function configHash(s: Service, env: Record<string, string>): string {
  const c: Record<string, unknown> = structuredClone(s) as unknown as Record<string, unknown>;
  delete c.scale;
  delete c.profiles;
  delete c.pull_policy;
  delete c.build;
  if (c.deploy && typeof c.deploy === 'object') {
    const d = { ...(c.deploy as Record<string, unknown>) };
    delete d.replicas;
    c.deploy = d;
  }
  c.environment = env;
  delete c.env_file;
  return createHash('sha256').update(JSON.stringify(sortKeys(c))).digest('hex');
}

export function imageName(project: Project, s: Service): string {
  return s.image ?? `${project.name}-${s.name}`;
}

export function containerName(project: Project, s: Service, n: number): string {
  return s.container_name ?? `${project.name}-${s.name}-${n}`;
}

export function projectLabels(project: Project): Record<string, string> {
  return {
    [L.project]: project.name,
    [L.workingDir]: project.workingDir,
    [L.configFiles]: project.configFiles.join(','),
    [L.version]: COMPOSE_VERSION,
  };
}

function nanoCpus(v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (Number.isNaN(n)) throw new ComposeError(`invalid cpus value ${JSON.stringify(v)}`);
  return Math.round(n * 1e9);
}

function bytes(v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  return typeof v === 'number' ? v : ramInBytes(v);
}

function durationNs(v: string | undefined): number | undefined {
  return v === undefined ? undefined : parseGoDurationNs(v);
}

export function portBindings(s: Service): { exposed: Record<string, object>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const e of s.expose ?? []) {
    const [port, proto = 'tcp'] = e.split('/');
    const m = /^(\d+)(?:-(\d+))?$/.exec(port!);
    if (!m) throw new ComposeError(`services.${s.name}.expose: invalid port ${JSON.stringify(e)}`);
    for (let p = Number(m[1]); p <= Number(m[2] ?? m[1]); p++) exposed[`${p}/${proto}`] = {};
  }
  for (const p of s.ports ?? []) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  return { exposed, bindings };
}

export interface CreatePlan {
  name: string;
  body: ContainerCreateBody;
  /** Networks to connect after create, beyond the one in NetworkingConfig. */
  extraNetworks: { name: string; aliases: string[]; ipv4?: string }[];
}

export interface CreateOptions {
  number: number;
  hash: string;
  oneoff?: boolean;
  name?: string;
  imageId?: string;
  /** Overrides for `run`. */
  command?: string[];
  entrypoint?: string[];
  extraEnv?: string[];
  tty?: boolean;
  interactive?: boolean;
  user?: string;
  workdir?: string;
  noPorts?: boolean;
  /** Service name → container name for network_mode: service:x. */
  containerOf?: (service: string) => string;
}

/** The service's networks in priority order (highest first), then by name. */
export function serviceNetworkNames(s: Service): string[] {
  if (s.network_mode) return [];
  const nets = s.networks ?? { default: null };
  return Object.keys(nets).sort((a, b) => (nets[b]?.priority ?? 0) - (nets[a]?.priority ?? 0) || a.localeCompare(b));
}

export function createPlan(project: Project, s: Service, o: CreateOptions): CreatePlan {
  const env = resolveEnvironment(s, (k) => project.environment[k], project.serviceFiles[s.name] ?? 'compose.yaml');
  const name = o.name ?? containerName(project, s, o.number);
  const labels: Record<string, string> = {
    ...(s.labels ?? {}),
    ...projectLabels(project),
    [L.service]: s.name,
    [L.number]: String(o.number),
    [L.oneoff]: o.oneoff ? 'True' : 'False',
    [L.configHash]: o.hash,
    [L.dependsOn]: Object.entries(s.depends_on ?? {}).map(([d, x]) => `${d}:${x.condition}:${x.restart ?? false}`).join(','),
  };
  if (o.imageId) labels[L.image] = o.imageId;
  const { exposed, bindings } = portBindings(s);
  const mounts: MountSpec[] = [];
  const binds: string[] = [];
  for (const m of s.volumes ?? []) {
    if (m.type === 'bind' && m.bind?.create_host_path !== false && !m.bind?.propagation) {
      binds.push(`${m.source}:${m.target}${m.read_only ? ':ro' : ':rw'}${m.bind?.selinux ? `,${m.bind.selinux}` : ''}`);
      continue;
    }
    const spec: MountSpec = { Type: m.type, Target: m.target };
    if (m.type === 'volume' && m.source) spec.Source = project.volumes[m.source]?.name ?? m.source;
    else if (m.source) spec.Source = m.source;
    if (m.read_only) spec.ReadOnly = true;
    if (m.bind?.propagation) spec.BindOptions = { Propagation: m.bind.propagation };
    if (m.volume?.nocopy) spec.VolumeOptions = { NoCopy: true };
    if (m.tmpfs) spec.TmpfsOptions = { ...(m.tmpfs.size ? { SizeBytes: m.tmpfs.size } : {}), ...(m.tmpfs.mode ? { Mode: m.tmpfs.mode } : {}) };
    mounts.push(spec);
  }
  const limits = s.deploy?.resources?.limits;
  const restart = s.restart ?? (s.deploy?.restart_policy?.condition === 'any' ? 'always' : s.deploy?.restart_policy?.condition === 'on-failure' ? 'on-failure' : undefined);
  const hc: HostConfig = {
    NetworkMode: 'default',
    PortBindings: o.noPorts ? {} : bindings,
    RestartPolicy: restart
      ? { Name: restart.split(':')[0] as 'no', MaximumRetryCount: restart.includes(':') ? Number(restart.split(':')[1]) : (s.deploy?.restart_policy?.max_attempts ?? 0) }
      : { Name: 'no', MaximumRetryCount: 0 },
    Binds: binds.length ? binds : null,
    Mounts: mounts.length ? mounts : null,
    Tmpfs: s.tmpfs?.length ? Object.fromEntries(s.tmpfs.map((t) => {
      const i = t.indexOf(':');
      return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
    })) : null,
    CapAdd: s.cap_add ?? null,
    CapDrop: s.cap_drop ?? null,
    Privileged: !!s.privileged,
    ReadonlyRootfs: !!s.read_only,
    Init: s.init ?? null,
    ExtraHosts: s.extra_hosts ?? null,
    Dns: s.dns ?? null,
    DnsSearch: s.dns_search ?? null,
    DnsOptions: s.dns_opt ?? null,
    SecurityOpt: s.security_opt ?? null,
    GroupAdd: s.group_add ?? null,
    Sysctls: s.sysctls ?? null,
  };
  const mem = bytes(s.mem_limit) ?? bytes(limits?.memory);
  if (mem !== undefined) hc.Memory = mem;
  const memRes = bytes(s.mem_reservation) ?? bytes(s.deploy?.resources?.reservations?.memory);
  if (memRes !== undefined) hc.MemoryReservation = memRes;
  const swap = bytes(s.memswap_limit);
  if (swap !== undefined) hc.MemorySwap = swap;
  const cpus = nanoCpus(s.cpus) ?? nanoCpus(limits?.cpus);
  if (cpus !== undefined) hc.NanoCpus = cpus;
  if (s.cpu_shares !== undefined) hc.CpuShares = s.cpu_shares;
  const pids = s.pids_limit ?? limits?.pids;
  if (pids !== undefined) hc.PidsLimit = pids;
  const shm = bytes(s.shm_size);
  if (shm !== undefined) hc.ShmSize = shm;
  if (s.ipc) hc.IpcMode = s.ipc;
  if (s.pid) hc.PidMode = s.pid;
  if (s.ulimits) {
    hc.Ulimits = Object.entries(s.ulimits).map(([n, v]) => (typeof v === 'number' ? { Name: n, Soft: v, Hard: v } : { Name: n, Soft: v.soft, Hard: v.hard }));
  }
  if (s.logging?.driver) hc.LogConfig = { Type: s.logging.driver, Config: s.logging.options ?? {} };

  const netNames = serviceNetworkNames(s);
  const extraNetworks: CreatePlan['extraNetworks'] = [];
  let endpoints: Record<string, unknown> | undefined;
  if (s.network_mode) {
    hc.NetworkMode = s.network_mode.startsWith('service:')
      ? `container:${o.containerOf?.(s.network_mode.slice(8)) ?? s.network_mode.slice(8)}`
      : s.network_mode;
  } else if (netNames.length) {
    const aliasesOf = (net: string) => [s.name, ...(s.networks?.[net]?.aliases ?? [])];
    const first = netNames[0]!;
    const fullName = (k: string) => project.networks[k]?.name ?? k;
    hc.NetworkMode = fullName(first);
    const ip = s.networks?.[first]?.ipv4_address;
    endpoints = { [fullName(first)]: { Aliases: aliasesOf(first), ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}) } };
    for (const n of netNames.slice(1)) extraNetworks.push({ name: fullName(n), aliases: aliasesOf(n), ipv4: s.networks?.[n]?.ipv4_address });
  }

  const hcfg = s.healthcheck;
  const body: ContainerCreateBody = {
    Image: imageName(project, s),
    Hostname: s.hostname ?? '',
    Domainname: s.domainname ?? '',
    User: o.user ?? s.user ?? '',
    Env: [...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...(o.extraEnv ?? [])],
    Cmd: o.command ?? s.command ?? null,
    Entrypoint: o.entrypoint ?? s.entrypoint ?? null,
    WorkingDir: o.workdir ?? s.working_dir ?? '',
    Labels: labels,
    ExposedPorts: Object.keys(exposed).length ? exposed : null,
    Tty: o.tty ?? !!s.tty,
    OpenStdin: o.interactive ?? !!s.stdin_open,
    StdinOnce: !!o.interactive,
    AttachStdin: !!o.interactive,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: hc,
    ...(endpoints ? { NetworkingConfig: { EndpointsConfig: endpoints } } : {}),
  };
  if (s.stop_signal) body.StopSignal = s.stop_signal;
  if (s.stop_grace_period) body.StopTimeout = Math.round(parseGoDurationNs(s.stop_grace_period) / 1e9);
  if (hcfg) {
    body.Healthcheck = hcfg.disable
      ? { Test: ['NONE'] }
      : {
          Test: hcfg.test,
          Interval: durationNs(hcfg.interval),
          Timeout: durationNs(hcfg.timeout),
          Retries: hcfg.retries,
          StartPeriod: durationNs(hcfg.start_period),
          StartInterval: durationNs(hcfg.start_interval),
        };
  }
  return { name, body, extraNetworks };
}

export function stopTimeoutOf(s: Service | undefined): number | undefined {
  return s?.stop_grace_period ? Math.round(parseGoDurationNs(s.stop_grace_period) / 1e9) : undefined;
}
