// Persistent network state. Layout under DATA_ROOT/network/ (every file written atomically):
//   networks/<id>.json     a network record (Docker's network fields + the Linux bridge that backs it)
//   containers/<id>.json   a container's network config (networks, aliases, static IPs) and, while it is connected,
//                          its sandbox: netns name, one endpoint per network (address, veth), published ports
// Every kernel object Berth creates is named in one of these records before it is created, so a daemon killed at
// any point finds, at its next start, a record for each thing it must rebuild or remove.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAtomicTempName, readJson, writeFileAtomic } from '../sys/atomic-file.ts';
import type { PoolConfig } from './ipam.ts';

export interface NetworkRecord {
  Id: string;
  Name: string;
  Created: string;
  /** bridge, host or null (none). */
  Driver: string;
  Internal: boolean;
  Attachable: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: PoolConfig[] };
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** Linux bridge (bridge driver only). */
  BridgeName?: string;
  /** One of the predefined networks: bridge, host, none. */
  Builtin?: boolean;
  /** Removal started (a daemon killed mid-remove finishes it at start). */
  Removing?: boolean;
}

export interface EndpointState {
  NetworkID: string;
  EndpointID: string;
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  /** Host side of the veth pair. */
  Veth: string;
  /** Interface name inside the netns (eth0, eth1, ...). */
  IfName: string;
}

export interface PortMapping {
  proto: 'tcp' | 'udp' | 'sctp';
  hostIp: string;
  hostPort: number;
  containerPort: number;
  /** Network the DNAT goes to. */
  networkId: string;
}

export interface EndpointConfig {
  Aliases?: string[];
  IPv4Address?: string;
}

export interface ContainerNetState {
  Id: string;
  /** Networks by id with their endpoint settings; set once the container's networks were first resolved. */
  Networks: Record<string, EndpointConfig>;
  Sandbox?: {
    Netns: string;
    Endpoints: Record<string, EndpointState>;
    Ports: PortMapping[];
  };
}

export class NetworkStore {
  readonly root: string;

  constructor(dataRoot: string) {
    this.root = join(dataRoot, 'network');
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, 'networks'), { recursive: true, mode: 0o700 });
    await mkdir(join(this.root, 'containers'), { recursive: true, mode: 0o700 });
  }

  private async loadDir<T>(dir: string): Promise<T[]> {
    const out: T[] = [];
    for (const f of await readdir(join(this.root, dir)).catch(() => [] as string[])) {
      if (isAtomicTempName(f)) {
        await rm(join(this.root, dir, f), { force: true });
        continue;
      }
      if (!f.endsWith('.json')) continue;
      const v = await readJson<T>(join(this.root, dir, f)).catch(() => undefined);
      if (v) out.push(v);
    }
    return out;
  }

  loadNetworks(): Promise<NetworkRecord[]> {
    return this.loadDir<NetworkRecord>('networks');
  }

  loadContainers(): Promise<ContainerNetState[]> {
    return this.loadDir<ContainerNetState>('containers');
  }

  saveNetwork(n: NetworkRecord): Promise<void> {
    return writeFileAtomic(join(this.root, 'networks', `${n.Id}.json`), JSON.stringify(n));
  }

  async removeNetwork(id: string): Promise<void> {
    await rm(join(this.root, 'networks', `${id}.json`), { force: true });
  }

  /** `durable: false` skips the fsyncs (still whole across a daemon crash, may roll back on power loss). */
  saveContainer(c: ContainerNetState, opts: { durable?: boolean } = {}): Promise<void> {
    return writeFileAtomic(join(this.root, 'containers', `${c.Id}.json`), JSON.stringify(c), { sync: opts.durable !== false });
  }

  async removeContainer(id: string): Promise<void> {
    await rm(join(this.root, 'containers', `${id}.json`), { force: true });
  }
}
