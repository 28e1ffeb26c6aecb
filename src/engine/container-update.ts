// POST /containers/{id}/update (docker update): merge new limits into the record's HostConfig like dockerd
// (container/container_unix.go UpdateContainer), apply them to a running container with `runc update`, persist.
import { BerthError, conflict, invalidArgument } from '../base/errors.ts';
import type { HostConfig } from '../spec/docker-api.ts';
import type { ContainerUpdateBody } from '../spec/stats-api.ts';
import type { ContainerRecord } from './container-record.ts';
import { hostResources, linuxResourcesOf, validateResources } from './container-resources.ts';

export interface UpdateDeps {
  withLock<T>(ref: string, fn: (rec: ContainerRecord) => Promise<T>): Promise<T>;
  saveRecord(rec: ContainerRecord): Promise<void>;
  event(rec: ContainerRecord, action: string): void;
  /** `runc update --resources -`; absent when the runtime cannot. */
  runtimeUpdate?(id: string, resources: object): Promise<void>;
}

const cannotUpdate = (id: string, e: unknown): BerthError => {
  const msg = e instanceof Error ? e.message : String(e);
  const category = e instanceof BerthError ? e.category : 'internal';
  return new BerthError(category, 'cannot_update', `Cannot update container ${id}: ${msg}`);
};

const conflicting = (msg: string) => invalidArgument(`Conflicting options: ${msg}`, 'conflicting_update');

/** The new HostConfig (a copy), or throws dockerd's message. */
export function mergeUpdate(cur: HostConfig, u: ContainerUpdateBody): HostConfig {
  const hc: HostConfig = structuredClone(cur);
  const nano = u.NanoCpus ?? 0;
  if (nano > 0 && (cur.CpuPeriod ?? 0) > 0) throw conflicting('Nano CPUs cannot be updated as CPU Period has already been set');
  if (nano > 0 && (cur.CpuQuota ?? 0) > 0) throw conflicting('Nano CPUs cannot be updated as CPU Quota has already been set');
  if ((u.CpuPeriod ?? 0) > 0 && (cur.NanoCpus ?? 0) > 0) throw conflicting('CPU Period cannot be updated as NanoCPUs has already been set');
  if ((u.CpuQuota ?? 0) > 0 && (cur.NanoCpus ?? 0) > 0) throw conflicting('CPU Quota cannot be updated as NanoCPUs has already been set');
  if (u.BlkioWeight) hc.BlkioWeight = u.BlkioWeight;
  if (u.CpuShares) hc.CpuShares = u.CpuShares;
  if (u.NanoCpus) hc.NanoCpus = u.NanoCpus;
  if (u.CpuPeriod) hc.CpuPeriod = u.CpuPeriod;
  if (u.CpuQuota) hc.CpuQuota = u.CpuQuota;
  if (u.CpusetCpus) hc.CpusetCpus = u.CpusetCpus;
  if (u.CpusetMems) hc.CpusetMems = u.CpusetMems;
  // dockerd stores the implicit swap allowance (twice the memory) at create; we derive it, so materialise it here.
  const curSwap = cur.MemorySwap || ((cur.Memory ?? 0) > 0 ? cur.Memory! * 2 : 0);
  if (u.Memory) {
    if (curSwap > 0 && u.Memory > curSwap && !u.MemorySwap) {
      throw conflicting('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    hc.Memory = u.Memory;
    if (!u.MemorySwap && curSwap > 0) hc.MemorySwap = curSwap;
  }
  if (u.MemorySwap) hc.MemorySwap = u.MemorySwap;
  if (u.MemoryReservation) hc.MemoryReservation = u.MemoryReservation;
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) hc.PidsLimit = u.PidsLimit > 0 ? u.PidsLimit : 0;
  if (u.KernelMemory) throw invalidArgument('Kernel memory limit is not supported');
  const rp = u.RestartPolicy;
  if (rp && rp.Name !== '') {
    if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(rp.Name)) {
      throw invalidArgument(`invalid restart policy '${rp.Name}'`, 'invalid_restart_policy');
    }
    if (cur.AutoRemove && rp.Name !== 'no') {
      throw conflicting('Restart policy cannot be updated because AutoRemove is enabled for the container');
    }
    hc.RestartPolicy = { Name: rp.Name as NonNullable<HostConfig['RestartPolicy']>['Name'], MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  }
  return hc;
}

export async function updateContainer(deps: UpdateDeps, ref: string, body: ContainerUpdateBody): Promise<{ Warnings: string[] }> {
  if (!body || typeof body !== 'object') throw invalidArgument('config cannot be empty in order to update a container');
  const host = await hostResources();
  // The request alone first (dockerd's verifyContainerSettings with update=true), then the merged result.
  const warnings = validateResources(body as Partial<HostConfig>, host, { update: true });
  return deps.withLock(ref, async (rec) => {
    if (rec.State.Status === 'removing' || rec.State.Dead) throw conflict(`Cannot update container ${rec.Id}: container is marked for removal`);
    let next: HostConfig;
    try {
      next = mergeUpdate(rec.HostConfig, body);
      validateResources(next, host, { update: true });
    } catch (e) {
      throw cannotUpdate(rec.Id, e);
    }
    if (rec.State.Running) {
      if (!deps.runtimeUpdate) throw cannotUpdate(rec.Id, new Error('the runtime cannot update resources'));
      const resources = await linuxResourcesOf(next).catch((e) => {
        throw cannotUpdate(rec.Id, e);
      });
      await deps.runtimeUpdate(rec.Id, resources).catch((e) => {
        throw cannotUpdate(rec.Id, e);
      });
    }
    rec.HostConfig = next;
    await deps.saveRecord(rec);
    deps.event(rec, 'update');
    return { Warnings: warnings };
  });
}
