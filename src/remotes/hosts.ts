// Where a registry host is reached: scheme (https, or plain http for loopback and configured insecure registries),
// the origin's real address (docker.io → registry-1.docker.io) and the mirrors tried before it for pulls.
//
// Mirrors: Docker's `registry-mirrors` apply to docker.io; Berth's `registry-mirrors-by-host` gives any registry
// its own ordered list ({"127.0.0.1:5000": ["http://127.0.0.1:6000"]}). A mirror is an URL (scheme + host[:port] +
// optional path prefix) or a bare host[:port] (scheme chosen like for a registry).

import { isIP } from 'node:net';

export const DOCKER_HUB = 'docker.io';
/** What `docker info` calls the default index. */
export const DOCKER_HUB_INDEX = 'https://index.docker.io/v1/';
const DOCKER_HUB_ORIGIN = 'registry-1.docker.io';

export interface RegistryHostsConfig {
  /** Hosts (host[:port]) or IPv4 CIDRs allowed over plain http. Loopback is always allowed. */
  insecure?: string[];
  /** Docker's registry-mirrors: mirrors of docker.io. */
  mirrors?: string[];
  /** Berth's per-registry mirrors. */
  mirrorsByHost?: Record<string, string[]>;
}

export interface Endpoint {
  /** "http://127.0.0.1:5000" or "https://registry-1.docker.io" */
  base: string;
  /** host[:port] of the endpoint (the token cache and credentials are per host). */
  host: string;
  /** Path prefix before /v2 (mirrors may live under a path), "" usually. */
  prefix: string;
  mirror: boolean;
}

/** host[:port] → host (IPv6 brackets removed). */
export function hostOnly(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const i = hostPort.lastIndexOf(':');
  return i > 0 && hostPort.indexOf(':') === i ? hostPort.slice(0, i) : hostPort;
}

export function isLoopback(hostPort: string): boolean {
  const h = hostOnly(hostPort).toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  if (!net || bits === undefined || isIP(net) !== 4 || isIP(ip) !== 4) return false;
  const n = Number(bits);
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
}

export function isInsecure(hostPort: string, cfg: RegistryHostsConfig): boolean {
  if (isLoopback(hostPort)) return true;
  const h = hostOnly(hostPort);
  for (const e of cfg.insecure ?? []) {
    const entry = e.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (entry === hostPort || entry === h) return true;
    if (entry.includes('/') && inCidr(h, entry)) return true;
  }
  return false;
}

export function schemeFor(hostPort: string, cfg: RegistryHostsConfig): 'http' | 'https' {
  return isInsecure(hostPort, cfg) ? 'http' : 'https';
}

function endpointFromMirror(m: string, cfg: RegistryHostsConfig): Endpoint | undefined {
  try {
    const withScheme = /^[a-z]+:\/\//i.test(m) ? m : `${schemeFor(m.split('/')[0]!, cfg)}://${m}`;
    const u = new URL(withScheme);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    const prefix = u.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
    return { base: `${u.protocol}//${u.host}`, host: u.host, prefix, mirror: true };
  } catch {
    return undefined;
  }
}

/** The origin endpoint of a registry (what push, login and search use). */
export function originEndpoint(registry: string, cfg: RegistryHostsConfig): Endpoint {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_ORIGIN : registry;
  return { base: `${schemeFor(host, cfg)}://${host}`, host, prefix: '', mirror: false };
}

/** Endpoints for pulls: mirrors in order, then the origin. */
export function pullEndpoints(registry: string, cfg: RegistryHostsConfig): Endpoint[] {
  const mirrors = [...(cfg.mirrorsByHost?.[registry] ?? []), ...(registry === DOCKER_HUB ? (cfg.mirrors ?? []) : [])];
  const out: Endpoint[] = [];
  for (const m of mirrors) {
    const e = endpointFromMirror(m, cfg);
    if (e && !out.some((o) => o.base === e.base && o.prefix === e.prefix)) out.push(e);
  }
  out.push(originEndpoint(registry, cfg));
  return out;
}

/**
 * A login/credentials server address as users and the docker CLI write it ("https://index.docker.io/v1/",
 * "127.0.0.1:5000", "http://localhost:5000/") → the registry host ("docker.io", "127.0.0.1:5000").
 */
export function registryFromServerAddress(addr: string | undefined, defaultRegistry = DOCKER_HUB): string {
  if (!addr) return defaultRegistry;
  let s = addr.trim().replace(/^[a-z]+:\/\//i, '');
  s = s.split('/')[0]!;
  if (s === 'index.docker.io' || s === 'registry-1.docker.io' || s === 'docker.io') return DOCKER_HUB;
  return s;
}

/** `docker info`'s RegistryConfig and IndexServerAddress for these settings. */
export function registryConfigInfo(cfg: RegistryHostsConfig & { defaultRegistry?: string }): { IndexServerAddress: string; RegistryConfig: Record<string, unknown> } {
  const cidrs = ['::1/128', '127.0.0.0/8', ...(cfg.insecure ?? []).filter((e) => e.includes('/'))];
  const index: Record<string, unknown> = {};
  const addIndex = (name: string, mirrors: string[]) => {
    index[name] = { Name: name, Mirrors: mirrors, Secure: !isInsecure(name, cfg), Official: name === DOCKER_HUB };
  };
  addIndex(DOCKER_HUB, [...(cfg.mirrors ?? [])]);
  for (const e of cfg.insecure ?? []) if (!e.includes('/')) addIndex(e.replace(/^https?:\/\//, ''), cfg.mirrorsByHost?.[e] ?? []);
  for (const [h, m] of Object.entries(cfg.mirrorsByHost ?? {})) if (h !== DOCKER_HUB) addIndex(h, [...m]);
  const def = cfg.defaultRegistry && cfg.defaultRegistry !== DOCKER_HUB ? cfg.defaultRegistry : undefined;
  if (def && !index[def]) addIndex(def, cfg.mirrorsByHost?.[def] ?? []);
  return {
    IndexServerAddress: def ? `${schemeFor(def, cfg)}://${def}/v1/` : DOCKER_HUB_INDEX,
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: cidrs,
      IndexConfigs: index,
      Mirrors: [...(cfg.mirrors ?? [])],
    },
  };
}
