// Typed wrappers for the volume endpoints.
import { encodeFilters } from './container-api.ts';
import type { EngineClient } from './engine-client.ts';

export interface VolumeInfo {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
}

export async function listVolumes(c: EngineClient, opts: { filters?: Record<string, string[]> } = {}): Promise<{ Volumes: VolumeInfo[] | null; Warnings: string[] | null }> {
  return (await c.request<{ Volumes: VolumeInfo[] | null; Warnings: string[] | null }>('GET', '/volumes', { query: { filters: encodeFilters(opts.filters) } })).body;
}

export async function createVolume(
  c: EngineClient,
  req: { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> },
): Promise<VolumeInfo> {
  return (await c.request<VolumeInfo>('POST', '/volumes/create', { body: req })).body;
}

export async function inspectVolume(c: EngineClient, name: string): Promise<VolumeInfo> {
  return (await c.request<VolumeInfo>('GET', `/volumes/${encodeURIComponent(name)}`)).body;
}

export async function removeVolume(c: EngineClient, name: string, opts: { force?: boolean } = {}): Promise<void> {
  await c.request('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: opts.force ? '1' : undefined } });
}

export async function pruneVolumes(
  c: EngineClient,
  opts: { filters?: Record<string, string[]> } = {},
): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
  return (await c.request<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', {
    query: { filters: encodeFilters(opts.filters) },
  })).body;
}
