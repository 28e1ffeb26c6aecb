// --filter key=value (repeatable) into the API's filters map.
import { FlagError } from '../cli-errors.ts';

export function parseFilters(items: string[] | undefined): Record<string, string[]> | undefined {
  if (!items?.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new FlagError(`invalid argument "${item}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    (out[item.slice(0, eq).trim().toLowerCase()] ??= []).push(item.slice(eq + 1));
  }
  return out;
}
