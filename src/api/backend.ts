// The backends the API needs, declared by the API (cmd binds them to the engine). Shapes are the wire shapes.
import type { ContainerCreateBody, ContainerSummary } from '../spec/docker-api.ts';

export interface StdioSink {
  stdin: boolean;
  onOutput(stream: 1 | 2, data: Buffer): void;
  onEnd(): void;
  bind?(stream: StdinTarget): void;
}

export interface StdinTarget {
  writeStdin(data: Buffer): void;
  closeStdin(): void;
  close(): void;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  data: Buffer;
  time: string;
}

export interface ContainerRef {
  Id: string;
  Config: { Tty?: boolean; OpenStdin?: boolean };
  State: { Running: boolean };
}

export interface ContainerBackend {
  list(opts: { all?: boolean; limit?: number; filters?: string; sizes?: boolean }): ContainerSummary[];
  create(body: ContainerCreateBody, opts: { name?: string }): Promise<{ Id: string; Warnings: string[] }>;
  get(ref: string): ContainerRef;
  inspect(ref: string): Record<string, unknown>;
  start(ref: string): Promise<void>;
  stop(ref: string, opts: { timeout?: number; signal?: string }): Promise<void>;
  restart(ref: string, opts: { timeout?: number; signal?: string }): Promise<void>;
  kill(ref: string, signal?: string): Promise<void>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void>;
  rename(ref: string, name: string): Promise<void>;
  prune(filters?: string): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }>;
  wait(ref: string, condition: 'not-running' | 'next-exit' | 'removed' | undefined, signal?: AbortSignal): Promise<{ StatusCode: number; Error: { Message: string } | null }>;
  attach(ref: string, sink: StdioSink): Promise<void>;
  detachPending(id: string, sink: StdioSink): void;
  resize(ref: string, size: { height: number; width: number }): Promise<void>;
  top(ref: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  logs(ref: string, opts: { follow: boolean; tail?: number; sinceNs?: bigint; untilNs?: bigint; stdout: boolean; stderr: boolean; signal: AbortSignal }): AsyncIterable<LogLine>;
}

export interface ExecBackend {
  create(containerRef: string, cfg: Record<string, unknown>): { Id: string };
  inspect(id: string): Record<string, unknown>;
  get(id: string): { Config: { Tty?: boolean; AttachStdin?: boolean; DetachKeys?: string } };
  start(id: string, opts: { detach: boolean; tty?: boolean }, sink?: StdioSink): Promise<{ attach: StdinTarget | null }>;
  resize(id: string, size: { height: number; width: number }): Promise<void>;
}

export interface ImageBackendApi {
  list(opts: { all?: boolean; filters?: string; digests?: boolean }): unknown[];
  inspect(ref: string): unknown;
  importRootfs(tar: NodeJS.ReadableStream, opts: { repoTag?: string; changes?: string[]; message?: string; signal?: AbortSignal }): Promise<string>;
  tag(source: string, target: string): Promise<void>;
  remove(ref: string, opts: { force?: boolean; noPrune?: boolean }): Promise<{ Untagged?: string; Deleted?: string }[]>;
  history?(ref: string): unknown[];
  /** POST /images/create?fromSrc=<http(s) URL>: the daemon fetches the tarball and imports it. */
  importFromUrl?(url: string, opts: { repoTag?: string; changes?: string[]; message?: string; signal?: AbortSignal }): Promise<string>;
  /**
   * Berth extension: build a base image offline (busybox from the host's busybox-static; debian:bookworm by
   * debootstrap from the machine's Debian mirror). `onProgress` gets status lines while it works.
   */
  bootstrap(name: string, opts?: { signal?: AbortSignal; onProgress?: (m: { status: string }) => void }): Promise<string>;
}

/** docker save / load / image prune (src/api/routes/image-archive.ts). */
export interface ImageArchiveBackend {
  /** Resolves every name before returning; the stream is the tar archive. */
  save(names: string[]): Promise<NodeJS.ReadableStream>;
  /** Returns the progress lines ("Loaded image: busybox:latest\n"). */
  load(tar: NodeJS.ReadableStream, opts: { quiet?: boolean; signal?: AbortSignal }): Promise<string[]>;
  prune(filters?: string): Promise<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }>;
}

/** Docker's ContainerPathStat; `mode` is a Go os.FileMode. */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** A container's filesystem: diff, commit, export, archive (cp). */
export interface ContainerFsBackend {
  changes(ref: string): Promise<{ Path: string; Kind: number }[]>;
  commit(ref: string, opts: { repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[]; signal?: AbortSignal }): Promise<string>;
  export(ref: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream>;
  statPath(ref: string, path: string): Promise<ContainerPathStat>;
  getArchive(ref: string, path: string, signal?: AbortSignal): Promise<{ stat: ContainerPathStat; stream: NodeJS.ReadableStream }>;
  putArchive(ref: string, path: string, tar: NodeJS.ReadableStream, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean; signal?: AbortSignal }): Promise<void>;
}

export interface SystemBackend {
  info(): Promise<Record<string, unknown>>;
  version(): Record<string, unknown>;
}

export interface EventMessageLike {
  timeNano: number;
}

export interface EventsBackend {
  replay(opts: { sinceNano?: bigint; untilNano?: bigint; filters?: Record<string, string[]> }): EventMessageLike[];
  subscribe(cb: (e: EventMessageLike) => void): () => void;
  matches(e: EventMessageLike, filters: Record<string, string[]>): boolean;
  /** null when valid, else the error message. */
  validateFilters(filters: Record<string, string[]>): string | null;
}

/** Networks (src/api/routes/networks.ts): Docker's /networks shapes. */
export interface NetworkBackend {
  list(filters?: string): unknown[];
  inspect(ref: string): unknown;
  create(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }>;
  remove(ref: string): Promise<void>;
  prune(filters?: string): Promise<{ NetworksDeleted: string[] | null }>;
  connect(ref: string, body: { Container?: string; EndpointConfig?: unknown }): Promise<void>;
  disconnect(ref: string, body: { Container?: string; Force?: boolean }): Promise<void>;
}

/** Volumes (src/api/routes/volumes.ts); shapes are Docker's Volume objects. */
export interface VolumeBackend {
  list(filters?: string): { Volumes: unknown[]; Warnings: string[] };
  create(req: { Name?: string; Driver?: string; DriverOpts?: Record<string, string> | null; Labels?: Record<string, string> | null }): Promise<unknown>;
  inspect(name: string): unknown;
  remove(name: string, opts: { force?: boolean }): Promise<void>;
  prune(filters: string | undefined, opts: { allByDefault?: boolean }): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }>;
}

/** GET /containers/{id}/stats, POST /containers/{id}/update (src/api/routes/stats.ts). */
export interface StatsBackend {
  once(ref: string, opts: { oneShot?: boolean; signal?: AbortSignal }): Promise<unknown>;
  /** Calls onStats now and once per interval; the returned function stops it. */
  /** `json`, when given, is `s` serialized once and shared by every watcher of the container. */
  watch(ref: string, onStats: (s: unknown, json?: () => string) => void): Promise<() => void>;
  update(ref: string, body: Record<string, unknown>): Promise<{ Warnings: string[] }>;
}

/** GET /system/df and the sizes of `GET /containers/json?size=1` (src/api/routes/system-df.ts). */
export interface DiskUsageBackend {
  df(opts: { types?: string[] }): Promise<unknown>;
  containerSize(id: string): Promise<{ SizeRw: number; SizeRootFs: number }>;
}

/** Registry access (src/api/routes/distribution.ts): pull, push, login, search. `auth` is the raw X-Registry-Auth. */
export interface DistributionBackend {
  pull(ref: string, opts: { auth?: string; platform?: string; signal: AbortSignal; onProgress: (m: object) => void }): Promise<void>;
  /** Fails (before any progress is streamed) when there is nothing to push. */
  checkPush?(name: string, tag: string | undefined): Promise<void>;
  push(name: string, tag: string | undefined, opts: { auth?: string; signal: AbortSignal; onProgress: (m: object) => void }): Promise<void>;
  auth(body: Record<string, unknown>, signal: AbortSignal): Promise<{ Status: string; IdentityToken: string }>;
  search(term: string, opts: { limit?: number; filters?: string; auth?: string; signal: AbortSignal }): Promise<unknown[]>;
}

/** POST /build parameters as the route parses them (src/api/routes/build.ts). */
export interface BuildParams {
  context: NodeJS.ReadableStream;
  dockerfile?: string;
  tags: string[];
  buildArgs: Record<string, string | undefined>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  rm: boolean;
  forceRm: boolean;
  quiet: boolean;
  cacheFrom: string[];
  networkMode?: string;
  platform?: string;
  extraHosts: string[];
  resources: Record<string, unknown>;
  explainCache: boolean;
  /** Berth: the body is an incremental context (manifest + missing contents), not a tar. */
  berthContext?: boolean;
  signal: AbortSignal;
  out: { stream(text: string): void; aux(value: unknown): void };
}

/** The classic builder (POST /build, POST /build/prune). */
export interface BuildBackend {
  /** Streams through `out`; returns the image id. Throws on failure (after the stream started). */
  build(p: BuildParams): Promise<string>;
  /** Berth's incremental context: the content digests (hex) the daemon lacks. Absent: only tar contexts. */
  missingContext?(hexes: string[]): Promise<string[]>;
  prune(opts: { all?: boolean; filters?: string }): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>;
}

export interface Backends {
  events: EventsBackend;
  containers: ContainerBackend;
  exec: ExecBackend;
  images: ImageBackendApi;
  imageArchive?: ImageArchiveBackend;
  distribution?: DistributionBackend;
  system: SystemBackend;
  containerFs?: ContainerFsBackend;
  stats?: StatsBackend;
  diskUsage?: DiskUsageBackend;
  volumes?: VolumeBackend;
  networks?: NetworkBackend;
  build?: BuildBackend;
}

export interface ApiLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}
