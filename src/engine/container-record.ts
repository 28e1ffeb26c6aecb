// A container's persisted record and its on-disk home.
//
// Layout under DATA_ROOT/containers/<id>/:
//   config.json      this record (written atomically; the source of truth across daemon restarts)
//   container.log    conmon's k8s-file log (+ .1, .2 rotated)
//   hostname, hosts, resolv.conf   bind-mounted into the container
// Under EXEC_ROOT/containers/<id>/ (tmpfs, gone on reboot): the OCI bundle (config.json, rootfs mountpoint, conmon's
// attach/ctl/winsz/pidfile files).
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig, ContainerState, HostConfig } from '../spec/docker-api.ts';
import { readJson, writeFileAtomic } from '../sys/atomic-file.ts';

export interface ContainerRecord {
  Id: string;
  Name: string; // without the leading '/'
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** Image id (sha256:...) the container was created from. */
  Image: string;
  State: ContainerState;
  RestartCount: number;
  /** Layer chain under the container's writable layer (null for an empty image). */
  LayerChain: string | null;
  /** User stopped it explicitly: restart policy unless-stopped must not revive it after a daemon restart. */
  ManuallyStopped?: boolean;
  /** conmon's pid while running, so a restarted daemon can tell a live container from a dead one. */
  ConmonPid?: number;
  /** Create-time endpoint settings (aliases, static IPs) per network; read by the network subsystem. */
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> };
  /** Volumes, binds and tmpfs mounts resolved at create (src/engine/container-mounts.ts). */
  MountPoints?: MountPointRecord[];
}

/** One resolved mount of a container; the first eight fields are inspect's `Mounts` entry. */
export interface MountPointRecord {
  Type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name (Type volume). */
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Anonymous volume created for this container (removed by `rm -v`). */
  Anonymous?: boolean;
  /** Copy the image's content at Destination into the volume when the volume is empty. */
  CopyData?: boolean;
  /** `-v /host:/ctr` creates a missing host path; `--mount type=bind` does not. */
  CreateHostPath?: boolean;
  /** tmpfs mount options (size=, mode=). */
  TmpfsOptions?: string[];
}

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: '0001-01-01T00:00:00Z',
    FinishedAt: '0001-01-01T00:00:00Z',
  };
}

export class ContainerStore {
  readonly root: string;
  constructor(dataRoot: string) {
    this.root = join(dataRoot, 'containers');
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  logPath(id: string): string {
    return join(this.dir(id), 'container.log');
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o710 });
  }

  async loadAll(): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const id of await readdir(this.root).catch(() => [] as string[])) {
      const rec = await readJson<ContainerRecord>(join(this.root, id, 'config.json')).catch(() => undefined);
      // A directory without a record is a create that died half-way: it is removed by the caller's GC.
      if (rec && rec.Id === id) out.push(rec);
    }
    return out;
  }

  async orphanDirs(known: Set<string>): Promise<string[]> {
    const ids = await readdir(this.root).catch(() => [] as string[]);
    return ids.filter((id) => !known.has(id));
  }

  async save(rec: ContainerRecord): Promise<void> {
    await mkdir(this.dir(rec.Id), { recursive: true, mode: 0o710 });
    await writeFileAtomic(join(this.dir(rec.Id), 'config.json'), JSON.stringify(rec));
  }

  async remove(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
