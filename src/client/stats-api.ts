// Typed wrappers for stats, update, system df and the prune endpoints `system prune` calls.
import type { IncomingMessage } from 'node:http';
import type { ContainerUpdateBody, DiskUsage, StatsResponse } from '../spec/stats-api.ts';
import type { EngineClient } from './engine-client.ts';

const enc = encodeURIComponent;

export async function containerStatsOnce(c: EngineClient, id: string, opts: { oneShot?: boolean } = {}): Promise<StatsResponse> {
  const query = { stream: false, 'one-shot': opts.oneShot ? true : undefined };
  return (await c.request<StatsResponse>('GET', `/containers/${enc(id)}/stats`, { query })).body;
}

/** stream=true: newline-delimited JSON, one object per second. */
export function containerStatsStream(c: EngineClient, id: string, signal?: AbortSignal): Promise<IncomingMessage> {
  return c.stream('GET', `/containers/${enc(id)}/stats`, { query: { stream: true }, signal });
}

export async function updateContainer(c: EngineClient, id: string, body: ContainerUpdateBody): Promise<{ Warnings: string[] | null }> {
  return (await c.request<{ Warnings: string[] | null }>('POST', `/containers/${enc(id)}/update`, { body })).body;
}

export async function diskUsage(c: EngineClient, opts: { types?: string[] } = {}): Promise<DiskUsage> {
  return (await c.request<DiskUsage>('GET', '/system/df', { query: { type: opts.types?.length ? opts.types : undefined } })).body;
}

export async function prune<T>(c: EngineClient, what: 'containers' | 'images' | 'networks' | 'volumes' | 'build', filters?: Record<string, string[]>): Promise<T> {
  const query = { filters: filters && Object.keys(filters).length ? JSON.stringify(filters) : undefined };
  return (await c.request<T>('POST', `/${what}/prune`, { query })).body;
}
