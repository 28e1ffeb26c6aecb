// Size and duration wording identical to docker's (github.com/docker/go-units), so `ps`, `images` and `-m 512m`
// read and print exactly like docker does.
import { invalidArgument } from '../../base/errors.ts';

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's `%.4g`: four significant digits, trailing zeros dropped. */
function fourDigits(n: number): string {
  return String(Number(n.toPrecision(4)));
}

function scaled(bytes: number, base: number, units: string[]): string {
  let size = bytes;
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return fourDigits(size) + units[i];
}

/** Decimal units, 4 significant digits: 1234 → "1.234kB" (go-units HumanSize). */
export const humanSize = (bytes: number): string => scaled(bytes, 1000, DECIMAL_UNITS);

/** Binary units, 4 significant digits: 1536 → "1.5KiB" (go-units BytesSize). */
export const bytesSize = (bytes: number): string => scaled(bytes, 1024, BINARY_UNITS);

/** go-units HumanDuration: the coarse wording docker uses for "Up …" and "… ago". */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // Go rounds to the nearest hour here (half away from zero), unlike the truncations above.
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

const KILO = { k: 1, m: 2, g: 3, t: 4, p: 5 } as const;

function parseSize(s: string, base: number): number {
  // The number is everything up to the last digit, dot or space; one space may separate it from the suffix.
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(s[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw invalidArgument(`invalid size: '${s}'`);
  const num = s[sep] === ' ' ? s.slice(0, sep) : s.slice(0, sep + 1);
  let sfx = s.slice(sep + 1);
  if (!/^(\d+\.?\d*|\.\d+)$/.test(num)) throw invalidArgument(`invalid size: '${s}'`);
  const size = Number(num);
  if (sfx === '') return Math.trunc(size);
  const bad = () => invalidArgument(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const power = KILO[sfx[0] as keyof typeof KILO];
  if (power === undefined) throw bad();
  if (sfx.length === 2 && sfx[1] !== 'b') throw bad();
  if (sfx.length === 3 && sfx.slice(1) !== 'ib') throw bad();
  return Math.trunc(size * base ** power);
}

/** "512m", "1g", "1.5GB", "2 KiB" → bytes, every unit binary (go-units RAMInBytes; what `-m`/`--shm-size` take). */
export const ramInBytes = (s: string): number => parseSize(s, 1024);

/** "1.5GB", "10k" → bytes, every unit decimal (go-units FromHumanSize). */
export const fromHumanSize = (s: string): number => parseSize(s, 1000);

export interface StatusInput {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string };
}

/** Go's zero time serialises as 0001-01-01T00:00:00Z; treat it (and empty/invalid) as "never". */
function timeOf(s: string): number | undefined {
  if (!s || s.startsWith('0001-01-01')) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

const since = (t: number | undefined, now: Date): string => humanDuration(now.getTime() - (t ?? now.getTime()));

/** The STATUS column of `ps`, worded as docker's container state String(). */
export function containerStatusText(s: StatusInput, now: Date = new Date()): string {
  const started = timeOf(s.StartedAt);
  const finished = timeOf(s.FinishedAt);
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${since(finished, now)} ago`;
  if (s.Running || s.Paused) {
    const up = `Up ${since(started, now)}`;
    if (s.Paused) return `${up} (Paused)`;
    if (s.Health && s.Health.Status !== '' && s.Health.Status !== 'none') {
      return `${up} (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})`;
    }
    return up;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (started === undefined) return 'Created';
  if (finished === undefined) return '';
  return `Exited (${s.ExitCode}) ${since(finished, now)} ago`;
}

/** The CREATED column of `ps`/`images`: "5 seconds ago". */
export function createdAgo(unixSeconds: number, now: Date = new Date()): string {
  return `${humanDuration(now.getTime() - unixSeconds * 1000)} ago`;
}

/** Go's time.Time String() for a Unix time in the local zone: "2026-05-07 20:33:45 +0000 UTC" (CREATED AT). */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offsetMin * 60_000);
  const iso = local.toISOString();
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  const name = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value;
  // Go prints the zone's abbreviation, or the numeric offset ("+01") where tzdata has none.
  const zone = offsetMin === 0 && (!name || /^(GMT|UTC)$/.test(name)) ? 'UTC' : name && !/^GMT/.test(name) ? name : `${sign}${hh}${mm === '00' ? '' : mm}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} ${sign}${hh}${mm} ${zone}`;
}
