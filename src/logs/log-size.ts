// Docker's log-opt max-size values: a number with an optional unit, binary multiples (k = 1024),
// optional 'i' and 'b' ('10m', '10MB', '10MiB', '1.5g', '100' bytes).
import { invalidArgument } from '../base/errors.ts';

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const MULTIPLIER: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

export function parseSize(value: string): number {
  const m = SIZE.exec(value.trim());
  if (!m) throw invalidArgument(`invalid size: '${value}'`);
  const unit = m[2]?.toLowerCase();
  const bytes = Math.floor(Number(m[1]) * (unit ? MULTIPLIER[unit]! : 1));
  if (!Number.isSafeInteger(bytes)) throw invalidArgument(`invalid size: '${value}'`);
  return bytes;
}
