// Typed wrappers for the /images endpoints the CLI uses.
import type { Readable } from 'node:stream';
import type { ImageDeleteItem, ImageInspect, ImageSummary, JsonMessage } from '../spec/docker-api.ts';
import type { EngineClient } from './engine-client.ts';
import { encodeFilters } from './container-api.ts';
import { consumeJsonMessages } from './json-messages.ts';

export async function listImages(
  c: EngineClient,
  opts: { all?: boolean; digests?: boolean; filters?: Record<string, string[]> } = {},
): Promise<ImageSummary[]> {
  const query = { all: opts.all ? true : undefined, digests: opts.digests ? true : undefined, filters: encodeFilters(opts.filters) };
  return (await c.request<ImageSummary[]>('GET', '/images/json', { query })).body;
}

export async function inspectImage(c: EngineClient, name: string): Promise<ImageInspect> {
  return (await c.request<ImageInspect>('GET', `/images/${name}/json`)).body;
}

export async function removeImage(
  c: EngineClient,
  name: string,
  opts: { force?: boolean; noPrune?: boolean } = {},
): Promise<ImageDeleteItem[]> {
  const query = { force: opts.force ? true : undefined, noprune: opts.noPrune ? true : undefined };
  return (await c.request<ImageDeleteItem[]>('DELETE', `/images/${name}`, { query })).body;
}

export async function tagImage(c: EngineClient, source: string, repo: string, tag?: string): Promise<void> {
  await c.request('POST', `/images/${source}/tag`, { query: { repo, tag } });
}

/** POST /images/create?fromImage=: pulls and returns the progress messages. Errors inside the stream throw. */
export async function pullImage(
  c: EngineClient,
  ref: { fromImage: string; tag?: string; platform?: string },
  onMessage?: (m: JsonMessage) => void,
): Promise<JsonMessage[]> {
  const res = await c.stream('POST', '/images/create', {
    query: { fromImage: ref.fromImage, tag: ref.tag, platform: ref.platform || undefined },
  });
  return consumeJsonMessages(res, onMessage);
}

/** POST /images/create?fromSrc=-: imports a rootfs tarball from `tar`. */
export async function importImage(
  c: EngineClient,
  tar: Readable | Buffer,
  opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string } = {},
): Promise<JsonMessage[]> {
  const query = {
    fromSrc: '-',
    repo: opts.repo || undefined,
    tag: opts.tag || undefined,
    changes: opts.changes && opts.changes.length ? opts.changes : undefined,
    message: opts.message || undefined,
    platform: opts.platform || undefined,
  };
  const res = await c.stream('POST', '/images/create', { query, body: tar, headers: { 'Content-Type': 'application/x-tar' } });
  return consumeJsonMessages(res);
}
