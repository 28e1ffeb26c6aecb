// `n`/`last` pagination of the catalog and tag lists, with the RFC 5988 Link header pointing at the next page.
import { regErr } from './registry-error.ts';

export interface Page {
  items: string[];
  /** The Link header value when more items follow. */
  link?: string;
}

/** Parses `n`: undefined when absent; PAGINATION_NUMBER_INVALID unless a non-negative integer. */
export function parseN(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw regErr('PAGINATION_NUMBER_INVALID', `invalid n: ${raw}`, { n: raw });
  return Number(raw);
}

/** `sorted` must be in lexical order; items strictly after `last`, at most `n` of them. */
export function paginate(sorted: readonly string[], opts: { n?: number; last?: string; path: string }): Page {
  let start = 0;
  if (opts.last !== undefined && opts.last !== '') {
    const last = opts.last;
    start = sorted.findIndex((s) => s > last);
    if (start < 0) start = sorted.length;
  }
  if (opts.n === undefined) return { items: sorted.slice(start) };
  const items = sorted.slice(start, start + opts.n);
  const more = opts.n > 0 && start + opts.n < sorted.length;
  if (!more) return { items };
  const q = new URLSearchParams({ n: String(opts.n), last: items[items.length - 1]! });
  return { items, link: `<${opts.path}?${q.toString()}>; rel="next"` };
}
