// Typed wrappers for docker save / load / image prune.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { ImageDeleteItem, JsonMessage } from '../spec/docker-api.ts';
import { encodeFilters } from './container-api.ts';
import type { EngineClient } from './engine-client.ts';
import { consumeJsonMessages } from './json-messages.ts';

/** GET /images/get?names=...: the archive as a stream. */
export function saveImages(c: EngineClient, names: string[]): Promise<IncomingMessage> {
  return c.stream('GET', '/images/get', { query: { names } });
}

/** POST /images/load: sends the archive, returns the daemon's messages (an error inside the stream throws). */
export async function loadImages(
  c: EngineClient,
  tar: Readable,
  opts: { quiet?: boolean; onMessage?: (m: JsonMessage) => void } = {},
): Promise<JsonMessage[]> {
  const res = await c.stream('POST', '/images/load', {
    query: { quiet: opts.quiet ? '1' : undefined },
    body: tar,
    headers: { 'Content-Type': 'application/x-tar' },
  });
  return consumeJsonMessages(res, opts.onMessage);
}

export async function pruneImages(
  c: EngineClient,
  opts: { filters?: Record<string, string[]> } = {},
): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
  return (await c.request<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }>('POST', '/images/prune', {
    query: { filters: encodeFilters(opts.filters) },
  })).body;
}
