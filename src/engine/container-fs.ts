// A container's filesystem from the outside: changes (docker diff), commit, export and the archive endpoints (docker
// cp). Running containers are read through their mounted rootfs; stopped ones are mounted for the duration under a
// temporary mountpoint in the exec root while holding the container's lock (so a start cannot mount it twice).
//
// Paths given by clients are container paths: they are resolved inside the container's root (src/sys/scoped-path.ts),
// never on the host, and directories handed to tar are re-checked on the opened descriptor. Extraction refuses
// archives that would write through a symlink (src/store/diff/safe-extract.ts) and runs with the container paused.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rmdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { forbidden, invalidArgument, isBerthError, notFound, notImplemented } from '../base/errors.ts';
import { commitLayer, type CommitDeps } from '../image/commit.ts';
import { layerTarStream } from '../store/diff/layer-tar.ts';
import { overlayDiff, type Change, type OverlayDiff } from '../store/diff/overlay-diff.ts';
import { safeExtract } from '../store/diff/safe-extract.ts';
import { TAR_END } from '../store/diff/tar-writer.ts';
import type { ImageRuntimeConfig } from '../spec/docker-api.ts';
import type { Snapshotter } from '../store/snapshot/snapshotter.ts';
import { openScopedDir, resolveScoped } from '../sys/scoped-path.ts';
import { spawnOutput } from '../sys/spawn-output.ts';
import type { ContainerRecord } from './container-record.ts';
import type { Logger } from './container-service.ts';

export type { Change } from '../store/diff/overlay-diff.ts';

/** What this module needs from the container service. */
export interface ContainerAccess {
  get(ref: string): ContainerRecord;
  rootfsPath(id: string): string;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  withLock<T>(ref: string, fn: (rec: ContainerRecord) => Promise<T>): Promise<T>;
}

export interface ContainerFsOptions {
  containers: ContainerAccess;
  snapshotter: Snapshotter;
  images: CommitDeps;
  execRoot: string;
  log: Logger;
}

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Pause a running container while its changes are read (Docker's default). */
  pause?: boolean;
  changes?: string[];
  signal?: AbortSignal;
}

/** Docker's ContainerPathStat (X-Docker-Container-Path-Stat, base64 JSON). `mode` is a Go os.FileMode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Go os.FileMode type bits.
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHARDEV = 2 ** 21;
const GO_STICKY = 2 ** 20;

export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += GO_DIR;
  else if (st.isSymbolicLink()) m += GO_SYMLINK;
  else if (st.isFIFO()) m += GO_PIPE;
  else if (st.isSocket()) m += GO_SOCKET;
  else if (st.isCharacterDevice()) m += GO_DEVICE + GO_CHARDEV;
  else if (st.isBlockDevice()) m += GO_DEVICE;
  if (st.mode & 0o4000) m += GO_SETUID;
  if (st.mode & 0o2000) m += GO_SETGID;
  if (st.mode & 0o1000) m += GO_STICKY;
  return m;
}

/** Docker keeps a trailing "/" or "/." meaningful: it asks to follow a final symlink, and "/." means "contents". */
const followsLast = (p: string) => p.endsWith('/') || p.endsWith('/.');

/** filepath.Base of the requested path (what archive entries are named after). */
function requestedBase(p: string): string {
  if (p.endsWith('/.')) return '.';
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return posix.basename(trimmed);
}

interface Rootfs {
  root: string;
  release(): Promise<void>;
}

export class ContainerFs {
  private readonly o: ContainerFsOptions;

  constructor(o: ContainerFsOptions) {
    this.o = o;
  }

  private requireOverlay(what: string): void {
    if (this.o.snapshotter.name !== 'overlayfs') throw notImplemented(`${what} is not supported with the ${this.o.snapshotter.name} storage driver`);
  }

  private async diff(rec: ContainerRecord, signal?: AbortSignal): Promise<OverlayDiff> {
    const plan = await this.o.snapshotter.mountPlan(rec.Id);
    const lowers = plan.lowerdirs.map((l) => (plan.cwd ? resolve(plan.cwd, l) : l));
    return overlayDiff(this.o.snapshotter.upperDir(rec.Id), lowers, { signal });
  }

  /** GET /containers/{id}/changes */
  async changes(ref: string): Promise<Change[]> {
    this.requireOverlay('diff');
    return (await this.diff(this.o.containers.get(ref))).changes;
  }

  /** POST /commit: returns the new image id. */
  async commit(ref: string, opts: CommitOptions = {}): Promise<string> {
    this.requireOverlay('commit');
    const rec = this.o.containers.get(ref);
    if (opts.tag && !opts.repo) throw invalidArgument('tag is specified without a repository');
    const repoTag = opts.repo ? (opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo) : undefined;
    let paused = false;
    if ((opts.pause ?? true) && rec.State.Running && !rec.State.Paused) {
      await this.o.containers.pause(rec.Id);
      paused = true;
    }
    try {
      const d = await this.diff(rec, opts.signal);
      const cmd = rec.Config.Cmd && rec.Config.Cmd.length ? rec.Config.Cmd : [rec.Path, ...rec.Args];
      const id = await commitLayer(this.o.images, layerTarStream(d.entries, { signal: opts.signal }), {
        parentImageId: rec.Image,
        parentChainId: rec.LayerChain ?? null,
        containerConfig: rec.Config as ImageRuntimeConfig,
        changes: opts.changes,
        comment: opts.comment,
        author: opts.author,
        createdBy: cmd.join(' '),
        repoTag,
        signal: opts.signal,
      });
      this.o.log.info('container committed', { id: rec.Id, image: id });
      return id;
    } finally {
      if (paused) await this.o.containers.unpause(rec.Id).catch(() => {});
    }
  }

  /** The container's root filesystem, mounted for as long as the caller needs it. */
  private async acquire(rec: ContainerRecord): Promise<Rootfs> {
    if (rec.State.Running) return { root: this.o.containers.rootfsPath(rec.Id), release: async () => {} };
    return new Promise<Rootfs>((resolveRootfs, reject) => {
      let done!: () => void;
      const held = new Promise<void>((r) => (done = r));
      let settled = false;
      void this.o.containers
        .withLock(rec.Id, async (r) => {
          if (r.State.Running) {
            settled = true;
            resolveRootfs({ root: this.o.containers.rootfsPath(r.Id), release: async () => {} });
            return;
          }
          const target = join(this.o.execRoot, 'fsmount', randomBytes(8).toString('hex'));
          await mkdir(target, { recursive: true, mode: 0o700 });
          try {
            await this.o.snapshotter.mount(r.Id, target);
          } catch (e) {
            await rmdir(target).catch(() => {});
            throw e;
          }
          let finished!: () => void;
          const unmounted = new Promise<void>((r) => (finished = r));
          settled = true;
          resolveRootfs({
            root: target,
            release: () => {
              done();
              return unmounted;
            },
          });
          await held;
          await this.o.snapshotter.unmount(r.Id, target).catch((e) => this.o.log.warn('unmount failed', { target, error: String(e) }));
          await rmdir(target).catch(() => {});
          finished();
        })
        .catch((e) => {
          if (!settled) reject(e);
          else this.o.log.warn('temporary rootfs mount', { id: rec.Id, error: String(e) });
        });
    });
  }

  private async withRootfs<T>(rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    const fs = await this.acquire(rec);
    try {
      return await fn(fs.root);
    } finally {
      await fs.release();
    }
  }

  /** GET /containers/{id}/export: the flattened filesystem as a tar stream. */
  async export(ref: string, signal?: AbortSignal): Promise<Readable> {
    const rec = this.o.containers.get(ref);
    const fs = await this.acquire(rec);
    try {
      const names = (await readdir(fs.root)).sort();
      if (names.length === 0) {
        await fs.release();
        return Readable.from([TAR_END]);
      }
      const out = spawnOutput('tar', ['-c', '-f', '-', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--xattrs-exclude=trusted.overlay.*', '--', ...names], { cwd: fs.root, signal });
      out.once('close', () => void fs.release());
      return out;
    } catch (e) {
      await fs.release();
      throw e;
    }
  }

  private missing(path: string, rec: ContainerRecord) {
    return notFound(`Could not find the file ${path} in container ${rec.Name}`, 'path_not_found');
  }

  private async statIn(root: string, rec: ContainerRecord, path: string): Promise<{ hostPath: string; st: Stats; stat: PathStat }> {
    if (!path) throw invalidArgument('path is required');
    const r = await resolveScoped(root, path, { followLast: followsLast(path) });
    const st = await lstat(r.hostPath).catch(() => undefined);
    if (!st) throw this.missing(path, rec);
    let linkTarget = '';
    if (st.isSymbolicLink()) linkTarget = (await resolveScoped(root, r.containerPath, { followLast: true })).containerPath;
    const stat: PathStat = { name: requestedBase(path), size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget };
    return { hostPath: r.hostPath, st, stat };
  }

  /** HEAD /containers/{id}/archive */
  async statPath(ref: string, path: string): Promise<PathStat> {
    const rec = this.o.containers.get(ref);
    return this.withRootfs(rec, async (root) => (await this.statIn(root, rec, path)).stat);
  }

  /** GET /containers/{id}/archive: the path as a tar whose top entry is named after the requested path. */
  async getArchive(ref: string, path: string, signal?: AbortSignal): Promise<{ stat: PathStat; stream: Readable }> {
    const rec = this.o.containers.get(ref);
    const fs = await this.acquire(rec);
    const cleanup: (() => Promise<void>)[] = [() => fs.release()];
    const runCleanup = async () => {
      for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
    };
    try {
      const { hostPath, stat } = await this.statIn(fs.root, rec, path);
      const contents = path.endsWith('/.') || hostPath === resolve(fs.root);
      const dir = contents ? hostPath : posix.dirname(hostPath);
      const name = contents ? '.' : posix.basename(hostPath);
      const scoped = await openScopedDir(fs.root, dir);
      cleanup.push(() => scoped.close());
      const args = ['-c', '-f', '-', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--xattrs-exclude=trusted.overlay.*'];
      const rebase = contents ? '.' : stat.name;
      if (rebase !== name) args.push(`--transform=s,^${escapeRegex(name)}\\(/\\|$\\),${escapeReplacement(rebase)}\\1,rSh`);
      args.push('--', name);
      const stream = spawnOutput('tar', args, { cwd: scoped.procPath, signal });
      stream.once('close', () => void runCleanup());
      return { stat, stream };
    } catch (e) {
      await runCleanup();
      throw e;
    }
  }

  /** PUT /containers/{id}/archive: extracts a tar into the directory at `path`. */
  async putArchive(
    ref: string,
    path: string,
    tar: NodeJS.ReadableStream,
    opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    const rec = this.o.containers.get(ref);
    if (rec.HostConfig.ReadonlyRootfs) throw forbidden('container rootfs is marked read-only', 'readonly_rootfs');
    if (!path) throw invalidArgument('path is required');
    await this.withRootfs(rec, async (root) => {
      const r = await resolveScoped(root, path, { followLast: true });
      const st = await lstat(r.hostPath).catch(() => undefined);
      if (!st) throw this.missing(path, rec);
      if (!st.isDirectory()) throw invalidArgument('extraction point is not a directory', 'not_a_directory');
      const scoped = await openScopedDir(root, r.hostPath);
      let paused = false;
      try {
        // A running container must not swap directories for symlinks while we extract.
        if (rec.State.Running && !rec.State.Paused) {
          await this.o.containers.pause(rec.Id).then(() => (paused = true), (e) => {
            if (!isBerthError(e, 'conflict')) throw e;
          });
        }
        await safeExtract(tar, scoped.procPath, {
          noOverwriteDirNonDir: opts.noOverwriteDirNonDir,
          sameOwner: true,
          signal: opts.signal,
        });
      } finally {
        if (paused) await this.o.containers.unpause(rec.Id).catch(() => {});
        await scoped.close();
      }
    });
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[\\.^$*[\],]/g, (c) => `\\${c}`);
}

function escapeReplacement(s: string): string {
  return s.replace(/[\\&,]/g, (c) => `\\${c}`);
}
