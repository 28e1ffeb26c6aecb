// Stage resolution: Docker's ARG/ENV scoping and variable expansion applied to typed instructions, stage bases
// (image, earlier/other stage, scratch), the dependency graph between stages (FROM, COPY --from, RUN --mount from=),
// reachability from the target, and for each step the ARG values it depends on (for the cache key).
//
// Scoping (BuildKit): ARGs before the first FROM are "meta args", visible only in FROM lines unless a stage re-declares
// them (`ARG NAME` then takes the global value). The platform args (TARGETPLATFORM, TARGETOS, ..., BUILDPLATFORM, ...)
// are meta args automatically. An ARG in a stage is visible from its line on; a build arg overrides the default of a
// declared ARG only; ENV (including the base image's) wins over an ARG of the same name. Undeclared proxy build args
// (HTTP_PROXY, ...) reach RUN's environment only and stay out of cache keys.
// Expanded: FROM (meta args), ENV, LABEL, ARG defaults, EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL, COPY/ADD (sources,
// dest, --from, --chown, --chmod, --checksum, --exclude, unquoted heredoc sources), RUN --mount values.
// Not expanded (the shell does it): RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK commands, ONBUILD triggers.

import { DetailError, DockerfileError, fail } from './dockerfile-error.ts';
import { ShellLex } from './expand.ts';
import { instructionsFromAST, parseMount, type Dockerfile, type FromInstruction, type Instruction } from './instructions.ts';
import type { DockerfileAST } from './parser.ts';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ResolveOptions {
  /** `--build-arg`s; an undefined value means "declared on the command line without a value" (ignored). */
  buildArgs?: Readonly<Record<string, string | undefined>>;
  /** Stage name or index to build; default the last stage. */
  target?: string;
  /** Target platform ("linux/arm64/v8" or parsed); default the build platform. */
  platform?: string | Platform;
  /** Platform of the builder; default linux/<process.arch>. */
  buildPlatform?: string | Platform;
  /** `Env` of a base image's config, when known (for expanding e.g. `$PATH`); unknown = empty. */
  imageEnv?: (ref: string) => readonly string[] | undefined;
}

export type StageBase = { kind: 'image'; ref: string } | { kind: 'stage'; index: number } | { kind: 'scratch' };

export interface ResolvedInstruction {
  /** With variables expanded where Docker expands them. */
  instruction: Instruction;
  /** As written. */
  source: Instruction;
  /** ENV in effect before this step (base image env, then ENV instructions), as KEY=VALUE. */
  env: string[];
  /** ARG values in scope before this step (declared and set). */
  args: Record<string, string>;
  /** The ARG values this step depends on: referenced ones; for RUN all in scope (they are its environment). */
  usedArgs: Record<string, string>;
  /** RUN only: undeclared proxy build args passed to the process (kept out of cache keys). */
  proxyEnv?: Record<string, string>;
}

export interface ResolvedStage {
  index: number;
  name?: string;
  base: StageBase;
  /** Expanded `--platform`, if any. */
  platform?: string;
  from: FromInstruction;
  /** Meta args FROM used. */
  fromArgs: Record<string, string>;
  instructions: ResolvedInstruction[];
  /** Stages this one needs (base, COPY --from, RUN --mount from=), sorted. */
  dependsOn: number[];
  /** Images referenced by COPY --from / RUN --mount from= that are not stages. */
  imageDependencies: string[];
  /** Needed to build the target. */
  reachable: boolean;
  /** ENV at the end of the stage (what a stage built FROM this one starts with). */
  finalEnv: string[];
}

export interface BuildPlan {
  dockerfile: Dockerfile;
  stages: ResolvedStage[];
  target: number;
  /** Reachable stages in an order where every stage comes after its dependencies. */
  order: number[];
  /** Global ARG values (after build-arg overrides) plus platform args. */
  metaArgs: Record<string, string>;
  /** Build args no reachable ARG declared (Docker warns: "One or more build-args [...] were not consumed"). */
  unusedBuildArgs: string[];
  platform: Platform;
  buildPlatform: Platform;
}

export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

export function parsePlatform(p: string | Platform): Platform {
  if (typeof p !== 'string') return p;
  const [os = '', architecture = '', variant] = p.toLowerCase().split('/');
  if (!os || !architecture) fail(`invalid platform "${p}": expected os/arch[/variant]`);
  const arch = architecture === 'x86_64' || architecture === 'x86-64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture;
  if (arch === 'arm64' && variant === 'v8') return { os, architecture: arch };
  return variant ? { os, architecture: arch, variant } : { os, architecture: arch };
}

export const formatPlatform = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

export function defaultPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  return architecture === 'arm' ? { os: 'linux', architecture, variant: 'v7' } : { os: 'linux', architecture };
}

/** Exposed-port keys for EXPOSE words: "80" → "80/tcp", "8000-8001/udp" → each port. Throws DetailError. */
export function parseExposedPorts(specs: readonly string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const slash = spec.lastIndexOf('/');
    const port = slash < 0 ? spec : spec.slice(0, slash);
    const proto = (slash < 0 ? 'tcp' : spec.slice(slash + 1)).toLowerCase();
    if (!['tcp', 'udp', 'sctp'].includes(proto)) fail(`invalid proto: ${proto}`);
    const m = /^(\d+)(?:-(\d+))?$/.exec(port);
    if (!m) fail(`invalid containerPort: ${port}`);
    const start = Number(m![1]);
    const end = m![2] === undefined ? start : Number(m![2]);
    if (start > 65535 || end > 65535 || end < start) fail(`invalid containerPort: ${port}`);
    for (let p = start; p <= end; p++) {
      const key = `${p}/${proto}`;
      if (!out.includes(key)) out.push(key);
    }
  }
  return out;
}

function platformArgs(target: Platform, build: Platform): Record<string, string> {
  return {
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? '',
    BUILDPLATFORM: formatPlatform(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? '',
  };
}

class Env {
  readonly map = new Map<string, string>();
  constructor(entries: readonly string[] = []) {
    for (const kv of entries) {
      const i = kv.indexOf('=');
      if (i < 0) this.map.set(kv, '');
      else this.map.set(kv.slice(0, i), kv.slice(i + 1));
    }
  }
  list(): string[] {
    return [...this.map].map(([k, v]) => `${k}=${v}`);
  }
}

/** Resolve stages, scopes and expansions. Throws DockerfileError. */
export function resolveStages(input: DockerfileAST | Dockerfile, options: ResolveOptions = {}): BuildPlan {
  const df: Dockerfile = 'stages' in input ? input : instructionsFromAST(input);
  const file = df.ast.file;
  const lex = new ShellLex({ escapeToken: df.ast.directives.escape });
  const heredocLex = new ShellLex({ escapeToken: df.ast.directives.escape, skipProcessQuotes: true });
  const buildArgs = new Map<string, string>();
  for (const [k, v] of Object.entries(options.buildArgs ?? {})) if (v !== undefined && v !== null) buildArgs.set(k, v);
  const buildPlatform = options.buildPlatform ? parsePlatform(options.buildPlatform) : defaultPlatform();
  const platform = options.platform ? parsePlatform(options.platform) : buildPlatform;
  const consumed = new Set<string>();
  const stageConsumed: [number, string][] = [];

  // Meta args: platform args, then the ARGs before the first FROM in order.
  const meta = new Map<string, string>(Object.entries(platformArgs(platform, buildPlatform)));
  const metaDeclared = new Set<string>(meta.keys());
  for (const inst of df.metaArgs) {
    const look = (k: string) => meta.get(k);
    const values: [string, string | undefined][] = [];
    for (const a of inst.args) {
      let v: string | undefined;
      if (buildArgs.has(a.name)) v = buildArgs.get(a.name);
      else if (a.defaultValue !== undefined) v = at(file, inst.argsPosition, () => lex.processWord(a.defaultValue!, look));
      else v = meta.get(a.name);
      values.push([a.name, v]);
      consumed.add(a.name);
    }
    for (const [k, v] of values) {
      metaDeclared.add(k);
      if (v === undefined) meta.delete(k);
      else meta.set(k, v);
    }
  }

  // Names and bases of every stage (FROM sees meta args only).
  const byName = new Map<string, number>();
  const stages: ResolvedStage[] = df.stages.map((st) => {
    const look = (k: string) => meta.get(k);
    const fromArgs: Record<string, string> = {};
    const res = at(file, st.from.argsPosition, () => lex.process(st.from.image, look));
    for (const k of res.matched) fromArgs[k] = meta.get(k)!;
    const image = res.result;
    if (image === '') throw new DockerfileError(file, st.from.argsPosition, `base name (${st.from.image}) should not be blank`);
    let platformValue: string | undefined;
    if (st.from.platform !== undefined) {
      const p = at(file, st.from.range.start, () => lex.process(st.from.platform!, look));
      for (const k of p.matched) fromArgs[k] = meta.get(k)!;
      platformValue = p.result;
    }
    if (st.name !== undefined) {
      if (byName.has(st.name)) throw new DockerfileError(file, st.from.argsPosition, `duplicate stage name "${st.name}"`);
      byName.set(st.name, st.index);
    }
    return {
      index: st.index,
      name: st.name,
      base: { kind: 'image', ref: image } as StageBase,
      platform: platformValue,
      from: { ...st.from, image, platform: platformValue },
      fromArgs,
      instructions: [],
      dependsOn: [],
      imageDependencies: [],
      reachable: false,
      finalEnv: [],
    };
  });
  if (stages.length === 0) throw new DockerfileError(file, { line: 1, column: 1 }, 'file with no instructions');
  for (const s of stages) {
    const ref = (s.base as { ref: string }).ref;
    const idx = byName.get(ref.toLowerCase());
    if (idx !== undefined) {
      if (idx === s.index) throw new DockerfileError(file, s.from.range.start, `circular dependency detected on stage: ${s.name}`);
      s.base = { kind: 'stage', index: idx };
      s.dependsOn.push(idx);
    } else if (ref.toLowerCase() === 'scratch') s.base = { kind: 'scratch' };
  }

  // Process stages so that a stage comes after the stage it is built FROM (env inheritance).
  const done = new Set<number>();
  const visiting = new Set<number>();
  const processStage = (i: number) => {
    if (done.has(i)) return;
    const s = stages[i]!;
    if (visiting.has(i)) throw new DockerfileError(file, s.from.range.start, `circular dependency detected on stage: ${s.name ?? i}`);
    visiting.add(i);
    let baseEnv: readonly string[] = [];
    if (s.base.kind === 'stage') {
      processStage(s.base.index);
      baseEnv = stages[s.base.index]!.finalEnv;
    } else if (s.base.kind === 'image') baseEnv = options.imageEnv?.(s.base.ref) ?? [];
    const env = new Env(baseEnv);
    if (s.base.kind !== 'stage' && !env.map.has('PATH')) env.map.set('PATH', DEFAULT_PATH);
    resolveStageBody(s, df.stages[i]!.instructions, env);
    visiting.delete(i);
    done.add(i);
  };

  const resolveStageBody = (s: ResolvedStage, insts: Instruction[], env: Env) => {
    const args = new Map<string, string>();
    const stageRef = (from: string, pos: FromInstruction['argsPosition']) => {
      if (/^\d+$/.test(from)) {
        const n = Number(from);
        if (n >= stages.length) throw new DockerfileError(file, pos, `invalid stage index ${n}`);
        if (n >= s.index) throw new DockerfileError(file, pos, `invalid from flag value ${from} refers to current or future build stage`);
        return n;
      }
      return byName.get(from.toLowerCase());
    };
    const addDep = (from: string, pos: FromInstruction['argsPosition']) => {
      const idx = stageRef(from, pos);
      if (idx === s.index) throw new DockerfileError(file, pos, `circular dependency detected on stage: ${s.name ?? s.index}`);
      if (idx !== undefined) {
        if (!s.dependsOn.includes(idx)) s.dependsOn.push(idx);
      } else if (!s.imageDependencies.includes(from)) s.imageDependencies.push(from);
    };
    for (const source of insts) {
      const argsBefore = Object.fromEntries(args);
      const envBefore = env.list();
      const used: Record<string, string> = {};
      const look = (k: string) => {
        if (env.map.has(k)) return env.map.get(k);
        if (args.has(k)) {
          used[k] = args.get(k)!;
          return args.get(k);
        }
        return undefined;
      };
      const pos = source.argsPosition;
      const word = (w: string) => at(file, pos, () => lex.processWord(w, look));
      const words = (w: string) => at(file, pos, () => lex.processWords(w, look));
      let inst: Instruction;
      let proxyEnv: Record<string, string> | undefined;
      switch (source.kind) {
        case 'ENV':
        case 'LABEL': {
          const pairs = source.pairs.map((p) => ({ key: word(p.key), value: word(p.value) }));
          if (source.kind === 'ENV') {
            for (const p of pairs) if (p.key === '') throw new DockerfileError(file, pos, 'ENV names can not be blank');
            for (const p of pairs) env.map.set(p.key, p.value);
          }
          inst = { ...source, pairs };
          break;
        }
        case 'ARG': {
          // Declarations apply one by one: `ARG A=1 B=$A` gives B=1.
          const decls = source.args.map((a) => {
            stageConsumed.push([s.index, a.name]);
            let v: string | undefined;
            if (buildArgs.has(a.name)) v = buildArgs.get(a.name);
            else if (a.defaultValue !== undefined) v = word(a.defaultValue);
            else if (metaDeclared.has(a.name)) v = meta.get(a.name);
            if (v === undefined) args.delete(a.name);
            else {
              args.set(a.name, v);
              used[a.name] = v;
            }
            return { name: a.name, value: v };
          });
          inst = { ...source, args: decls.map((d) => (d.value === undefined ? { name: d.name } : { name: d.name, defaultValue: d.value })) };
          break;
        }
        case 'EXPOSE': {
          const ports = source.ports.flatMap(words);
          inst = { ...source, ports: at(file, pos, () => parseExposedPorts(ports)) };
          break;
        }
        case 'VOLUME': {
          const paths = source.paths.map(word);
          for (const p of paths) if (p.trim() === '') throw new DockerfileError(file, pos, 'VOLUME specified can not be an empty string');
          inst = { ...source, paths };
          break;
        }
        case 'WORKDIR':
          inst = { ...source, path: word(source.path) };
          break;
        case 'USER':
          inst = { ...source, user: word(source.user) };
          break;
        case 'STOPSIGNAL':
          inst = { ...source, signal: word(source.signal) };
          break;
        case 'COPY':
        case 'ADD': {
          const opt = (v: string | undefined) => (v === undefined ? undefined : word(v));
          inst = {
            ...source,
            sources: source.sources.map(word),
            dest: word(source.dest),
            heredocSources: source.heredocSources.map((h) =>
              h.expand ? { ...h, data: at(file, pos, () => heredocLex.processWord(h.data, look)) } : h,
            ),
            chown: opt(source.chown),
            chmod: opt(source.chmod),
            exclude: source.exclude.map(word),
          };
          if (source.kind === 'COPY') inst.from = opt(source.from);
          else inst.checksum = opt(source.checksum);
          if (inst.from !== undefined) addDep(inst.from, pos);
          break;
        }
        case 'RUN': {
          const mounts = source.mounts.map((m) => at(file, pos, () => parseMount(m.raw, (v) => lex.processWord(v, look))));
          for (const m of mounts) if (m.from !== undefined && m.type !== 'secret') addDep(m.from, pos);
          for (const [k, v] of args) if (!env.map.has(k)) used[k] = v;
          for (const k of PROXY_ARGS) {
            if (buildArgs.has(k) && !args.has(k)) {
              proxyEnv ??= {};
              proxyEnv[k] = buildArgs.get(k)!;
            }
          }
          inst = { ...source, mounts };
          break;
        }
        default:
          inst = source;
      }
      const r: ResolvedInstruction = { instruction: inst, source, env: envBefore, args: argsBefore, usedArgs: sortKeys(used) };
      if (proxyEnv) r.proxyEnv = proxyEnv;
      s.instructions.push(r);
    }
    s.finalEnv = env.list();
  };

  for (let i = 0; i < stages.length; i++) processStage(i);

  // Cycles through COPY --from, then reachability from the target.
  const color = new Map<number, number>();
  const order: number[] = [];
  const visit = (i: number) => {
    const c = color.get(i);
    if (c === 2) return;
    const s = stages[i]!;
    if (c === 1) throw new DockerfileError(file, s.from.range.start, `circular dependency detected on stage: ${s.name ?? i}`);
    color.set(i, 1);
    s.reachable = true;
    for (const d of s.dependsOn) visit(d);
    color.set(i, 2);
    order.push(i);
  };
  let target = stages.length - 1;
  if (options.target !== undefined && options.target !== '') {
    const t = byName.get(options.target.toLowerCase());
    if (t === undefined) throw new DockerfileError(file, { line: 1, column: 1 }, `failed to reach build target ${options.target} in Dockerfile`);
    target = t;
  }
  for (const s of stages) s.dependsOn.sort((a, b) => a - b);
  visit(target);
  // A cycle among unreachable stages is still an error in BuildKit's graph; check them too.
  for (let i = 0; i < stages.length; i++) {
    if (color.get(i) === undefined) {
      const saved = order.length;
      visit(i);
      for (const j of order.splice(saved)) stages[j]!.reachable = false;
    }
  }
  for (const [i, k] of stageConsumed) if (stages[i]!.reachable) consumed.add(k);
  for (const k of PROXY_ARGS) consumed.add(k);
  const unusedBuildArgs = [...buildArgs.keys()].filter((k) => !consumed.has(k)).sort();
  return { dockerfile: df, stages, target, order, metaArgs: Object.fromEntries(meta), unusedBuildArgs, platform, buildPlatform };
}

function sortKeys(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function at<T>(file: string, pos: FromInstruction['argsPosition'], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DetailError) throw new DockerfileError(file, pos, e.message);
    throw e;
  }
}
