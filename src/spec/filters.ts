// Docker's `filters` query parameter, shared by every list endpoint (containers, networks, ...).
import { invalidArgument } from '../base/errors.ts';

export type Filters = Record<string, string[]>;

/** Parses `{"k":["v"]}` or the legacy `{"k":{"v":true}}`. */
export function parseFilters(raw: string | undefined): Filters {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid filter: ${raw}`, 'invalid_filter');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidArgument(`invalid filter: ${raw}`);
  const out: Filters = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]);
    else throw invalidArgument(`invalid filter: ${raw}`);
  }
  return out;
}

/** `label=key` (present) or `label=key=value` (equal). */
export function labelMatches(labels: Record<string, string>, expr: string): boolean {
  const i = expr.indexOf('=');
  if (i < 0) return expr in labels;
  return labels[expr.slice(0, i)] === expr.slice(i + 1);
}
