// The container state machine: create → start → (pause ↔ running) → exit → remove. State lives in records written
// atomically; runtime calls never happen under a lock that listing needs, so `ps` never waits on runc.
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, conflict, errorMessage, invalidArgument, notFound, notModified } from '../base/errors.ts';
import { newId, resolveByIdOrName } from '../base/ids.ts';
import { KeyedMutex } from '../base/keyed-mutex.ts';
import { generateName } from '../base/names.ts';
import type {
  ContainerCreateBody,
  ContainerState,
  ContainerSummary,
  ImageRuntimeConfig,
} from '../spec/docker-api.ts';
import type { Snapshotter } from '../store/snapshot/snapshotter.ts';
import { rotateIfNeeded } from '../logs/log-rotator.ts';
import { readLogs, type LogEntry } from '../logs/log-reader.ts';
import type { EventSink } from '../events/event-log.ts';
import type { ContainerRuntime, AttachStream } from '../runtime/runtime.ts';
import { buildSpec, specToJson, type HostLimits, type SpecInput } from '../runtime/oci-spec.ts';
import { commandOf, mergeConfig, normalizeCreateBody, parseSignal, validateBuiltinNetworkMode, validateHostConfig, validateName } from './container-config.ts';
import { hostResources, resolveBlockIO, validateResources } from './container-resources.ts';
import { ContainerStore, initialState, type ContainerRecord } from './container-record.ts';
import { writeEtcFiles } from './etc-files.ts';
import { matchesFilters, parseFilters } from './container-filters.ts';
import { HealthMonitor, probeArgv, type ProbeResult } from './health-monitor.ts';

/** What the engine needs from the image subsystem. */
export interface ImageBackend {
  resolve(ref: string): { id: string; config: { config?: ImageRuntimeConfig } } | Promise<{ id: string; config: { config?: ImageRuntimeConfig } }>;
  layerChainFor(imageId: string): string | null;
  familiarName?(imageId: string): string | undefined;
}

/** The network subsystem as the engine sees it: join a container to its networks around its life. */
export interface NetworkAttacher {
  /** Create-time validation of NetworkMode, PortBindings, ... (throws BerthError). */
  validate(rec: ContainerRecord): void;
  /**
   * Before runc create: set up the container's network namespace (or none/host), IPs, published ports.
   * Idempotent for a container already connected (live restore).
   */
  connect(rec: ContainerRecord): Promise<NetworkJoin>;
  /** After exit or on remove: release addresses, rules, veths, the netns. Idempotent. */
  disconnect(rec: ContainerRecord): Promise<void>;
  /** Docker's NetworkSettings for inspect, and the Ports of `ps`. */
  settings(rec: ContainerRecord): Record<string, unknown>;
  ports(rec: ContainerRecord): ContainerSummary['Ports'];
  /** Networks the container is on, for `ps` and inspect's HostConfig.NetworkMode summary. */
  summary(rec: ContainerRecord): { NetworkMode: string; Networks: Record<string, unknown> };
  /** After daemon restart: re-adopt running containers' network state, release what dead ones held. */
  restore(records: ContainerRecord[]): Promise<void>;
}

export interface NetworkJoin {
  /** Path of the netns to join (/run/netns/NAME), or 'host', or 'none' (a fresh empty netns). */
  netns: string;
  /** Primary IP on the container's network, for /etc/hosts. */
  ip?: string;
  /** Extra /etc/hosts lines (aliases, host.docker.internal ...), "IP\tNAME ..." form. */
  hostsEntries?: string[];
  /** Nameservers for resolv.conf (e.g. the embedded DNS on a user network's gateway); empty = host's. */
  dns?: string[];
  dnsSearch?: string[];
}

/** The volume subsystem as the engine sees it (src/engine/container-mounts.ts): a container's volumes, binds, tmpfs. */
export interface VolumeAttacher {
  /** Create time: validate Binds/Mounts/VolumesFrom/Config.Volumes, create named and anonymous volumes, set rec.MountPoints. */
  prepare(rec: ContainerRecord, ctx: { lookup(ref: string): ContainerRecord }): Promise<void>;
  /** Before runc create, rootfs mounted: mount volumes, copy image content into empty ones; the OCI mounts. */
  mounts(rec: ContainerRecord, rootfs: string): Promise<{ source: string; destination: string; type?: string; options: string[] }[]>;
  /** After exit (or a failed start): the container no longer uses its volumes' mounts. Idempotent. */
  release(rec: ContainerRecord): Promise<void>;
  /** On rm: drop the container's references; with `volumes`, remove its anonymous volumes nobody else uses. */
  remove(rec: ContainerRecord, opts: { volumes?: boolean }): Promise<void>;
  /** inspect's and ps's `Mounts`. */
  inspectMounts(rec: ContainerRecord): Record<string, unknown>[];
  /** After daemon restart: rebuild references and active mounts from the records. */
  restore(records: ContainerRecord[]): Promise<void>;
}

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface ContainerServiceOptions {
  dataRoot: string;
  execRoot: string;
  runtime: ContainerRuntime;
  /** Directory conmon writes exit files into (watched). */
  exitDir: string;
  images: ImageBackend;
  snapshotter: Snapshotter;
  hostLimits: HostLimits;
  cgroupParent: string;
  initPath: string;
  log: Logger;
  logMaxSize: number;
  logMaxFiles: number;
  /** Optional network subsystem; without it containers get `none` (or `host`). */
  network?: NetworkAttacher;
  events?: EventSink;
  /** Optional volume subsystem; without it only absolute-path binds and tmpfs mounts work. */
  volumes?: VolumeAttacher;
}

type WaitCondition = 'not-running' | 'next-exit' | 'removed';

interface Waiter {
  condition: WaitCondition;
  resolve: (r: { StatusCode: number; Error: { Message: string } | null }) => void;
}

/** A client attached to a container's stdio; bound to conmon's socket once the container runs. */
export interface AttachClient {
  stdin: boolean;
  onOutput(stream: 1 | 2, data: Buffer): void;
  onEnd(): void;
  /** Set by the service once connected: the client's stdin goes here. */
  bind?(stream: AttachStream): void;
}

const TIME_ZERO = '0001-01-01T00:00:00Z';

export class ContainerService {
  private readonly o: ContainerServiceOptions;
  private readonly store: ContainerStore;
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly locks = new KeyedMutex();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly pendingAttach = new Map<string, AttachClient[]>();
  private readonly liveAttach = new Map<string, Set<AttachStream>>();
  private readonly exitHandled = new Set<string>();
  private watcher: FSWatcher | null = null;
  private rotateTimer: NodeJS.Timeout | null = null;
  /** Names reserved by creates in flight, so two concurrent creates cannot take one name. */
  private readonly reservedNames = new Set<string>();
  private readonly health = new Map<string, HealthMonitor>();

  constructor(o: ContainerServiceOptions) {
    this.o = o;
    this.store = new ContainerStore(o.dataRoot);
  }

  // ---- lifecycle of the service ------------------------------------------------------------------------------

  async init(): Promise<void> {
    await this.store.init();
    await mkdir(join(this.o.execRoot, 'containers'), { recursive: true, mode: 0o700 });
    for (const rec of await this.store.loadAll()) this.byId.set(rec.Id, rec);
    // A create that died before its record was written leaves a bare directory and maybe a writable layer.
    for (const id of await this.store.orphanDirs(new Set(this.byId.keys()))) {
      this.o.log.warn('removing half-created container', { id });
      await this.o.snapshotter.remove(id).catch(() => {});
      await this.store.remove(id);
    }
    this.watcher = watch(this.o.exitDir, (_event, file) => {
      if (file && this.byId.has(String(file))) void this.onExitFile(String(file));
    });
    this.watcher.on('error', (e) => this.o.log.error('exit watcher failed', { error: e.message }));
    // Live restore: containers conmon kept running are adopted; those that ended while we were away are recorded.
    for (const rec of this.byId.values()) {
      if (!rec.State.Running) {
        // A daemon killed mid-start can leave a runc container and a mount behind a record that says "created".
        if (await this.o.runtime.hasState(rec.Id)) await this.o.runtime.delete(rec.Id, { force: true }).catch(() => {});
        await this.o.snapshotter.unmount(rec.Id, this.rootfsPath(rec.Id)).catch(() => {});
        continue;
      }
      const exit = await this.o.runtime.readExit(rec.Id);
      if (exit) {
        await this.onExitFile(rec.Id);
        continue;
      }
      const st = await this.o.runtime.state(rec.Id);
      if (st && (st.status === 'running' || st.status === 'paused')) {
        rec.State.Paused = st.status === 'paused';
        rec.State.Status = st.status;
        this.o.log.info('restored running container', { id: rec.Id, pid: st.pid });
      } else {
        // conmon and runc both lost it (e.g. reboot): record that it died without a known code.
        await this.recordExit(rec, { code: 255, at: new Date(), oomKilled: false }, 'container state lost while the daemon was down');
      }
    }
    await this.o.network?.restore([...this.byId.values()]).catch((e) => this.o.log.error('network restore failed', { error: errorMessage(e) }));
    await this.o.volumes?.restore([...this.byId.values()]).catch((e) => this.o.log.error('volume restore failed', { error: errorMessage(e) }));
    // Containers adopted alive get their health probes back; restart policies apply to the rest, as at boot.
    for (const rec of this.byId.values()) {
      if (rec.State.Running) this.startHealth(rec);
      else if (this.restartOnDaemonStart(rec)) {
        this.start(rec.Id).catch((e) => this.o.log.warn('restart at daemon start failed', { id: rec.Id, error: errorMessage(e) }));
      }
    }
    this.rotateTimer = setInterval(() => void this.rotateLogs(), 2000);
    this.rotateTimer.unref();
  }

  async close(): Promise<void> {
    for (const m of this.health.values()) m.stop();
    this.watcher?.close();
    if (this.rotateTimer) clearInterval(this.rotateTimer);
    for (const set of this.liveAttach.values()) for (const a of set) a.close();
  }

  /** Docker's container event: attributes are the image, the name and the container's labels. */
  event(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.o.events?.emit({
      type: 'container',
      action,
      id: rec.Id,
      attributes: { ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? '', name: rec.Name, ...extra },
    });
  }

  // ---- queries ----------------------------------------------------------------------------------------------

  get(ref: string): ContainerRecord {
    return resolveByIdOrName(
      [...this.byId.values()].map((r) => ({ id: r.Id, name: r.Name, rec: r })),
      ref,
      'container',
    ).rec;
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  imageInUse(imageId: string): string | null {
    for (const r of this.byId.values()) if (r.Image === imageId) return r.Id;
    return null;
  }

  /** Runs `fn` holding the container's lock (start, pause and remove wait); for temporary rootfs mounts. */
  /** Persists a record changed under withLock (docker update). */
  saveRecord(rec: ContainerRecord): Promise<void> {
    return this.store.save(rec);
  }

  withLock<T>(ref: string, fn: (rec: ContainerRecord) => Promise<T>): Promise<T> {
    const rec = this.get(ref);
    return this.locks.run(rec.Id, () => fn(rec));
  }

  bundle(id: string): string {
    return join(this.o.execRoot, 'containers', id);
  }

  rootfsPath(id: string): string {
    return join(this.bundle(id), 'rootfs');
  }

  logPath(id: string): string {
    return this.store.logPath(id);
  }

  list(opts: { all?: boolean; limit?: number; filters?: string; sizes?: boolean }): ContainerSummary[] {
    const filters = parseFilters(opts.filters);
    let recs = [...this.byId.values()].sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
    const showAll = opts.all || (opts.limit !== undefined && opts.limit > 0);
    recs = recs.filter((r) => matchesFilters(r, filters, { showAll, imageName: (id) => this.o.images.familiarName?.(id) }));
    if (opts.limit !== undefined && opts.limit > 0) recs = recs.slice(0, opts.limit);
    return recs.map((r) => this.summary(r));
  }

  summary(r: ContainerRecord): ContainerSummary {
    const cmd = [r.Path, ...r.Args].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ');
    const net = r.HostConfig.NetworkMode || 'default';
    return {
      Id: r.Id,
      Names: ['/' + r.Name],
      Image: r.Config.Image || r.Image,
      ImageID: r.Image,
      Command: [r.Path, ...r.Args].join(' ') === cmd ? cmd : cmd,
      Created: Math.floor(Date.parse(r.Created) / 1000),
      Ports: this.o.network?.ports(r) ?? [],
      Labels: r.Config.Labels ?? {},
      State: r.State.Status,
      Status: statusText(r.State),
      HostConfig: { NetworkMode: this.o.network?.summary(r).NetworkMode ?? net },
      NetworkSettings: { Networks: this.o.network?.summary(r).Networks ?? {} },
      Mounts: this.o.volumes?.inspectMounts(r) ?? [],
    };
  }

  inspect(ref: string): Record<string, unknown> {
    const r = this.get(ref);
    return {
      Id: r.Id,
      Created: r.Created,
      Path: r.Path,
      Args: r.Args,
      State: r.State,
      Image: r.Image,
      ResolvConfPath: join(this.store.dir(r.Id), 'resolv.conf'),
      HostnamePath: join(this.store.dir(r.Id), 'hostname'),
      HostsPath: join(this.store.dir(r.Id), 'hosts'),
      LogPath: this.logPath(r.Id),
      Name: '/' + r.Name,
      RestartCount: r.RestartCount,
      Driver: this.o.snapshotter.name,
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      ExecIDs: null,
      HostConfig: {
        NetworkMode: 'default',
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
        LogConfig: { Type: 'k8s-file', Config: { 'max-size': String(this.o.logMaxSize), 'max-file': String(this.o.logMaxFiles) } },
        ...r.HostConfig,
      },
      GraphDriver: {
        Name: this.o.snapshotter.name,
        Data: { UpperDir: this.o.snapshotter.upperDir(r.Id), MergedDir: this.rootfsPath(r.Id) },
      },
      Mounts: this.o.volumes ? this.o.volumes.inspectMounts(r) : (r.HostConfig.Binds ?? []).map((b) => {
        const [src, dst, mode = ''] = b.split(':');
        return { Type: 'bind', Source: src, Destination: dst, Mode: mode, RW: !mode.split(',').includes('ro'), Propagation: 'rprivate' };
      }),
      Config: r.Config,
      NetworkSettings: this.o.network?.settings(r) ?? {
        Bridge: '', SandboxID: '', SandboxKey: '', Ports: {}, HairpinMode: false,
        LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
        EndpointID: '', Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0,
        IPv6Gateway: '', MacAddress: '', Networks: {},
      },
    };
  }

  // ---- create ------------------------------------------------------------------------------------------------

  async create(body: ContainerCreateBody, opts: { name?: string } = {}): Promise<{ Id: string; Warnings: string[] }> {
    if (!body || typeof body !== 'object') throw invalidArgument('config cannot be empty in order to create a container');
    normalizeCreateBody(body as unknown as Record<string, unknown>);
    if (!body.Image) throw invalidArgument('No image specified', 'no_image');
    const hc = body.HostConfig ?? {};
    validateHostConfig(hc);
    const resourceWarnings = validateResources(hc, await hostResources());
    await resolveBlockIO(hc); // a missing throttled device is refused at create, not at start
    for (const [k, v] of Object.entries(body.Labels ?? {})) {
      if (typeof v !== 'string') throw invalidArgument(`invalid label value for ${k}`);
    }
    if (body.StopSignal) parseSignal(body.StopSignal);
    const name = opts.name ? validateName(opts.name) : this.freshName();
    const clash = [...this.byId.values()].find((r) => r.Name === name);
    if (clash || this.reservedNames.has(name)) {
      throw conflict(
        `Conflict. The container name "/${name}" is already in use by container "${clash?.Id ?? 'pending'}". You have to remove (or rename) that container to be able to reuse that name.`,
        'name_in_use',
      );
    }
    const image = await this.o.images.resolve(body.Image);
    const config = mergeConfig(body, image.config.config ?? {});
    const { path, args } = commandOf(config);
    const id = newId();
    if (!config.Hostname) config.Hostname = id.slice(0, 12);
    const rec: ContainerRecord = {
      Id: id,
      Name: name,
      Created: new Date().toISOString(),
      Path: path,
      Args: args,
      Config: config,
      HostConfig: {
        NetworkMode: hc.NetworkMode || 'default',
        RestartPolicy: hc.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
        ...hc,
      },
      Image: image.id,
      State: initialState(),
      RestartCount: 0,
      LayerChain: this.o.images.layerChainFor(image.id),
      ...(body.NetworkingConfig?.EndpointsConfig ? { NetworkingConfig: { EndpointsConfig: body.NetworkingConfig.EndpointsConfig } } : {}),
    };
    if (!rec.HostConfig.RestartPolicy?.Name) rec.HostConfig.RestartPolicy = { Name: 'no', MaximumRetryCount: 0 };
    if (this.o.network) this.o.network.validate(rec);
    else validateBuiltinNetworkMode(rec.HostConfig);
    this.reservedNames.add(name);
    try {
      if (this.o.volumes) await this.o.volumes.prepare(rec, { lookup: (ref) => this.get(ref) });
      try {
        await this.o.snapshotter.prepare(id, rec.LayerChain);
      } catch (e) {
        await this.o.volumes?.remove(rec, { volumes: true }).catch(() => {});
        throw e;
      }
      try {
        await this.store.save(rec);
      } catch (e) {
        await this.o.volumes?.remove(rec, { volumes: true }).catch(() => {});
        await this.o.snapshotter.remove(id).catch(() => {});
        await this.store.remove(id).catch(() => {});
        throw e;
      }
      this.byId.set(id, rec);
    } finally {
      this.reservedNames.delete(name);
    }
    this.o.log.info('container created', { id, name });
    this.event(rec, 'create');
    return { Id: id, Warnings: resourceWarnings };
  }

  private freshName(): string {
    const taken = new Set([...this.byId.values()].map((r) => r.Name));
    for (let i = 0; i < 20; i++) {
      const n = generateName(i > 5 ? i : 0);
      if (!taken.has(n) && !this.reservedNames.has(n)) return n;
    }
    return `berth_${newId().slice(0, 12)}`;
  }

  // ---- start -------------------------------------------------------------------------------------------------

  async start(ref: string): Promise<void> {
    const rec = this.get(ref);
    await this.locks.run(rec.Id, () => this.startLocked(rec));
  }

  private async startLocked(rec: ContainerRecord): Promise<void> {
    if (!this.byId.has(rec.Id)) throw notFound(`No such container: ${rec.Id}`);
    if (rec.State.Paused) throw conflict('cannot start a paused container, try unpause instead', 'container_paused');
    if (rec.State.Running) throw notModified('container already started');
    const id = rec.Id;
    const bundle = this.bundle(id);
    const rootfs = this.rootfsPath(id);
    const cleanups: (() => Promise<unknown>)[] = [];
    const t0 = performance.now();
    const marks: Record<string, number> = {};
    const mark = (k: string) => (marks[k] = Math.round(performance.now() - t0));
    try {
      await mkdir(rootfs, { recursive: true });
      await this.o.snapshotter.mount(id, rootfs);
      cleanups.push(() => this.o.snapshotter.unmount(id, rootfs));
      mark('mount');
      const volumeMounts = this.o.volumes ? await this.o.volumes.mounts(rec, rootfs) : undefined;
      if (this.o.volumes) cleanups.push(() => this.o.volumes!.release(rec));
      const net = this.o.network ? await this.o.network.connect(rec) : undefined;
      if (this.o.network) cleanups.push(() => this.o.network!.disconnect(rec));
      mark('network');
      const etc = await writeEtcFiles({
        dir: this.store.dir(id),
        hostname: rec.Config.Hostname || id.slice(0, 12),
        networkMode: net?.netns === 'host' || rec.HostConfig.NetworkMode === 'host' ? 'host' : rec.HostConfig.NetworkMode ?? 'default',
        // The network subsystem resolves --add-host (host-gateway) into hostsEntries itself.
        extraHosts: net?.hostsEntries ? [] : [...(rec.HostConfig.ExtraHosts ?? [])],
        extraHostsLines: net?.hostsEntries ?? [],
        ip: net?.ip,
        dns: rec.HostConfig.Dns?.length ? rec.HostConfig.Dns : (net?.dns ?? []),
        dnsSearch: rec.HostConfig.DnsSearch?.length ? rec.HostConfig.DnsSearch : (net?.dnsSearch ?? []),
        dnsOptions: rec.HostConfig.DnsOptions ?? [],
      });
      const input = this.specInput(rec, rootfs, etc, net, volumeMounts);
      const blockIO = await resolveBlockIO(rec.HostConfig);
      if (blockIO) input.resources = { ...input.resources, blockIO };
      const spec = await buildSpec(input, this.o.hostLimits);
      // The docker CLI sends the terminal size at create; without it the pty starts at 0x0 (findings §1).
      const cs = rec.HostConfig.ConsoleSize;
      if (rec.Config.Tty && spec.process && cs && cs[0] > 0 && cs[1] > 0) spec.process.consoleSize = { height: cs[0], width: cs[1] };
      await writeFile(join(bundle, 'config.json'), specToJson(spec));
      mark('spec');
      await this.o.runtime.cleanup(id);
      this.exitHandled.delete(id);
      const created = await this.o.runtime.create({
        id,
        bundle,
        logPath: this.logPath(id),
        tty: !!rec.Config.Tty,
        openStdin: !!rec.Config.OpenStdin,
        leaveStdinOpen: !rec.Config.StdinOnce,
      });
      cleanups.push(() => this.o.runtime.delete(id, { force: true }));
      mark('create');
      // Clients that attached before start (docker run) must see output from the very first byte.
      await this.bindPendingAttach(id);
      mark('attach');
      await this.o.runtime.start(id);
      mark('start');
      const st = rec.State;
      st.Status = 'running';
      st.Running = true;
      st.Paused = false;
      st.Restarting = false;
      st.OOMKilled = false;
      st.Dead = false;
      st.Pid = created.pid;
      st.ExitCode = 0;
      st.Error = '';
      st.StartedAt = new Date().toISOString();
      st.FinishedAt = TIME_ZERO;
      rec.ConmonPid = created.conmonPid;
      rec.ManuallyStopped = false;
      await this.store.save(rec);
      mark('saved');
      this.o.log.info('container started', { id, pid: created.pid, ...marks });
      this.event(rec, 'start');
      this.startHealth(rec);
      // The process may already have exited (before we saved Running): re-check the exit file.
      if (await this.o.runtime.readExit(id)) void this.onExitFile(id);
    } catch (e) {
      for (const c of cleanups.reverse()) await c().catch(() => {});
      this.failPendingAttach(id);
      await this.o.runtime.cleanup(id).catch(() => {});
      const msg = errorMessage(e);
      rec.State.Error = msg;
      rec.State.ExitCode = /executable file not found|no such file or directory/.test(msg)
        ? 127
        : /permission denied/.test(msg)
          ? 126
          : 128;
      await this.store.save(rec).catch(() => {});
      // Docker removes an auto-remove container whose start failed, so `run --rm` waiters see it gone.
      if (rec.HostConfig.AutoRemove) {
        setImmediate(() => void this.remove(id, { force: true, volumes: true }).catch(() => {}));
      }
      this.notify(id, ['next-exit'], rec.State.ExitCode);
      if (e instanceof BerthError && e.category !== 'internal') throw e;
      throw new BerthError('internal', 'start_failed', msg);
    }
  }

  private specInput(
    rec: ContainerRecord,
    rootfs: string,
    etc: { hosts: string; hostname: string; resolvConf: string },
    net?: NetworkJoin,
    volumeMounts?: SpecInput['extraMounts'],
  ): SpecInput {
    const hc = rec.HostConfig;
    const mode = hc.NetworkMode ?? 'default';
    const binds = volumeMounts ?? (hc.Binds ?? []).map((b) => {
      const [source, destination, modes = ''] = b.split(':');
      const opts = modes.split(',').filter(Boolean);
      return {
        source: source!,
        destination: destination!,
        type: 'bind',
        options: ['rbind', opts.includes('ro') ? 'ro' : 'rw', 'rprivate'],
      };
    });
    const tmpfs = Object.entries(hc.Tmpfs ?? {}).map(([dest, o]) => ({
      source: 'tmpfs',
      destination: dest,
      type: 'tmpfs',
      options: ['nosuid', 'nodev', 'noexec', ...(o ? o.split(',') : [])],
    }));
    return {
      id: rec.Id,
      rootfs,
      readonlyRootfs: !!hc.ReadonlyRootfs,
      args: [rec.Path, ...rec.Args],
      env: rec.Config.Env ?? [],
      cwd: rec.Config.WorkingDir ?? '',
      user: rec.Config.User ?? '',
      groupAdd: hc.GroupAdd ?? [],
      hostname: rec.Config.Hostname || rec.Id.slice(0, 12),
      domainname: rec.Config.Domainname,
      tty: !!rec.Config.Tty,
      privileged: !!hc.Privileged,
      capAdd: hc.CapAdd ?? [],
      capDrop: hc.CapDrop ?? [],
      securityOpt: hc.SecurityOpt ?? [],
      init: hc.Init ? { hostPath: this.o.initPath } : undefined,
      network:
        net?.netns === 'host' || (!net && mode === 'host')
          ? { mode: 'host' }
          : net && net.netns !== 'none'
            ? { mode: 'netns', path: net.netns }
            : { mode: 'none' },
      ipcMode: hc.IpcMode === 'host' ? 'host' : 'private',
      pidMode: hc.PidMode === 'host' ? 'host' : 'private',
      utsMode: hc.UTSMode === 'host' ? 'host' : 'private',
      etcFiles: { hosts: etc.hosts, hostname: etc.hostname, resolvConf: etc.resolvConf },
      extraMounts: [...binds, ...tmpfs],
      cgroupsPath: `${hc.CgroupParent || this.o.cgroupParent}/${rec.Id}`,
      resources: {
        memory: hc.Memory || undefined,
        memorySwap: hc.MemorySwap || undefined,
        memoryReservation: hc.MemoryReservation || undefined,
        cpuShares: hc.CpuShares || undefined,
        cpuQuota: hc.CpuQuota || undefined,
        cpuPeriod: hc.CpuPeriod || undefined,
        cpusetCpus: hc.CpusetCpus || undefined,
        cpusetMems: hc.CpusetMems || undefined,
        pidsLimit: hc.PidsLimit && hc.PidsLimit > 0 ? hc.PidsLimit : undefined,
        oomKillDisable: hc.OomKillDisable ?? undefined,
        nanoCpus: hc.NanoCpus || undefined,
      },
      ulimits: hc.Ulimits ?? [],
      shmSize: hc.ShmSize || undefined,
      sysctls: hc.Sysctls ?? undefined,
      oomScoreAdj: hc.OomScoreAdj || undefined,
      maskedPaths: hc.MaskedPaths ?? undefined,
      readonlyPaths: hc.ReadonlyPaths ?? undefined,
    };
  }

  // ---- health --------------------------------------------------------------------------------------------------

  private startHealth(rec: ContainerRecord): void {
    const cfg = rec.Config.Healthcheck;
    if (!cfg || !probeArgv(cfg.Test)) return;
    this.health.get(rec.Id)?.stop();
    rec.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    const monitor = HealthMonitor.start({
      id: rec.Id,
      config: cfg,
      startedAt: Date.parse(rec.State.StartedAt) || Date.now(),
      probe: (argv, signal) => this.probe(rec, argv, signal),
      onChange: (state, changed) => {
        rec.State.Health = { Status: state.Status, FailingStreak: state.FailingStreak, Log: [...state.Log] };
        if (changed) {
          this.event(rec, `health_status: ${state.Status}`);
          void this.store.save(rec).catch(() => {});
        }
      },
    });
    if (monitor) this.health.set(rec.Id, monitor);
  }

  /** Runs a health probe through conmon's exec mode and collects its output. */
  private async probe(rec: ContainerRecord, argv: string[], signal: AbortSignal): Promise<ProbeResult> {
    const sessionId = newId();
    const dir = join(this.o.execRoot, 'exec', sessionId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      const base = await this.processSpec(rec.Id);
      const session = await this.o.runtime.exec({
        containerId: rec.Id,
        sessionId,
        dir,
        process: { ...base, args: argv, terminal: false },
        tty: false,
        stdin: false,
        attach: true,
      });
      let output = '';
      session.attach?.onData((_s, d) => {
        if (output.length < 8192) output += d.toString('utf8');
      });
      const onAbort = () => {
        try {
          process.kill(session.pid, 'SIGKILL');
        } catch {}
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const exitCode = await session.exited;
      signal.removeEventListener('abort', onAbort);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 500);
        session.attach ? session.attach.onClose(() => (clearTimeout(t), r())) : r();
      });
      return { exitCode, output };
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }

  // ---- exit handling -----------------------------------------------------------------------------------------

  private async onExitFile(id: string): Promise<void> {
    if (this.exitHandled.has(id)) return;
    const exit = await this.o.runtime.readExit(id);
    if (!exit) return;
    const rec = this.byId.get(id);
    if (!rec || !rec.State.Running) return;
    this.exitHandled.add(id);
    await this.recordExit(rec, exit, '');
  }

  private async recordExit(
    rec: ContainerRecord,
    exit: { code: number; at: Date; oomKilled: boolean },
    error: string,
  ): Promise<void> {
    const id = rec.Id;
    await this.locks.run(id, async () => {
      const st = rec.State;
      st.Status = 'exited';
      st.Running = false;
      st.Paused = false;
      st.Restarting = false;
      st.Pid = 0;
      st.ExitCode = exit.code;
      st.OOMKilled = exit.oomKilled;
      st.Error = error;
      st.FinishedAt = exit.at.toISOString();
      rec.ConmonPid = undefined;
      this.health.get(id)?.stop();
      this.health.delete(id);
      await this.store.save(rec).catch((e) => this.o.log.error('saving exit failed', { id, error: errorMessage(e) }));
      this.o.log.info('container exited', { id, code: exit.code });
      if (exit.oomKilled) this.event(rec, 'oom');
      const ran = Date.parse(st.FinishedAt) - Date.parse(st.StartedAt);
      this.event(rec, 'die', { exitCode: String(exit.code), execDuration: String(Math.max(0, Math.round(ran / 1000))) });
      // Waiters learn of the exit before cleanup; a following start waits for this lock, so it never races it.
      this.notify(id, ['not-running', 'next-exit'], exit.code);
      await this.o.runtime.delete(id, { force: true }).catch((e) => this.o.log.warn('runc delete failed', { id, error: errorMessage(e) }));
      // Independent of each other: the rootfs unmount and the netns/veth teardown (~30 ms of kernel RCU waits) overlap.
      await Promise.all([
        this.o.snapshotter.unmount(id, this.rootfsPath(id)).catch((e) => this.o.log.warn('unmount failed', { id, error: errorMessage(e) })),
        this.o.network?.disconnect(rec).catch((e) => this.o.log.warn('network disconnect failed', { id, error: errorMessage(e) })),
      ]);
      await this.o.volumes?.release(rec).catch((e) => this.o.log.warn('volume release failed', { id, error: errorMessage(e) }));
      await this.o.runtime.cleanup(id).catch(() => {});
    });
    // Give attached clients a moment to drain conmon's last messages before we tear the socket down.
    setTimeout(() => {
      for (const a of this.liveAttach.get(id) ?? []) a.close();
    }, 2000).unref();
    if (rec.HostConfig.AutoRemove) {
      await this.remove(id, { force: true, volumes: true }).catch((e) => this.o.log.warn('auto-remove failed', { id, error: errorMessage(e) }));
    } else {
      this.maybeRestart(rec);
    }
  }

  /** Docker's rule at daemon start: always → start; unless-stopped → start unless the user stopped it. */
  private restartOnDaemonStart(rec: ContainerRecord): boolean {
    const policy = rec.HostConfig.RestartPolicy?.Name ?? 'no';
    if (policy === 'always') return true;
    if (policy === 'unless-stopped') return !rec.ManuallyStopped;
    if (policy === 'on-failure') {
      const max = rec.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0;
      return !rec.ManuallyStopped && rec.State.ExitCode !== 0 && rec.State.Status === 'exited' && (max === 0 || rec.RestartCount < max);
    }
    return false;
  }

  private maybeRestart(rec: ContainerRecord): void {
    const policy = rec.HostConfig.RestartPolicy?.Name ?? 'no';
    if (rec.ManuallyStopped) return;
    const max = rec.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0;
    const should =
      policy === 'always' ||
      policy === 'unless-stopped' ||
      (policy === 'on-failure' && rec.State.ExitCode !== 0 && (max === 0 || rec.RestartCount < max));
    if (!should) return;
    // Docker's back-off: 100 ms doubling per consecutive restart, capped at 1 minute.
    const delay = Math.min(60_000, 100 * 2 ** Math.min(rec.RestartCount, 10));
    rec.State.Restarting = true;
    rec.State.Status = 'restarting';
    setTimeout(() => {
      if (!this.byId.has(rec.Id) || rec.ManuallyStopped || rec.State.Running) return;
      rec.RestartCount++;
      this.start(rec.Id).catch((e) => {
        rec.State.Restarting = false;
        rec.State.Status = 'exited';
        this.o.log.warn('restart failed', { id: rec.Id, error: errorMessage(e) });
      });
    }, delay).unref();
  }

  private notify(id: string, conditions: WaitCondition[], code: number): void {
    const list = this.waiters.get(id);
    if (!list) return;
    const keep: Waiter[] = [];
    for (const w of list) {
      if (conditions.includes(w.condition)) w.resolve({ StatusCode: code, Error: null });
      else keep.push(w);
    }
    if (keep.length) this.waiters.set(id, keep);
    else this.waiters.delete(id);
  }

  // ---- wait / stop / kill / restart -------------------------------------------------------------------------

  /** Registers the wait at once (so callers can flush headers) and resolves at the condition. */
  wait(ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
    const rec = this.get(ref);
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) {
      throw invalidArgument(`invalid condition: "${condition}"`);
    }
    if (condition === 'not-running' && !rec.State.Running && !rec.State.Restarting) {
      return Promise.resolve({ StatusCode: rec.State.ExitCode, Error: null });
    }
    return new Promise((resolve) => {
      const w: Waiter = { condition, resolve };
      const list = this.waiters.get(rec.Id) ?? [];
      list.push(w);
      this.waiters.set(rec.Id, list);
      signal?.addEventListener('abort', () => {
        const l = this.waiters.get(rec.Id);
        if (l) this.waiters.set(rec.Id, l.filter((x) => x !== w));
      }, { once: true });
    });
  }

  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw notModified('container already stopped');
    rec.ManuallyStopped = true;
    const sig = parseSignal(opts.signal || rec.Config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? rec.Config.StopTimeout ?? 10;
    const exited = this.wait(rec.Id, 'not-running');
    if (timeout !== 0) {
      if (rec.State.Paused) await this.o.runtime.resume(rec.Id).catch(() => {});
      this.event(rec, 'kill', { signal: signalNumber(sig) });
      await this.o.runtime.kill(rec.Id, sig);
      if (timeout < 0) {
        await exited;
        this.event(rec, 'stop');
        return;
      }
      const done = await Promise.race([exited.then(() => true), sleep(timeout * 1000).then(() => false)]);
      if (done) {
        this.event(rec, 'stop');
        return;
      }
      this.o.log.info(`container did not exit within ${timeout}s of ${sig}; sending SIGKILL`, { id: rec.Id });
    }
    this.event(rec, 'kill', { signal: '9' });
    await this.o.runtime.kill(rec.Id, 'KILL', { all: true });
    if (rec.State.Paused) await this.o.runtime.resume(rec.Id).catch(() => {});
    await Promise.race([exited, sleep(10_000)]);
    this.event(rec, 'stop');
  }

  async kill(ref: string, signal = 'KILL'): Promise<void> {
    const rec = this.get(ref);
    const sig = parseSignal(signal);
    if (!rec.State.Running) {
      throw conflict(`Cannot kill container: ${ref}: Container ${rec.Id} is not running`, 'container_not_running');
    }
    if (sig === 'KILL') rec.ManuallyStopped = true;
    this.event(rec, 'kill', { signal: signalNumber(sig) });
    await this.o.runtime.kill(rec.Id, sig);
    if (sig === 'KILL' && rec.State.Paused) await this.o.runtime.resume(rec.Id).catch(() => {});
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.get(ref);
    if (rec.State.Running) await this.stop(rec.Id, opts).catch((e) => {
      if (!(e instanceof BerthError && e.category === 'not_modified')) throw e;
    });
    await this.start(rec.Id);
    this.event(rec, 'restart');
  }

  async pause(ref: string): Promise<void> {
    const rec = this.get(ref);
    await this.locks.run(rec.Id, async () => {
      if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`, 'container_not_running');
      if (rec.State.Paused) throw conflict(`Container ${rec.Id} is already paused`, 'container_paused');
      await this.o.runtime.pause(rec.Id);
      rec.State.Paused = true;
      rec.State.Status = 'paused';
      await this.store.save(rec);
      this.event(rec, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.get(ref);
    await this.locks.run(rec.Id, async () => {
      if (!rec.State.Paused) throw conflict(`Container ${rec.Id} is not paused`, 'container_not_paused');
      await this.o.runtime.resume(rec.Id);
      rec.State.Paused = false;
      rec.State.Status = 'running';
      await this.store.save(rec);
      this.event(rec, 'unpause');
    });
  }

  // ---- remove / rename / prune ------------------------------------------------------------------------------

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.get(ref);
    if (rec.State.Running) {
      if (!opts.force) {
        const what = rec.State.Paused ? 'paused' : 'running';
        throw conflict(
          `cannot remove container "/${rec.Name}": container is ${what}: stop the container before removing or force remove`,
          'container_running',
        );
      }
      const exited = this.wait(rec.Id, 'not-running');
      await this.o.runtime.kill(rec.Id, 'KILL', { all: true }).catch(() => {});
      if (rec.State.Paused) await this.o.runtime.resume(rec.Id).catch(() => {});
      rec.ManuallyStopped = true;
      await Promise.race([exited, sleep(10_000)]);
    }
    await this.locks.run(rec.Id, async () => {
      if (!this.byId.has(rec.Id)) return;
      rec.State.Status = 'removing';
      // The exit path already deleted the runc container; only a crash between create and exit leaves one.
      if (await this.o.runtime.hasState(rec.Id)) await this.o.runtime.delete(rec.Id, { force: true }).catch(() => {});
      await this.o.snapshotter.unmount(rec.Id, this.rootfsPath(rec.Id)).catch(() => {});
      await this.o.network?.disconnect(rec).catch(() => {});
      await this.o.volumes?.remove(rec, { volumes: opts.volumes }).catch((e) => this.o.log.warn('volume cleanup failed', { id: rec.Id, error: errorMessage(e) }));
      await this.o.snapshotter.remove(rec.Id);
      await rm(this.bundle(rec.Id), { recursive: true, force: true });
      await this.o.runtime.cleanup(rec.Id).catch(() => {});
      await this.store.remove(rec.Id);
      this.byId.delete(rec.Id);
      this.o.log.info('container removed', { id: rec.Id });
      this.event(rec, 'destroy');
      this.notify(rec.Id, ['not-running', 'next-exit', 'removed'], rec.State.ExitCode);
    });
  }

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.get(ref);
    if (!newName) throw invalidArgument('Neither old nor new names may be empty');
    const name = validateName(newName);
    if (name === rec.Name) throw invalidArgument(`Renaming a container with the same name as its current name`);
    const clash = [...this.byId.values()].find((r) => r.Name === name);
    if (clash) {
      throw conflict(
        `Error when allocating new name: Conflict. The container name "/${name}" is already in use by container "${clash.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
        'name_in_use',
      );
    }
    const oldName = rec.Name;
    rec.Name = name;
    await this.store.save(rec);
    this.event(rec, 'rename', { oldName: '/' + oldName });
  }

  async prune(filters?: string): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const f = parseFilters(filters);
    const deleted: string[] = [];
    let space = 0;
    for (const rec of [...this.byId.values()]) {
      if (rec.State.Running || rec.State.Restarting) continue;
      if (!matchesFilters(rec, { label: f.label, 'label!': f['label!'] }, { showAll: true })) continue;
      const until = f.until?.[0];
      if (until && Date.parse(rec.Created) >= untilMs(until)) continue;
      space += await this.o.snapshotter.usage(rec.Id).catch(() => 0);
      await this.remove(rec.Id).catch(() => {});
      if (!this.byId.has(rec.Id)) deleted.push(rec.Id);
    }
    this.o.events?.emit({ type: 'container', action: 'prune', id: '', attributes: { reclaimed: String(space) } });
    return { ContainersDeleted: deleted, SpaceReclaimed: space };
  }

  // ---- attach / resize / top ----------------------------------------------------------------------------------

  async attach(ref: string, client: AttachClient): Promise<void> {
    const rec = this.get(ref);
    this.event(rec, 'attach');
    if (rec.State.Running) {
      const stream = await this.o.runtime.attach(rec.Id);
      this.wire(rec.Id, stream, client);
      return;
    }
    // docker run attaches before start; bind once conmon has the socket.
    const list = this.pendingAttach.get(rec.Id) ?? [];
    list.push(client);
    this.pendingAttach.set(rec.Id, list);
  }

  detachPending(id: string, client: AttachClient): void {
    const list = this.pendingAttach.get(id);
    if (list) this.pendingAttach.set(id, list.filter((c) => c !== client));
  }

  private async bindPendingAttach(id: string): Promise<void> {
    const list = this.pendingAttach.get(id);
    this.pendingAttach.delete(id);
    for (const client of list ?? []) {
      try {
        this.wire(id, await this.o.runtime.attach(id), client);
      } catch (e) {
        this.o.log.warn('attach failed', { id, error: errorMessage(e) });
        client.onEnd();
      }
    }
  }

  private failPendingAttach(id: string): void {
    const list = this.pendingAttach.get(id);
    this.pendingAttach.delete(id);
    for (const c of list ?? []) c.onEnd();
  }

  private wire(id: string, stream: AttachStream, client: AttachClient): void {
    const set = this.liveAttach.get(id) ?? new Set();
    set.add(stream);
    this.liveAttach.set(id, set);
    stream.onData((s, d) => client.onOutput(s, d));
    stream.onClose(() => {
      set.delete(stream);
      client.onEnd();
    });
    client.bind?.(stream);
  }

  async resize(ref: string, size: { height: number; width: number }): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`, 'container_not_running');
    if (!Number.isFinite(size.height) || !Number.isFinite(size.width) || size.height < 0 || size.width < 0) {
      throw invalidArgument('invalid terminal size');
    }
    if (!rec.Config.Tty) return;
    await this.o.runtime.resize(this.bundle(rec.Id), size);
    this.event(rec, 'resize', { height: String(size.height), width: String(size.width) });
  }

  async top(ref: string, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`, 'container_not_running');
    const pids = new Set(await this.o.runtime.pids(rec.Id));
    const { run } = await import('../sys/exec.ts');
    const args = psArgs.split(/\s+/).filter(Boolean);
    const { stdout } = await run('ps', args).catch((e) => {
      throw invalidArgument(`Error running ps: ${errorMessage(e)}`);
    });
    const lines = stdout.toString('utf8').split('\n').filter((l) => l.trim());
    const header = lines.shift() ?? '';
    const titles = header.trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw invalidArgument(`Couldn't find PID field in ps output`);
    const processes: string[][] = [];
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (!pids.has(Number(fields[pidCol]))) continue;
      // The last column (command) may contain spaces: keep it whole.
      const head = fields.slice(0, titles.length - 1);
      head.push(fields.slice(titles.length - 1).join(' '));
      processes.push(head);
    }
    return { Titles: titles, Processes: processes };
  }

  // ---- log rotation -------------------------------------------------------------------------------------------

  private async rotateLogs(): Promise<void> {
    for (const rec of this.byId.values()) {
      if (!rec.State.Running) continue;
      await rotateIfNeeded({
        path: this.logPath(rec.Id),
        maxSize: this.o.logMaxSize,
        maxFiles: this.o.logMaxFiles,
        reopen: () => this.o.runtime.reopenLog(this.bundle(rec.Id)),
      }).catch((e) => this.o.log.warn('log rotation failed', { id: rec.Id, error: errorMessage(e) }));
    }
  }

  logs(
    ref: string,
    opts: { follow: boolean; tail?: number; sinceNs?: bigint; untilNs?: bigint; stdout: boolean; stderr: boolean; signal: AbortSignal },
  ): AsyncIterable<LogEntry> {
    const rec = this.get(ref);
    return readLogs({
      path: this.logPath(rec.Id),
      follow: opts.follow && (rec.State.Running || rec.State.Restarting),
      tail: opts.tail,
      sinceNs: opts.sinceNs,
      untilNs: opts.untilNs,
      stdout: opts.stdout,
      stderr: opts.stderr,
      isDone: () => !rec.State.Running || !this.byId.has(rec.Id),
      signal: opts.signal,
    });
  }

  /** The container's OCI process spec, the base of exec processes. */
  async processSpec(id: string): Promise<Record<string, unknown>> {
    const spec = JSON.parse(await readFile(join(this.bundle(id), 'config.json'), 'utf8')) as { process: Record<string, unknown> };
    return spec.process;
  }
}

const SIGNAL_NUMBERS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, STOP: 19, CONT: 18, WINCH: 28 };
function signalNumber(sig: string): string {
  return /^\d+$/.test(sig) ? sig : String(SIGNAL_NUMBERS[sig] ?? sig);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function untilMs(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+)(s|m|h)$/.exec(v);
  if (d) return Date.now() - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}

/** Docker's human status for `ps` (the API's Status field). */
export function statusText(s: ContainerState, now = Date.now()): string {
  const ago = (iso: string) => humanDuration(now - Date.parse(iso));
  switch (s.Status) {
    case 'running': {
      const h = s.Health?.Status;
      const suffix = h === 'healthy' || h === 'unhealthy' ? ` (${h})` : h === 'starting' ? ' (health: starting)' : '';
      return `Up ${ago(s.StartedAt)}${suffix}`;
    }
    case 'paused':
      return `Up ${ago(s.StartedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${s.ExitCode}) ${ago(s.FinishedAt)} ago`;
    case 'exited':
      return s.FinishedAt === TIME_ZERO ? 'Exited' : `Exited (${s.ExitCode}) ${ago(s.FinishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      return 'Created';
  }
}

/** go-units HumanDuration, which the API's Status strings use. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(m / 60);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}
