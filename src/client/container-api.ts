// Typed wrappers for the /containers endpoints the CLI uses. Paths are unversioned; EngineClient adds /vX.Y.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  ContainerCreateBody,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPruneResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
} from '../spec/docker-api.ts';
import type { EngineClient } from './engine-client.ts';

const enc = encodeURIComponent;

/** Docker's `filters` query parameter: {"key":["v1","v2"]} JSON. Returns undefined when there are none. */
export function encodeFilters(filters: Record<string, string[]> | undefined): string | undefined {
  if (!filters || Object.keys(filters).length === 0) return undefined;
  return JSON.stringify(filters);
}

export async function listContainers(
  c: EngineClient,
  opts: { all?: boolean; limit?: number; size?: boolean; filters?: Record<string, string[]> } = {},
): Promise<ContainerSummary[]> {
  const query = {
    all: opts.all ? true : undefined,
    limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined,
    size: opts.size ? true : undefined,
    filters: encodeFilters(opts.filters),
  };
  return (await c.request<ContainerSummary[]>('GET', '/containers/json', { query })).body;
}

export async function createContainer(
  c: EngineClient,
  body: ContainerCreateBody,
  opts: { name?: string; platform?: string } = {},
): Promise<ContainerCreateResponse> {
  const query = { name: opts.name || undefined, platform: opts.platform || undefined };
  return (await c.request<ContainerCreateResponse>('POST', '/containers/create', { query, body })).body;
}

export async function inspectContainer(c: EngineClient, id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
  const query = { size: opts.size ? true : undefined };
  return (await c.request<ContainerInspect>('GET', `/containers/${enc(id)}/json`, { query })).body;
}

export async function startContainer(c: EngineClient, id: string, opts: { detachKeys?: string } = {}): Promise<void> {
  await c.request('POST', `/containers/${enc(id)}/start`, { query: { detachKeys: opts.detachKeys } });
}

export async function stopContainer(c: EngineClient, id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
  await c.request('POST', `/containers/${enc(id)}/stop`, { query: { t: opts.timeout, signal: opts.signal } });
}

export async function restartContainer(
  c: EngineClient,
  id: string,
  opts: { timeout?: number; signal?: string } = {},
): Promise<void> {
  await c.request('POST', `/containers/${enc(id)}/restart`, { query: { t: opts.timeout, signal: opts.signal } });
}

export async function killContainer(c: EngineClient, id: string, signal?: string): Promise<void> {
  await c.request('POST', `/containers/${enc(id)}/kill`, { query: { signal } });
}

export async function pauseContainer(c: EngineClient, id: string): Promise<void> {
  await c.request('POST', `/containers/${enc(id)}/pause`);
}

export async function unpauseContainer(c: EngineClient, id: string): Promise<void> {
  await c.request('POST', `/containers/${enc(id)}/unpause`);
}

export async function renameContainer(c: EngineClient, id: string, name: string): Promise<void> {
  await c.request('POST', `/containers/${enc(id)}/rename`, { query: { name } });
}

export async function removeContainer(
  c: EngineClient,
  id: string,
  opts: { force?: boolean; volumes?: boolean; link?: boolean } = {},
): Promise<void> {
  const query = { force: opts.force ? true : undefined, v: opts.volumes ? true : undefined, link: opts.link ? true : undefined };
  await c.request('DELETE', `/containers/${enc(id)}`, { query });
}

export async function resizeContainer(c: EngineClient, id: string, size: { h: number; w: number }): Promise<void> {
  await c.request('POST', `/containers/${enc(id)}/resize`, { query: { h: size.h, w: size.w } });
}

export async function topContainer(c: EngineClient, id: string, psArgs?: string): Promise<ContainerTopResponse> {
  return (await c.request<ContainerTopResponse>('GET', `/containers/${enc(id)}/top`, { query: { ps_args: psArgs } })).body;
}

export async function pruneContainers(
  c: EngineClient,
  opts: { filters?: Record<string, string[]> } = {},
): Promise<ContainerPruneResponse> {
  const query = { filters: encodeFilters(opts.filters) };
  return (await c.request<ContainerPruneResponse>('POST', '/containers/prune', { query })).body;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/**
 * Starts a wait. The first promise settles once the daemon has sent the response headers (the wait is registered, so
 * a following start cannot race past it); `result` settles at exit with the status.
 */
export async function waitContainer(
  c: EngineClient,
  id: string,
  opts: { condition?: WaitCondition; signal?: AbortSignal } = {},
): Promise<{ result: Promise<ContainerWaitResponse> }> {
  const res: IncomingMessage = await c.stream('POST', `/containers/${enc(id)}/wait`, {
    query: { condition: opts.condition },
    signal: opts.signal,
  });
  const result = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (!text) throw new Error('unexpected end of wait response');
    const body = JSON.parse(text) as ContainerWaitResponse;
    if (body.Error?.Message) throw new Error(body.Error.Message);
    return body;
  })();
  result.catch(() => {});
  return { result };
}

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

export function attachContainer(c: EngineClient, id: string, opts: AttachOptions): Promise<{ socket: Duplex; head: Buffer }> {
  const query = {
    stream: opts.stream ?? true ? true : undefined,
    stdin: opts.stdin ? true : undefined,
    stdout: opts.stdout ? true : undefined,
    stderr: opts.stderr ? true : undefined,
    logs: opts.logs ? true : undefined,
    detachKeys: opts.detachKeys,
  };
  return c.hijack('POST', `/containers/${enc(id)}/attach`, { query });
}

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
  signal?: AbortSignal;
}

export function containerLogs(c: EngineClient, id: string, opts: LogsOptions): Promise<IncomingMessage> {
  const query = {
    follow: opts.follow ? true : undefined,
    stdout: opts.stdout ?? true ? true : undefined,
    stderr: opts.stderr ?? true ? true : undefined,
    since: opts.since,
    until: opts.until,
    timestamps: opts.timestamps ? true : undefined,
    tail: opts.tail,
    details: opts.details ? true : undefined,
  };
  return c.stream('GET', `/containers/${enc(id)}/logs`, { query, signal: opts.signal });
}
