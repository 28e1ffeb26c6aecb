// overlayfs snapshotter: each layer is unpacked once into its own diff dir; a container's rootfs is an overlay mount
// of its image's diff dirs (read-only lowers) plus the container's upper/work dirs.
//
// On-disk layout (ROOT = the snapshotter root, e.g. <data-root>):
//   ROOT/overlay/layers/<chainhex>/diff     the layer's files, whiteouts in overlay form (char 0/0, opaque xattr)
//   ROOT/overlay/layers/<chainhex>/parent   parent chain id ("sha256:..."), empty for a base layer
//   ROOT/overlay/layers/<chainhex>/diffid   sha256 of the layer's uncompressed tar
//   ROOT/overlay/layers/<chainhex>/size     bytes of content (Docker's layer Size)
//   ROOT/overlay/layers/<chainhex>/link     short name of the layer in l/
//   ROOT/overlay/l/<26 chars>               -> ../layers/<chainhex>/diff (short lowerdirs for deep stacks)
//   ROOT/overlay/containers/<key>/{upper,work,parent}
//   ROOT/overlay/empty                      the lower of containers without an image layer
//   ROOT/overlay/tmp/<random>               unpacks and deletions in flight; swept at open
// A layer or container dir only appears (by rename from tmp/) once complete, so a crash never leaves half of one.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assertDigest, chainIdOf, digestHex } from '../../base/digest.ts';
import { conflict, invalidArgument, notFound } from '../../base/errors.ts';
import { writeFileAtomic } from '../../sys/atomic-file.ts';
import { mountOverlay, unmount } from '../../sys/mount.ts';
import { dirSize } from '../diff/dir-size.ts';
import { convertWhiteoutsForOverlay, unpackTar } from '../diff/unpack-tar.ts';
import { hashOnly, validKey } from './snapshot-common.ts';
import type { AppliedLayer, ApplyLayerOptions, LayerInfo, MountPlan, Snapshotter } from './snapshotter.ts';

interface StoredLayer extends LayerInfo {
  link: string;
}

/** The kernel copies legacy mount data into one page; stay well below 4096 bytes. */
const MAX_ABSOLUTE_OPTIONS = 3500;
const LINK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function newLinkId(): string {
  const bytes = randomBytes(26);
  let s = '';
  for (const b of bytes) s += LINK_ALPHABET[b % LINK_ALPHABET.length];
  return s;
}

export class OverlaySnapshotter implements Snapshotter {
  readonly name = 'overlayfs' as const;
  readonly home: string;
  /** Layers are immutable once committed, so their metadata can be cached forever (until removal). */
  private readonly cache = new Map<string, StoredLayer>();

  private constructor(root: string) {
    this.home = join(root, 'overlay');
  }

  static async open(root: string): Promise<OverlaySnapshotter> {
    const s = new OverlaySnapshotter(root);
    await rm(s.path('tmp'), { recursive: true, force: true });
    for (const d of ['layers', 'l', 'containers', 'tmp', 'empty']) await mkdir(s.path(d), { recursive: true });
    return s;
  }

  private path(...parts: string[]): string {
    return join(this.home, ...parts);
  }

  private layerDir(chainId: string): string {
    return this.path('layers', digestHex(chainId));
  }

  private containerDir(key: string): string {
    return this.path('containers', validKey(key));
  }

  private tmpDir(): string {
    return this.path('tmp', randomBytes(12).toString('hex'));
  }

  private async readLayer(chainId: string): Promise<StoredLayer | undefined> {
    const cached = this.cache.get(chainId);
    if (cached) return cached;
    const dir = this.layerDir(chainId);
    let parent: string, diffId: string, size: string, link: string;
    try {
      [parent, diffId, size, link] = await Promise.all(
        ['parent', 'diffid', 'size', 'link'].map((f) => readFile(join(dir, f), 'utf8')),
      ) as [string, string, string, string];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const layer: StoredLayer = { chainId, parent: parent.trim() || null, diffId: diffId.trim(), size: Number(size), link: link.trim() };
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
    return (await readdir(this.path('layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
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
      await mkdir(join(tmp, 'diff'), { recursive: true });
      const res = await unpackTar(opts.tar, join(tmp, 'diff'), { signal: opts.signal });
      const chainId = chainIdOf(opts.parent, res.diffId);
      if (opts.chainId !== undefined && opts.chainId !== chainId) {
        throw invalidArgument(`layer chain id mismatch: got ${chainId}, expected ${opts.chainId}`, 'digest_mismatch');
      }
      const existing = await this.readLayer(chainId);
      if (existing) return { chainId, diffId: existing.diffId, size: existing.size, existed: true };
      await convertWhiteoutsForOverlay(join(tmp, 'diff'), res.whiteoutEntries, { signal: opts.signal });
      const size = await dirSize(join(tmp, 'diff'), { signal: opts.signal });
      const link = newLinkId();
      await writeFileAtomic(join(tmp, 'parent'), opts.parent ?? '');
      await writeFileAtomic(join(tmp, 'diffid'), res.diffId);
      await writeFileAtomic(join(tmp, 'size'), String(size));
      await writeFileAtomic(join(tmp, 'link'), link);
      opts.signal?.throwIfAborted();
      try {
        await rename(tmp, this.layerDir(chainId));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // A concurrent apply of the same layer committed first: use that one.
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          const won = await this.readLayer(chainId);
          if (won) return { chainId, diffId: won.diffId, size: won.size, existed: true };
        }
        throw e;
      }
      await this.ensureLink(chainId, link);
      return { chainId, diffId: res.diffId, size };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async ensureLink(chainId: string, link: string): Promise<void> {
    const want = `../layers/${digestHex(chainId)}/diff`;
    const linkPath = this.path('l', link);
    const have = await readlink(linkPath).catch(() => undefined);
    if (have === want) return;
    if (have !== undefined) await rm(linkPath, { force: true });
    await symlink(want, linkPath);
  }

  async removeLayer(chainId: string): Promise<void> {
    const layer = await this.readLayer(assertDigest(chainId));
    this.cache.delete(chainId);
    const trash = this.tmpDir();
    try {
      await rename(this.layerDir(chainId), trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (layer) await rm(this.path('l', layer.link), { force: true });
    await rm(trash, { recursive: true, force: true });
  }

  /** The chain from `chainId` down to the base layer, top first. */
  private async chain(chainId: string | null): Promise<StoredLayer[]> {
    const out: StoredLayer[] = [];
    for (let id = chainId; id !== null; ) {
      const layer = await this.readLayer(id);
      if (!layer) throw notFound(`layer ${id} does not exist`, 'layer_not_found');
      out.push(layer);
      id = layer.parent;
      if (out.length > 500) throw invalidArgument('layer chain too deep (max 500)');
    }
    return out;
  }

  async prepare(key: string, parentChainId: string | null): Promise<void> {
    const dir = this.containerDir(key);
    if (parentChainId !== null && !(await this.hasLayer(parentChainId))) {
      throw notFound(`layer ${parentChainId} does not exist`, 'layer_not_found');
    }
    const tmp = this.tmpDir();
    try {
      await mkdir(join(tmp, 'upper'), { recursive: true, mode: 0o755 });
      await mkdir(join(tmp, 'work'), { mode: 0o700 });
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
    const layers = await this.chain(await this.containerParent(key));
    const upperdir = join(this.containerDir(key), 'upper');
    const workdir = join(this.containerDir(key), 'work');
    const lowerdirs = layers.length ? layers.map((l) => join(this.layerDir(l.chainId), 'diff')) : [this.path('empty')];
    const length = `lowerdir=${lowerdirs.join(':')},upperdir=${upperdir},workdir=${workdir}`.length;
    if (length <= MAX_ABSOLUTE_OPTIONS) return { type: 'overlay', lowerdirs, upperdir, workdir };
    // Deep stacks: short names relative to the snapshotter home (docker's overlay2 does the same).
    for (const l of layers) await this.ensureLink(l.chainId, l.link);
    return {
      type: 'overlay',
      cwd: this.home,
      lowerdirs: layers.map((l) => `l/${l.link}`),
      upperdir: `containers/${key}/upper`,
      workdir: `containers/${key}/work`,
    };
  }

  async mount(key: string, target: string): Promise<void> {
    const plan = await this.mountPlan(key);
    await mountOverlay({ lowerdirs: plan.lowerdirs, upperdir: plan.upperdir, workdir: plan.workdir, target, cwd: plan.cwd });
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
    return dirSize(this.upperDir(key));
  }

  upperDir(key: string): string {
    return join(this.containerDir(key), 'upper');
  }

  async listContainers(): Promise<string[]> {
    return readdir(this.path('containers'));
  }

  graphDriverData(chain: readonly string[]): Record<string, string> | null {
    if (chain.length === 0) return null;
    const dir = this.layerDir(chain[chain.length - 1]!);
    const data: Record<string, string> = {};
    const lowers = chain.slice(0, -1).reverse();
    if (lowers.length) data.LowerDir = lowers.map((c) => join(this.layerDir(c), 'diff')).join(':');
    data.MergedDir = join(dir, 'merged');
    data.UpperDir = join(dir, 'diff');
    data.WorkDir = join(dir, 'work');
    return data;
  }
}
