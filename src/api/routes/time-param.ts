// `since`/`until` query values: the docker CLI converts user input to unix seconds with a fraction
// ("1700000000.123456789"); RFC3339 is accepted too for hand-written requests.
import { invalidArgument } from '../../base/errors.ts';

export function parseTimeParam(v: string | null, name: string): bigint | undefined {
  if (v === null || v === '' || v === '0') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid value for "${name}": ${v}`);
  const frac = /\.(\d+)/.exec(v)?.[1] ?? '';
  return BigInt(Math.floor(t / 1000)) * 1_000_000_000n + BigInt(frac.slice(0, 9).padEnd(9, '0') || '0');
}
