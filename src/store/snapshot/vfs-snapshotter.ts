// vfs snapshotter: the fallback where overlayfs is unavailable. Every layer and every container holds a full copy of
// its rootfs (cp -a of the parent, then the layer unpacked on top with whiteouts applied as deletions). Slow and
// space-hungry, but it needs nothing from the filesystem.
//
// On-disk layout (ROOT = the snapshotter root):
//   ROOT/vfs/layers/<chainhex>/rootfs   the full filesystem up to and including this layer
//   ROOT/vfs/layers/<chainhex>/{parent,diffid,size,total}   size: this layer's bytes; total: the whole rootfs
//   ROOT/vfs/containers/<key>/rootfs    the container's writable copy (bind-mounted as its root)
//   ROOT/vfs/containers/<key>/parent
//   ROOT/vfs/tmp/<random>               work in flight; swept at open

import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { assertDigest, chainIdOf, digestHex } from '../../base/digest.ts';
import { conflict, invalidArgument, notFound } from '../../base/errors.ts';
import { writeFileAtomic } from '../../sys/atomic-file.ts';
import { run } from '../../sys/exec.ts';
import { bindMount, unmount } from '../../sys/mount.ts';
import { dirSize } from '../diff/dir-size.ts';
import { applyWhiteoutsInPlace, unpackTar } from '../diff/unpack-tar.ts';
import { hashOnly, validKey } from './snapshot-common.ts';
import type { AppliedLayer, ApplyLayerOptions, LayerInfo, MountPlan, Snapshotter } from './snapshotter.ts';

interface StoredLayer extends LayerInfo {
  total: number;
}

export class VfsSnapshotter implements Snapshotter {
  readonly name = 'vfs' as const;
  readonly home: string;
  private readonly cache = new Map<string, StoredLayer>();

  private constructor(root: string) {
    this.home = join(root, 'vfs');
  }

  static async open(root: string): Promise<VfsSnapshotter> {
    const s = new VfsSnapshotter(root);
    await rm(join(s.home, 'tmp'), { recursive: true, force: true });
    for (const d of ['layers', 'containers', 'tmp']) await mkdir(join(s.home, d), { recursive: true });
    return s;
  }

  private layerDir(chainId: string): string {
    return join(this.home, 'layers', digestHex(chainId));
  }

  private containerDir(key: string): string {
    return join(this.home, 'containers', validKey(key));
  }

  private tmpDir(): string {
    return join(this.home, 'tmp', randomBytes(12).toString('hex'));
  }

  private async readLayer(chainId: string): Promise<StoredLayer | undefined> {
    const cached = this.cache.get(chainId);
    if (cached) return cached;
    const dir = this.layerDir(chainId);
    let vals: string[];
    try {
      vals = await Promise.all(['parent', 'diffid', 'size', 'total'].map((f) => readFile(join(dir, f), 'utf8')));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const [parent, diffId, size, total] = vals as [string, string, string, string];
    const layer = { chainId, parent: parent.trim() || null, diffId: diffId.trim(), size: Number(size), total: Number(total) };
    this.cache.set(chainId, layer);
    return layer;
  }

  async hasLayer(chainId: string): Promise<boolean> {
    return (await this.readLayer(assertDigest(chainId))) !== undefined;
  }

  async layerInfo(chainId: string): Promise<LayerInfo | undefined> {
    const l = await this.readLayer(assertDigest(chainId));
    return l && { chainId: l.chainId, parent: l.parent, diffId: l.diffId, size: l.size };
  }

  async layerCreated(chainId: string): Promise<number | undefined> {
    // diffid is written once, just before the layer's directory is renamed into place.
    const st = await stat(join(this.layerDir(assertDigest(chainId)), 'diffid')).catch(() => undefined);
    return st?.mtimeMs;
  }

  async listLayers(): Promise<string[]> {
    return (await readdir(join(this.home, 'layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Copies the parent's rootfs into `dest` (which must not exist). */
  private async copyParent(parent: string | null, dest: string): Promise<number> {
    if (parent === null) {
      await mkdir(dest, { mode: 0o755 });
      return 0;
    }
    const layer = await this.readLayer(parent);
    if (!layer) throw notFound(`layer ${parent} does not exist`, 'layer_not_found');
    // --reflink=auto: free copies on btrfs/xfs; plain copies elsewhere.
    await run('cp', ['-a', '--reflink=auto', join(this.layerDir(parent), 'rootfs'), dest]);
    return layer.total;
  }

  async applyLayer(opts: ApplyLayerOptions): Promise<AppliedLayer> {
    if (opts.parent !== null && !(await this.hasLayer(opts.parent))) {
      throw notFound(`parent layer ${opts.parent} does not exist`, 'layer_not_found');
    }
    if (opts.chainId !== undefined) {
      const existing = await this.readLayer(assertDigest(opts.chainId));
      if (existing) return hashOnly(opts, existing);
    }
    const tmp = this.tmpDir();
    try {
      await mkdir(tmp, { recursive: true });
      const rootfs = join(tmp, 'rootfs');
      const parentTotal = await this.copyParent(opts.parent, rootfs);
      // Unpacked into an empty directory first, never onto the parent's copy: GNU tar follows symlinks it finds on
      // disk, so a lower layer's `a -> /tmp` would let this layer's `a/x` (or a hard link through `a`) reach the host.
      const fresh = join(tmp, 'layer');
      await mkdir(fresh);
      const res = await unpackTar(opts.tar, fresh, { signal: opts.signal, collectNames: true });
      const chainId = chainIdOf(opts.parent, res.diffId);
      if (opts.chainId !== undefined && opts.chainId !== chainId) {
        throw invalidArgument(`layer chain id mismatch: got ${chainId}, expected ${opts.chainId}`, 'digest_mismatch');
      }
      const existing = await this.readLayer(chainId);
      if (existing) return { chainId, diffId: existing.diffId, size: existing.size, existed: true };
      await mergeTree(fresh, rootfs, opts.signal);
      await applyWhiteoutsInPlace(rootfs, res.whiteoutEntries, res.names!, { signal: opts.signal });
      const total = await dirSize(rootfs, { signal: opts.signal });
      // A copy cannot tell this layer's bytes from its parents'; the growth is the closest honest number.
      const size = Math.max(0, total - parentTotal);
      await writeFileAtomic(join(tmp, 'parent'), opts.parent ?? '');
      await writeFileAtomic(join(tmp, 'diffid'), res.diffId);
      await writeFileAtomic(join(tmp, 'size'), String(size));
      await writeFileAtomic(join(tmp, 'total'), String(total));
      opts.signal?.throwIfAborted();
      try {
        await rename(tmp, this.layerDir(chainId));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          const won = await this.readLayer(chainId);
          if (won) return { chainId, diffId: won.diffId, size: won.size, existed: true };
        }
        throw e;
      }
      return { chainId, diffId: res.diffId, size };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async removeLayer(chainId: string): Promise<void> {
    this.cache.delete(assertDigest(chainId));
    const trash = this.tmpDir();
    try {
      await rename(this.layerDir(chainId), trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    await rm(trash, { recursive: true, force: true });
  }

  async prepare(key: string, parentChainId: string | null): Promise<void> {
    const dir = this.containerDir(key);
    const tmp = this.tmpDir();
    try {
      await mkdir(tmp, { recursive: true });
      await this.copyParent(parentChainId, join(tmp, 'rootfs'));
      await writeFileAtomic(join(tmp, 'parent'), parentChainId ?? '');
      try {
        await rename(tmp, dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOTEMPTY') throw conflict(`snapshot ${key} already exists`, 'snapshot_exists');
        throw e;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async containerParent(key: string): Promise<string | null> {
    try {
      return (await readFile(join(this.containerDir(key), 'parent'), 'utf8')).trim() || null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`snapshot ${key} does not exist`, 'snapshot_not_found');
      throw e;
    }
  }

  async mountPlan(key: string): Promise<MountPlan> {
    await this.containerParent(key); // existence check
    return { type: 'bind', lowerdirs: [], source: this.upperDir(key) };
  }

  async mount(key: string, target: string): Promise<void> {
    const plan = await this.mountPlan(key);
    await bindMount(plan.source!, target);
  }

  async unmount(_key: string, target: string): Promise<void> {
    await unmount(target);
  }

  async remove(key: string): Promise<void> {
    const trash = this.tmpDir();
    try {
      await rename(this.containerDir(key), trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    await rm(trash, { recursive: true, force: true });
  }

  async usage(key: string): Promise<number> {
    const parent = await this.containerParent(key);
    const base = parent === null ? 0 : ((await this.readLayer(parent))?.total ?? 0);
    return Math.max(0, (await dirSize(this.upperDir(key))) - base);
  }

  upperDir(key: string): string {
    return join(this.containerDir(key), 'rootfs');
  }

  async listContainers(): Promise<string[]> {
    return readdir(join(this.home, 'containers'));
  }

  graphDriverData(_chain: readonly string[]): Record<string, string> | null {
    return null;
  }
}

/**
 * Moves an unpacked layer (`src`) over a copy of its parent (`dest`) by rename, as overlay would show it: an entry of
 * the layer replaces whatever the parent had at that path (a directory over a symlink or file replaces it, a
 * non-directory replaces anything); directories present in both are merged and take the layer's mode, owner and
 * times. Only lstat is used on `dest`, so no symlink in the parent is ever followed.
 */
async function mergeTree(src: string, dest: string, signal?: AbortSignal): Promise<void> {
  for (const name of await readdir(src)) {
    signal?.throwIfAborted();
    const from = join(src, name);
    const to = join(dest, name);
    const st = await lstat(from);
    const have = await lstat(to).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (st.isDirectory() && have?.isDirectory()) {
      await mergeTree(from, to, signal);
      await chown(to, st.uid, st.gid);
      await chmod(to, st.mode & 0o7777);
      await utimes(to, st.atime, st.mtime);
      continue;
    }
    if (have && (have.isDirectory() || st.isDirectory())) await rm(to, { recursive: true, force: true });
    await rename(from, to);
  }
}
