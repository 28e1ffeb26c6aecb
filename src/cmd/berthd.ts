// berthd: wiring only. Parses flags, opens the stores, binds the engine to the API's backend interfaces.
import { Command, Option } from 'commander';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ApiServer } from '../api/server.ts';
import type { Backends } from '../api/backend.ts';
import { errorMessage, invalidArgument } from '../base/errors.ts';
import { ContainerService } from '../engine/container-service.ts';
import { ExecService } from '../engine/exec-service.ts';
import { systemInfo, versionInfo } from '../engine/system-info.ts';
import { ImageService } from '../image/image-service.ts';
import { ImageArchive } from '../image/image-archive.ts';
import { DistributionService } from '../image/distribution-service.ts';
import { registryConfigInfo } from '../remotes/hosts.ts';
import { bootstrapBusybox } from '../image/bootstrap-busybox.ts';
import { bootstrapDebian, parseDebianName, sweepBootstrapTmp } from '../image/bootstrap-debian.ts';
import { parseSize } from '../logs/log-rotator.ts';
import { ConmonRuntime } from '../runtime/conmon-runtime.ts';
import { readHostLimits } from '../runtime/oci-spec.ts';
import { openSnapshotter } from '../store/snapshot/open-snapshotter.ts';
import { ContainerFs } from '../engine/container-fs.ts';
import { BuildRunner } from '../engine/build-runner.ts';
import { Builder } from '../builder/executor.ts';
import { ContainerMounts } from '../engine/container-mounts.ts';
import { VolumeService } from '../volume/volume-service.ts';
import { NetworkService } from '../network/network-service.ts';
import { RealNetExec } from '../sys/net-exec.ts';
import { fetchUrl } from '../image/fetch-url.ts';
import { EventLog, matchEvent, validateEventFilters, type EventMessage } from '../events/event-log.ts';
import { createLogger, parseLevel } from './logger.ts';
import { StatsSampler } from '../stats/stats-sampler.ts';
import { wireDiskBudget } from './disk-budget-wiring.ts';
import { updateContainer } from '../engine/container-update.ts';
import { containerSize, diskUsage, dirUsage, volumeRefCount } from '../engine/disk-usage.ts';

interface DaemonConfig {
  host: string;
  dataRoot: string;
  execRoot: string;
  logLevel: string;
  storageDriver: 'overlayfs' | 'vfs' | 'auto';
  cgroupParent: string;
  logMaxSize: string;
  logMaxFiles: number;
  liveRestore: boolean;
  runc: string;
  conmon: string;
  init: string;
  bip?: string;
  defaultSubnet?: string;
  bridgeName: string;
  defaultAddressPool: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  registryMirrorsByHost: Record<string, string[]>;
  defaultRegistry?: string;
  /** Images' layers + build cache; '0' = off (the default). */
  diskBudget: string;
}

const DEFAULTS: DaemonConfig = {
  host: 'unix:///run/berth.sock',
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  logLevel: 'info',
  storageDriver: 'auto',
  cgroupParent: '/berth',
  logMaxSize: '10m',
  logMaxFiles: 3,
  liveRestore: true,
  runc: '/usr/sbin/runc',
  conmon: '/usr/bin/conmon',
  init: '/usr/bin/tini-static',
  bridgeName: 'berth0',
  defaultAddressPool: '172.30.0.0/16',
  insecureRegistries: [],
  registryMirrors: [],
  registryMirrorsByHost: {},
  diskBudget: '0',
};

/** daemon.json keys (Docker's spelling) → our config. */
function fromFile(json: Record<string, unknown>): Partial<DaemonConfig> {
  const out: Partial<DaemonConfig> = {};
  const hosts = json.hosts as string[] | undefined;
  if (hosts?.[0]) out.host = hosts[0];
  if (typeof json['data-root'] === 'string') out.dataRoot = json['data-root'];
  if (typeof json['exec-root'] === 'string') out.execRoot = json['exec-root'];
  if (typeof json['log-level'] === 'string') out.logLevel = json['log-level'];
  if (typeof json['storage-driver'] === 'string') out.storageDriver = json['storage-driver'] as DaemonConfig['storageDriver'];
  if (typeof json['cgroup-parent'] === 'string') out.cgroupParent = json['cgroup-parent'];
  if (typeof json['live-restore'] === 'boolean') out.liveRestore = json['live-restore'];
  if (typeof json.bip === 'string') out.bip = json.bip;
  if (typeof json.bridge === 'string') out.bridgeName = json.bridge;
  const pools = json['default-address-pools'] as { base?: string }[] | undefined;
  if (Array.isArray(pools) && typeof pools[0]?.base === 'string') out.defaultAddressPool = pools[0].base;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  if (strings(json['insecure-registries'])) out.insecureRegistries = strings(json['insecure-registries']);
  if (strings(json['registry-mirrors'])) out.registryMirrors = strings(json['registry-mirrors']);
  const byHost = json['registry-mirrors-by-host'];
  if (byHost && typeof byHost === 'object' && !Array.isArray(byHost)) {
    out.registryMirrorsByHost = Object.fromEntries(Object.entries(byHost as Record<string, unknown>).map(([h, m]) => [h, strings(m) ?? []]));
  }
  if (typeof json['default-registry'] === 'string') out.defaultRegistry = json['default-registry'];
  if (typeof json['disk-budget'] === 'string' || typeof json['disk-budget'] === 'number') out.diskBudget = String(json['disk-budget']);
  const logOpts = json['log-opts'] as Record<string, string> | undefined;
  if (logOpts?.['max-size']) out.logMaxSize = logOpts['max-size'];
  if (logOpts?.['max-file']) out.logMaxFiles = Number(logOpts['max-file']);
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('berthd')
    .description('Berth daemon: serves the Docker Engine API on a unix socket')
    .option('-H, --host <socket>', 'daemon socket to listen on (unix:///path)')
    .option('--data-root <dir>', 'root of persistent state')
    .option('--exec-root <dir>', 'root of runtime state (tmpfs)')
    .option('-l, --log-level <level>', 'debug, info, warn, error')
    .option('--config-file <file>', 'daemon configuration file (daemon.json format)', '/etc/berth/daemon.json')
    .option('--bip <cidr>', 'default bridge network address')
    .option('--default-subnet <cidr>', 'default bridge subnet (gateway = its first address; --bip wins)')
    .option('--bridge-name <name>', 'Linux bridge of the default network (also names this daemon\'s iptables chains)')
    .option('--default-address-pool <cidr>', 'pool user-defined networks without a subnet are carved from')
    .option('--storage-driver <name>', 'overlayfs, vfs or auto')
    .option('--cgroup-parent <path>', 'parent cgroup of containers')
    .option('--log-max-size <size>', 'rotate container logs at this size (e.g. 10m)')
    .option('--log-max-files <n>', 'rotated container log files to keep')
    .option('--insecure-registry <host>', 'registry reachable over plain http (host[:port] or CIDR; repeatable)', (v: string, a: string[] = []) => [...a, v])
    .option('--registry-mirror <url>', 'preferred Docker Hub mirror (repeatable)', (v: string, a: string[] = []) => [...a, v])
    .option('--default-registry <host>', 'registry for unqualified image names (default docker.io)')
    .option('--disk-budget <size>', 'cap on image layers + build cache (e.g. 20GB); over it, unused ones go oldest first (0 = off)')
    .addOption(new Option('--disk-budget-grace <seconds>', 'keep images used more recently than this (budget)').hideHelp())
    .addOption(new Option('--no-live-restore', 'stop containers when the daemon shuts down'))
    .version('Berth daemon 0.1.0', '-v, --version');
  program.parse(argv, { from: 'user' });
  const flags = program.opts();

  let fileCfg: Partial<DaemonConfig> = {};
  const cfgText = await readFile(flags.configFile, 'utf8').catch((e) => {
    if (program.getOptionValueSource('configFile') === 'cli') throw new Error(`cannot read config file: ${errorMessage(e)}`);
    return '';
  });
  if (cfgText) {
    try {
      fileCfg = fromFile(JSON.parse(cfgText));
    } catch (e) {
      throw new Error(`invalid config file ${flags.configFile}: ${errorMessage(e)}`);
    }
  }
  const cfg: DaemonConfig = { ...DEFAULTS, ...fileCfg };
  if (flags.host) cfg.host = flags.host;
  if (flags.dataRoot) cfg.dataRoot = resolve(flags.dataRoot);
  if (flags.execRoot) cfg.execRoot = resolve(flags.execRoot);
  if (flags.logLevel) cfg.logLevel = flags.logLevel;
  if (flags.storageDriver) cfg.storageDriver = flags.storageDriver;
  if (flags.cgroupParent) cfg.cgroupParent = flags.cgroupParent;
  if (flags.logMaxSize) cfg.logMaxSize = flags.logMaxSize;
  if (flags.logMaxFiles) cfg.logMaxFiles = Number(flags.logMaxFiles);
  if (flags.liveRestore === false) cfg.liveRestore = false;
  cfg.bip = flags.bip ?? cfg.bip;
  cfg.defaultSubnet = flags.defaultSubnet ?? cfg.defaultSubnet;
  if (flags.bridgeName) cfg.bridgeName = flags.bridgeName;
  if (flags.defaultAddressPool) cfg.defaultAddressPool = flags.defaultAddressPool;
  if (flags.insecureRegistry) cfg.insecureRegistries = [...cfg.insecureRegistries, ...(flags.insecureRegistry as string[])];
  if (flags.registryMirror) cfg.registryMirrors = [...cfg.registryMirrors, ...(flags.registryMirror as string[])];
  if (flags.defaultRegistry) cfg.defaultRegistry = flags.defaultRegistry;
  if (flags.diskBudget) cfg.diskBudget = flags.diskBudget;
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(cfg.bridgeName)) throw new Error(`invalid --bridge-name ${cfg.bridgeName}: at most 15 of [a-zA-Z0-9_.-]`);

  const log = createLogger(parseLevel(cfg.logLevel));
  if (!cfg.host.startsWith('unix://')) throw new Error(`unsupported host ${cfg.host}: only unix:// sockets are served`);
  const socketPath = cfg.host.slice('unix://'.length);
  const logMaxSize = parseSize(cfg.logMaxSize);
  const diskBudget = parseSize(cfg.diskBudget);
  if (!Number.isInteger(cfg.logMaxFiles) || cfg.logMaxFiles < 1) throw new Error('--log-max-files must be a positive integer');

  await mkdir(cfg.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(cfg.execRoot, { recursive: true, mode: 0o700 });
  const engineId = await engineIdentity(cfg.dataRoot);

  const runtime = new ConmonRuntime({
    runc: cfg.runc,
    conmon: cfg.conmon,
    runcRoot: join(cfg.execRoot, 'runc'),
    socketDir: join(cfg.execRoot, 's'),
    exitDir: join(cfg.execRoot, 'exits'),
    persistDir: join(cfg.execRoot, 'conmon'),
  });
  await runtime.init();
  const snapshotter = await openSnapshotter(join(cfg.dataRoot, 'storage'), cfg.storageDriver);
  const images = await ImageService.open({ root: join(cfg.dataRoot, 'image'), snapshotter });
  // debootstrap targets of `berth bootstrap debian:*`; what a killed daemon left (mounts included) goes now.
  const bootstrapTmp = join(cfg.dataRoot, 'image', 'bootstrap-tmp');
  await sweepBootstrapTmp(bootstrapTmp);
  const events = await EventLog.open({ path: join(cfg.dataRoot, 'events.jsonl') });
  const network = new NetworkService({
    dataRoot: cfg.dataRoot,
    exec: new RealNetExec(),
    log,
    bridgeName: cfg.bridgeName,
    bip: cfg.bip ?? bipOf(cfg.defaultSubnet ?? '172.29.0.0/16'),
    defaultPool: cfg.defaultAddressPool,
  });
  await network.init();
  const volumes = await VolumeService.open({
    root: join(cfg.dataRoot, 'volumes'),
    log,
    onEvent: (action, v, extra) => events.emit({ type: 'volume', action, id: v.Name, attributes: { driver: v.Driver, ...extra } }),
  });
  const containers = new ContainerService({
    volumes: new ContainerMounts({ volumes, log }),
    dataRoot: cfg.dataRoot,
    execRoot: cfg.execRoot,
    runtime,
    exitDir: runtime.paths.exitDir,
    images: {
      resolve: (ref) => images.resolve(ref),
      layerChainFor: (id) => images.layerChainFor(id),
      familiarName: (id) => images.familiarName?.(id),
    },
    snapshotter,
    hostLimits: await readHostLimits(),
    cgroupParent: cfg.cgroupParent,
    initPath: cfg.init,
    log,
    logMaxSize,
    logMaxFiles: cfg.logMaxFiles,
    events,
    network,
  });
  network.setContainers({ get: (r) => containers.get(r), all: () => containers.all() });
  await containers.init();
  {
    // Layers and blobs no image or container references (a load/pull/commit killed between data and record). The
    // API is not serving yet, so nothing is in flight: no grace period.
    const retainLayers = containers.all().map((c) => c.LayerChain).filter((l): l is string => !!l);
    const gc = await images.collectGarbage({ retainLayers, minAgeMs: 0 });
    if (gc.layers.length || gc.blobs.length) log.info('removed unreferenced image data', { layers: gc.layers.length, blobs: gc.blobs.length });
  }
  const imageArchive = await ImageArchive.open(images, { imageInUse: (id) => containers.imageInUse(id) });
  const registryCfg = {
    insecure: cfg.insecureRegistries,
    mirrors: cfg.registryMirrors,
    mirrorsByHost: cfg.registryMirrorsByHost,
    defaultRegistry: cfg.defaultRegistry,
    userAgent: 'berth/0.1.0',
  };
  const distribution = await DistributionService.open({
    images,
    registries: registryCfg,
    log,
    onEvent: (action, name) => events.emit({ type: 'image', action, id: name, attributes: { name } }),
  });
  const execs = new ExecService({ containers, runtime, execRoot: cfg.execRoot, log });

  const imageEvent = (action: string, id: string, name?: string) =>
    events.emit({ type: 'image', action, id: name ?? id, attributes: name ? { name } : {} });
  const backends: Backends = {
    events: {
      replay: (o) => events.replay(o),
      subscribe: (cb) => events.subscribe(cb),
      matches: (e, f) => matchEvent(e as EventMessage, f),
      validateFilters: (f) => validateEventFilters(f),
    },
    containers: {
      list: (o) => containers.list(o),
      create: (b, o) => containers.create(b, o),
      get: (r) => containers.get(r),
      inspect: (r) => ({ ...containers.inspect(r), ExecIDs: nullIfEmpty(execs.idsFor(containers.get(r).Id)) }),
      start: (r) => containers.start(r),
      stop: (r, o) => containers.stop(r, o),
      restart: (r, o) => containers.restart(r, o),
      kill: (r, s) => containers.kill(r, s),
      pause: (r) => containers.pause(r),
      unpause: (r) => containers.unpause(r),
      remove: async (r, o) => {
        const id = containers.get(r).Id;
        await containers.remove(r, o);
        execs.dropContainer(id);
      },
      rename: (r, n) => containers.rename(r, n),
      prune: (f) => containers.prune(f),
      wait: (r, c, s) => containers.wait(r, c, s),
      attach: (r, sink) => containers.attach(r, sink),
      detachPending: (id, sink) => containers.detachPending(id, sink),
      resize: (r, s) => containers.resize(r, s),
      top: (r, a) => containers.top(r, a),
      logs: (r, o) => containers.logs(r, o),
    },
    exec: {
      create: (r, c) => execs.create(r, c as never),
      inspect: (id) => execs.inspect(id),
      get: (id) => execs.get(id),
      start: (id, o, sink) => execs.start(id, o, sink),
      resize: (id, s) => execs.resize(id, s),
    },
    images: {
      list: (o) => images.list(o),
      inspect: (r) => images.inspect(r),
      importRootfs: (tar, o) => images.importRootfs(tar, o),
      importFromUrl: async (url, o) => images.importRootfs(await fetchUrl(url, { signal: o.signal }), { ...o, message: o.message || `Imported from ${url}` }),
      tag: (s, t) => images.tag(s, t),
      remove: (r, o) => images.remove(r, { ...o, imageInUse: (id: string) => containers.imageInUse(id) }),
      history: images.history ? (r) => images.history!(r) : undefined,
      bootstrap: async (name, o = {}) => {
        const debian = parseDebianName(name);
        if (debian) {
          const { id } = await bootstrapDebian(images, { ...debian, tmpRoot: bootstrapTmp, signal: o.signal, onProgress: o.onProgress });
          imageEvent('import', id);
          for (const t of debian.tags) imageEvent('tag', id, t);
          return id;
        }
        if (name !== 'busybox' && !name.startsWith('busybox:')) {
          throw invalidArgument(`unknown bootstrap image ${name}: supported: busybox, debian:bookworm (debian:12)`);
        }
        const tag = name.includes(':') ? name : 'busybox:latest';
        const id = await bootstrapBusybox(images, { tag, signal: o.signal });
        imageEvent('import', id);
        imageEvent('tag', id, tag);
        return id;
      },
    },
    imageArchive: {
      save: (names) => imageArchive.save(names),
      load: (tar, o) => imageArchive.load(tar, o),
      prune: (f) => imageArchive.prune(f),
    },
    system: {
      version: () => versionInfo(),
      info: async () => {
        const all = containers.all();
        const info = await systemInfo({
          id: engineId,
          dataRoot: cfg.dataRoot,
          driver: snapshotter.name,
          runcPath: cfg.runc,
          logMaxSize,
          logMaxFiles: cfg.logMaxFiles,
          counts: {
            containers: all.length,
            running: all.filter((c) => c.State.Running && !c.State.Paused).length,
            paused: all.filter((c) => c.State.Paused).length,
            stopped: all.filter((c) => !c.State.Running).length,
            images: images.list({}).length,
          },
        });
        return { ...info, ...registryConfigInfo(registryCfg) };
      },
    },
  };

  backends.distribution = {
    pull: async (r, o) => {
      await distribution.pull(r, o);
    },
    checkPush: (n, t) => distribution.checkPush(n, t),
    push: (n, t, o) => distribution.push(n, t, o),
    auth: (b, s) => distribution.auth(b, s),
    search: (t, o) => distribution.search(t, o),
  };

  const containerFs = new ContainerFs({
    containers,
    snapshotter,
    images: { content: images.content, store: images.store, snapshotter },
    execRoot: cfg.execRoot,
    log,
  });
  backends.networks = {
    list: (f) => network.list(f),
    inspect: (r) => network.inspect(r),
    create: (b) => network.create(b as never),
    remove: (r) => network.remove(r),
    prune: (f) => network.prune(f),
    connect: (r, b) => network.connectContainer(r, b as never),
    disconnect: (r, b) => network.disconnectContainer(r, b as never),
  };
  backends.volumes = {
    list: (f) => volumes.list(f),
    create: (r) => volumes.create(r),
    inspect: (n) => volumes.inspect(n),
    remove: (n, o) => volumes.remove(n, o),
    prune: (f, o) => volumes.prune(f, o),
  };
  backends.containerFs = {
    changes: (r) => containerFs.changes(r),
    commit: (r, o) => containerFs.commit(r, o),
    export: (r, s) => containerFs.export(r, s),
    statPath: (r, p) => containerFs.statPath(r, p),
    getArchive: (r, p, s) => containerFs.getArchive(r, p, s),
    putArchive: (r, p, t, o) => containerFs.putArchive(r, p, t, o),
  };

  const statsLookup = (ref: string) => {
    const c = containers.get(ref);
    return { id: c.Id, name: c.Name, pid: c.State.Pid, running: c.State.Running && !c.State.Restarting };
  };
  const sampler = new StatsSampler({ lookup: statsLookup });
  backends.stats = {
    once: (r, o) => sampler.once(r, o),
    watch: (r, cb) => sampler.watch(r, cb),
    update: (r, b) =>
      // New limits show in stats at once (the sampler re-reads limit files only every 10 s otherwise).
      updateContainer(
        {
          withLock: (ref, fn) => containers.withLock(ref, fn),
          saveRecord: (rec) => containers.saveRecord(rec),
          event: (rec, action) => containers.event(rec, action),
          runtimeUpdate: (id, res) => runtime.update(id, res),
        },
        r,
        b,
      ).finally(() => sampler.limitsChanged(r)),
  };
  const duDeps = {
    images: () => images.store.list(),
    imageSummaries: () => images.list({}),
    containers: () => containers.all(),
    summary: (rec: Parameters<typeof containers.summary>[0]) => containers.summary(rec),
    usage: (id: string) => snapshotter.usage(id),
    volumes: async () => {
      const recs = containers.all();
      return Promise.all(volumes.list().Volumes.map(async (v) => ({
        ...(v as unknown as Record<string, unknown>),
        UsageData: { Size: (v as { Options?: Record<string, string> | null }).Options?.device ? -1 : await dirUsage(v.Mountpoint), RefCount: volumeRefCount(recs, v.Name) },
      }) as never));
    },
  };
  backends.diskUsage = {
    df: (o) => diskUsage(duDeps, o),
    containerSize: (id) => containerSize(duDeps, containers.get(id)),
  };

  const builder = await Builder.open({
    images: { content: images.content, store: images.store, snapshotter },
    runner: new BuildRunner({ containers, snapshotter }),
    pull: async (ref, o) => {
      await distribution.pull(ref, { signal: o.signal, onProgress: (m) => o.onProgress(m) });
    },
    tag: async (id, ref) => {
      await images.tag(id, ref);
      imageEvent('tag', id, ref);
    },
    root: join(cfg.dataRoot, 'builder'),
    mountRoot: join(cfg.execRoot, 'builder'),
    log,
  });
  backends.build = {
    build: (p) => builder.build(p),
    missingContext: (h) => builder.missingContext(h),
    prune: (o) =>
      builder.prune(o, async (id) => {
        await images.remove(id, { imageInUse: (i: string) => containers.imageInUse(i) });
        return true;
      }),
  };
  const dfWithBuildCache = backends.diskUsage.df;
  backends.diskUsage.df = async (o) => {
    const r = (await dfWithBuildCache(o)) as Record<string, unknown>;
    if (!o.types?.length || o.types.includes('build-cache')) r.BuildCache = builder.diskUsage();
    return r;
  };

  const budget = wireDiskBudget({
    budget: diskBudget, graceMs: flags.diskBudgetGrace ? Number(flags.diskBudgetGrace) * 1000 : undefined, engineId,
    images, cache: builder.cache, imageInUse: (id) => containers.imageInUse(id), events, log, backends,
    layersSize: async () => (await diskUsage(duDeps, { types: ['image'] })).LayersSize,
  });

  const api = new ApiServer({ socketPath, backends, log });
  await api.listen();
  log.info('berthd listening', { socket: socketPath, dataRoot: cfg.dataRoot, driver: snapshotter.name });

  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal: sig, liveRestore: cfg.liveRestore });
    budget.stop();
    await api.close().catch(() => {});
    if (!cfg.liveRestore) {
      for (const c of containers.all().filter((c) => c.State.Running)) {
        await containers.stop(c.Id, {}).catch((e) => log.warn('stop failed', { id: c.Id, error: errorMessage(e) }));
      }
    }
    // With live restore, containers keep running under conmon; the next berthd adopts them.
    await containers.close();
    await network.close();
    await events.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** "10.1.0.0/16" → "10.1.0.1/16" (the gateway takes the subnet's first address). */
function bipOf(subnet: string): string {
  const [addr, prefix] = subnet.split('/');
  const o = (addr ?? '').split('.').map(Number);
  if (o.length !== 4 || o.some((x) => !(x >= 0 && x <= 255)) || !prefix) throw new Error(`invalid subnet ${subnet}`);
  const n = ((((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0) & (Number(prefix) === 0 ? 0 : (0xffffffff << (32 - Number(prefix))) >>> 0)) + 1;
  return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${prefix}`;
}

function nullIfEmpty<T>(a: T[]): T[] | null {
  return a.length ? a : null;
}

async function engineIdentity(dataRoot: string): Promise<string> {
  const file = join(dataRoot, 'engine-id');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const id = randomUUID();
  await writeFile(file, id + '\n', { mode: 0o600 });
  return id;
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`berthd: ${errorMessage(e)}\n`);
  process.exit(1);
});
