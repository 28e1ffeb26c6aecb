// `docker ps --filter` semantics over container records.
import { invalidArgument } from '../base/errors.ts';
import { labelMatches, parseFilters, type Filters } from '../spec/filters.ts';
import type { ContainerRecord } from './container-record.ts';

export type { Filters };
export { parseFilters };

const ALLOWED = new Set(['status', 'name', 'id', 'label', 'label!', 'ancestor', 'exited', 'before', 'since', 'until', 'health', 'is-task', 'network', 'volume', 'publish', 'expose']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export function matchesFilters(
  r: ContainerRecord,
  f: Filters,
  opts: { showAll: boolean; imageName?: (id: string) => string | undefined },
): boolean {
  for (const key of Object.keys(f)) {
    if (!ALLOWED.has(key)) throw invalidArgument(`invalid filter '${key}'`, 'invalid_filter');
  }
  for (const s of f.status ?? []) {
    if (!STATUSES.has(s)) {
      throw invalidArgument(`invalid filter 'status=${s}'`, 'invalid_filter');
    }
  }
  const hasStatusFilter = (f.status?.length ?? 0) > 0 || (f.exited?.length ?? 0) > 0;
  if (!opts.showAll && !hasStatusFilter && !r.State.Running) return false;
  if (f.status?.length && !f.status.includes(r.State.Status)) return false;
  if (f.exited?.length) {
    for (const e of f.exited) if (!/^-?\d+$/.test(e)) throw invalidArgument(`invalid filter 'exited=${e}'`);
    if (r.State.Status !== 'exited' || !f.exited.map(Number).includes(r.State.ExitCode)) return false;
  }
  // name and id filters are partial matches (regexp for name in Docker; substring is the common use).
  if (f.name?.length && !f.name.some((n) => safeRegex(n.replace(/^\//, '')).test(r.Name))) return false;
  if (f.id?.length && !f.id.some((p) => r.Id.startsWith(p))) return false;
  const labels = r.Config.Labels ?? {};
  if (f.label?.length && !f.label.every((l) => labelMatches(labels, l))) return false;
  if (f['label!']?.length && f['label!'].some((l) => labelMatches(labels, l))) return false;
  if (f.ancestor?.length) {
    const imageRef = r.Config.Image ?? '';
    const hit = f.ancestor.some((a) => {
      const bare = a.replace(/^sha256:/, '');
      if (r.Image.replace(/^sha256:/, '').startsWith(bare) && /^[0-9a-f]+$/.test(bare)) return true;
      const withTag = a.includes(':') ? a : `${a}:latest`;
      const own = imageRef.includes(':') ? imageRef : `${imageRef}:latest`;
      return own === withTag || opts.imageName?.(r.Image) === withTag;
    });
    if (!hit) return false;
  }
  return true;
}

function safeRegex(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}
