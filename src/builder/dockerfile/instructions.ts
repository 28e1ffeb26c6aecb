// Syntax tree nodes → typed, validated instructions grouped into stages (BuildKit's frontend/dockerfile/instructions).
// Values are as written (no variable expansion yet); stages.ts expands them with the ARG/ENV scope of each step.
// Validation messages are Docker's.

import { DetailError, DockerfileError, fail, type Position, type SourceRange } from './dockerfile-error.ts';
import { parseDockerfile, parseHeredoc, parseInstructionLine, type DockerfileAST, type Flag, type Heredoc, type Node, type ParseOptions } from './parser.ts';

interface Base {
  range: SourceRange;
  /** The logical source line (continuations joined). */
  original: string;
  /** Where the arguments start, for error messages about them. */
  argsPosition: Position;
}

export type CommandForm = 'shell' | 'exec';

export interface FromInstruction extends Base {
  kind: 'FROM';
  image: string;
  /** Lower-cased, as BuildKit stores it. */
  stageName?: string;
  platform?: string;
}

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';

export interface RunMount {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  /** cache: `id=` */
  cacheId?: string;
  /** cache: shared | private | locked */
  sharing?: 'shared' | 'private' | 'locked';
  /** octal file mode (secret/ssh/cache) */
  mode?: number;
  uid?: number;
  gid?: number;
  required?: boolean;
  /** secret: env var to expose it as */
  env?: string;
  /** tmpfs size in bytes */
  size?: number;
  /** The flag value as written. */
  raw: string;
}

export interface RunInstruction extends Base {
  kind: 'RUN';
  form: CommandForm;
  /** exec form: argv; shell form: [script] (to be run with the SHELL). */
  command: string[];
  mounts: RunMount[];
  network?: 'default' | 'none' | 'host';
  security?: 'sandbox' | 'insecure';
  heredocs: Heredoc[];
}

export interface CmdInstruction extends Base {
  kind: 'CMD' | 'ENTRYPOINT';
  form: CommandForm;
  command: string[];
}

export interface KeyValuePair {
  key: string;
  value: string;
}

export interface EnvInstruction extends Base {
  kind: 'ENV' | 'LABEL';
  /** Raw until expanded (stages.ts removes quotes and expands). */
  pairs: KeyValuePair[];
}

export interface ArgDeclaration {
  name: string;
  /** undefined: `ARG NAME` with no default. */
  defaultValue?: string;
}

export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: ArgDeclaration[];
}

export interface ExposeInstruction extends Base {
  kind: 'EXPOSE';
  ports: string[];
}

export interface VolumeInstruction extends Base {
  kind: 'VOLUME';
  paths: string[];
}

export interface WorkdirInstruction extends Base {
  kind: 'WORKDIR';
  path: string;
}

export interface UserInstruction extends Base {
  kind: 'USER';
  user: string;
}

export interface HeredocSource {
  /** File name (the heredoc delimiter). */
  path: string;
  data: string;
  /** Expand variables in `data` (delimiter unquoted). */
  expand: boolean;
}

export interface CopyInstruction extends Base {
  kind: 'COPY' | 'ADD';
  sources: string[];
  heredocSources: HeredocSource[];
  dest: string;
  /** COPY only: stage name, stage index or image. */
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  /** COPY only. */
  parents: boolean;
  exclude: string[];
  /** ADD only. */
  checksum?: string;
  /** ADD only. */
  keepGitDir?: boolean;
  /** ADD only: `--unpack` given explicitly. */
  unpack?: boolean;
  /** JSON form (no heredocs). */
  json: boolean;
}

export interface ShellInstruction extends Base {
  kind: 'SHELL';
  shell: string[];
}

export interface StopSignalInstruction extends Base {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  /** ["NONE"] | ["CMD-SHELL", script] | ["CMD", ...argv] — Docker's HealthConfig.Test. */
  test: string[];
  /** Nanoseconds; 0 = inherit/default. */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  /** The trigger as stored in the image config, e.g. `RUN echo hi`. */
  expression: string;
  trigger: Instruction;
}

export interface MaintainerInstruction extends Base {
  kind: 'MAINTAINER';
  maintainer: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EnvInstruction
  | ArgInstruction
  | ExposeInstruction
  | VolumeInstruction
  | WorkdirInstruction
  | UserInstruction
  | CopyInstruction
  | ShellInstruction
  | StopSignalInstruction
  | HealthcheckInstruction
  | OnbuildInstruction
  | MaintainerInstruction;

export interface Stage {
  index: number;
  /** `FROM ... AS name`, lower-cased. */
  name?: string;
  from: FromInstruction;
  /** Instructions after FROM. */
  instructions: Instruction[];
}

export interface Dockerfile {
  ast: DockerfileAST;
  /** ARGs before the first FROM (usable in FROM lines only, unless re-declared in a stage). */
  metaArgs: ArgInstruction[];
  stages: Stage[];
}

/** Text → typed stages. Throws DockerfileError. */
export function parseDockerfileInstructions(text: string, options: ParseOptions = {}): Dockerfile {
  return instructionsFromAST(parseDockerfile(text, options));
}

/** AST → typed stages. */
export function instructionsFromAST(ast: DockerfileAST): Dockerfile {
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const node of ast.instructions) {
    const inst = toInstruction(node, ast.file);
    if (inst.kind === 'FROM') {
      stages.push({ index: stages.length, name: inst.stageName, from: inst, instructions: [] });
    } else if (stages.length === 0) {
      if (inst.kind !== 'ARG') throw new DockerfileError(ast.file, node.range.start, 'no build stage in current context');
      metaArgs.push(inst);
    } else stages[stages.length - 1]!.instructions.push(inst);
  }
  return { ast, metaArgs, stages };
}

/** Parse an ONBUILD trigger expression (from an image config) into an instruction. */
export function parseTrigger(expression: string, options: { file?: string } = {}): Instruction {
  const file = options.file ?? 'ONBUILD';
  const node = parseInstructionLine(expression, { file });
  const inst = toInstruction(node, file);
  checkTrigger(inst.kind, file, node.range.start);
  return inst;
}

function checkTrigger(kind: string, file: string, pos: Position) {
  if (kind === 'ONBUILD') throw new DockerfileError(file, pos, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (kind === 'FROM' || kind === 'MAINTAINER') throw new DockerfileError(file, pos, `${kind} isn't allowed as an ONBUILD trigger`);
}

// ---- flags (BuildKit's BFlags) ----

type FlagKind = 'bool' | 'string' | 'strings';

class Flags {
  readonly values = new Map<string, string | boolean | string[]>();
  readonly positions = new Map<string, Position>();
  readonly listPositions = new Map<string, Position[]>();
  readonly file: string;
  constructor(flags: Flag[], spec: Record<string, FlagKind>, file: string) {
    this.file = file;
    for (const f of flags) {
      const kind = spec[f.name];
      const err = (m: string) => new DockerfileError(file, f.position, m);
      if (kind === undefined) throw err(`unknown flag: ${f.name}`);
      if (this.values.has(f.name) && kind !== 'strings') throw err(`Duplicate flag specified: ${f.name}`);
      this.positions.set(f.name, f.position);
      this.listPositions.set(f.name, [...(this.listPositions.get(f.name) ?? []), f.position]);
      if (kind === 'bool') {
        const v = f.value === undefined ? 'true' : f.value.toLowerCase();
        if (v !== 'true' && v !== 'false') throw err(`expecting boolean value for flag ${f.name}, not: ${f.value}`);
        this.values.set(f.name, v === 'true');
      } else {
        if (f.value === undefined) throw err(`Missing a value on flag: ${f.name}`);
        if (kind === 'string') this.values.set(f.name, f.value);
        else this.values.set(f.name, [...((this.values.get(f.name) as string[] | undefined) ?? []), f.value]);
      }
    }
  }
  str(name: string): string | undefined {
    return this.values.get(name) as string | undefined;
  }
  bool(name: string): boolean | undefined {
    return this.values.get(name) as boolean | undefined;
  }
  /** Run fn; a DetailError becomes a DockerfileError at the flag (the nth occurrence for list flags). */
  at<T>(name: string, fn: () => T, nth = 0): T {
    try {
      return fn();
    } catch (e) {
      const pos = this.listPositions.get(name)?.[nth];
      if (e instanceof DetailError && pos) throw new DockerfileError(this.file, pos, e.message);
      throw e;
    }
  }
  list(name: string): string[] {
    return (this.values.get(name) as string[] | undefined) ?? [];
  }
}

const exactlyOne = (cmd: string) => fail(`${cmd} requires exactly one argument`);
const atLeastOne = (cmd: string) => fail(`${cmd} requires at least one argument`);

/** One node → typed instruction. Throws DockerfileError. */
export function toInstruction(node: Node, file: string): Instruction {
  const base: Base = { range: node.range, original: node.original, argsPosition: node.argsPosition };
  const flagsOf = (spec: Record<string, FlagKind>) => new Flags(node.flags, spec, file);
  const noFlags = () => flagsOf({});
  try {
    switch (node.keyword) {
      case 'FROM': {
        const f = flagsOf({ platform: 'string' });
        const args = node.words;
        let stageName: string | undefined;
        if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
          stageName = args[2]!.toLowerCase();
          if (!/^[a-z][a-z0-9-_.]*$/.test(stageName)) {
            fail(`invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`);
          }
        } else if (args.length !== 1) fail('FROM requires either one or three arguments');
        return { kind: 'FROM', ...base, image: args[0]!, stageName, platform: f.str('platform') };
      }
      case 'RUN': {
        const f = flagsOf({ mount: 'strings', network: 'string', security: 'string' });
        if (node.words.length === 0 && !node.json) atLeastOne('RUN');
        const mounts = f.list('mount').map((m, i) => f.at('mount', () => parseMount(m, (s) => s), i));
        const network = f.str('network');
        if (network !== undefined && network !== 'default' && network !== 'none' && network !== 'host') {
          f.at('network', () => fail(`unsupported network mode "${network}"`));
        }
        const security = f.str('security');
        if (security !== undefined && security !== 'sandbox' && security !== 'insecure') {
          f.at('security', () => fail(`unsupported security mode "${security}"`));
        }
        return {
          kind: 'RUN',
          ...base,
          form: node.json ? 'exec' : 'shell',
          command: node.words,
          mounts,
          network: network as RunInstruction['network'],
          security: security as RunInstruction['security'],
          heredocs: node.heredocs,
        };
      }
      case 'CMD':
      case 'ENTRYPOINT':
        noFlags();
        return { kind: node.keyword, ...base, form: node.json ? 'exec' : 'shell', command: node.words };
      case 'ENV':
      case 'LABEL': {
        noFlags();
        const kvs = node.keyValues ?? [];
        if (kvs.length === 0) atLeastOne(node.keyword);
        for (const kv of kvs) if (kv.key === '') fail(`${node.keyword} names can not be blank`);
        return { kind: node.keyword, ...base, pairs: kvs.map((kv) => ({ key: kv.key, value: kv.value })) };
      }
      case 'ARG': {
        noFlags();
        if (node.words.length === 0) atLeastOne('ARG');
        const args = node.words.map((w): ArgDeclaration => {
          const eq = w.indexOf('=');
          const d = eq < 0 ? { name: w } : { name: w.slice(0, eq), defaultValue: w.slice(eq + 1) };
          if (d.name === '') fail('ARG names can not be blank');
          return d;
        });
        return { kind: 'ARG', ...base, args };
      }
      case 'EXPOSE':
        noFlags();
        if (node.words.length === 0) atLeastOne('EXPOSE');
        return { kind: 'EXPOSE', ...base, ports: node.words };
      case 'VOLUME':
        noFlags();
        if (node.words.length === 0) atLeastOne('VOLUME');
        for (const v of node.words) if (v.trim() === '') fail('VOLUME specified can not be an empty string');
        return { kind: 'VOLUME', ...base, paths: node.words };
      case 'WORKDIR':
        noFlags();
        if (node.words.length !== 1) exactlyOne('WORKDIR');
        return { kind: 'WORKDIR', ...base, path: node.words[0]! };
      case 'USER':
        noFlags();
        if (node.words.length !== 1) exactlyOne('USER');
        return { kind: 'USER', ...base, user: node.words[0]! };
      case 'STOPSIGNAL':
        noFlags();
        if (node.words.length !== 1) exactlyOne('STOPSIGNAL');
        return { kind: 'STOPSIGNAL', ...base, signal: node.words[0]! };
      case 'MAINTAINER':
        noFlags();
        if (node.words.length !== 1) exactlyOne('MAINTAINER');
        return { kind: 'MAINTAINER', ...base, maintainer: node.words[0]! };
      case 'SHELL':
        noFlags();
        if (!node.json) fail('SHELL requires the arguments to be in JSON form');
        if (node.words.length === 0) atLeastOne('SHELL');
        return { kind: 'SHELL', ...base, shell: node.words };
      case 'COPY':
      case 'ADD':
        return copyOrAdd(node, base, file);
      case 'HEALTHCHECK':
        return healthcheck(node, base, file);
      case 'ONBUILD': {
        noFlags();
        if (!node.trigger) atLeastOne('ONBUILD');
        const trig = node.trigger!;
        checkTrigger(trig.keyword, file, trig.range.start);
        const trigger = toInstruction(trig, file);
        const expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
        return { kind: 'ONBUILD', ...base, expression, trigger };
      }
      default:
        throw new DockerfileError(file, node.range.start, `unknown instruction: ${node.keyword}`);
    }
  } catch (e) {
    if (e instanceof DetailError) throw new DockerfileError(file, node.argsPosition, e.message);
    throw e;
  }
}

function copyOrAdd(node: Node, base: Base, file: string): CopyInstruction {
  const isCopy = node.keyword === 'COPY';
  const spec: Record<string, FlagKind> = isCopy
    ? { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' }
    : { chown: 'string', chmod: 'string', link: 'bool', exclude: 'strings', checksum: 'string', 'keep-git-dir': 'bool', unpack: 'bool' };
  const f = new Flags(node.flags, spec, file);
  const args = node.words;
  if (args.length < 2) {
    fail(`${node.keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const dest = args[args.length - 1]!;
  if (!node.json && parseHeredoc(dest)) fail(`${node.keyword} cannot accept a heredoc as a destination`);
  const sources: string[] = [];
  const heredocSources: HeredocSource[] = [];
  const docs = [...node.heredocs];
  for (const src of args.slice(0, -1)) {
    const h = node.json ? undefined : parseHeredoc(src);
    const doc = h ? docs.find((d) => d.name === h.name) : undefined;
    if (h && doc) {
      docs.splice(docs.indexOf(doc), 1);
      heredocSources.push({ path: doc.name, data: doc.content, expand: doc.expand });
    } else sources.push(src);
  }
  const inst: CopyInstruction = {
    kind: isCopy ? 'COPY' : 'ADD',
    ...base,
    sources,
    heredocSources,
    dest,
    chown: f.str('chown'),
    chmod: f.str('chmod'),
    link: f.bool('link') ?? false,
    parents: f.bool('parents') ?? false,
    exclude: f.list('exclude'),
    json: node.json,
  };
  if (isCopy) inst.from = f.str('from');
  else {
    inst.checksum = f.str('checksum');
    inst.keepGitDir = f.bool('keep-git-dir');
    inst.unpack = f.bool('unpack');
  }
  return inst;
}

function healthcheck(node: Node, base: Base, file: string): HealthcheckInstruction {
  if (node.words.length === 0) atLeastOne('HEALTHCHECK');
  const typ = node.words[0]!.toUpperCase();
  const rest = node.words.slice(1);
  const none = { interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (typ === 'NONE') {
    if (rest.length !== 0) fail('HEALTHCHECK NONE takes no arguments');
    return { kind: 'HEALTHCHECK', ...base, test: ['NONE'], ...none };
  }
  if (typ !== 'CMD') fail(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`);
  const f = new Flags(node.flags, { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' }, file);
  const at = (name: string, fn: () => number): number => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof DetailError) throw new DockerfileError(file, f.positions.get(name) ?? node.argsPosition, e.message);
      throw e;
    }
  };
  if (rest.length === 0 || (rest.length === 1 && !node.json && rest[0] === '')) fail('Missing command after HEALTHCHECK CMD');
  const test = node.json ? ['CMD', ...rest] : ['CMD-SHELL', rest[0]!];
  const interval = (name: string) =>
    at(name, () => {
      const v = f.str(name);
      if (v === undefined || v === '') return 0;
      const d = parseGoDuration(v);
      if (d === 0) return 0;
      if (d < 1_000_000) fail(`Interval "${name}" cannot be less than 1ms`);
      return d;
    });
  const retries = at('retries', () => {
    const v = f.str('retries');
    if (v === undefined || v === '') return 0;
    if (!/^[+-]?\d+$/.test(v)) fail(`strconv.ParseInt: parsing "${v}": invalid syntax`);
    const n = Number.parseInt(v, 10);
    if (n < 0) fail(`--retries cannot be negative (${n})`);
    return n;
  });
  return {
    kind: 'HEALTHCHECK',
    ...base,
    test,
    interval: interval('interval'),
    timeout: interval('timeout'),
    startPeriod: interval('start-period'),
    startInterval: interval('start-interval'),
    retries,
  };
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration → nanoseconds. Throws DetailError with Go's messages. */
export function parseGoDuration(s: string): number {
  const orig = s;
  const invalid = () => fail(`time: invalid duration "${orig}"`);
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') invalid();
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if ((m[1] ?? '') === '' && (m[2] ?? '') === '') invalid();
    s = s.slice(m[0].length);
    const u = /^[^\d.]*/.exec(s)![0];
    if (u === '') fail(`time: missing unit in duration "${orig}"`);
    const mult = UNITS[u];
    if (mult === undefined) fail(`time: unknown unit "${u}" in duration "${orig}"`);
    s = s.slice(u.length);
    total += Number(`${m[1] || '0'}.${m[2] || '0'}`) * mult!;
  }
  return Math.round(neg ? -total : total);
}

const MOUNT_TYPES: readonly string[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];

/** Split one CSV record (Go encoding/csv rules: fields may be double-quoted, `""` inside quotes). */
function csvFields(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) fail(`parse error on line 1, column ${s.length + 1}: extraneous or missing " in quoted-field`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += s[i++];
      }
      if (i < s.length && s[i] !== ',') fail(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      const end = s.indexOf(',', i);
      field = end < 0 ? s.slice(i) : s.slice(i, end);
      i = end < 0 ? s.length : end;
    }
    out.push(field);
    if (i >= s.length) return out;
    i++; // comma
  }
}

/** `--mount=` value → RunMount (BuildKit's parseMount). `expand` expands each value. */
export function parseMount(raw: string, expand: (s: string) => string): RunMount {
  const m: RunMount = { type: 'bind', readOnly: true, raw };
  let roAuto = true;
  const parseBool = (key: string, v: string): boolean => {
    const l = v.toLowerCase();
    if (['1', 't', 'true'].includes(l)) return true;
    if (['0', 'f', 'false'].includes(l)) return false;
    return fail(`invalid value for ${key}: ${v}`);
  };
  for (const field of csvFields(raw)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') {
        m.readOnly = true;
        roAuto = false;
        continue;
      }
      if (key === 'readwrite' || key === 'rw') {
        m.readOnly = false;
        roAuto = false;
        continue;
      }
      if (key === 'required') {
        if (m.type === 'secret' || m.type === 'ssh') {
          m.required = true;
          continue;
        }
        fail(`unexpected key '${key}' for mount type '${m.type}'`);
      }
      fail(`invalid field '${field}' must be a key=value pair`);
    }
    const value = expand(field.slice(eq + 1));
    switch (key) {
      case 'type':
        if (!MOUNT_TYPES.includes(value.toLowerCase())) fail(`unsupported mount type "${value}"`);
        m.type = value.toLowerCase() as MountType;
        break;
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
        m.readOnly = parseBool(key, value);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readOnly = !parseBool(key, value);
        roAuto = false;
        break;
      case 'required':
        m.required = parseBool(key, value);
        break;
      case 'id':
        m.cacheId = value;
        break;
      case 'sharing':
        if (value !== '' && !['shared', 'private', 'locked'].includes(value.toLowerCase())) fail(`unsupported sharing value "${value}"`);
        if (value !== '') m.sharing = value.toLowerCase() as RunMount['sharing'];
        break;
      case 'mode':
        if (!/^[0-7]+$/.test(value)) fail(`invalid value ${value} for mode`);
        m.mode = Number.parseInt(value, 8);
        break;
      case 'uid':
      case 'gid':
        if (!/^\d+$/.test(value)) fail(`invalid value for ${key}: ${value}`);
        m[key] = Number.parseInt(value, 10);
        break;
      case 'env':
        m.env = value;
        break;
      case 'size':
        if (!/^\d+$/.test(value)) fail(`invalid value for size: ${value}`);
        m.size = Number.parseInt(value, 10);
        break;
      default:
        fail(`unexpected key '${key}' in '${field}'`);
    }
  }
  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfoAllowed) {
    if (m.mode !== undefined) fail(`mode not allowed for "${m.type}" type mounts`);
    if (m.uid !== undefined) fail(`uid not allowed for "${m.type}" type mounts`);
    if (m.gid !== undefined) fail(`gid not allowed for "${m.type}" type mounts`);
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.sharing !== undefined && m.type !== 'cache') fail(`invalid cache sharing set for ${m.type} mount`);
  if (m.type === 'secret') {
    if (m.from !== undefined) fail('secret mount should not have a from');
    if (m.source === undefined && m.target === undefined && m.cacheId === undefined && m.env === undefined) {
      fail('invalid secret mount. one of source, target required');
    }
  }
  if ((m.type === 'bind' || m.type === 'cache' || m.type === 'tmpfs') && (m.target ?? '') === '') {
    fail(`mount type=${m.type} requires a target`);
  }
  return m;
}
