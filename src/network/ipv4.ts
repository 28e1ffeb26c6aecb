// IPv4 address and subnet arithmetic (pure). Addresses as unsigned 32-bit numbers.
import { invalidArgument } from '../base/errors.ts';

export interface Cidr {
  /** Network address (host bits cleared). */
  base: number;
  prefix: number;
}

export function parseIp(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) throw invalidArgument(`invalid IP address: ${s}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw invalidArgument(`invalid IP address: ${s}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function isIp(s: string): boolean {
  try {
    parseIp(s);
    return true;
  } catch {
    return false;
  }
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.2.3/16" → the address and the prefix (host bits kept in `ip`). */
export function parseIpPrefix(s: string): { ip: number; prefix: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s.trim());
  if (!m || Number(m[2]) > 32) throw invalidArgument(`invalid CIDR address: ${s}`);
  return { ip: parseIp(m[1]!), prefix: Number(m[2]) };
}

export function parseCidr(s: string): Cidr {
  const { ip, prefix } = parseIpPrefix(s);
  return { base: (ip & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** Docker's MAC for an IPv4 endpoint: 02:42 followed by the address bytes. */
export function macForIp(ip: number): string {
  const b = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
