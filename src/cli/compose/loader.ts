// Loads a Compose project: finds the files, reads .env/--env-file, parses YAML, validates keys, interpolates,
// canonicalizes services, applies extends, merges -f files in order, applies profiles and checks references and
// depends_on cycles. Everything is validated here, before anything is created.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InterpolationError, interpolateTree, parseEnvFile } from './interpolate.ts';
import type { Lookup } from './interpolate.ts';
import { mergeServices, mergeTopLevel } from './merge.ts';
import type { NetworkConfig, Project, Service, VolumeConfig } from './model.ts';
import { ComposeError } from './model.ts';
import { normalizeService, TOP_LEVEL_KEYS } from './normalize.ts';
import type { FileContext } from './normalize.ts';

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

export interface LoadOptions {
  files?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles?: string[];
  profiles?: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Services named on the command line: enabled even if their profile is not active. */
  services?: string[];
}

type Raw = Record<string, unknown>;
const isMap = (v: unknown): v is Raw => !!v && typeof v === 'object' && !Array.isArray(v);

/** Lowercase [a-z0-9_-], starting with a letter or digit, as Compose normalizes project names. */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

export function findComposeFiles(cwd: string): string[] {
  for (let dir = cwd; ; dir = dirname(dir)) {
    for (const f of DEFAULT_FILES) {
      const p = resolve(dir, f);
      if (existsSync(p)) {
        const override = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yml', 'docker-compose.override.yaml']
          .map((o) => resolve(dir, o))
          .find((o) => existsSync(o));
        return override ? [p, override] : [p];
      }
    }
    if (dirname(dir) === dir) break;
  }
  throw new ComposeError('no configuration file provided: not found');
}

function displayName(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function readYaml(path: string, name: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ComposeError(code === 'ENOENT' ? `open ${path}: no such file or directory` : `${name}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { merge: true, maxAliasCount: 10000 });
  } catch (e) {
    throw new ComposeError(`${name}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isMap(doc)) throw new ComposeError(`${name}: top-level object must be a mapping`);
  return doc;
}

interface ParsedFile {
  path: string;
  name: string;
  dir: string;
  doc: Raw;
  services: Record<string, Service & { extends?: unknown }>;
}

class FileLoader {
  private readonly cache = new Map<string, ParsedFile>();
  private readonly lookup: Lookup;
  private readonly cwd: string;
  private readonly projectDir: string;
  constructor(lookup: Lookup, cwd: string, projectDir: string) {
    this.lookup = lookup;
    this.cwd = cwd;
    this.projectDir = projectDir;
  }

  load(path: string, dirForRelative?: string): ParsedFile {
    const abs = resolve(path);
    const hit = this.cache.get(abs);
    if (hit) return hit;
    const name = displayName(abs, this.cwd);
    const raw = readYaml(abs, name);
    for (const k of Object.keys(raw)) {
      if (!TOP_LEVEL_KEYS.has(k) && !k.startsWith('x-')) throw new ComposeError(`${name}: additional properties '${k}' not allowed`);
    }
    let doc: Raw;
    try {
      doc = interpolateTree(raw, this.lookup, '') as Raw;
    } catch (e) {
      if (e instanceof InterpolationError) throw new ComposeError(`${name}: ${e.message}`);
      throw e;
    }
    for (const section of ['services', 'networks', 'volumes', 'configs', 'secrets'] as const) {
      if (doc[section] !== undefined && doc[section] !== null && !isMap(doc[section])) throw new ComposeError(`${name}: ${section} must be a mapping`);
    }
    const ctx: FileContext = { file: name, dir: dirForRelative ?? this.projectDir, lookup: this.lookup };
    const services: ParsedFile['services'] = {};
    for (const [svc, body] of Object.entries((doc.services as Raw | undefined) ?? {})) {
      if (svc.startsWith('x-')) continue;
      services[svc] = normalizeService(ctx, svc, body);
    }
    const parsed: ParsedFile = { path: abs, name, dir: ctx.dir, doc, services };
    this.cache.set(abs, parsed);
    return parsed;
  }

  /** A service with its extends chain applied. */
  resolveExtends(file: ParsedFile, svc: string, stack: string[] = []): Service {
    const s = file.services[svc];
    if (!s) throw new ComposeError(`${file.name}: cannot extend service "${svc}": service not found`);
    const id = `${file.path}#${svc}`;
    if (stack.includes(id)) throw new ComposeError(`${file.name}: services.${svc}.extends: circular reference: ${[...stack, id].map((x) => x.split('#')[1]).join(' -> ')}`);
    if (!s.extends) return s;
    const ext = s.extends as Raw;
    if (!isMap(ext) || typeof ext.service !== 'string') throw new ComposeError(`${file.name}: services.${svc}.extends must name a service`);
    let baseFile = file;
    if (typeof ext.file === 'string') {
      const p = resolve(file.dir, ext.file);
      baseFile = this.load(p, dirname(p));
    }
    const base = this.resolveExtends(baseFile, ext.service, [...stack, id]);
    const own: Service & { extends?: unknown } = { ...s };
    delete own.extends;
    // depends_on is not inherited through extends.
    const inherited: Service = { ...structuredClone(base), name: svc };
    if (baseFile !== file) delete inherited.depends_on;
    return mergeServices(inherited, own);
  }
}

function dependencyCycle(services: Record<string, Service>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'visiting');
    path.push(n);
    for (const dep of Object.keys(services[n]?.depends_on ?? {}).sort()) {
      if (!services[dep]) continue;
      const c = visit(dep);
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of Object.keys(services).sort()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

export function loadProject(o: LoadOptions): Project {
  const envFromFiles: Record<string, string> = {};
  const composeFiles = o.files?.length
    ? o.files.map((f) => resolve(o.cwd, f))
    : o.env.COMPOSE_FILE
      ? o.env.COMPOSE_FILE.split(o.env.COMPOSE_PATH_SEPARATOR ?? ':').map((f) => resolve(o.cwd, f))
      : findComposeFiles(o.cwd);
  const projectDir = o.projectDirectory ? resolve(o.cwd, o.projectDirectory) : dirname(composeFiles[0]!);

  // .env in the project directory, or the --env-file ones; the process environment wins over both.
  const envFiles = o.envFiles?.length ? o.envFiles.map((f) => resolve(o.cwd, f)) : [resolve(projectDir, '.env')];
  for (const f of envFiles) {
    if (!existsSync(f)) {
      if (o.envFiles?.length) throw new ComposeError(`couldn't find env file: ${f}`);
      continue;
    }
    Object.assign(envFromFiles, parseEnvFile(readFileSync(f, 'utf8'), (k) => o.env[k] ?? envFromFiles[k]));
  }
  const environment: Record<string, string> = { ...envFromFiles };
  for (const [k, v] of Object.entries(o.env)) if (v !== undefined) environment[k] = v;
  const lookup: Lookup = (k) => environment[k];

  const loader = new FileLoader(lookup, o.cwd, projectDir);
  let services: Record<string, Service> = {};
  const serviceFiles: Record<string, string> = {};
  let networks: Record<string, unknown> = {};
  let volumes: Record<string, unknown> = {};
  let declaredName: string | undefined;
  for (const path of composeFiles) {
    const file = loader.load(path);
    if (typeof file.doc.name === 'string' && file.doc.name) declaredName = file.doc.name;
    for (const svc of Object.keys(file.services)) {
      const resolved = loader.resolveExtends(file, svc);
      services[svc] = services[svc] ? mergeServices(services[svc]!, resolved) : resolved;
      serviceFiles[svc] = file.name;
    }
    networks = mergeTopLevel(networks, ((file.doc.networks as Raw | null) ?? {}) as Raw);
    volumes = mergeTopLevel(volumes, ((file.doc.volumes as Raw | null) ?? {}) as Raw);
  }
  const firstFile = displayName(composeFiles[0]!, o.cwd);

  const rawName = o.projectName || environment.COMPOSE_PROJECT_NAME || declaredName || basename(projectDir);
  const name = normalizeProjectName(rawName);
  if (!name) throw new ComposeError(`project name ${JSON.stringify(rawName)} must contain at least one letter or digit`);
  if (o.projectName && name !== o.projectName) {
    throw new ComposeError(`invalid project name "${o.projectName}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`);
  }

  const nets: Record<string, NetworkConfig> = {};
  for (const [key, raw] of Object.entries(networks)) {
    if (key.startsWith('x-')) continue;
    const n = (isMap(raw) ? raw : {}) as Raw;
    const external = isMap(n.external) ? true : !!n.external;
    const extName = isMap(n.external) && typeof n.external.name === 'string' ? n.external.name : undefined;
    nets[key] = {
      ...(structuredClone(n) as object),
      name: typeof n.name === 'string' ? n.name : extName ?? (external ? key : `${name}_${key}`),
      ...(external ? { external: true } : {}),
    } as NetworkConfig;
    if (n.labels !== undefined) nets[key]!.labels = labelMap(n.labels);
  }
  const vols: Record<string, VolumeConfig> = {};
  for (const [key, raw] of Object.entries(volumes)) {
    if (key.startsWith('x-')) continue;
    const v = (isMap(raw) ? raw : {}) as Raw;
    const external = isMap(v.external) ? true : !!v.external;
    const extName = isMap(v.external) && typeof v.external.name === 'string' ? v.external.name : undefined;
    vols[key] = {
      ...(structuredClone(v) as object),
      name: typeof v.name === 'string' ? v.name : extName ?? (external ? key : `${name}_${key}`),
      ...(external ? { external: true } : {}),
    } as VolumeConfig;
    if (v.labels !== undefined) vols[key]!.labels = labelMap(v.labels);
  }

  // Profiles: a service with profiles runs only when one of them is active or it is named explicitly.
  const active = new Set([...(o.profiles ?? []), ...(environment.COMPOSE_PROFILES ?? '').split(',').map((s) => s.trim()).filter(Boolean)]);
  const enabled: Record<string, Service> = {};
  const disabled: Record<string, Service> = {};
  for (const [n, s] of Object.entries(services)) {
    const on = !s.profiles?.length || active.has('*') || s.profiles.some((p) => active.has(p)) || o.services?.includes(n);
    (on ? enabled : disabled)[n] = s;
  }
  // Dependencies of explicitly enabled services come along.
  let changed = true;
  while (changed) {
    changed = false;
    for (const s of Object.values(enabled)) {
      for (const dep of Object.keys(s.depends_on ?? {})) {
        if (!enabled[dep] && disabled[dep] && o.services?.length) {
          enabled[dep] = disabled[dep]!;
          delete disabled[dep];
          changed = true;
        }
      }
    }
  }
  services = enabled;

  for (const [n, s] of Object.entries({ ...services, ...disabled })) {
    const file = serviceFiles[n] ?? firstFile;
    if (!s.image && !s.build) throw new ComposeError(`${file}: services.${n} has neither an image nor a build context specified: invalid compose project`);
    if (s.container_name && ((s.deploy?.replicas ?? s.scale ?? 1) > 1)) {
      throw new ComposeError(`${file}: services.${n}: container_name "${s.container_name}" cannot be used with more than one replica`);
    }
    if (s.scale !== undefined && s.deploy?.replicas !== undefined && s.scale !== s.deploy.replicas) {
      throw new ComposeError(`${file}: services.${n}: can't set distinct values on 'scale' and 'deploy.replicas'`);
    }
    if (s.restart && !/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(s.restart)) {
      throw new ComposeError(`${file}: services.${n}.restart: invalid restart policy "${s.restart}"`);
    }
    for (const net of Object.keys(s.networks ?? {})) {
      if (!nets[net] && net !== 'default') throw new ComposeError(`${file}: services.${n}.networks: service "${n}" refers to undefined network ${net}: invalid compose project`);
    }
    for (const m of s.volumes ?? []) {
      if (m.type === 'volume' && m.source && !vols[m.source]) {
        throw new ComposeError(`${file}: services.${n}.volumes: service "${n}" refers to undefined volume ${m.source}: invalid compose project`);
      }
    }
    if (s.network_mode?.startsWith('service:')) {
      const other = s.network_mode.slice(8);
      if (!services[other] && !disabled[other]) throw new ComposeError(`${file}: services.${n}.network_mode: service "${other}" not found`);
    }
  }
  for (const [n, s] of Object.entries(services)) {
    for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
      if (!services[dep] && d.required) {
        const file = serviceFiles[n] ?? firstFile;
        throw new ComposeError(disabled[dep]
          ? `${file}: services.${n}.depends_on: service "${dep}" is disabled by its profiles (activate it with --profile)`
          : `${file}: services.${n}.depends_on: service "${n}" depends on undefined service "${dep}": invalid compose project`);
      }
    }
  }
  const cycle = dependencyCycle({ ...services, ...disabled });
  if (cycle) throw new ComposeError(`${serviceFiles[cycle[0]!] ?? firstFile}: services.${cycle[0]}.depends_on: dependency cycle detected: ${cycle.join(' -> ')}`);
  checkPortConflicts(services, serviceFiles, firstFile);

  // The default network exists when some service uses it (no networks given, or "default" named).
  const usesDefault = Object.values({ ...services, ...disabled }).some((s) => !s.network_mode && (!s.networks || 'default' in s.networks));
  if (usesDefault && !nets.default) nets.default = { name: `${name}_default` };

  return {
    name,
    workingDir: projectDir,
    configFiles: composeFiles,
    services,
    disabledServices: disabled,
    networks: nets,
    volumes: vols,
    environment,
    serviceFiles,
  };
}

function labelMap(v: unknown): Record<string, string> {
  if (Array.isArray(v)) {
    return Object.fromEntries(v.map((s) => {
      const t = String(s);
      const i = t.indexOf('=');
      return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
    }));
  }
  return Object.fromEntries(Object.entries((v ?? {}) as Raw).map(([k, x]) => [k, x === null ? '' : String(x)]));
}

export function replicasOf(s: Service): number {
  return s.deploy?.replicas ?? s.scale ?? 1;
}

/** Two services (or replicas) that publish the same fixed host port cannot both start. */
function checkPortConflicts(services: Record<string, Service>, files: Record<string, string>, first: string): void {
  const seen = new Map<string, string>();
  for (const [n, s] of Object.entries(services)) {
    for (const p of s.ports ?? []) {
      if (!p.published || p.published.includes('-')) continue;
      const file = files[n] ?? first;
      if (replicasOf(s) > 1) {
        throw new ComposeError(`${file}: services.${n}.ports: host port ${p.published}/${p.protocol} cannot be published by ${replicasOf(s)} replicas`);
      }
      const ip = p.host_ip && p.host_ip !== '0.0.0.0' ? p.host_ip : '';
      for (const [k, owner] of seen) {
        const [kip, kport] = k.split('|');
        if (kport === `${p.published}/${p.protocol}` && (!kip || !ip || kip === ip)) {
          throw new ComposeError(`${file}: services.${n}.ports: host port ${p.published}/${p.protocol} is already published by service "${owner}"`);
        }
      }
      seen.set(`${ip}|${p.published}/${p.protocol}`, n);
    }
  }
}
