// Typed wrappers for /networks.
import { encodeFilters } from './container-api.ts';
import type { EngineClient } from './engine-client.ts';

export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[]; Options?: Record<string, string> };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
}

const enc = encodeURIComponent;

export async function listNetworks(c: EngineClient, opts: { filters?: Record<string, string[]> } = {}): Promise<NetworkResource[]> {
  return (await c.request<NetworkResource[]>('GET', '/networks', { query: { filters: encodeFilters(opts.filters) } })).body;
}

export async function inspectNetwork(c: EngineClient, ref: string): Promise<NetworkResource> {
  return (await c.request<NetworkResource>('GET', `/networks/${enc(ref)}`)).body;
}

export async function createNetwork(c: EngineClient, body: NetworkCreateRequest): Promise<{ Id: string; Warning?: string }> {
  return (await c.request<{ Id: string; Warning?: string }>('POST', '/networks/create', { body })).body;
}

export async function removeNetwork(c: EngineClient, ref: string): Promise<void> {
  await c.request('DELETE', `/networks/${enc(ref)}`);
}

export async function pruneNetworks(c: EngineClient, opts: { filters?: Record<string, string[]> } = {}): Promise<{ NetworksDeleted: string[] | null }> {
  return (await c.request<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: encodeFilters(opts.filters) } })).body;
}

export async function connectNetwork(
  c: EngineClient,
  ref: string,
  body: { Container: string; EndpointConfig?: { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } } },
): Promise<void> {
  await c.request('POST', `/networks/${enc(ref)}/connect`, { body });
}

export async function disconnectNetwork(c: EngineClient, ref: string, body: { Container: string; Force?: boolean }): Promise<void> {
  await c.request('POST', `/networks/${enc(ref)}/disconnect`, { body });
}
