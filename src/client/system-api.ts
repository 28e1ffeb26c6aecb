// Typed wrappers for /version and /info.
import type { SystemInfo, VersionResponse } from '../spec/docker-api.ts';
import type { EngineClient } from './engine-client.ts';

export async function serverVersion(c: EngineClient): Promise<VersionResponse> {
  return (await c.request<VersionResponse>('GET', '/version')).body;
}

export async function systemInfo(c: EngineClient): Promise<SystemInfo> {
  return (await c.request<SystemInfo>('GET', '/info')).body;
}
