// The image subsystem's front: images as Docker shows them, on top of the content store (blobs), the snapshotter
// (unpacked layers) and the image store (records and refs). Write order for every new image: layer blobs and
// unpacked layers, then the config blob, then the record, then tags. A crash in between leaves unreferenced data
// (collectable), never a record pointing at something missing.
//
// On-disk layout (ROOT = the daemon's data root): ROOT/content (content-store.ts), ROOT/images (image-store.ts),
// ROOT/overlay or ROOT/vfs (the snapshotter).

import { PassThrough, Readable } from 'node:stream';
import { chainIds, sha256Digest } from '../base/digest.ts';
import { internal, invalidArgument } from '../base/errors.ts';
import type { ImageInspect, ImageDeleteResponseItem, ImageSummary } from '../spec/image-api.ts';
import { ociArchitecture, rfc3339Nano, type OciImageConfig } from '../spec/oci-image.ts';
import { parseReference } from '../spec/reference.ts';
import { ContentStore } from '../store/content/content-store.ts';
import { decompressor, detectCompression, maybeDecompress } from '../store/diff/decompress.ts';
import { ImageStore, type ImageRecord } from '../store/metadata/image-store.ts';
import type { Snapshotter } from '../store/snapshot/snapshotter.ts';
import { applyConfigChanges } from './config-changes.ts';
import { matchesImageFilters, parseImageFilters } from './image-filters.ts';
import { ImageDeleter, type RemoveImageOptions } from './image-delete.ts';

export type { RemoveImageOptions } from './image-delete.ts';

export interface ImportRootfsOptions {
  /** Tag for the new image, e.g. "busybox:latest". */
  repoTag?: string;
  /** Dockerfile instructions applied to the config (CMD, ENV, ...). */
  changes?: string[];
  /** History/comment text; Docker's default is "Imported from -". */
  message?: string;
  /** Fixed creation time, for reproducible images. Default: now. */
  created?: Date;
  signal?: AbortSignal;
}

const NO_TIME = '0001-01-01T00:00:00Z';

export interface ImageHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

const createdSeconds = (rec: ImageRecord): number =>
  rec.config.created ? Math.floor(Date.parse(rec.config.created) / 1000) || 0 : 0;

/** Docker names the overlay driver "overlay2"; tools and tests look for that name. */
const graphDriverName = (s: Snapshotter) => (s.name === 'overlayfs' ? 'overlay2' : s.name);

export class ImageService {
  readonly content: ContentStore;
  readonly store: ImageStore;
  private readonly snap: Snapshotter;
  /** Layers of imports in flight: not yet referenced by a record, but not garbage either. */
  private readonly pinned = new Map<string, number>();

  private constructor(content: ContentStore, store: ImageStore, snapshotter: Snapshotter) {
    this.content = content;
    this.store = store;
    this.snap = snapshotter;
  }

  static async open(opts: { root: string; snapshotter: Snapshotter }): Promise<ImageService> {
    const [content, store] = await Promise.all([ContentStore.open(opts.root), ImageStore.open(opts.root)]);
    return new ImageService(content, store, opts.snapshotter);
  }

  get snapshotter(): Snapshotter {
    return this.snap;
  }

  resolve(ref: string): ImageRecord {
    return this.store.resolve(ref);
  }

  /** Chain id of the image's top layer (what a container's rootfs is prepared on). */
  layerChainFor(imageId: string): string | null {
    return this.store.resolve(imageId).chainId;
  }

  /** GET /images/json. Without `all`, intermediate images (untagged, with a child image: build steps) are hidden. */
  list(opts: { all?: boolean; filters?: string; digests?: boolean } = {}): ImageSummary[] {
    const filters = parseImageFilters(opts.filters);
    const createdOf = (r: string) => createdSeconds(this.store.resolve(r));
    const records = this.store.list();
    const parents = new Set(records.map((r) => r.parent).filter((p): p is string => !!p));
    return records
      .filter((rec) => opts.all || !parents.has(rec.id) || this.store.refsFor(rec.id).length > 0)
      .map((rec) => ({
        Id: rec.id,
        ParentId: rec.parent ?? '',
        RepoTags: this.store.refsFor(rec.id),
        RepoDigests: [...rec.repoDigests],
        Created: createdSeconds(rec),
        Size: rec.size,
        SharedSize: -1,
        Labels: { ...(rec.config.config?.Labels ?? {}) },
        Containers: -1,
      }))
      .filter((s) => matchesImageFilters({ id: s.Id, tags: s.RepoTags, labels: s.Labels, created: s.Created }, filters, createdOf))
      .sort((a, b) => b.Created - a.Created || (a.Id < b.Id ? -1 : 1));
  }

  /** The name a container list shows for an image: its first tag, if any. */
  familiarName(imageId: string): string | undefined {
    return this.store.refsFor(imageId)[0];
  }

  /** GET /images/{name}/json: synchronous, from memory. */
  inspect(ref: string): ImageInspect {
    const rec = this.store.resolve(ref);
    const c = rec.config;
    const out: ImageInspect = {
      Id: rec.id,
      RepoTags: this.store.refsFor(rec.id),
      RepoDigests: [...rec.repoDigests],
      Parent: rec.parent ?? '',
      Comment: c.comment ?? '',
      Created: c.created ?? NO_TIME,
      DockerVersion: '',
      Author: c.author ?? '',
      Config: c.config ? structuredClone(c.config) : null,
      Architecture: c.architecture,
      Os: c.os,
      Size: rec.size,
      GraphDriver: { Name: graphDriverName(this.snap), Data: this.snap.graphDriverData(chainIds(c.rootfs.diff_ids)) },
      RootFS: { Type: 'layers', Layers: [...c.rootfs.diff_ids] },
      Metadata: { LastTagTime: rec.lastTagTime ?? NO_TIME },
    };
    if (c.variant) out.Variant = c.variant;
    return out;
  }

  /** GET /images/{name}/history: newest first; only the top entry carries the image id and tags. */
  history(ref: string): ImageHistoryItem[] {
    const rec = this.store.resolve(ref);
    const entries = rec.config.history ?? [];
    const sizes = rec.layerSizes ?? (rec.config.rootfs.diff_ids.length === 1 ? [rec.size] : []);
    let layer = 0;
    const items = entries.map((h) => ({
      Id: '<missing>',
      Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null as string[] | null,
      Size: h.empty_layer ? 0 : (sizes[layer++] ?? 0),
      Comment: h.comment ?? '',
    }));
    items.reverse();
    if (items.length === 0) items.push({ Id: '<missing>', Created: createdSeconds(rec), CreatedBy: '', Tags: null, Size: rec.size, Comment: '' });
    items[0]!.Id = rec.id;
    items[0]!.Tags = this.store.refsFor(rec.id);
    return items;
  }

  /** `docker tag SOURCE TARGET`. */
  async tag(source: string, target: string): Promise<void> {
    const rec = this.store.resolve(source);
    const ref = parseReference(target);
    if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
    await this.store.tag(rec.id, ref);
  }

  /** `docker rmi`: returns Docker's list of Untagged/Deleted items. */
  async remove(ref: string, opts: RemoveImageOptions): Promise<ImageDeleteResponseItem[]> {
    return new ImageDeleter(
      {
        resolve: (r) => this.store.resolve(r),
        get: (id) => this.store.get(id),
        refsFor: (id) => this.store.refsFor(id),
        children: (id) => this.store.children(id),
        untag: (r) => this.store.untag(r),
        setRepoDigests: (id, d) => this.store.setRepoDigests(id, d),
        deleteImage: (id, keepLayers) => this.deleteImage(id, keepLayers),
      },
      opts,
    ).run(ref);
  }

  /** Chain ids (every prefix) referenced by images other than `except`, plus pinned in-flight layers. */
  private referencedLayers(except?: string): Set<string> {
    const used = new Set<string>(this.pinned.keys());
    for (const rec of this.store.list()) {
      if (rec.id === except) continue;
      for (const c of chainIds(rec.config.rootfs.diff_ids)) used.add(c);
    }
    return used;
  }

  private referencedBlobs(except?: string): Set<string> {
    const used = new Set<string>();
    for (const rec of this.store.list()) {
      if (rec.id === except) continue;
      used.add(rec.id);
      for (const d of rec.config.rootfs.diff_ids) used.add(d);
    }
    return used;
  }

  /** Removes an image record, then the layers and blobs nothing else references. Returns removed chain ids. */
  private async deleteImage(id: string, keepLayers: boolean): Promise<string[]> {
    const rec = this.store.get(id);
    if (!rec) return [];
    const usedLayers = this.referencedLayers(id);
    const usedBlobs = this.referencedBlobs(id);
    await this.store.delete(id);
    const removed: string[] = [];
    if (!keepLayers) {
      // Top first: a layer is never left without its parent.
      for (const chainId of chainIds(rec.config.rootfs.diff_ids).reverse()) {
        if (usedLayers.has(chainId)) break;
        await this.snap.removeLayer(chainId);
        removed.push(chainId);
      }
    }
    for (const blob of [id, ...rec.config.rootfs.diff_ids]) {
      if (!usedBlobs.has(blob)) await this.content.delete(blob);
    }
    return removed;
  }

  /**
   * Removes layers that no image references, except those under `retain` (chain ids containers are prepared on).
   * For images force-deleted while a stopped container still used them. Returns removed chain ids.
   */
  async gcLayers(retain: Iterable<string> = []): Promise<string[]> {
    const keep = this.referencedLayers();
    for (let id of retain) {
      for (let guard = 0; guard < 1000 && id; guard++) {
        keep.add(id);
        const info = await this.snap.layerInfo(id);
        if (!info?.parent) break;
        id = info.parent;
      }
    }
    const all = await this.snap.listLayers();
    const parents = new Map<string, string | null>();
    for (const l of all) parents.set(l, (await this.snap.layerInfo(l))?.parent ?? null);
    const removed: string[] = [];
    // Children before parents: repeat until nothing more goes.
    let pending = all.filter((l) => !keep.has(l));
    while (pending.length) {
      const isParent = new Set(pending.map((l) => parents.get(l)).filter((p): p is string => !!p));
      const leaves = pending.filter((l) => !isParent.has(l));
      if (!leaves.length) break;
      for (const l of leaves) {
        await this.snap.removeLayer(l);
        removed.push(l);
      }
      pending = pending.filter((l) => !leaves.includes(l));
    }
    return removed;
  }

  /**
   * Garbage collection from roots: image records (their layer chains and config/layer blobs), pinned in-flight layers
   * and `retainLayers` (the chain ids containers are prepared on, with their ancestors and those layers' blobs) are
   * live; every other layer and blob whose data is older than `minAgeMs` is removed, layers children first. What a
   * crash left between "data committed" and "record written" (a load, pull, commit or import killed half-way) goes.
   * The grace period covers operations that commit data before pinning or recording it; at daemon start, before the
   * API serves anything, nothing is in flight and 0 is right.
   */
  async collectGarbage(opts: { retainLayers?: Iterable<string>; minAgeMs?: number; now?: number } = {}): Promise<{ layers: string[]; blobs: string[] }> {
    const cutoff = (opts.now ?? Date.now()) - (opts.minAgeMs ?? 60_000);
    const all = await this.snap.listLayers();
    const info = new Map<string, { parent: string | null; diffId: string } | undefined>();
    for (const l of all) info.set(l, await this.snap.layerInfo(l));
    // Live layers: referenced, pinned, retained, too young; then everything below them.
    const live = this.referencedLayers();
    for (const l of opts.retainLayers ?? []) live.add(l);
    for (const l of all) {
      if (live.has(l)) continue;
      const created = await this.snap.layerCreated(l);
      if (created !== undefined && created > cutoff) live.add(l);
    }
    for (const l of [...live]) {
      let id = info.get(l)?.parent ?? null;
      for (let guard = 0; id && guard < 1000 && !live.has(id); guard++) {
        live.add(id);
        id = info.get(id)?.parent ?? null;
      }
    }
    const removedLayers: string[] = [];
    let pending = all.filter((l) => !live.has(l));
    while (pending.length) {
      const isParent = new Set(pending.map((l) => info.get(l)?.parent).filter((p): p is string => !!p));
      const leaves = pending.filter((l) => !isParent.has(l));
      if (!leaves.length) break;
      for (const l of leaves) {
        await this.snap.removeLayer(l);
        removedLayers.push(l);
      }
      pending = pending.filter((l) => !leaves.includes(l));
    }
    const liveBlobs = this.referencedBlobs();
    for (const l of live) {
      const d = info.get(l)?.diffId;
      if (d) liveBlobs.add(d);
    }
    const removedBlobs: string[] = [];
    for (const b of await this.content.list()) {
      if (liveBlobs.has(b)) continue;
      const modified = await this.content.modified(b);
      if (modified !== undefined && modified > cutoff) continue;
      await this.content.delete(b);
      removedBlobs.push(b);
    }
    return { layers: removedLayers, blobs: removedBlobs };
  }

  /** Keeps a layer from being collected while an operation (e.g. `docker load`) builds on it; returns the release. */
  pinLayer(chainId: string): () => void {
    return this.pin(chainId);
  }

  /** True when an image record or an in-flight operation uses the layer (or blob, for `blob`). */
  isReferenced(kind: 'layer' | 'blob', digest: string): boolean {
    return (kind === 'layer' ? this.referencedLayers() : this.referencedBlobs()).has(digest);
  }

  private pin(chainId: string): () => void {
    this.pinned.set(chainId, (this.pinned.get(chainId) ?? 0) + 1);
    return () => {
      const n = (this.pinned.get(chainId) ?? 1) - 1;
      if (n <= 0) this.pinned.delete(chainId);
      else this.pinned.set(chainId, n);
    };
  }

  /**
   * `docker import`: a root filesystem tar (plain, gzip, zstd, xz or bzip2) becomes a one-layer image. The
   * uncompressed tar is kept in the content store (for save/push) and unpacked by the snapshotter.
   */
  async importRootfs(input: NodeJS.ReadableStream | Uint8Array, opts: ImportRootfsOptions = {}): Promise<string> {
    // Validate everything cheap before touching the disk.
    const runtimeConfig = applyConfigChanges({}, opts.changes ?? []);
    const tagRef = opts.repoTag !== undefined ? parseReference(opts.repoTag) : undefined;
    if (tagRef?.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');

    let tar: Readable;
    let knownDiffId: string | undefined;
    if (input instanceof Uint8Array) {
      const kind = detectCompression(input);
      // An in-memory plain tar's digest is known up front: an existing layer is then not unpacked again.
      if (kind === 'none') knownDiffId = sha256Digest(input);
      tar = decompressor(kind, Readable.from([Buffer.from(input.buffer, input.byteOffset, input.byteLength)]), opts);
    } else {
      tar = (await maybeDecompress(input, opts)).stream;
    }

    const unpin: (() => void)[] = [];
    if (knownDiffId) unpin.push(this.pin(knownDiffId));
    let chainId: string | undefined;
    let blobDigest: string | undefined;
    try {
      const toLayer = new PassThrough();
      const toBlob = new PassThrough();
      // Each consumer sees failures through its own reads; these listeners only keep a late error from going unhandled.
      toLayer.on('error', () => {});
      toBlob.on('error', () => {});
      let firstError: unknown;
      const abort = (e: unknown) => {
        firstError ??= e;
        const err = e instanceof Error ? e : new Error(String(e));
        tar.destroy(err);
        toLayer.destroy(err);
        toBlob.destroy(err);
      };
      tar.on('error', abort);
      tar.pipe(toLayer);
      tar.pipe(toBlob);
      // If either consumer fails, the other must not wait forever on a paused source.
      const fail = (e: unknown): never => {
        abort(e);
        throw e;
      };
      // Wait for BOTH halves to settle: cleanup must not race a layer commit still in progress.
      const [layerRes, blobRes] = await Promise.allSettled([
        // Record what got committed as soon as it is, so a failure of the other half can undo it.
        this.snap.applyLayer({ parent: null, chainId: knownDiffId, tar: toLayer, signal: opts.signal }).then((l) => {
          // A layer that was already there may sit under a container whose image was force-removed: never undo it.
          if (!l.existed) chainId = l.chainId;
          return l;
        }, fail),
        this.content.ingest(toBlob, { signal: opts.signal }).then((b) => {
          blobDigest = b.digest;
          return b;
        }, fail),
      ]);
      if (layerRes.status === 'rejected') throw firstError ?? layerRes.reason;
      if (blobRes.status === 'rejected') throw firstError ?? blobRes.reason;
      const layer = layerRes.value;
      const blob = blobRes.value;
      if (!knownDiffId) unpin.push(this.pin(layer.chainId));
      if (blob.digest !== layer.diffId) throw internal(`layer digest mismatch: blob ${blob.digest}, unpacked ${layer.diffId}`);

      const created = rfc3339Nano(opts.created ?? new Date());
      const message = opts.message || 'Imported from -';
      const config: OciImageConfig = {
        architecture: ociArchitecture(process.arch),
        comment: message,
        config: runtimeConfig,
        created,
        history: [{ created, comment: message }],
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      };
      const configJson = Buffer.from(JSON.stringify(config));
      const { digest: id } = await this.content.ingest(configJson, { signal: opts.signal });
      opts.signal?.throwIfAborted();
      if (!this.store.get(id)) {
        await this.store.put({ id, config, chainId: layer.chainId, size: layer.size, layerSizes: [layer.size], created: new Date().toISOString(), repoDigests: [] });
      }
      if (tagRef) await this.store.tag(id, tagRef);
      return id;
    } catch (e) {
      await this.cleanupFailedImport(chainId, blobDigest, unpin);
      throw e;
    } finally {
      for (const u of unpin) u();
    }
  }

  private async cleanupFailedImport(chainId: string | undefined, blob: string | undefined, unpin: (() => void)[]): Promise<void> {
    for (const u of unpin.splice(0)) u();
    if (chainId && !this.referencedLayers().has(chainId)) await this.snap.removeLayer(chainId).catch(() => {});
    if (blob && !this.referencedBlobs().has(blob)) await this.content.delete(blob).catch(() => {});
  }
}
