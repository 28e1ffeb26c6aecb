// Registry-facing endpoints: pull and push (streamed JSON progress), POST /auth, GET /images/search.
import type { JsonMessage } from '../spec/docker-api.ts';
import type { EngineClient } from './engine-client.ts';
import { consumeJsonMessages } from './json-messages.ts';

const authHeader = (auth?: string): Record<string, string> => (auth ? { 'X-Registry-Auth': auth } : {});

export async function pullWithAuth(
  c: EngineClient,
  ref: { fromImage: string; tag?: string; platform?: string },
  opts: { auth?: string; onMessage?: (m: JsonMessage) => void } = {},
): Promise<JsonMessage[]> {
  const res = await c.stream('POST', '/images/create', {
    query: { fromImage: ref.fromImage, tag: ref.tag, platform: ref.platform || undefined },
    headers: authHeader(opts.auth),
  });
  return consumeJsonMessages(res, opts.onMessage);
}

export async function pushImage(c: EngineClient, name: string, opts: { tag?: string; auth?: string; onMessage?: (m: JsonMessage) => void } = {}): Promise<JsonMessage[]> {
  const res = await c.stream('POST', `/images/${name}/push`, { query: { tag: opts.tag || undefined }, headers: { 'X-Registry-Auth': opts.auth ?? 'e30=' } });
  return consumeJsonMessages(res, opts.onMessage);
}

export async function login(c: EngineClient, body: { username: string; password: string; serveraddress: string }): Promise<{ Status: string; IdentityToken?: string }> {
  return (await c.request<{ Status: string; IdentityToken?: string }>('POST', '/auth', { body })).body;
}

export interface SearchResult {
  star_count: number;
  is_official: boolean;
  name: string;
  is_automated: boolean;
  description: string;
}

export async function searchImages(c: EngineClient, term: string, opts: { limit?: number; filters?: Record<string, string[]>; auth?: string } = {}): Promise<SearchResult[]> {
  const filters = opts.filters && Object.keys(opts.filters).length ? JSON.stringify(Object.fromEntries(Object.entries(opts.filters).map(([k, v]) => [k, Object.fromEntries(v.map((x) => [x, true]))]))) : undefined;
  return (await c.request<SearchResult[]>('GET', '/images/search', { query: { term, limit: opts.limit, filters }, headers: authHeader(opts.auth) })).body;
}
