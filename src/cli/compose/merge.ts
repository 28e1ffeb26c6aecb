// Merging canonical services (later -f files, and extends) with the Compose specification's rules: mappings merge by
// key, command/entrypoint/healthcheck.test are replaced, ports/volumes merge by their unique key, other sequences
// append without duplicates, scalars are overridden.
import type { PortConfig, Service, VolumeMount } from './model.ts';

const REPLACE = new Set(['command', 'entrypoint', 'image', 'build']);
const APPEND_UNIQUE = new Set(['expose', 'tmpfs', 'cap_add', 'cap_drop', 'dns', 'dns_search', 'dns_opt', 'profiles', 'security_opt', 'group_add', 'extra_hosts', 'env_file']);

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function deepMerge(base: unknown, over: unknown): unknown {
  if (isMap(base) && isMap(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : structuredClone(v);
    return out;
  }
  return structuredClone(over);
}

const portKey = (p: PortConfig) => `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target}/${p.protocol}`;

function mergeBy<T>(base: T[], over: T[], key: (x: T) => string): T[] {
  const out = new Map<string, T>();
  for (const x of base) out.set(key(x), x);
  for (const x of over) out.set(key(x), structuredClone(x));
  return [...out.values()];
}

export function mergeServices(base: Service, over: Service): Service {
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k];
    if (cur === undefined || v === undefined || v === null) {
      out[k] = structuredClone(v);
    } else if (k === 'build' && isMap(cur) && isMap(v)) {
      out[k] = deepMerge(cur, v);
    } else if (REPLACE.has(k)) {
      out[k] = structuredClone(v);
    } else if (k === 'ports') {
      out[k] = mergeBy(cur as PortConfig[], v as PortConfig[], portKey);
    } else if (k === 'volumes') {
      out[k] = mergeBy(cur as VolumeMount[], v as VolumeMount[], (m) => m.target);
    } else if (APPEND_UNIQUE.has(k) && Array.isArray(cur) && Array.isArray(v)) {
      out[k] = [...new Set([...(cur as string[]), ...(v as string[])])];
    } else if (k === 'healthcheck' && isMap(cur) && isMap(v)) {
      const h = deepMerge(cur, v) as Record<string, unknown>;
      if (v.test) h.test = structuredClone(v.test);
      out[k] = h;
    } else if (isMap(cur) && isMap(v)) {
      out[k] = deepMerge(cur, v);
    } else {
      out[k] = structuredClone(v);
    }
  }
  return out as unknown as Service;
}

/** Top-level networks/volumes: later files' entries merge into earlier ones by name. */
export function mergeTopLevel(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  return deepMerge(base, over) as Record<string, unknown>;
}
