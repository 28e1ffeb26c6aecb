// POST /auth (check credentials against a registry) and GET /images/search (a registry's /v1/search), as the Engine
// API answers them.

import { BerthError, invalidArgument } from '../base/errors.ts';
import type { Credentials } from './auth.ts';
import { DOCKER_HUB, originEndpoint, registryFromServerAddress } from './hosts.ts';
import type { Registries } from './registries.ts';
import { isRegistryError, type SearchResult } from './registry-client.ts';

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** X-Registry-Auth / AuthConfig → credentials ("auth" = base64 "user:password" as in config.json). */
export function credentialsOf(a: AuthConfig | undefined): Credentials | undefined {
  if (!a) return undefined;
  let { username, password } = a;
  if (!username && a.auth) {
    const plain = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) {
      username = plain.slice(0, i);
      password = plain.slice(i + 1);
    }
  }
  const c: Credentials = {};
  if (username) c.username = username;
  if (password) c.password = password;
  if (a.identitytoken) c.identityToken = a.identitytoken;
  if (a.registrytoken) c.registryToken = a.registrytoken;
  return Object.keys(c).length ? c : undefined;
}

/** Decodes the X-Registry-Auth header (base64url JSON, padding optional); garbage means "no credentials" like Docker. */
export function decodeRegistryAuth(header: string | undefined): AuthConfig | undefined {
  if (!header) return undefined;
  try {
    const json = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const j = JSON.parse(json) as AuthConfig;
    return typeof j === 'object' && j !== null ? j : undefined;
  } catch {
    return undefined;
  }
}

export async function login(registries: Registries, a: AuthConfig, signal?: AbortSignal): Promise<{ Status: string; IdentityToken: string }> {
  const registry = registryFromServerAddress(a.serveraddress, registries.defaultRegistry);
  const creds = credentialsOf(a) ?? {};
  if (!creds.username && !creds.identityToken) throw invalidArgument('Error: Non-null Username Required');
  registries.tokens.dropHost(originEndpoint(registry, registries.config).host);
  const client = registries.origin(registry, creds);
  try {
    await client.ping(signal);
  } catch (e) {
    if (isRegistryError(e) && (e.status === 401 || e.category === 'unauthorized')) {
      throw new BerthError('unauthorized', 'login_failed', 'unauthorized: incorrect username or password');
    }
    throw e;
  }
  return { Status: 'Login Succeeded', IdentityToken: '' };
}

export interface SearchOptions {
  limit?: number;
  filters?: string;
  credentials?: Credentials;
  signal?: AbortSignal;
}

export interface SearchItem {
  star_count: number;
  is_official: boolean;
  name: string;
  is_automated: boolean;
  description: string;
}

function parseSearchFilters(json: string | undefined): { official?: boolean; automated?: boolean; stars: number } {
  const out: { official?: boolean; automated?: boolean; stars: number } = { stars: 0 };
  if (!json) return out;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw invalidArgument(`invalid filter: ${json}`);
  }
  for (const [k, v] of Object.entries(raw ?? {})) {
    const values = Array.isArray(v) ? v.map(String) : typeof v === 'object' && v !== null ? Object.keys(v) : [String(v)];
    for (const val of values) {
      if (k === 'is-official' || k === 'is-automated') {
        if (!['true', 'false', '1', '0'].includes(val.toLowerCase())) throw invalidArgument(`invalid filter '${k}=${val}'`);
        const b = val === 'true' || val === '1';
        if (k === 'is-official') out.official = b;
        else out.automated = b;
      } else if (k === 'stars') {
        const n = Number(val);
        if (!Number.isInteger(n)) throw invalidArgument(`invalid filter 'stars=${val}'`);
        out.stars = Math.max(out.stars, n);
      } else {
        throw invalidArgument(`invalid filter '${k}'`);
      }
    }
  }
  return out;
}

/** "127.0.0.1:5000/busy" → registry 127.0.0.1:5000, term "busy"; "busy" → the default registry. */
export function splitSearchTerm(term: string, defaultRegistry: string): { registry: string; term: string } {
  const i = term.indexOf('/');
  if (i > 0) {
    const first = term.slice(0, i);
    if (/[.:]/.test(first) || first === 'localhost') return { registry: registryFromServerAddress(first), term: term.slice(i + 1) };
  }
  return { registry: defaultRegistry, term };
}

export async function search(registries: Registries, rawTerm: string, o: SearchOptions = {}): Promise<SearchItem[]> {
  const limit = o.limit ?? 25;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidArgument(`limit ${limit} is outside the range of [1, 100]`);
  const f = parseSearchFilters(o.filters);
  const { registry, term } = splitSearchTerm(rawTerm, registries.defaultRegistry);
  const endpoint = registry === DOCKER_HUB ? { ...originEndpoint('index.docker.io', registries.config) } : originEndpoint(registry, registries.config);
  const client = registries.client(endpoint, o.credentials);
  let results: SearchResult[];
  try {
    ({ results } = await client.search(term, limit, o.signal));
  } catch (e) {
    if (isRegistryError(e) && e.status === 404) {
      throw new BerthError('not_found', 'search_unsupported', `Unexpected status code 404`);
    }
    throw e;
  }
  return results
    .map((r) => ({
      star_count: Number(r.star_count ?? 0) || 0,
      is_official: !!r.is_official,
      name: String(r.name ?? ''),
      is_automated: !!r.is_automated,
      description: String(r.description ?? ''),
    }))
    .filter((r) => (f.official === undefined || r.is_official === f.official) && (f.automated === undefined || r.is_automated === f.automated) && r.star_count >= f.stars)
    .slice(0, limit);
}
