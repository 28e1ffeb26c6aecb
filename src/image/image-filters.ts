// GET /images/json?filters=... : dangling, reference (glob), label, before, since. Accepts both the current
// {"key":["v"]} and the legacy {"key":{"v":true}} encodings.

import { invalidArgument } from '../base/errors.ts';
import { familiarName, parseReference } from '../spec/reference.ts';

export type ImageFilters = Map<string, string[]>;

const KNOWN = new Set(['dangling', 'reference', 'label', 'before', 'since']);

export function parseImageFilters(json: string | undefined): ImageFilters {
  const out: ImageFilters = new Map();
  if (!json) return out;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw invalidArgument(`invalid filter: ${json}`);
  }
  if (typeof raw !== 'object' || raw === null) throw invalidArgument(`invalid filter: ${json}`);
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!KNOWN.has(k)) throw invalidArgument(`invalid filter '${k}'`);
    const values = Array.isArray(v) ? v.map(String) : typeof v === 'object' && v !== null ? Object.keys(v) : [String(v)];
    out.set(k, values);
  }
  const dangling = out.get('dangling');
  if (dangling) {
    for (const d of dangling) {
      if (!['true', 'false', '1', '0'].includes(d.toLowerCase())) {
        throw invalidArgument(`invalid filter 'dangling=${d}'`);
      }
    }
  }
  return out;
}

/** Go's path.Match subset: `*` and `?` do not cross "/", [...] classes pass through. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, end).replace(/^\^|^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += '\\' + glob[++i];
    else re += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface FilterableImage {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  created: number;
}

/** True when `img` passes every filter. `createdOf` resolves before/since references to a creation time. */
export function matchesImageFilters(img: FilterableImage, f: ImageFilters, createdOf: (ref: string) => number): boolean {
  const dangling = f.get('dangling');
  if (dangling?.length) {
    const want = ['true', '1'].includes(dangling[0]!.toLowerCase());
    if ((img.tags.length === 0) !== want) return false;
  }
  const refs = f.get('reference');
  if (refs?.length) {
    const ok = refs.some((pattern) => {
      const re = globToRegExp(pattern);
      return img.tags.some((t) => {
        if (re.test(t)) return true;
        try {
          return re.test(familiarName(parseReference(t)));
        } catch {
          return false;
        }
      });
    });
    if (!ok) return false;
  }
  for (const l of f.get('label') ?? []) {
    const eq = l.indexOf('=');
    if (eq < 0 ? !(l in img.labels) : img.labels[l.slice(0, eq)] !== l.slice(eq + 1)) return false;
  }
  for (const b of f.get('before') ?? []) if (!(img.created < createdOf(b))) return false;
  for (const s of f.get('since') ?? []) if (!(img.created > createdOf(s))) return false;
  return true;
}
