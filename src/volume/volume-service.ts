// Named volumes with Docker's `local` driver: a directory per volume, optionally backed by a mount made at first use
// (`-o type=tmpfs,device=tmpfs,o=size=100m`, `-o type=none,o=bind,device=/host/path`) and unmounted when the last
// container using it stops. Which containers reference a volume (in use: no rm, no prune) and which have it mounted
// right now are told by the engine (ref/unref, mount/unmount); both are rebuilt from container records at start.
//
// Layout under DATA_ROOT/volumes/:
//   <name>/volume.json   the Volume record (Docker's shape; written atomically, last step of create)
//   <name>/_data         the Mountpoint: the volume's content, or the mount point of its `type`/`device` mount
// A <name>/ without volume.json is a create that died half-way; it is swept at open when its _data is empty.
import { mkdir, readdir, lstat, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BerthError, conflict, errorMessage, invalidArgument, notFound } from '../base/errors.ts';
import { KeyedMutex } from '../base/keyed-mutex.ts';
import { readJson, writeFileAtomic } from '../sys/atomic-file.ts';
import { isMounted, mountFs, unmount } from '../sys/mount.ts';

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const LOCAL_OPTS = new Set(['type', 'device', 'o', 'size']);

/** Docker's Volume object (GET /volumes/{name}). */
export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface VolumeLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface VolumeServiceOptions {
  /** DATA_ROOT/volumes */
  root: string;
  log: VolumeLogger;
  /** Docker's volume events: create, destroy, mount, unmount. */
  onEvent?(action: string, v: Volume, extra?: Record<string, string>): void;
}

/** Docker's local-driver name rule; the message names the host-path mistake it usually is. */
export function validateVolumeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw invalidArgument(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      'invalid_volume_name',
    );
  }
}

export function isAnonymous(v: Volume): boolean {
  return !!v.Labels && Object.hasOwn(v.Labels, ANONYMOUS_LABEL);
}

export class VolumeService {
  private readonly o: VolumeServiceOptions;
  private readonly vols = new Map<string, Volume>();
  /** Containers referencing each volume (created with it), whether running or not. */
  private readonly refs = new Map<string, Set<string>>();
  /** Containers that have the volume mounted now (running); a `device` volume is mounted while this is non-empty. */
  private readonly active = new Map<string, Set<string>>();
  private readonly locks = new KeyedMutex();

  private constructor(o: VolumeServiceOptions) {
    this.o = o;
  }

  static async open(o: VolumeServiceOptions): Promise<VolumeService> {
    const s = new VolumeService(o);
    await mkdir(o.root, { recursive: true, mode: 0o701 });
    for (const name of await readdir(o.root)) {
      const dir = join(o.root, name);
      const v = await readJson<Volume>(join(dir, 'volume.json')).catch(() => undefined);
      if (v && v.Name === name) {
        s.vols.set(name, v);
        continue;
      }
      if (name.startsWith('.')) continue;
      // Half-created: nothing was ever mounted or written there unless _data has content; keep it then.
      const data = join(dir, '_data');
      if (await isMounted(data)) continue;
      if ((await readdir(data).catch(() => [])).length === 0) {
        o.log.warn('removing half-created volume', { name });
        await rmdir(data).catch(() => {});
        await rm(dir, { recursive: true, force: true }).catch(() => {});
      }
    }
    return s;
  }

  // ---- queries --------------------------------------------------------------------------------------------------

  has(name: string): boolean {
    return this.vols.has(name);
  }

  inspect(name: string): Volume {
    const v = this.vols.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`, 'volume_not_found');
    return v;
  }

  /** Container ids referencing the volume. */
  usedBy(name: string): string[] {
    return [...(this.refs.get(name) ?? [])];
  }

  list(filters?: string): { Volumes: Volume[]; Warnings: string[] } {
    const f = parseFilterJson(filters);
    for (const k of Object.keys(f)) {
      if (!['dangling', 'name', 'label', 'label!', 'driver'].includes(k)) throw invalidArgument(`invalid filter '${k}'`, 'invalid_filter');
    }
    let dangling: boolean | undefined;
    for (const d of f.dangling ?? []) {
      if (d === 'true' || d === '1') dangling = true;
      else if (d === 'false' || d === '0') dangling = false;
      else throw invalidArgument(`invalid filter 'dangling=${d}'`, 'invalid_filter');
    }
    const out = [...this.vols.values()].filter((v) => {
      if (dangling !== undefined && (this.usedBy(v.Name).length === 0) !== dangling) return false;
      if (f.name && !f.name.some((n) => nameMatches(v.Name, n))) return false;
      if (f.driver && !f.driver.includes(v.Driver)) return false;
      return labelsMatch(v.Labels ?? {}, f);
    });
    out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    return { Volumes: out, Warnings: [] };
  }

  // ---- create / remove / prune ---------------------------------------------------------------------------------

  /** POST /volumes/create. An existing name returns the existing volume, as Docker does. */
  async create(req: VolumeCreateRequest): Promise<Volume> {
    const name = req.Name || randomBytes(32).toString('hex');
    validateVolumeName(name);
    const driver = req.Driver || 'local';
    if (driver !== 'local') throw notFound(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`, 'volume_driver');
    const opts = req.DriverOpts && Object.keys(req.DriverOpts).length ? { ...req.DriverOpts } : null;
    for (const k of Object.keys(opts ?? {})) {
      if (!LOCAL_OPTS.has(k)) throw invalidArgument(`create ${name}: invalid option: "${k}"`, 'invalid_volume_option');
    }
    if (opts?.size) throw invalidArgument(`create ${name}: quota size requested but no quota support`, 'invalid_volume_option');
    if (opts && (opts.type || opts.o) && !opts.device) {
      throw invalidArgument(`create ${name}: missing required option: "device"`, 'invalid_volume_option');
    }
    for (const [k, val] of Object.entries(req.Labels ?? {})) {
      if (typeof val !== 'string') throw invalidArgument(`invalid label value for ${k}`);
    }
    return this.locks.run(name, async () => {
      const existing = this.vols.get(name);
      if (existing) return existing;
      const dir = join(this.o.root, name);
      const data = join(dir, '_data');
      await mkdir(dir, { mode: 0o701 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      await mkdir(data, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      const v: Volume = {
        CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        Driver: 'local',
        Labels: req.Labels && Object.keys(req.Labels).length ? { ...req.Labels } : null,
        Mountpoint: data,
        Name: name,
        Options: opts,
        Scope: 'local',
      };
      await writeFileAtomic(join(dir, 'volume.json'), JSON.stringify(v, null, 2) + '\n', { mode: 0o600 });
      this.vols.set(name, v);
      this.o.log.info('volume created', { name });
      this.o.onEvent?.('create', v);
      return v;
    });
  }

  /** A fresh 64-hex volume labelled anonymous (image VOLUMEs, `-v /path`, `--mount type=volume` without source). */
  createAnonymous(): Promise<Volume> {
    return this.create({ Labels: { [ANONYMOUS_LABEL]: '' } });
  }

  /** DELETE /volumes/{name}. `force` ignores a missing volume; it never removes one in use (Docker). */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (!this.vols.has(name)) {
      if (opts.force) return;
      throw notFound(`get ${name}: no such volume`, 'volume_not_found');
    }
    await this.locks.run(name, async () => {
      const v = this.vols.get(name);
      if (!v) return;
      const users = this.usedBy(name);
      if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(' ')}]`, 'volume_in_use');
      // Never recurse into a mounted _data: with `o=bind` that is the host's directory.
      await unmount(v.Mountpoint);
      if (await isMounted(v.Mountpoint)) throw conflict(`remove ${name}: volume is still mounted`, 'volume_in_use');
      this.vols.delete(name);
      const dir = join(this.o.root, name);
      await rm(join(dir, 'volume.json'), { force: true });
      await rm(dir, { recursive: true, force: true });
      this.refs.delete(name);
      this.active.delete(name);
      this.o.log.info('volume removed', { name });
      this.o.onEvent?.('destroy', v);
    });
  }

  /**
   * POST /volumes/prune: unused volumes matching the filters. Only anonymous ones unless `all=true` (API ≥ 1.42;
   * `allByDefault` for older clients, which pruned every unused volume).
   */
  async prune(filters?: string, opts: { allByDefault?: boolean } = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const f = parseFilterJson(filters);
    for (const k of Object.keys(f)) {
      if (!['label', 'label!', 'all'].includes(k)) throw invalidArgument(`invalid filter '${k}'`, 'invalid_filter');
    }
    let all = !!opts.allByDefault;
    for (const a of f.all ?? []) {
      if (['true', '1'].includes(a.toLowerCase())) all = true;
      else if (['false', '0'].includes(a.toLowerCase())) all = false;
      else throw invalidArgument(`invalid filter 'all=${a}': invalid value for 'all': must be a boolean value`, 'invalid_filter');
    }
    const deleted: string[] = [];
    let space = 0;
    for (const v of [...this.vols.values()]) {
      if (this.usedBy(v.Name).length) continue;
      if (!all && !isAnonymous(v)) continue;
      if (!labelsMatch(v.Labels ?? {}, f)) continue;
      const size = v.Options?.device ? 0 : await dirSize(v.Mountpoint);
      try {
        await this.remove(v.Name);
        deleted.push(v.Name);
        space += size;
      } catch (e) {
        this.o.log.warn('volume prune: not removed', { name: v.Name, error: errorMessage(e) });
      }
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space };
  }

  // ---- use by containers -----------------------------------------------------------------------------------------

  ref(name: string, containerId: string): void {
    if (!this.vols.has(name)) throw notFound(`get ${name}: no such volume`, 'volume_not_found');
    const set = this.refs.get(name) ?? new Set<string>();
    set.add(containerId);
    this.refs.set(name, set);
  }

  unref(name: string, containerId: string): void {
    const set = this.refs.get(name);
    if (!set) return;
    set.delete(containerId);
    if (set.size === 0) this.refs.delete(name);
  }

  /** The container starts using the volume: its `device` mount is made on first use. Returns the host path. */
  async mount(name: string, containerId: string): Promise<string> {
    return this.locks.run(name, async () => {
      const v = this.inspect(name);
      const set = this.active.get(name) ?? new Set<string>();
      if (v.Options?.device && !(await isMounted(v.Mountpoint))) {
        const o = v.Options;
        try {
          await mkdir(v.Mountpoint, { recursive: true });
          await mountFs(o.type || 'none', o.device!, v.Mountpoint, { options: o.o });
        } catch (e) {
          throw new BerthError('internal', 'volume_mount', `error while mounting volume '${v.Mountpoint}': failed to mount local volume: ${errorMessage(e)}`);
        }
      }
      set.add(containerId);
      this.active.set(name, set);
      this.o.onEvent?.('mount', v, { container: containerId });
      return v.Mountpoint;
    });
  }

  /** The container stopped using the volume; the last one out unmounts a `device` volume. */
  async unmount(name: string, containerId: string): Promise<void> {
    await this.locks.run(name, async () => {
      const v = this.vols.get(name);
      const set = this.active.get(name);
      if (!v || !set?.has(containerId)) return;
      set.delete(containerId);
      if (set.size === 0) this.active.delete(name);
      this.o.onEvent?.('unmount', v, { container: containerId });
      if (set.size === 0 && v.Options?.device) await unmount(v.Mountpoint);
    });
  }

  /** After daemon restart: records which containers still have a volume mounted; unmounts what nobody uses. */
  async restoreActive(users: { name: string; containerId: string }[]): Promise<void> {
    for (const u of users) {
      if (!this.vols.has(u.name)) continue;
      const set = this.active.get(u.name) ?? new Set<string>();
      set.add(u.containerId);
      this.active.set(u.name, set);
    }
    for (const v of this.vols.values()) {
      if (v.Options?.device && !this.active.has(v.Name)) await unmount(v.Mountpoint).catch(() => {});
    }
  }

  /** True when the volume holds nothing yet (image content is copied only into an empty volume). */
  async isEmpty(name: string): Promise<boolean> {
    const v = this.inspect(name);
    return (await readdir(v.Mountpoint).catch(() => [])).length === 0;
  }
}

function parseFilterJson(raw: string | undefined): Record<string, string[]> {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid filter: ${raw}`, 'invalid_filter');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidArgument(`invalid filter: ${raw}`, 'invalid_filter');
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.keys(v).filter((x) => (v as Record<string, unknown>)[x]);
    else throw invalidArgument(`invalid filter: ${raw}`, 'invalid_filter');
  }
  return out;
}

/** Docker matches `name` as a regular expression against the name (substring semantics). */
function nameMatches(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

function labelMatches(labels: Record<string, string>, expr: string): boolean {
  const i = expr.indexOf('=');
  if (i < 0) return Object.hasOwn(labels, expr);
  return labels[expr.slice(0, i)] === expr.slice(i + 1);
}

function labelsMatch(labels: Record<string, string>, f: Record<string, string[]>): boolean {
  if (f.label && !f.label.every((l) => labelMatches(labels, l))) return false;
  if (f['label!'] && f['label!'].some((l) => labelMatches(labels, l))) return false;
  return true;
}

/** Bytes used under `dir` (regular files, counted once per path; symlinks not followed). */
async function dirSize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  for (const e of entries) {
    const st = await lstat(join(dir, e)).catch(() => null);
    if (st?.isFile()) total += st.size;
  }
  return total;
}
