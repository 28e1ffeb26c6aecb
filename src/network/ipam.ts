// Address management for one network (pure): which addresses are usable, and the next free one. The caller persists
// allocations (in endpoint records) before using them, so an address is never handed out twice, across restarts too.
import { conflict, invalidArgument } from '../base/errors.ts';
import { contains, formatIp, mask, parseCidr, parseIp, size, type Cidr } from './ipv4.ts';

export interface PoolConfig {
  Subnet: string;
  Gateway?: string;
  IPRange?: string;
}

export interface Pool {
  subnet: Cidr;
  gateway: number;
  range: Cidr;
}

export function poolOf(c: PoolConfig): Pool {
  const subnet = parseCidr(c.Subnet);
  if (subnet.prefix > 30) throw invalidArgument(`invalid subnet ${c.Subnet}: too small`);
  const gateway = c.Gateway ? parseIp(c.Gateway) : subnet.base + 1;
  if (!contains(subnet, gateway)) throw invalidArgument(`no matching subnet for gateway ${c.Gateway}`);
  const range = c.IPRange ? parseCidr(c.IPRange) : subnet;
  if (!contains(subnet, range.base) || range.prefix < subnet.prefix) {
    throw invalidArgument(`no matching subnet for range ${c.IPRange}`);
  }
  return { subnet, gateway, range };
}

function usable(pool: Pool, ip: number): boolean {
  const last = pool.subnet.base + size(pool.subnet) - 1;
  return ip !== pool.subnet.base && ip !== last && ip !== pool.gateway;
}

/**
 * The next free address of the pool's range, searching upward from just after `after` (Docker rotates through the
 * range rather than reusing the address just released) and wrapping once.
 */
export function allocate(pool: Pool, used: Set<string>, after?: string): string {
  const n = size(pool.range);
  const start = after && contains(pool.range, parseIp(after)) ? parseIp(after) - pool.range.base + 1 : 0;
  for (let i = 0; i < n; i++) {
    const ip = pool.range.base + ((start + i) % n);
    if (usable(pool, ip) && !used.has(formatIp(ip))) return formatIp(ip);
  }
  throw conflict(`no available IPv4 addresses on this network's address pools: ${formatIp(pool.subnet.base)}/${pool.subnet.prefix}`, 'pool_exhausted');
}

/** A requested static address: inside the subnet, not the gateway or network/broadcast, not in use. */
export function reserve(pool: Pool, used: Set<string>, want: string): string {
  const ip = parseIp(want);
  if (!contains(pool.subnet, ip)) throw invalidArgument(`Invalid address ${want}: It does not belong to any of this network's subnets`);
  if (!usable(pool, ip)) throw invalidArgument(`Address ${want} is reserved on this network`);
  if (used.has(want)) throw conflict(`Address already in use`, 'address_in_use');
  return want;
}

/** Carves the first `childPrefix` subnet of `pool` that overlaps none of `taken`. */
export function carveSubnet(pool: Cidr, childPrefix: number, taken: Cidr[]): Cidr | undefined {
  const step = 2 ** (32 - childPrefix);
  for (let b = pool.base; b < pool.base + size(pool); b += step) {
    const c = { base: b >>> 0, prefix: childPrefix };
    const clash = taken.some((t) => {
      const p = Math.min(t.prefix, c.prefix);
      return ((t.base & mask(p)) >>> 0) === ((c.base & mask(p)) >>> 0);
    });
    if (!clash) return c;
  }
  return undefined;
}
