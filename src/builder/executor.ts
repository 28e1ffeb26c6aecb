// The classic builder's executor: a resolved build plan (dockerfile/stages.ts) → one image per step, with Docker's
// classic output ("Step 2/7 : RUN make", " ---> Running in <id>", " ---> Using cache", " ---> <id>").
//
// Stages run in dependency order; stages that do not depend on each other run in parallel (at most
// MAX_PARALLEL_STAGES), stages the target does not need are skipped. Output of parallel stages is kept in plan order
// (a stage's lines are held back until the stages before it have finished), so it reads like a sequential build.
// RUN steps run in real containers (the engine implements StepRunner, src/engine/build-runner.ts); COPY/ADD layers
// are written directly from the files (copy-plan.ts); everything else is a config-only image. Cache: build-cache.ts.

import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError, errorMessage, invalidArgument, notFound } from '../base/errors.ts';
import type { CommitDeps } from '../image/commit.ts';
import { fetchUrl } from '../image/fetch-url.ts';
import { resolveUser } from '../runtime/user-lookup.ts';
import type { HealthConfig, ImageRuntimeConfig } from '../spec/docker-api.ts';
import { createPatternMatcher } from '../spec/dockerignore.ts';
import { maybeDecompress } from '../store/diff/decompress.ts';
import { safeExtract } from '../store/diff/safe-extract.ts';
import { resolveScoped } from '../sys/scoped-path.ts';
import { BuildCache, explainMiss, type CacheInputs } from './build-cache.ts';
import { openBuildContext, type BuildContext } from './build-context.ts';
import { ContextCache } from './context-cache.ts';
import {
  checkMultiSource, collectSource, copyLayerTar, digestOfDigests, expandSource, itemDigests, parentDirs, parseChmod,
  resolveDest, targetFor, type CopyItem, type OwnerSpec,
} from './copy-plan.ts';
import {
  parseDockerfileInstructions, resolveStages, type BuildPlan, type CopyInstruction, type ResolvedInstruction, type ResolvedStage,
  type RunInstruction,
} from './dockerfile/index.ts';
import { writeConfigImage, writeLayerImage } from './image-writer.ts';

export const MAX_PARALLEL_STAGES = 2;

/** What the builder needs to run a RUN step; the engine implements it with a real container. */
export interface StepRunner {
  /** Creates the step's container; returns its id. */
  create(spec: RunSpec): Promise<string>;
  /** Starts it, streams its output, waits; returns the exit code. */
  run(id: string, opts: { onOutput(data: Buffer): void; signal?: AbortSignal }): Promise<number>;
  /** The container's changes as a layer tar. */
  layerTar(id: string, signal?: AbortSignal): Promise<Readable>;
  remove(id: string): Promise<void>;
}

export interface RunSpec {
  imageId: string;
  argv: string[];
  env: string[];
  user: string;
  workdir: string;
  /** 'default' | 'none' | 'host' | a network name. */
  network: string;
  binds: { source: string; target: string; readOnly: boolean }[];
  tmpfs: Record<string, string>;
  extraHosts: string[];
  resources: Record<string, unknown>;
}

export interface BuildOutput {
  stream(text: string): void;
  aux(value: unknown): void;
}

export interface BuildRequest {
  context: NodeJS.ReadableStream;
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string | undefined>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  pull?: boolean;
  rm?: boolean;
  forceRm?: boolean;
  quiet?: boolean;
  cacheFrom?: string[];
  networkMode?: string;
  platform?: string;
  extraHosts?: string[];
  /** HostConfig resource fields for RUN containers (Memory, MemorySwap, CpuShares, ShmSize, ...). */
  resources?: Record<string, unknown>;
  /** Berth: print why steps missed the cache. */
  explainCache?: boolean;
  /** Berth: the body is an incremental context (context-cache.ts), not a tar. */
  berthContext?: boolean;
  signal?: AbortSignal;
  out: BuildOutput;
}

export interface BuilderDeps {
  images: CommitDeps;
  runner: StepRunner;
  /** Pull an image that is not local (absent: FROM needs local images). */
  pull?(ref: string, opts: { signal?: AbortSignal; onProgress(m: object): void }): Promise<void>;
  tag(id: string, ref: string): Promise<void>;
  /** DATA_ROOT/builder */
  root: string;
  /** A directory for temporary mountpoints (EXEC_ROOT/builder). */
  mountRoot: string;
  log: { info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void };
}

interface StageState {
  imageId: string | null;
  config: ImageRuntimeConfig;
  author?: string;
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Keeps the output of parallel stages in plan order. */
class OrderedOutput {
  private readonly order: number[];
  private readonly buffers = new Map<number, { kind: 'stream' | 'aux'; v: unknown }[]>();
  private readonly finished = new Set<number>();
  private pos = 0;
  private readonly out: BuildOutput;
  private readonly quiet: boolean;
  constructor(order: number[], out: BuildOutput, quiet: boolean) {
    this.order = order;
    this.out = out;
    this.quiet = quiet;
  }
  private emit(kind: 'stream' | 'aux', v: unknown) {
    if (kind === 'aux') this.out.aux(v);
    else if (!this.quiet) this.out.stream(v as string);
  }
  write(stage: number, text: string): void {
    if (this.order[this.pos] === stage) this.emit('stream', text);
    else this.buffers.set(stage, [...(this.buffers.get(stage) ?? []), { kind: 'stream', v: text }]);
  }
  finish(stage: number): void {
    this.finished.add(stage);
    while (this.pos < this.order.length) {
      const s = this.order[this.pos]!;
      for (const m of this.buffers.get(s) ?? []) this.emit(m.kind, m.v);
      this.buffers.delete(s);
      if (!this.finished.has(s)) break;
      this.pos++;
    }
  }
  flushAll(): void {
    for (const s of this.order.slice(this.pos)) {
      for (const m of this.buffers.get(s) ?? []) this.emit(m.kind, m.v);
      this.buffers.delete(s);
    }
    this.pos = this.order.length;
  }
}

class Semaphore {
  private n: number;
  private readonly waiters: (() => void)[] = [];
  constructor(n: number) {
    this.n = n;
  }
  async acquire(): Promise<() => void> {
    if (this.n > 0) this.n--;
    else await new Promise<void>((r) => this.waiters.push(r));
    return () => {
      const w = this.waiters.shift();
      if (w) w();
      else this.n++;
    };
  }
}

export class BuildStepError extends BerthError {}

function commandError(argv: string[], code: number): BerthError {
  return new BuildStepError('invalid_argument', 'build_step_failed', `The command '${argv.join(' ')}' returned a non-zero code: ${code}`);
}

export class Builder {
  readonly cache: BuildCache;
  readonly contextCache: ContextCache;
  private readonly d: BuilderDeps;

  private constructor(d: BuilderDeps, cache: BuildCache, contextCache: ContextCache) {
    this.d = d;
    this.cache = cache;
    this.contextCache = contextCache;
  }

  static async open(d: BuilderDeps): Promise<Builder> {
    const cache = await BuildCache.open(path.join(d.root, 'cache'));
    await rm(path.join(d.root, 'tmp'), { recursive: true, force: true }).catch(() => {});
    await mkdir(path.join(d.root, 'tmp'), { recursive: true, mode: 0o700 });
    await mkdir(d.mountRoot, { recursive: true, mode: 0o700 });
    // Temporary rootfs views left by a crash.
    for (const key of await d.images.snapshotter.listContainers().catch(() => [] as string[])) {
      if (key.startsWith('build-')) await d.images.snapshotter.remove(key).catch(() => {});
    }
    const contextCache = await ContextCache.open(path.join(d.root, 'context-cache'));
    return new Builder(d, cache, contextCache);
  }

  /** Berth's incremental context: which of these contents (sha256 hex) the daemon needs sent. */
  missingContext(hexes: string[]): Promise<string[]> {
    return this.contextCache.missing(hexes);
  }

  private imageExists = (id: string) => !!this.d.images.store.get(id);

  /** Runs a build; returns the final image id. */
  async build(req: BuildRequest): Promise<string> {
    const ctx = await openBuildContext(req.context, {
      root: path.join(this.d.root, 'tmp'), dockerfile: req.dockerfile, signal: req.signal,
      ...(req.berthContext ? { cache: this.contextCache } : {}),
    });
    try {
      return await this.buildIn(ctx, req);
    } finally {
      await ctx.dispose();
      if (req.berthContext) void this.contextCache.prune().catch((e) => this.d.log.warn('context cache prune failed', { error: errorMessage(e) }));
    }
  }

  private resolvePlan(text: string, file: string, req: BuildRequest): BuildPlan {
    const df = parseDockerfileInstructions(text, { file });
    return resolveStages(df, {
      buildArgs: req.buildArgs,
      target: req.target,
      ...(req.platform ? { platform: req.platform } : {}),
      imageEnv: (ref) => this.d.images.store.tryResolve(ref)?.config.config?.Env,
    });
  }

  private async ensureImage(ref: string, req: BuildRequest, out: (s: string) => void, forcePull: boolean): Promise<string> {
    const local = this.d.images.store.tryResolve(ref);
    if (local && !forcePull) return local.id;
    if (!this.d.pull) {
      if (local) return local.id;
      throw notFound(`pull access denied for ${ref}, repository does not exist or may require 'docker login'`, 'image_not_found');
    }
    try {
      await this.d.pull(ref, {
        signal: req.signal,
        onProgress: (m) => {
          const s = (m as { status?: string; id?: string; progress?: string }).status;
          if (s && !(m as { progressDetail?: { current?: number } }).progressDetail?.current) out(`${(m as { id?: string }).id ? `${(m as { id?: string }).id}: ` : ''}${s}\n`);
        },
      });
    } catch (e) {
      if (local) return local.id; // --pull against an unreachable registry: use what we have (Docker errors; be lenient offline)
      throw e;
    }
    const rec = this.d.images.store.tryResolve(ref);
    if (!rec) throw notFound(`No such image: ${ref}`, 'image_not_found');
    return rec.id;
  }

  private async buildIn(ctx: BuildContext, req: BuildRequest): Promise<string> {
    const signal = req.signal;
    // First pass: which images the target needs; pull those missing, then resolve again with their ENV known.
    let plan = this.resolvePlan(ctx.dockerfileText, ctx.dockerfileName, req);
    const early = (s: string) => {
      if (!req.quiet) req.out.stream(s);
    };
    const baseIds = new Map<string, string>();
    for (const i of plan.order) {
      const s = plan.stages[i]!;
      if (s.base.kind === 'image' && !baseIds.has(s.base.ref)) baseIds.set(s.base.ref, await this.ensureImage(s.base.ref, req, early, !!req.pull));
    }
    // ONBUILD triggers of base images run right after FROM: splice them into the text and resolve again.
    const text = this.withTriggers(ctx.dockerfileText, plan, baseIds);
    plan = this.resolvePlan(text, ctx.dockerfileName, req);
    for (const i of plan.order) {
      const s = plan.stages[i]!;
      for (const dep of s.imageDependencies) if (!baseIds.has(dep)) baseIds.set(dep, await this.ensureImage(dep, req, early, false));
    }

    const total = plan.order.reduce((n, i) => n + 1 + plan.stages[i]!.instructions.length, 0) + (req.labels && Object.keys(req.labels).length ? 1 : 0);
    const out = new OrderedOutput(plan.order, req.out, !!req.quiet);
    const firstStep = new Map<number, number>();
    let n = 1;
    for (const i of plan.order) {
      firstStep.set(i, n);
      n += 1 + plan.stages[i]!.instructions.length;
    }
    const results = new Map<number, Promise<string | null>>();
    const sem = new Semaphore(MAX_PARALLEL_STAGES);
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    const cacheFrom = this.cacheFromSet(req.cacheFrom ?? []);
    const runStage = async (i: number): Promise<string | null> => {
      const st = plan.stages[i]!;
      const deps = await Promise.all(st.dependsOn.map((d) => results.get(d)!));
      void deps;
      const release = await sem.acquire();
      try {
        abort.signal.throwIfAborted();
        return await this.buildStage(st, {
          ctx, req, plan, baseIds, results, cacheFrom, total, step: firstStep.get(i)!,
          say: (s) => out.write(i, s),
          signal: abort.signal,
          finalLabels: i === plan.target ? req.labels : undefined,
        });
      } finally {
        release();
        out.finish(i);
      }
    };
    for (const i of plan.order) {
      const p = runStage(i);
      p.catch(() => abort.abort());
      results.set(i, p);
    }
    let finalId: string | null;
    try {
      const settled = await Promise.allSettled(plan.order.map((i) => results.get(i)!));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(abort.signal.aborted && isAbort(r.reason)));
      const anyFailed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed || anyFailed) throw (failed ?? anyFailed)!.reason;
      finalId = await results.get(plan.target)!;
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
      out.flushAll();
    }
    if (!finalId) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
    if (plan.unusedBuildArgs.length && !req.quiet) {
      req.out.stream(`[Warning] One or more build-args [${plan.unusedBuildArgs.join(' ')}] were not consumed\n`);
    }
    req.out.aux({ ID: finalId });
    if (req.quiet) req.out.stream(`${finalId}\n`);
    else req.out.stream(`Successfully built ${shortId(finalId)}\n`);
    for (const t of req.tags ?? []) {
      await this.d.tag(finalId, t);
      if (!req.quiet) req.out.stream(`Successfully tagged ${t}\n`);
    }
    return finalId;
  }

  /** Inserts the base images' ONBUILD triggers after each FROM line of a needed stage. */
  private withTriggers(text: string, plan: BuildPlan, baseIds: Map<string, string>): string {
    const inserts: { line: number; lines: string[] }[] = [];
    for (const i of plan.order) {
      const s = plan.stages[i]!;
      if (s.base.kind !== 'image') continue;
      const rec = this.d.images.store.get(baseIds.get(s.base.ref)!);
      const triggers = rec?.config.config?.OnBuild ?? [];
      if (triggers.length) inserts.push({ line: s.from.range.end.line, lines: triggers });
    }
    if (!inserts.length) return text;
    const lines = text.split('\n');
    for (const ins of inserts.sort((a, b) => b.line - a.line)) lines.splice(ins.line, 0, ...ins.lines);
    return lines.join('\n');
  }

  /** Images given as --cache-from, with their ancestors: step results are reused from them by parent + created_by. */
  private cacheFromSet(refs: string[]): Set<string> {
    const set = new Set<string>();
    for (const r of refs) {
      let rec = this.d.images.store.tryResolve(r);
      while (rec && !set.has(rec.id)) {
        set.add(rec.id);
        rec = rec.parent ? this.d.images.store.get(rec.parent) : undefined;
      }
    }
    return set;
  }

  private fromCacheFrom(set: Set<string>, parentId: string | null, createdBy: string): string | undefined {
    if (!set.size) return undefined;
    for (const id of set) {
      const rec = this.d.images.store.get(id);
      if (!rec || (rec.parent ?? null) !== parentId) continue;
      const last = rec.config.history?.[rec.config.history.length - 1];
      if (last?.created_by === createdBy) return id;
    }
    return undefined;
  }

  private async buildStage(st: ResolvedStage, o: StageRun): Promise<string | null> {
    let step = o.step;
    const say = o.say;
    say(`Step ${step++}/${o.total} : ${st.from.original.trim()}\n`);
    let state: StageState;
    if (st.base.kind === 'scratch') state = { imageId: null, config: {}, cmdSet: false };
    else {
      const id = st.base.kind === 'stage' ? await o.results.get(st.base.index)! : o.baseIds.get(st.base.ref)!;
      if (!id) throw invalidArgument(`stage ${st.base.kind === 'stage' ? st.base.index : ''} produced no image`);
      const rec = this.d.images.store.get(id);
      if (!rec) throw notFound(`No such image: ${id}`, 'image_not_found');
      state = { imageId: id, config: structuredClone(rec.config.config ?? {}), author: rec.config.author, cmdSet: false };
      say(` ---> ${shortId(id)}\n`);
    }
    const instructions = [...st.instructions];
    for (const ri of instructions) {
      o.signal.throwIfAborted();
      say(`Step ${step++}/${o.total} : ${ri.source.original.trim()}\n`);
      state = await this.runStep(ri, state, o);
      say(` ---> ${shortId(state.imageId ?? '')}\n`);
    }
    if (o.finalLabels && Object.keys(o.finalLabels).length) {
      const pairs = Object.entries(o.finalLabels).sort(([a], [b]) => (a < b ? -1 : 1));
      const text = `LABEL ${pairs.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`;
      say(`Step ${step++}/${o.total} : ${text}\n`);
      const config = { ...state.config, Labels: { ...(state.config.Labels ?? {}), ...o.finalLabels } };
      state = await this.metaStep(state, { ...state, config }, `/bin/sh -c #(nop)  ${text}`, {}, o);
      say(` ---> ${shortId(state.imageId ?? '')}\n`);
    }
    if (!state.imageId) {
      // A stage that is only `FROM scratch`: an empty image.
      state = await this.metaStep(state, state, '/bin/sh -c #(nop)  FROM scratch', {}, o);
    }
    return state.imageId;
  }

  /** Cache lookup (explaining a miss when asked); on a miss `produce` makes the image. */
  private async cached(
    inputs: CacheInputs,
    createdBy: string,
    o: StageRun,
    produce: () => Promise<string>,
  ): Promise<string> {
    if (!o.req.noCache) {
      const hit = await this.cache.lookup(inputs, this.imageExists);
      if (hit) {
        o.say(' ---> Using cache\n');
        return hit.imageId;
      }
      const cf = this.fromCacheFrom(o.cacheFrom, inputs.parentId || null, createdBy);
      if (cf) {
        o.say(' ---> Using cache\n');
        await this.cache.put(inputs, cf);
        return cf;
      }
      if (o.req.explainCache) {
        const prev = this.cache.previous(inputs, this.imageExists);
        if (prev) o.say(` ---> Cache miss: ${inputs.step} — ${explainMiss(prev, inputs)}\n`);
      }
    }
    const id = await produce();
    await this.cache.put(inputs, id);
    return id;
  }

  private async metaStep(prev: StageState, next: StageState, createdBy: string, args: Record<string, string>, o: StageRun): Promise<StageState> {
    const inputs: CacheInputs = { parentId: prev.imageId ?? '', step: createdBy, args };
    const id = await this.cached(inputs, createdBy, o, () =>
      writeConfigImage(this.d.images, { parentId: prev.imageId, config: next.config, createdBy, author: next.author, platform: o.plan.platform, signal: o.signal }));
    return { ...next, imageId: id };
  }

  private async runStep(ri: ResolvedInstruction, state: StageState, o: StageRun): Promise<StageState> {
    const inst = ri.instruction;
    const nop = (text: string) => `/bin/sh -c #(nop)  ${text}`;
    const cfg = structuredClone(state.config);
    const meta = (text: string, next: Partial<StageState> = {}, args = ri.usedArgs) =>
      this.metaStep(state, { ...state, config: cfg, ...next }, nop(text), args, o);
    const shellOf = () => cfg.Shell?.length ? cfg.Shell : DEFAULT_SHELL;
    switch (inst.kind) {
      case 'ENV': {
        const env = new Map((cfg.Env ?? []).map((kv) => [kv.split('=')[0]!, kv]));
        for (const p of inst.pairs) env.set(p.key, `${p.key}=${p.value}`);
        cfg.Env = [...env.values()];
        return meta(`ENV ${inst.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
      }
      case 'LABEL':
        cfg.Labels = { ...(cfg.Labels ?? {}) };
        for (const p of inst.pairs) cfg.Labels[p.key] = p.value;
        return meta(`LABEL ${inst.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
      case 'MAINTAINER':
        return meta(`MAINTAINER ${inst.maintainer}`, { author: inst.maintainer });
      case 'EXPOSE':
        cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of inst.ports) cfg.ExposedPorts[p] = {};
        return meta(`EXPOSE ${inst.ports.join(' ')}`);
      case 'VOLUME':
        cfg.Volumes = { ...(cfg.Volumes ?? {}) };
        for (const p of inst.paths) cfg.Volumes[p] = {};
        return meta(`VOLUME [${inst.paths.join(' ')}]`);
      case 'USER':
        cfg.User = inst.user;
        return meta(`USER ${inst.user}`);
      case 'STOPSIGNAL':
        cfg.StopSignal = inst.signal;
        return meta(`STOPSIGNAL ${inst.signal}`);
      case 'SHELL':
        cfg.Shell = inst.shell;
        return meta(`SHELL ${JSON.stringify(inst.shell)}`);
      case 'ARG':
        return meta(`ARG ${inst.args.map((a) => (ri.source.kind === 'ARG' ? (ri.source.args.find((s) => s.name === a.name)?.defaultValue !== undefined ? `${a.name}=${ri.source.args.find((s) => s.name === a.name)!.defaultValue}` : a.name) : a.name)).join(' ')}`, {}, {});
      case 'CMD':
      case 'ENTRYPOINT': {
        const argv = inst.form === 'exec' ? inst.command : [...shellOf(), inst.command[0] ?? ''];
        if (inst.kind === 'CMD') {
          cfg.Cmd = argv;
          return meta(`CMD ${JSON.stringify(argv)}`, { cmdSet: true });
        }
        cfg.Entrypoint = argv;
        if (!state.cmdSet) cfg.Cmd = null;
        return meta(`ENTRYPOINT ${JSON.stringify(argv)}`);
      }
      case 'HEALTHCHECK': {
        const hc: HealthConfig = { Test: inst.test };
        if (inst.interval) hc.Interval = inst.interval;
        if (inst.timeout) hc.Timeout = inst.timeout;
        if (inst.startPeriod) hc.StartPeriod = inst.startPeriod;
        if (inst.startInterval) (hc as Record<string, unknown>).StartInterval = inst.startInterval;
        if (inst.retries) hc.Retries = inst.retries;
        cfg.Healthcheck = hc;
        return meta(`HEALTHCHECK &{${JSON.stringify(inst.test)} ${inst.interval} ${inst.timeout} ${inst.startPeriod} ${inst.retries}}`);
      }
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), inst.expression];
        return meta(`ONBUILD ${inst.expression}`);
      case 'WORKDIR':
        return this.workdirStep(inst.path, state, cfg, ri, o);
      case 'RUN':
        return this.runRun(inst, ri, state, o);
      case 'COPY':
      case 'ADD':
        return this.copyStep(inst, ri, state, o);
      case 'FROM':
        throw invalidArgument('unexpected FROM');
    }
  }

  // ---- WORKDIR ----------------------------------------------------------------------------------------------

  private async workdirStep(p: string, state: StageState, cfg: ImageRuntimeConfig, ri: ResolvedInstruction, o: StageRun): Promise<StageState> {
    const dir = path.posix.resolve(cfg.WorkingDir || '/', p);
    cfg.WorkingDir = dir;
    const createdBy = `/bin/sh -c #(nop) WORKDIR ${dir}`;
    const inputs: CacheInputs = { parentId: state.imageId ?? '', step: createdBy, args: ri.usedArgs };
    const id = await this.cached(inputs, createdBy, o, async () => {
      const missing = await this.withRoot(state.imageId, async (root) => {
        const parts = dir.split('/').filter(Boolean);
        const out: CopyItem[] = [];
        for (let i = 1; i <= parts.length; i++) {
          const rel = parts.slice(0, i).join('/');
          if (!(await this.isDirIn(root, '/' + rel))) out.push({ dest: rel, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: Date.now() / 1000, digest: '' });
        }
        return out;
      });
      const next = { parentId: state.imageId, config: cfg, createdBy, author: state.author, platform: o.plan.platform, signal: o.signal };
      if (!missing.length) return writeConfigImage(this.d.images, next);
      return writeLayerImage(this.d.images, copyLayerTar(missing, o.signal), next);
    });
    return { ...state, config: cfg, imageId: id };
  }

  // ---- RUN --------------------------------------------------------------------------------------------------

  private async runRun(inst: RunInstruction, ri: ResolvedInstruction, state: StageState, o: StageRun): Promise<StageState> {
    if (!state.imageId) throw invalidArgument('RUN is not supported in a stage with no filesystem (FROM scratch) before any COPY/ADD');
    const shell = state.config.Shell?.length ? state.config.Shell : DEFAULT_SHELL;
    let argv: string[];
    if (inst.form === 'exec') argv = [...inst.command];
    else {
      let script = inst.command[0] ?? '';
      if (inst.heredocs.length) {
        const only = inst.heredocs.length === 1 && /^\s*\d?<<-?\s*["']?[^\s"']+["']?\s*$/.test(script);
        script = only ? inst.heredocs[0]!.content : script + '\n' + inst.heredocs.map((h) => `${h.content}${h.name}\n`).join('');
      }
      argv = [...shell, script];
    }
    const argEntries = Object.entries(ri.usedArgs);
    const createdBy = (argEntries.length ? `|${argEntries.length} ${argEntries.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '') + argv.join(' ');
    const network = inst.network && inst.network !== 'default' ? inst.network : (o.req.networkMode || 'default');
    const mounts = inst.mounts.map((m) => m.raw);
    // Arg values stay out of the step text (they are in `args`), so a changed value is explained as such.
    const argNames = argEntries.length ? `|${argEntries.map(([k]) => k).join(' ')} ` : '';
    const step = `RUN ${argNames}${argv.join(' ')}${mounts.length ? ` [mounts ${mounts.join(' ')}]` : ''}${inst.network ? ` [network ${inst.network}]` : ''}`;
    const inputs: CacheInputs = { parentId: state.imageId, step, args: ri.usedArgs };
    const id = await this.cached(inputs, createdBy, o, async () => {
      const env = new Map<string, string>();
      for (const kv of state.config.Env ?? []) env.set(kv.split('=')[0]!, kv);
      for (const [k, v] of Object.entries({ ...ri.usedArgs, ...(ri.proxyEnv ?? {}) })) if (!env.has(k)) env.set(k, `${k}=${v}`);
      const binds: RunSpec['binds'] = [];
      const tmpfs: Record<string, string> = {};
      for (const m of inst.mounts) {
        const target = path.posix.resolve(state.config.WorkingDir || '/', m.target ?? '');
        if (m.type === 'cache') {
          const key = createHash('sha256').update(m.cacheId || target).digest('hex').slice(0, 32);
          const dir = path.join(this.d.root, 'cache-mounts', key);
          await mkdir(dir, { recursive: true, mode: m.mode ?? 0o755 });
          binds.push({ source: dir, target, readOnly: false });
        } else if (m.type === 'tmpfs') tmpfs[target] = m.size ? `size=${m.size}` : '';
        else if (m.type === 'bind') {
          if (m.from) throw invalidArgument('RUN --mount=type=bind,from= is not supported by this builder');
          const src = await resolveScoped(o.ctx.dir, m.source ?? '.', { followLast: true });
          binds.push({ source: src.hostPath, target, readOnly: m.readOnly });
        } else throw invalidArgument(`RUN --mount=type=${m.type} is not supported by this builder`);
      }
      const cid = await this.d.runner.create({
        imageId: state.imageId!,
        argv,
        env: [...env.values()],
        user: state.config.User ?? '',
        workdir: state.config.WorkingDir ?? '',
        network,
        binds,
        tmpfs,
        extraHosts: o.req.extraHosts ?? [],
        resources: o.req.resources ?? {},
      });
      o.say(` ---> Running in ${shortId(cid)}\n`);
      const rm = o.req.rm !== false;
      let ok = false;
      try {
        const code = await this.d.runner.run(cid, { onOutput: (d) => o.say(d.toString('utf8')), signal: o.signal });
        if (code !== 0) throw commandError(argv, code);
        const tar = await this.d.runner.layerTar(cid, o.signal);
        const img = await writeLayerImage(this.d.images, tar, { parentId: state.imageId, config: state.config, createdBy, author: state.author, signal: o.signal });
        ok = true;
        return img;
      } finally {
        // Berth's safe default: with rm (the default both CLIs send) the step's container goes even when the step
        // failed (Docker keeps a failed one unless --force-rm); only --rm=false keeps it. A cancelled build leaves none.
        if (rm || o.req.forceRm || o.signal.aborted) {
          await this.d.runner.remove(cid).catch((e) => this.d.log.warn('removing build container failed', { id: cid, error: errorMessage(e) }));
          if (ok || !o.signal.aborted) o.say(`Removing intermediate container ${shortId(cid)}\n`);
        }
      }
    });
    return { ...state, imageId: id };
  }

  // ---- COPY / ADD -------------------------------------------------------------------------------------------

  private async copyStep(inst: CopyInstruction, ri: ResolvedInstruction, state: StageState, o: StageRun): Promise<StageState> {
    const kind = inst.kind;
    const workdir = state.config.WorkingDir || '/';
    const dest = resolveDest(inst.dest, workdir);
    const chmod = parseChmod(inst.chmod);
    const exclude = inst.exclude.length ? createPatternMatcher(inst.exclude) : undefined;
    const urls = kind === 'ADD' ? inst.sources.filter((s) => /^https?:\/\//i.test(s)) : [];
    const locals = inst.sources.filter((s) => !urls.includes(s));
    if (kind === 'ADD' && locals.some((s) => /^git@|\.git$|^git:\/\//.test(s))) throw invalidArgument('ADD from a git repository is not supported by this builder');
    checkMultiSource(kind, inst.sources.length + inst.heredocSources.length, dest);

    // Where sources come from.
    let fromId: string | null | undefined;
    if (inst.from !== undefined) {
      const idx = /^\d+$/.test(inst.from) ? Number(inst.from) : o.plan.stages.findIndex((s) => s.name === inst.from!.toLowerCase());
      if (idx >= 0 && o.results.has(idx)) fromId = await o.results.get(idx)!;
      else fromId = o.baseIds.get(inst.from) ?? (await this.ensureImage(inst.from, o.req, o.say, false));
    }

    return this.withRoot(state.imageId, async (parentRoot) => {
      const owner = await this.chownOf(inst.chown, parentRoot);
      const work = async (srcRoot: string, fromContext: boolean): Promise<CopyItem[]> => {
        const items: CopyItem[] = [];
        const matches = [];
        for (const s of locals) {
          const m = await expandSource(srcRoot, s, { ignore: fromContext ? o.ctx.ignore : undefined, what: kind });
          matches.push(...m);
        }
        if (locals.length && !matches.length) throw invalidArgument(`${kind} failed: no source files were specified`);
        checkMultiSource(kind, matches.length + urls.length + inst.heredocSources.length, dest);
        const isDirDest = dest.isDir || (await this.isDirIn(parentRoot, dest.path));
        const d = { path: dest.path, isDir: isDirDest };
        for (const m of matches) {
          const target = targetFor(m, d);
          if (kind === 'ADD' && !m.isDir && inst.unpack !== false) {
            const extracted = await this.tryExtract(path.join(srcRoot, m.rel), o);
            if (extracted) {
              items.push(...(await collectSource(extracted, { rel: '.', isDir: true }, d.path, { owner, mode: chmod, signal: o.signal })));
              continue;
            }
          }
          items.push(...(await collectSource(srcRoot, m, target, {
            ignore: fromContext ? o.ctx.ignore : undefined,
            owner: owner ?? (fromContext ? { uid: 0, gid: 0 } : undefined),
            mode: chmod,
            exclude,
            signal: o.signal,
            ...(fromContext && o.ctx.digestOf ? { knownDigest: o.ctx.digestOf } : {}),
          })));
          if (m.isDir && !(await this.isDirIn(parentRoot, target))) {
            const st = await lstat(path.join(srcRoot, m.rel));
            const own = owner ?? (fromContext ? { uid: 0, gid: 0 } : { uid: st.uid, gid: st.gid });
            items.push({ dest: target.replace(/^\/+/, ''), type: 'dir', size: 0, mode: chmod ?? (st.mode & 0o7777), ...own, mtime: st.mtimeMs / 1000, digest: '' });
          }
        }
        for (const h of inst.heredocSources) {
          const data = Buffer.from(h.data);
          const target = d.isDir ? path.posix.join(d.path, h.path) : d.path;
          items.push({
            dest: target.replace(/^\/+/, ''), type: 'file', data, size: data.length, mode: chmod ?? 0o644, ...(owner ?? { uid: 0, gid: 0 }),
            mtime: Math.floor(Date.now() / 1000), digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
          });
        }
        for (const u of urls) items.push(await this.fetchForAdd(u, d, owner, chmod, inst.checksum, o));
        return items;
      };
      const finish = async (items: CopyItem[]): Promise<string> => {
        const files = itemDigests(items);
        const hash = digestOfDigests(files);
        const srcDesc = items.length === 1 && items[0]!.type === 'file' ? 'file' : 'dir';
        const createdBy = `/bin/sh -c #(nop) ${kind} ${srcDesc}:${hash} in ${dest.path}${dest.isDir ? '/' : ''} `;
        const flags = [
          inst.from !== undefined ? `--from=${inst.from}` : '', inst.chown ? `--chown=${inst.chown}` : '', inst.chmod ? `--chmod=${inst.chmod}` : '',
          ...inst.exclude.map((e) => `--exclude=${e}`),
        ].filter(Boolean);
        const step = `${kind} ${[...flags, ...inst.sources, ...inst.heredocSources.map((h) => `<<${h.path}`), inst.dest].join(' ')}`;
        const inputs: CacheInputs = { parentId: state.imageId ?? '', step, args: ri.usedArgs, files };
        const id = await this.cached(inputs, createdBy, o, async () => {
          const parents = [];
          for (const p of parentDirs(items, () => false, Date.now() / 1000)) if (!(await this.isDirIn(parentRoot, '/' + p.dest))) parents.push(p);
          return writeLayerImage(this.d.images, copyLayerTar([...parents, ...items], o.signal), {
            parentId: state.imageId, config: state.config, createdBy, author: state.author, signal: o.signal,
          });
        });
        return id;
      };
      // Items read from another image's mounted root must be written while it is mounted.
      const id = inst.from !== undefined
        ? await this.withRoot(fromId ?? null, async (r) => finish(await work(r, false)))
        : await finish(await work(o.ctx.dir, true));
      return { ...state, imageId: id };
    });
  }

  private async chownOf(spec: string | undefined, root: string): Promise<OwnerSpec | undefined> {
    if (!spec) return undefined;
    const [u = '', g] = spec.split(':');
    const num = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);
    let uid = num(u);
    let gid = g === undefined ? undefined : num(g);
    if (uid === undefined || (g !== undefined && gid === undefined)) {
      try {
        const r = await resolveUser(root, g === undefined ? u : `${u}:${g}`);
        uid ??= r.uid;
        if (g !== undefined) gid ??= r.gid;
      } catch (e) {
        throw invalidArgument(`unable to convert uid/gid chown string to host mapping: ${errorMessage(e)}`);
      }
    }
    return { uid: uid!, gid: gid ?? uid! };
  }

  private async isDirIn(root: string, p: string): Promise<boolean> {
    try {
      const r = await resolveScoped(root, p, { followLast: true });
      return (await lstat(r.hostPath)).isDirectory();
    } catch {
      return false;
    }
  }

  /** ADD of a local archive: extracted into a scratch directory, or undefined when it is not an archive. */
  private async tryExtract(file: string, o: StageRun): Promise<string | undefined> {
    const fh = await open(file, 'r');
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0).finally(() => fh.close());
    const h = head.subarray(0, bytesRead);
    const compressed = (h[0] === 0x1f && h[1] === 0x8b) || h.subarray(0, 3).toString('latin1') === 'BZh' ||
      (h[0] === 0xfd && h.subarray(1, 6).toString('latin1') === '7zXZ\0') || (h[0] === 0x28 && h[1] === 0xb5 && h[2] === 0x2f && h[3] === 0xfd);
    const tar = bytesRead >= 262 && h.subarray(257, 262).toString('latin1') === 'ustar';
    if (!compressed && !tar) return undefined;
    const dir = path.join(o.ctx.scratch, `x-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    try {
      const { createReadStream } = await import('node:fs');
      const { stream } = await maybeDecompress(createReadStream(file), { signal: o.signal });
      await safeExtract(stream, dir, { signal: o.signal, sameOwner: true });
      return dir;
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      if (compressed && !tar) return undefined; // compressed but not a tar: copied as a file, as Docker does
      throw e;
    }
  }

  private async fetchForAdd(url: string, dest: { path: string; isDir: boolean }, owner: OwnerSpec | undefined, chmod: number | undefined, checksum: string | undefined, o: StageRun): Promise<CopyItem> {
    const res = await fetchUrl(url, { signal: o.signal });
    const file = path.join(o.ctx.scratch, `u-${randomBytes(6).toString('hex')}`);
    const h = createHash('sha256');
    res.on('data', (c: Buffer) => h.update(c));
    await pipeline(res, createWriteStream(file, { mode: 0o600 }), { signal: o.signal });
    const digest = `sha256:${h.digest('hex')}`;
    if (checksum && checksum !== digest) throw invalidArgument(`digest mismatch ${digest}: ${checksum}`);
    const lm = res.headers['last-modified'] ? Date.parse(res.headers['last-modified']) : NaN;
    const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || '__unnamed__';
    const target = dest.isDir ? path.posix.join(dest.path, name) : dest.path;
    const size = (await lstat(file)).size;
    return {
      dest: target.replace(/^\/+/, ''), type: 'file', source: file, size, mode: chmod ?? 0o600, ...(owner ?? { uid: 0, gid: 0 }),
      mtime: Number.isFinite(lm) ? lm / 1000 : 0, digest, from: url,
    };
  }

  /** An image's root filesystem, mounted read-only for the duration of fn (scratch: an empty directory). */
  private async withRoot<T>(imageId: string | null, fn: (root: string) => Promise<T>): Promise<T> {
    const snap = this.d.images.snapshotter;
    const key = `build-${randomBytes(8).toString('hex')}`;
    const target = path.join(this.d.mountRoot, key);
    await mkdir(target, { recursive: true, mode: 0o700 });
    if (!imageId) {
      try {
        return await fn(target);
      } finally {
        await rmdir(target).catch(() => {});
      }
    }
    const chain = this.d.images.store.get(imageId)?.chainId ?? null;
    await snap.prepare(key, chain);
    let mounted = false;
    try {
      await snap.mount(key, target);
      mounted = true;
      return await fn(target);
    } finally {
      if (mounted) await snap.unmount(key, target).catch((e) => this.d.log.warn('unmount failed', { target, error: errorMessage(e) }));
      await rmdir(target).catch(() => {});
      await snap.remove(key).catch(() => {});
    }
  }

  // ---- cache management ---------------------------------------------------------------------------------------

  /** Docker's BuildCache records for GET /system/df. */
  diskUsage(): { ID: string; Parents: string[] | null; Type: string; Description: string; InUse: boolean; Shared: boolean; Size: number; CreatedAt: string; LastUsedAt: string; UsageCount: number }[] {
    return this.cache.all().map((e) => {
      const rec = this.d.images.store.get(e.imageId);
      const parent = e.parentId ? this.d.images.store.get(e.parentId) : undefined;
      const size = rec ? Math.max(0, rec.size - (parent?.size ?? 0)) : 0;
      return {
        ID: e.key.slice(0, 25),
        Parents: e.parentId ? [e.parentId] : null,
        Type: 'regular',
        Description: e.step.length > 200 ? e.step.slice(0, 200) + '…' : e.step,
        InUse: false,
        Shared: !!rec && this.d.images.store.refsFor(e.imageId).length > 0,
        Size: size,
        CreatedAt: e.created,
        LastUsedAt: e.lastUsed,
        UsageCount: e.usage,
      };
    });
  }

  /**
   * POST /build/prune: drops cache entries (all with `all`, else those whose image is not part of a tagged image's
   * ancestry) and removes the intermediate images only the cache kept (untagged, no children, no container).
   */
  async prune(opts: { all?: boolean }, removeImage: (id: string) => Promise<boolean>): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    const store = this.d.images.store;
    const kept = new Set<string>();
    if (!opts.all) {
      for (const rec of store.list()) {
        if (!store.refsFor(rec.id).length) continue;
        for (let r: typeof rec | undefined = rec; r && !kept.has(r.id); r = r.parent ? store.get(r.parent) : undefined) kept.add(r.id);
      }
    }
    const deleted: string[] = [];
    const candidates = new Set<string>();
    let space = 0;
    for (const e of this.cache.all()) {
      if (!opts.all && kept.has(e.imageId) && store.get(e.imageId)) continue;
      const rec = store.get(e.imageId);
      const parent = e.parentId ? store.get(e.parentId) : undefined;
      await this.cache.remove(e.key);
      deleted.push(e.key.slice(0, 25));
      if (rec) {
        candidates.add(rec.id);
        space += Math.max(0, rec.size - (parent?.size ?? 0));
      }
    }
    // Untagged builder images without children go, repeatedly (a chain unwinds from its top).
    let progress = true;
    while (progress) {
      progress = false;
      for (const id of [...candidates]) {
        if (!store.get(id)) {
          candidates.delete(id);
          continue;
        }
        if (store.refsFor(id).length || store.children(id).length) continue;
        if (await removeImage(id).catch(() => false)) {
          candidates.delete(id);
          progress = true;
        }
      }
    }
    await rm(path.join(this.d.root, 'cache-mounts'), { recursive: true, force: true }).catch(() => {});
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
  }
}

interface StageRun {
  ctx: BuildContext;
  req: BuildRequest;
  plan: BuildPlan;
  baseIds: Map<string, string>;
  results: Map<number, Promise<string | null>>;
  cacheFrom: Set<string>;
  total: number;
  step: number;
  say(text: string): void;
  signal: AbortSignal;
  finalLabels?: Record<string, string>;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR');
}

