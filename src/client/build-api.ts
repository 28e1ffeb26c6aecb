// POST /build (classic builder: tar context in, JSON messages out) and POST /build/prune.
import type { Readable } from 'node:stream';
import type { JsonMessage } from '../spec/docker-api.ts';
import type { EngineClient, Query } from './engine-client.ts';
import { jsonMessages } from './json-messages.ts';

/** Sends the context and yields the daemon's messages as they come (errors are messages too: the caller decides). */
export async function* buildImage(c: EngineClient, context: Readable, query: Query, signal?: AbortSignal): AsyncGenerator<JsonMessage> {
  const res = await c.stream('POST', '/build', { query, body: context, headers: { 'Content-Type': 'application/x-tar' }, signal });
  yield* jsonMessages(res);
}

export async function pruneBuildCache(c: EngineClient, opts: { all?: boolean } = {}): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
  return (await c.request<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/build/prune', {
    query: { all: opts.all ? '1' : undefined },
  })).body;
}
