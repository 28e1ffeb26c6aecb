// A container's volumes, binds and tmpfs mounts (the engine's VolumeAttacher). At create, Docker's sources are
// resolved into one list of mount points kept in the record: --volumes-from first, then -v (HostConfig.Binds), then
// --mount (HostConfig.Mounts), then anonymous volumes for the image's VOLUMEs and `-v /path` (Config.Volumes) where
// nothing else is mounted. Named volumes are created on demand, every volume is referenced by the container (so it
// cannot be removed while the container exists). At start the volumes are mounted (a `device` volume on first use),
// empty ones are filled from the image's content at their path, and the list becomes OCI bind/tmpfs mounts.
import { lstat, mkdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { BerthError, errorMessage, invalidArgument } from '../base/errors.ts';
import type { MountSpec } from '../spec/docker-api.ts';
import { run } from '../sys/exec.ts';
import { resolveScoped } from '../sys/scoped-path.ts';
import { validateVolumeName, type VolumeService } from '../volume/volume-service.ts';
import type { ContainerRecord, MountPointRecord } from './container-record.ts';
import type { Logger, VolumeAttacher } from './container-service.ts';

const MODES = new Set(['rw', 'ro', 'z', 'Z', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'consistent', 'cached', 'delegated']);
const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

export interface OciMountInput {
  source: string;
  destination: string;
  type?: string;
  options: string[];
}

function validMode(mode: string): boolean {
  if (!mode) return true;
  let rw = 0;
  let prop = 0;
  for (const m of mode.split(',')) {
    if (!MODES.has(m)) return false;
    if (m === 'rw' || m === 'ro') rw++;
    if (PROPAGATIONS.has(m)) prop++;
  }
  return rw <= 1 && prop <= 1;
}

function checkDestination(dest: string, type: string, raw: string): string {
  const prefix = raw ? `invalid volume specification: '${raw}': ` : '';
  if (!dest.startsWith('/')) {
    throw invalidArgument(`${prefix}invalid mount config for type "${type}": invalid mount path: '${dest}' mount path must be absolute`, 'invalid_mount');
  }
  const clean = posix.normalize(dest).replace(/(.)\/+$/, '$1');
  if (clean === '/') throw invalidArgument(`${prefix}invalid mount config for type "${type}": invalid specification: destination can't be '/'`, 'invalid_mount');
  return clean;
}

/** `-v` / HostConfig.Binds: SRC:DST[:MODE] (a bind when SRC is absolute, else a named volume). */
export function parseBind(raw: string): MountPointRecord {
  const parts = raw.split(':');
  let src = '';
  let dst: string;
  let mode = '';
  if (parts.length === 1) dst = parts[0]!;
  else if (parts.length === 2) {
    if (validMode(parts[1]!) && !parts[1]!.startsWith('/')) [dst, mode] = [parts[0]!, parts[1]!];
    else [src, dst] = [parts[0]!, parts[1]!];
  } else if (parts.length === 3) [src, dst, mode] = [parts[0]!, parts[1]!, parts[2]!];
  else throw invalidArgument(`invalid volume specification: '${raw}'`, 'invalid_mount');
  if (!dst) throw invalidArgument(`invalid volume specification: '${raw}'`, 'invalid_mount');
  if (!validMode(mode)) throw invalidArgument(`invalid volume specification: '${raw}': invalid mode: ${mode}`, 'invalid_mount');
  const modes = mode.split(',').filter(Boolean);
  const rw = !modes.includes('ro');
  if (src.startsWith('/')) {
    const destination = checkDestination(dst, 'bind', raw);
    const prop = modes.find((m) => PROPAGATIONS.has(m)) ?? 'rprivate';
    return { Type: 'bind', Source: posix.normalize(src), Destination: destination, Mode: mode, RW: rw, Propagation: prop, CreateHostPath: true };
  }
  const destination = checkDestination(dst, 'volume', raw);
  if (src) validateVolumeName(src);
  return {
    Type: 'volume',
    Name: src || undefined,
    Source: '',
    Destination: destination,
    Driver: 'local',
    Mode: src ? mode || 'z' : mode,
    RW: rw,
    Propagation: '',
    CopyData: !modes.includes('nocopy'),
  };
}

/** `--mount` / HostConfig.Mounts. */
export function parseMountSpec(m: MountSpec): MountPointRecord & { volumeOptions?: MountSpec['VolumeOptions'] } {
  const type = m.Type;
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') {
    throw invalidArgument(`invalid mount config for type "${type}": mount type unknown`, 'invalid_mount');
  }
  if (!m.Target) throw invalidArgument(`invalid mount config for type "${type}": field Target must not be empty`, 'invalid_mount');
  const destination = checkDestination(m.Target, type, '');
  const rw = !m.ReadOnly;
  if (type === 'bind') {
    if (!m.Source) throw invalidArgument(`invalid mount config for type "bind": field Source must not be empty`, 'invalid_mount');
    if (!m.Source.startsWith('/')) throw invalidArgument(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`, 'invalid_mount');
    if (m.VolumeOptions) throw invalidArgument(`invalid mount config for type "bind": field VolumeOptions must not be specified`, 'invalid_mount');
    const prop = m.BindOptions?.Propagation || 'rprivate';
    if (!PROPAGATIONS.has(prop)) throw invalidArgument(`invalid mount config for type "bind": invalid propagation mode: ${prop}`, 'invalid_mount');
    return { Type: 'bind', Source: posix.normalize(m.Source), Destination: destination, Mode: '', RW: rw, Propagation: prop };
  }
  if (type === 'tmpfs') {
    if (m.Source) throw invalidArgument(`invalid mount config for type "tmpfs": field Source must not be specified`, 'invalid_mount');
    const opts: string[] = [];
    const size = m.TmpfsOptions?.SizeBytes;
    if (size !== undefined && size !== 0) {
      if (!Number.isFinite(size) || size < 0) throw invalidArgument(`invalid mount config for type "tmpfs": invalid tmpfs size: ${size}`, 'invalid_mount');
      opts.push(`size=${Math.floor(size)}`);
    }
    const mode = m.TmpfsOptions?.Mode;
    if (mode !== undefined && mode !== 0) {
      if (!Number.isInteger(mode) || mode < 0) throw invalidArgument(`invalid mount config for type "tmpfs": invalid tmpfs mode`, 'invalid_mount');
      opts.push(`mode=${mode.toString(8)}`);
    }
    return { Type: 'tmpfs', Source: '', Destination: destination, Mode: '', RW: rw, Propagation: '', TmpfsOptions: opts };
  }
  if (m.BindOptions) throw invalidArgument(`invalid mount config for type "volume": field BindOptions must not be specified`, 'invalid_mount');
  if (m.Source) validateVolumeName(m.Source);
  return {
    Type: 'volume',
    Name: m.Source || undefined,
    Source: '',
    Destination: destination,
    Driver: 'local',
    Mode: m.Source ? 'z' : '',
    RW: rw,
    Propagation: '',
    CopyData: !m.VolumeOptions?.NoCopy,
    volumeOptions: m.VolumeOptions,
  };
}

export interface ContainerMountsOptions {
  volumes: VolumeService;
  log: Logger;
}

export class ContainerMounts implements VolumeAttacher {
  private readonly o: ContainerMountsOptions;

  constructor(o: ContainerMountsOptions) {
    this.o = o;
  }

  async prepare(rec: ContainerRecord, ctx: { lookup(ref: string): ContainerRecord }): Promise<void> {
    const hc = rec.HostConfig;
    const byDest = new Map<string, MountPointRecord & { volumeOptions?: MountSpec['VolumeOptions'] }>();
    // --volumes-from: the other container's mount points, with its mode or the one given.
    for (const spec of hc.VolumesFrom ?? []) {
      const colon = spec.lastIndexOf(':');
      const [ref, mode] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, ''];
      if (mode && mode !== 'ro' && mode !== 'rw') throw invalidArgument(`invalid mode: ${mode}`, 'invalid_mount');
      const from = ctx.lookup(ref);
      for (const mp of from.MountPoints ?? []) {
        if (mp.Type === 'tmpfs') continue;
        byDest.set(mp.Destination, { ...mp, RW: mode ? mode === 'rw' : mp.RW, Mode: mode || mp.Mode, CopyData: false, CreateHostPath: false });
      }
    }
    const explicit = new Set<string>();
    for (const raw of hc.Binds ?? []) {
      const mp = parseBind(raw);
      if (explicit.has(mp.Destination)) throw invalidArgument(`Duplicate mount point: ${mp.Destination}`, 'duplicate_mount');
      explicit.add(mp.Destination);
      byDest.set(mp.Destination, mp);
    }
    for (const m of hc.Mounts ?? []) {
      const mp = parseMountSpec(m);
      if (explicit.has(mp.Destination)) throw invalidArgument(`Duplicate mount point: ${mp.Destination}`, 'duplicate_mount');
      if (mp.Type === 'bind') {
        const st = await stat(mp.Source).catch(() => null);
        if (!st) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${mp.Source}`, 'invalid_mount');
      }
      explicit.add(mp.Destination);
      byDest.set(mp.Destination, mp);
    }
    for (const dest of Object.keys(rec.Config.Volumes ?? {})) {
      const d = checkDestination(dest, 'volume', '');
      if (byDest.has(d)) continue;
      byDest.set(d, { Type: 'volume', Source: '', Destination: d, Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true });
    }
    // Create (or find) the volumes; undo what this create made if anything fails.
    const made: string[] = [];
    const refd: string[] = [];
    const points: MountPointRecord[] = [];
    try {
      for (const mp of byDest.values()) {
        const { volumeOptions, ...point } = mp;
        if (point.Type === 'volume') {
          let name = point.Name;
          if (!name) {
            name = (await this.o.volumes.createAnonymous()).Name;
            made.push(name);
            point.Name = name;
            point.Anonymous = true;
          } else if (!this.o.volumes.has(name)) {
            await this.o.volumes.create({
              Name: name,
              Driver: volumeOptions?.DriverConfig?.Name,
              DriverOpts: volumeOptions?.DriverConfig?.Options,
              Labels: volumeOptions?.Labels,
            });
            made.push(name);
          }
          point.Source = this.o.volumes.inspect(name).Mountpoint;
          this.o.volumes.ref(name, rec.Id);
          refd.push(name);
        }
        points.push(point);
      }
    } catch (e) {
      for (const n of refd) this.o.volumes.unref(n, rec.Id);
      for (const n of made) await this.o.volumes.remove(n).catch(() => {});
      throw e;
    }
    rec.MountPoints = points;
  }

  async mounts(rec: ContainerRecord, rootfs: string): Promise<OciMountInput[]> {
    const out: OciMountInput[] = [];
    try {
      for (const mp of rec.MountPoints ?? []) {
        const rwOpt = mp.RW ? 'rw' : 'ro';
        if (mp.Type === 'tmpfs') {
          out.push({ source: 'tmpfs', destination: mp.Destination, type: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', rwOpt, ...(mp.TmpfsOptions ?? [])] });
          continue;
        }
        if (mp.Type === 'bind') {
          if (!(await stat(mp.Source).catch(() => null))) {
            if (!mp.CreateHostPath) throw invalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${mp.Source}`, 'invalid_mount');
            await mkdir(mp.Source, { recursive: true, mode: 0o755 });
          }
          out.push({ source: mp.Source, destination: mp.Destination, type: 'bind', options: ['rbind', rwOpt, mp.Propagation || 'rprivate'] });
          continue;
        }
        const path = await this.o.volumes.mount(mp.Name!, rec.Id);
        if (mp.CopyData && (await this.o.volumes.isEmpty(mp.Name!))) await copyImageContent(rootfs, mp.Destination, path);
        out.push({ source: path, destination: mp.Destination, type: 'bind', options: ['rbind', rwOpt, 'rprivate'] });
      }
    } catch (e) {
      await this.release(rec);
      throw e;
    }
    return out;
  }

  async release(rec: ContainerRecord): Promise<void> {
    for (const mp of rec.MountPoints ?? []) {
      if (mp.Type !== 'volume' || !mp.Name) continue;
      await this.o.volumes.unmount(mp.Name, rec.Id).catch((e) => this.o.log.warn('volume unmount failed', { id: rec.Id, volume: mp.Name, error: errorMessage(e) }));
    }
  }

  async remove(rec: ContainerRecord, opts: { volumes?: boolean }): Promise<void> {
    await this.release(rec);
    for (const mp of rec.MountPoints ?? []) {
      if (mp.Type !== 'volume' || !mp.Name) continue;
      this.o.volumes.unref(mp.Name, rec.Id);
      if (!opts.volumes || !mp.Anonymous || this.o.volumes.usedBy(mp.Name).length) continue;
      await this.o.volumes.remove(mp.Name).catch((e) => this.o.log.warn('removing anonymous volume failed', { volume: mp.Name, error: errorMessage(e) }));
    }
  }

  inspectMounts(rec: ContainerRecord): Record<string, unknown>[] {
    return (rec.MountPoints ?? []).map((mp) => ({
      Type: mp.Type,
      ...(mp.Type === 'volume' ? { Name: mp.Name } : {}),
      Source: mp.Source,
      Destination: mp.Destination,
      ...(mp.Type === 'volume' ? { Driver: mp.Driver ?? 'local' } : {}),
      Mode: mp.Mode,
      RW: mp.RW,
      Propagation: mp.Propagation,
    }));
  }

  async restore(records: ContainerRecord[]): Promise<void> {
    const active: { name: string; containerId: string }[] = [];
    for (const rec of records) {
      for (const mp of rec.MountPoints ?? []) {
        if (mp.Type !== 'volume' || !mp.Name) continue;
        try {
          this.o.volumes.ref(mp.Name, rec.Id);
        } catch (e) {
          this.o.log.warn('container references a missing volume', { id: rec.Id, volume: mp.Name, error: errorMessage(e) });
          continue;
        }
        if (rec.State.Running) active.push({ name: mp.Name, containerId: rec.Id });
      }
    }
    await this.o.volumes.restoreActive(active);
  }
}

/** Docker's copy-up: the image's files at `dest` (inside the mounted rootfs) into an empty volume, owners and modes kept. */
async function copyImageContent(rootfs: string, dest: string, volumePath: string): Promise<void> {
  const src = await resolveScoped(rootfs, dest, { followLast: true });
  const st = await lstat(src.hostPath).catch(() => null);
  if (!st?.isDirectory()) return;
  try {
    await run('/usr/bin/cp', ['-a', '--', `${src.hostPath}/.`, `${volumePath}/`]);
  } catch (e) {
    throw new BerthError('internal', 'volume_copy', `failed to copy image content at ${dest} into the volume: ${errorMessage(e)}`);
  }
}
