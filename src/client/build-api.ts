// POST /build (classic builder: tar context in, JSON messages out) and POST /build/prune.
import type { Readable } from 'node:stream';
import type { JsonMessage } from '../spec/docker-api.ts';
import { BERTH_CONTEXT_CHECK_PATH } from '../spec/build-context.ts';
import { ApiError, type EngineClient, type Query } from './engine-client.ts';
import { jsonMessages } from './json-messages.ts';

/** Sends the context and yields the daemon's messages as they come (errors are messages too: the caller decides). */
export async function* buildImage(c: EngineClient, context: Readable, query: Query, signal?: AbortSignal, contentType = 'application/x-tar'): AsyncGenerator<JsonMessage> {
  const res = await c.stream('POST', '/build', { query, body: context, headers: { 'Content-Type': contentType }, signal });
  yield* jsonMessages(res);
}

export async function pruneBuildCache(c: EngineClient, opts: { all?: boolean } = {}): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
  return (await c.request<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/build/prune', {
    query: { all: opts.all ? '1' : undefined },
  })).body;
}

/**
 * Berth's incremental context: the contents (sha256 hex) the daemon lacks, or undefined when the daemon does not
 * offer incremental contexts (dockerd, older berthd): then the classic tar is sent.
 */
export async function missingContext(c: EngineClient, hexes: string[]): Promise<string[] | undefined> {
  try {
    const r = await c.request<{ missing?: string[] }>('POST', BERTH_CONTEXT_CHECK_PATH, { body: { digests: hexes } });
    return Array.isArray(r.body?.missing) ? r.body.missing : undefined;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501)) return undefined;
    throw e;
  }
}
