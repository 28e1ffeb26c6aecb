// Timestamps as Docker speaks them: RFC3339Nano output in UTC, and the loose set of inputs that
// `docker logs --since/--until` (and `docker events`) accept. All instants are unix nanoseconds
// in a bigint so that nanosecond precision survives comparisons.
import { invalidArgument } from '../base/errors.ts';

const NS_PER_SEC = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;

// Date, then optional T-hour[:minute[:second[.fraction]]], then an optional zone. This covers
// every layout Docker's client tries (date only, hour only, minutes, RFC3339, RFC3339Nano),
// with or without a zone.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/;

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fractionNs: bigint;
  /** Minutes east of UTC; undefined when the text carries no zone (local time). */
  offsetMin: number | undefined;
}

function matchFields(value: string): Fields | null {
  const m = DATE_TIME.exec(value);
  if (!m) return null;
  const f: Fields = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: m[4] === undefined ? 0 : Number(m[4]),
    minute: m[5] === undefined ? 0 : Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
    fractionNs: m[7] === undefined ? 0n : BigInt(m[7].slice(0, 9).padEnd(9, '0')),
    offsetMin: undefined,
  };
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) return null;
    f.offsetMin = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
  } else if (zone !== undefined) {
    f.offsetMin = 0;
  }
  const daysInMonth = new Date(Date.UTC(f.year, f.month, 0)).getUTCDate();
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth) return null;
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return null;
  return f;
}

function fieldsToNs(f: Fields): bigint {
  let ms: number;
  if (f.offsetMin === undefined) {
    // No zone: Docker parses in the daemon's local zone; Date's local constructor applies DST.
    const d = new Date(0);
    d.setFullYear(f.year, f.month - 1, f.day);
    d.setHours(f.hour, f.minute, f.second, 0);
    ms = d.getTime();
  } else {
    const d = new Date(0);
    d.setUTCFullYear(f.year, f.month - 1, f.day); // keeps years < 100 literal, unlike Date.UTC
    d.setUTCHours(f.hour, f.minute, f.second, 0);
    ms = d.getTime() - f.offsetMin * 60_000;
  }
  return BigInt(ms) * NS_PER_MS + f.fractionNs;
}

/** Strict RFC3339 / RFC3339Nano with a zone (what conmon writes); null when malformed. */
export function parseRfc3339Nano(value: string): bigint | null {
  const f = matchFields(value);
  if (f === null || f.offsetMin === undefined) return null;
  // Require full seconds: "2026-11-23T17:07Z" is not RFC3339.
  if (!/T\d{2}:\d{2}:\d{2}/.test(value)) return null;
  return fieldsToNs(f);
}

/** Unix nanoseconds → Docker's RFC3339Nano in UTC, fraction trimmed like Go ('...:55.05Z', '...:55Z'). */
export function formatDockerTime(ns: bigint): string {
  let sec = ns / NS_PER_SEC;
  let frac = ns % NS_PER_SEC;
  if (frac < 0n) {
    frac += NS_PER_SEC;
    sec -= 1n;
  }
  let out = new Date(Number(sec) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  if (frac !== 0n) out += '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return out + 'Z';
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: NS_PER_SEC,
  m: 60n * NS_PER_SEC,
  h: 3600n * NS_PER_SEC,
};
const DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Go's time.ParseDuration grammar ('1h30m', '1.5s', '-10m'), in nanoseconds; null if not one. */
export function parseGoDuration(value: string): bigint | null {
  if (!DURATION.test(value)) return null;
  let total = 0n;
  for (const [, num, unit] of value.matchAll(DURATION_PART)) {
    const scale = UNIT_NS[unit!]!;
    const [whole = '', frac = ''] = num!.split('.');
    total += BigInt(whole || '0') * scale;
    if (frac) total += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
  }
  return value.startsWith('-') ? -total : total;
}

const UNIX_TIME = /^(-?\d+)(?:\.(\d+))?$/;

/**
 * Parses a `--since`/`--until` value into unix nanoseconds. Accepted, in Docker's order:
 * a Go duration ('10m', '1h30m') meaning `now` minus it, truncated to whole seconds as Docker
 * does; a date or date-time (zone-less means local time); unix seconds with an optional fraction.
 */
export function parseDockerTime(value: string, now: Date = new Date(), field = 'since'): bigint {
  const v = value.trim();
  if (v !== '0') {
    const d = parseGoDuration(v);
    if (d !== null) {
      const ns = BigInt(now.getTime()) * NS_PER_MS - d;
      let sec = ns / NS_PER_SEC;
      if (ns < 0n && ns % NS_PER_SEC !== 0n) sec -= 1n;
      return sec * NS_PER_SEC;
    }
  }
  const f = matchFields(v);
  if (f !== null) return fieldsToNs(f);
  const u = UNIX_TIME.exec(v);
  if (u) {
    const sec = BigInt(u[1]!);
    const frac = u[2] === undefined ? 0n : BigInt(u[2].slice(0, 9).padEnd(9, '0'));
    return sec * NS_PER_SEC + (u[1]!.startsWith('-') ? -frac : frac);
  }
  throw invalidArgument(`invalid value for "${field}": failed to parse value as time or duration: "${value}"`);
}
