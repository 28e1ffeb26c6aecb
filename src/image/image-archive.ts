// `docker save`, `docker load` and `docker image prune` on top of ImageService.
//
// save: streams an archive as docker 25+ writes it (see archive-layout.ts) straight from the content store: the
//   config blob and each layer's uncompressed tar exactly as stored at import/load time, so a layer's bytes (and so
//   its diffID) survive a save/load round trip unchanged.
// load: the input (plain, gzip or zstd) is spooled entry by entry into a private temp dir (hashing each file on the
//   way; nothing is held in memory), then each image is registered in ImageService's write order: layer blob (verified
//   against the config's diffID) → unpacked layer (snapshotter, chain id checked) → config blob → record → tags. A
//   plain layer whose spool hash is its diffID is not copied: the spool file becomes the blob (hard link, fsynced)
//   while GNU tar unpacks that same file. A failure removes what this load created and nothing references; a crash
//   leaves only unreferenced data (removed by the daemon's start-up GC, ImageService.collectGarbage), never a record.
//   The spool dir is swept when the daemon opens the service.
//
// On-disk layout: ROOT/load-tmp/<random>/<n>  (ROOT = the content store root, e.g. <data-root>/image)

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { chainIdOf } from '../base/digest.ts';
import { errorMessage, internal, invalidArgument, isBerthError, notFound } from '../base/errors.ts';
import type { ImageDeleteResponseItem } from '../spec/image-api.ts';
import { ociArchitecture } from '../spec/oci-image.ts';
import { familiarName, parseReference, withDefaultTag, type Reference } from '../spec/reference.ts';
import { isSafeEntryName, readTar } from '../store/archive/tar-reader.ts';
import { TAR_TRAILER, tarHeader, tarPadding } from '../store/archive/tar-writer.ts';
import { maybeDecompress } from '../store/diff/decompress.ts';
import type { ImageRecord } from '../store/metadata/image-store.ts';
import { buildSaveLayout, digestFromPath, parseLoadedConfig, planLoad, saveBlobPath, type ArchiveFiles, type LoadPlan, type SaveImageInput } from './archive-layout.ts';
import type { ImageService } from './image-service.ts';

const MAX_JSON = 32 << 20;

export interface LoadOptions {
  quiet?: boolean;
  signal?: AbortSignal;
  /** Each progress line ("Loaded image: busybox:latest\n") as soon as it is known. */
  onMessage?: (line: string) => void;
}

export interface PruneReport {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}

interface SpooledFile {
  path: string;
  size: number;
  digest: string;
}

/** The archive's files as spooled to disk, with symlinks and hard links resolved inside the archive. */
class Spool implements ArchiveFiles {
  readonly dir: string;
  private readonly files = new Map<string, SpooledFile>();
  private readonly links = new Map<string, string>();
  private n = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  async add(name: string, type: string, linkname: string, body: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<void> {
    if (!name) return;
    if (!isSafeEntryName(name)) throw invalidArgument(`invalid archive entry name: ${name}`, 'invalid_archive');
    if (type === '2' || type === '1') {
      // Symlinks are relative to the entry's directory, hard links name an archive path. Anything escaping is dropped.
      const target = posix.normalize(type === '2' ? posix.join(posix.dirname(name), linkname) : linkname.replace(/^(\.\/)+/, ''));
      if (!target.startsWith('/') && !target.startsWith('..')) this.links.set(name, target);
      return;
    }
    if (type !== '0' && type !== '7') return; // directories and anything else carry no archive data we use
    const path = join(this.dir, String(this.n++));
    const hash = createHash('sha256');
    let size = 0;
    const fh = await open(path, 'wx', 0o600);
    // Chunks are batched into ~1 MiB writes with one write in flight, so hashing overlaps the disk.
    let batch: Buffer[] = [];
    let batched = 0;
    let inFlight: Promise<unknown> = Promise.resolve();
    const flush = async () => {
      await inFlight;
      const bufs = batch;
      batch = [];
      batched = 0;
      inFlight = fh.writev(bufs);
    };
    try {
      for await (const chunk of body) {
        signal?.throwIfAborted();
        hash.update(chunk);
        size += chunk.length;
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= 1 << 20) await flush();
      }
      if (batched) await flush();
      await inFlight;
    } finally {
      await inFlight.catch(() => {});
      await fh.close();
    }
    this.links.delete(name);
    this.files.set(name, { path, size, digest: `sha256:${hash.digest('hex')}` });
  }

  resolve(name: string): SpooledFile | undefined {
    let cur = name;
    for (let i = 0; i < 16; i++) {
      const f = this.files.get(cur);
      if (f) return f;
      const next = this.links.get(cur);
      if (next === undefined) return undefined;
      cur = next;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.resolve(name) !== undefined;
  }

  digestOf(name: string): string | undefined {
    return this.resolve(name)?.digest;
  }

  async read(name: string): Promise<Buffer> {
    const f = this.resolve(name);
    if (!f) throw invalidArgument(`invalid archive: ${name} is missing`, 'invalid_archive');
    if (f.size > MAX_JSON) throw invalidArgument(`invalid archive: ${name} is too large`, 'invalid_archive');
    const fh = await open(f.path, 'r');
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }
}

export class ImageArchive {
  private readonly images: ImageService;
  private readonly spoolRoot: string;
  private readonly imageInUse: (id: string) => string | null;

  private constructor(images: ImageService, imageInUse: (id: string) => string | null) {
    this.images = images;
    this.imageInUse = imageInUse;
    this.spoolRoot = join(images.content.root, 'load-tmp');
  }

  /** Sweeps spools left by a crash. */
  static async open(images: ImageService, opts: { imageInUse?: (id: string) => string | null } = {}): Promise<ImageArchive> {
    const a = new ImageArchive(images, opts.imageInUse ?? (() => null));
    await rm(a.spoolRoot, { recursive: true, force: true });
    await mkdir(a.spoolRoot, { recursive: true, mode: 0o700 });
    return a;
  }

  // ---- save -------------------------------------------------------------------------------------------------------

  /** Resolves every name first (a bad one fails before any byte is sent), then returns the archive stream. */
  async save(names: string[]): Promise<Readable> {
    if (names.length === 0) throw invalidArgument('no images specified');
    const store = this.images.store;
    const picked = new Map<string, { rec: ImageRecord; refs: Reference[] }>();
    const add = (rec: ImageRecord, ref?: Reference) => {
      const e = picked.get(rec.id) ?? { rec, refs: [] };
      if (ref && !e.refs.some((r) => r.domain === ref.domain && r.path === ref.path && r.tag === ref.tag)) e.refs.push(ref);
      picked.set(rec.id, e);
    };
    for (const name of names) {
      let ref: Reference | undefined;
      try {
        ref = parseReference(name);
      } catch {
        ref = undefined;
      }
      if (ref && ref.tag === undefined && ref.digest === undefined) {
        // A bare repository name saves every tag of it (docker's IsNameOnly rule).
        const repo = familiarName(ref);
        let found = false;
        for (const rec of store.list()) {
          for (const t of store.refsFor(rec.id)) {
            const tr = parseReference(t);
            if (familiarName(tr) === repo) {
              add(rec, tr);
              found = true;
            }
          }
        }
        if (found) continue;
      }
      const rec = store.resolve(name);
      if (ref && ref.digest === undefined && store.lookupRef(ref) === rec.id) add(rec, withDefaultTag(ref));
      else add(rec);
    }
    const inputs: SaveImageInput[] = [];
    let mtime = 0;
    for (const { rec, refs } of picked.values()) {
      const config = await this.images.content.info(rec.id);
      if (!config) throw internal(`image ${rec.id}: its config blob is missing from the content store`);
      const layers = [];
      for (const diffId of rec.config.rootfs.diff_ids) {
        const info = await this.images.content.info(diffId);
        if (!info) throw notFound(`image ${rec.id}: layer ${diffId} has no stored tar; it cannot be saved`, 'layer_not_found');
        layers.push({ diffId, size: info.size });
      }
      inputs.push({ id: rec.id, configSize: config.size, layers, refs });
      mtime = Math.max(mtime, Math.floor(Date.parse(rec.config.created ?? '') / 1000) || 0);
    }
    const layout = buildSaveLayout(inputs);
    const content = this.images.content;
    async function* generate(): AsyncGenerator<Buffer> {
      yield tarHeader({ name: 'blobs', type: 'dir', mtime });
      yield tarHeader({ name: 'blobs/sha256', type: 'dir', mtime });
      for (const b of layout.blobs) {
        yield tarHeader({ name: saveBlobPath(b.digest), type: 'file', size: b.size, mode: 0o444, mtime });
        if (b.data) yield b.data;
        else {
          let sent = 0;
          for await (const chunk of await content.readStream(b.digest)) {
            sent += (chunk as Buffer).length;
            if (sent > b.size) break;
            yield chunk as Buffer;
          }
          if (sent !== b.size) throw internal(`blob ${b.digest} changed while being saved`);
        }
        yield tarPadding(b.size);
      }
      for (const f of layout.files) {
        yield tarHeader({ name: f.name, type: 'file', size: f.data.length, mtime });
        yield f.data;
        yield tarPadding(f.data.length);
      }
      yield TAR_TRAILER;
    }
    return Readable.from(generate(), { objectMode: false });
  }

  // ---- load -------------------------------------------------------------------------------------------------------

  /** Returns the progress lines (also given to onMessage as they happen). */
  async load(input: NodeJS.ReadableStream, opts: LoadOptions = {}): Promise<string[]> {
    const lines: string[] = [];
    const say = (line: string) => {
      lines.push(line);
      opts.onMessage?.(line);
    };
    const dir = join(this.spoolRoot, randomBytes(8).toString('hex'));
    await mkdir(dir, { mode: 0o700 });
    try {
      const spool = new Spool(dir);
      const { stream } = await maybeDecompress(input, opts);
      await readTar(stream, (h, body) => spool.add(h.name, h.type, h.linkname, body, opts.signal), { signal: opts.signal, drainOnError: true });
      const plans = await planLoad(spool, ociArchitecture(process.arch));
      for (const plan of plans) await this.loadOne(spool, plan, say, opts.signal);
      return lines;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async loadOne(spool: Spool, plan: LoadPlan, say: (line: string) => void, signal?: AbortSignal): Promise<void> {
    const content = this.images.content;
    const snap = this.images.snapshotter;
    const createdBlobs: string[] = [];
    const createdLayers: string[] = [];
    const unpin: (() => void)[] = [];
    const checkClaim = (path: string) => {
      const claimed = digestFromPath(path);
      const actual = spool.digestOf(path);
      if (claimed && actual !== claimed) {
        throw invalidArgument(`invalid archive: digest mismatch for ${path}: content is ${actual}`, 'digest_mismatch');
      }
    };
    try {
      checkClaim(plan.configPath);
      const configData = await spool.read(plan.configPath);
      const config = parseLoadedConfig(configData, plan.layerPaths.length);
      let parent: string | null = null;
      const sizes: number[] = [];
      for (const [i, path] of plan.layerPaths.entries()) {
        signal?.throwIfAborted();
        const diffId = config.rootfs.diff_ids[i]!;
        const chainId = chainIdOf(parent, diffId);
        unpin.push(this.images.pinLayer(chainId));
        checkClaim(path);
        // The uncompressed tar is kept (by diffID) so `save` can stream it back byte for byte.
        const file = spool.resolve(path)!;
        const needBlob = !(await content.has(diffId));
        const needLayer = !(await snap.hasLayer(chainId));
        const apply = async (tar: NodeJS.ReadableStream | { file: string }) => {
          let applied;
          try {
            applied = await snap.applyLayer({ parent, chainId, tar, signal });
          } catch (e) {
            if (signal?.aborted) throw e;
            throw invalidArgument(`failed to register layer: ${layerErrorText(errorMessage(e))}`, 'invalid_layer');
          }
          if (!applied.existed) createdLayers.push(chainId);
        };
        if (needBlob && file.digest === diffId) {
          // A plain layer, hashed while spooled: the spool file becomes the blob (hard link, fsynced) while the same
          // bytes are unpacked, instead of copying 100s of MB once more before unpacking them.
          const [b, l] = await Promise.allSettled([
            content.adopt(file.path, { digest: diffId, size: file.size }).then(() => void createdBlobs.push(diffId)),
            needLayer ? apply({ file: file.path }) : Promise.resolve(),
          ]);
          if (b.status === 'rejected') throw b.reason;
          if (l.status === 'rejected') throw l.reason;
        } else {
          if (needBlob) {
            const { stream } = await maybeDecompress(createReadStream(file.path), { signal });
            try {
              await content.ingest(stream, { expected: { digest: diffId }, signal });
            } catch (e) {
              if (isBerthError(e, 'invalid_argument')) throw invalidArgument(`invalid diffID for layer ${i}: ${e.message}`, 'digest_mismatch');
              throw e;
            }
            createdBlobs.push(diffId);
          }
          if (needLayer) await apply(await content.readStream(diffId));
        }
        sizes.push((await snap.layerInfo(chainId))?.size ?? 0);
        parent = chainId;
      }
      const { digest: id } = await content.ingest(configData, { signal });
      if (!createdBlobs.includes(id)) createdBlobs.push(id);
      signal?.throwIfAborted();
      if (!this.images.store.get(id)) {
        await this.images.store.put({
          id,
          config,
          chainId: parent,
          size: sizes.reduce((a, b) => a + b, 0),
          layerSizes: sizes,
          created: new Date().toISOString(),
          repoDigests: [],
        });
      }
      for (const tag of plan.tags) {
        const previous = await this.images.store.tag(id, parseReference(tag));
        if (previous && previous !== id) {
          say(`The image ${tag} already exists, renaming the old one with ID ${previous} to empty string\n`);
        }
      }
      if (plan.tags.length) for (const tag of plan.tags) say(`Loaded image: ${tag}\n`);
      else say(`Loaded image ID: ${id}\n`);
    } catch (e) {
      for (const u of unpin.splice(0)) u();
      for (const chainId of createdLayers.reverse()) {
        if (!this.images.isReferenced('layer', chainId)) await snap.removeLayer(chainId).catch(() => {});
      }
      for (const blob of createdBlobs) {
        if (!this.images.isReferenced('blob', blob)) await content.delete(blob).catch(() => {});
      }
      throw e;
    } finally {
      for (const u of unpin) u();
    }
  }

  // ---- prune ------------------------------------------------------------------------------------------------------

  /** POST /images/prune: dangling images by default; `dangling=false` every image no container uses. */
  async prune(filtersJson?: string): Promise<PruneReport> {
    const f = parsePruneFilters(filtersJson);
    const store = this.images.store;
    const snap = this.images.snapshotter;
    const sizesBefore = new Map<string, number>();
    for (const l of await snap.listLayers()) sizesBefore.set(l, (await snap.layerInfo(l))?.size ?? 0);
    const deleted: ImageDeleteResponseItem[] = [];
    for (const rec of store.list()) {
      const refs = store.refsFor(rec.id);
      if (f.danglingOnly && refs.length > 0) continue;
      if (this.imageInUse(rec.id)) continue;
      if (store.children(rec.id).length) continue;
      const created = Date.parse(rec.config.created ?? '') || 0;
      if (f.until !== undefined && !(created < f.until)) continue;
      const labels = rec.config.config?.Labels ?? {};
      if (!f.labels.every((l) => labelMatches(labels, l))) continue;
      if (f.notLabels.some((l) => labelMatches(labels, l))) continue;
      const targets = !f.danglingOnly && refs.length ? refs : [rec.id];
      for (const t of targets) {
        try {
          deleted.push(...(await this.images.remove(t, { imageInUse: this.imageInUse })));
        } catch (e) {
          // Docker skips images it may not delete (in use, conflicts) and goes on.
          if (!isBerthError(e, 'conflict') && !isBerthError(e, 'not_found')) throw e;
        }
      }
    }
    const after = new Set(await snap.listLayers());
    let space = 0;
    for (const [l, size] of sizesBefore) if (!after.has(l)) space += size;
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
  }
}

interface PruneFilters {
  danglingOnly: boolean;
  until?: number;
  labels: string[];
  notLabels: string[];
}

const PRUNE_FILTERS = new Set(['dangling', 'until', 'label', 'label!']);

export function parsePruneFilters(json: string | undefined, now = Date.now()): PruneFilters {
  const out: PruneFilters = { danglingOnly: true, labels: [], notLabels: [] };
  if (!json) return out;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw invalidArgument(`invalid filter: ${json}`);
  }
  if (typeof raw !== 'object' || raw === null) throw invalidArgument(`invalid filter: ${json}`);
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!PRUNE_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
    const values = Array.isArray(v) ? v.map(String) : typeof v === 'object' && v !== null ? Object.keys(v) : [String(v)];
    if (k === 'dangling') {
      for (const d of values) {
        const low = d.toLowerCase();
        if (!['true', 'false', '1', '0'].includes(low)) throw invalidArgument(`invalid filter 'dangling=${d}'`);
        out.danglingOnly = low === 'true' || low === '1';
      }
    } else if (k === 'until') {
      if (values.length > 1) throw invalidArgument('more than one until filter specified');
      if (values[0] !== undefined) out.until = untilMs(values[0], now);
    } else if (k === 'label') out.labels.push(...values);
    else out.notLabels.push(...values);
  }
  return out;
}

function untilMs(v: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (d) return now - Number(d[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 'ms' | 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}

/** GNU tar's complaint without the command line and its boilerplate: one line for the user. */
function layerErrorText(message: string): string {
  const m = /: exit status \d+: ([\s\S]*)$/.exec(message);
  if (!m) return message.replace(/\s*\n\s*/g, '; ');
  const lines = m[1]!.split('\n').map((l) => l.trim()).filter((l) => l && !/Exiting with failure status|Removing leading/.test(l));
  return lines.join('; ') || message.replace(/\s*\n\s*/g, '; ');
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
