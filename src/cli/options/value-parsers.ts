// Small flag value parsers shared by run/create/exec, worded like docker's errors.
import { readFileSync } from 'node:fs';
import type { MountSpec, RestartPolicy, Ulimit } from '../../spec/docker-api.ts';
import { ramInBytes } from '../format/units.ts';

/** --ulimit name=soft[:hard] */
export function parseUlimit(v: string): Ulimit {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  const [soft, hard, extra] = v.slice(eq + 1).split(':');
  if (extra !== undefined) throw new Error(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string | undefined): number => {
    if (s === undefined || !/^-?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing "${s ?? ''}": invalid syntax`);
    return Number(s);
  };
  const s = num(soft);
  const h = hard === undefined ? s : num(hard);
  if (s > h) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${s} > ${h}`);
  return { Name: name, Soft: s, Hard: h };
}

/** --restart no|always|unless-stopped|on-failure[:max] */
export function parseRestartPolicy(v: string): RestartPolicy {
  if (v === '') return { Name: 'no' };
  const [name, count, extra] = v.split(':');
  if (extra !== undefined) throw new Error(`invalid restart policy format: maximum retry count must be an integer`);
  switch (name) {
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (count !== undefined) throw new Error(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
      return { Name: name };
    case 'on-failure': {
      if (count === undefined) return { Name: 'on-failure' };
      if (!/^\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
      return { Name: 'on-failure', MaximumRetryCount: Number(count) };
    }
    default:
      throw new Error(`invalid restart policy format: unknown policy '${name}'`);
  }
}

/** key=value into a map; a bare key maps to `bare` (label flags use ""). */
export function parseKeyValues(items: string[], what: string, bare?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (bare === undefined) throw new Error(`invalid ${what} format: ${item}`);
      out[item] = bare;
    } else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Env entries: "K=V" as-is; a bare "K" takes its value from our environment when set (docker's ValidateEnv). */
export function resolveEnv(items: string[], env: NodeJS.ProcessEnv): string[] {
  return items.map((item) => {
    if (item.includes('=')) {
      if (item.startsWith('=')) throw new Error(`invalid environment variable: ${item}`);
      return item;
    }
    const value = env[item];
    return value === undefined ? item : `${item}=${value}`;
  });
}

/** Reads an env/label file: one entry a line, blank lines and # comments skipped. */
export function readLinesFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(goFileError(e, path));
  }
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    out.push(line);
  }
  return out;
}

/** --tmpfs /path[:options] */
export function parseTmpfs(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon < 0) out[item] = '';
    else out[item.slice(0, colon)] = item.slice(colon + 1);
  }
  return out;
}

/** --mount type=bind,source=/a,target=/b[,readonly] (the CSV form docker accepts). */
export function parseMount(v: string): MountSpec {
  const m: MountSpec = { Type: 'volume', Target: '' };
  for (const field of v.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const bool = value === undefined || value === 'true' || value === '1';
    switch (key) {
      case 'type':
        if (!value || !['bind', 'volume', 'tmpfs', 'npipe', 'cluster'].includes(value)) throw new Error(`invalid mount type: ${value}`);
        m.Type = value as MountSpec['Type'];
        break;
      case 'source':
      case 'src':
        m.Source = value ?? '';
        break;
      case 'target':
      case 'destination':
      case 'dst':
        m.Target = value ?? '';
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = bool;
        break;
      case 'bind-propagation':
        m.BindOptions = { ...m.BindOptions, Propagation: value };
        break;
      case 'bind-nonrecursive':
        m.BindOptions = { ...m.BindOptions, NonRecursive: bool };
        break;
      case 'volume-nocopy':
        m.VolumeOptions = { ...m.VolumeOptions, NoCopy: bool };
        break;
      case 'tmpfs-size':
        // docker: go-units RAMInBytes ("100m", "1g", plain bytes).
        m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: ramInBytes(value ?? '') };
        break;
      case 'volume-driver':
        m.VolumeOptions = { ...m.VolumeOptions, DriverConfig: { ...m.VolumeOptions?.DriverConfig, Name: value } };
        break;
      case 'volume-label':
      case 'volume-opt': {
        const kv = value ?? '';
        const i = kv.indexOf('=');
        if (i <= 0) throw new Error(`invalid value for ${key}: ${kv}`);
        const [k, val] = [kv.slice(0, i), kv.slice(i + 1)];
        if (key === 'volume-label') m.VolumeOptions = { ...m.VolumeOptions, Labels: { ...m.VolumeOptions?.Labels, [k]: val } };
        else {
          const dc = m.VolumeOptions?.DriverConfig ?? {};
          m.VolumeOptions = { ...m.VolumeOptions, DriverConfig: { ...dc, Options: { ...dc.Options, [k]: val } } };
        }
        break;
      }
      case 'tmpfs-mode':
        m.TmpfsOptions = { ...m.TmpfsOptions, Mode: Number.parseInt(value ?? '', 8) };
        break;
      case 'consistency':
        m.Consistency = value;
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw new Error('target is required');
  return m;
}

/**
 * --security-opt: `seccomp=PATH` is replaced by the profile's JSON text (the daemon cannot read client files), as the
 * docker CLI does; other values pass through.
 */
export function resolveSecurityOpts(items: string[]): string[] {
  return items.map((item) => {
    const sep = item.includes('=') ? '=' : item.includes(':') ? ':' : '';
    if (!sep) return item;
    const key = item.slice(0, item.indexOf(sep));
    const value = item.slice(item.indexOf(sep) + 1);
    if (key !== 'seccomp' || value === 'unconfined' || value === 'builtin') return item;
    let text: string;
    try {
      text = readFileSync(value, 'utf8');
    } catch (e) {
      throw new Error(`opening seccomp profile (${value}) failed: ${goFileError(e, value)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`compacting json for seccomp profile (${value}) failed: ${(e as Error).message}`);
    }
    return `seccomp=${JSON.stringify(parsed)}`;
  });
}

/** "ctrl-p,ctrl-q" → the bytes to watch for on stdin (docker's term.ToBytes). */
export function parseDetachKeys(spec: string): number[] {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(k);
    if (!m) throw new Error(`Unknown character: '${k}'`);
    const c = m[1]!.toLowerCase();
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c === '@') out.push(0);
    else if (c === '[') out.push(27);
    else if (c === '\\') out.push(28);
    else if (c === ']') out.push(29);
    else if (c === '^') out.push(30);
    else if (c === '_') out.push(31);
    else throw new Error(`Unknown character: '${k}'`);
  }
  return out;
}

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** A file error worded like Go's *PathError, as docker prints it: "open /x: no such file or directory". */
export function goFileError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const text = ERRNO_TEXT[code];
  if (!text) return (e as Error).message;
  return `${code === 'EISDIR' ? 'read' : 'open'} ${path}: ${text}`;
}
