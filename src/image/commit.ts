// `docker commit`: a new image = the parent image's layers + one layer (a tar stream of the container's changes),
// config from the container's merged config plus --change instructions, one history entry appended.
// Write order (as for every new image, see image-service.ts): the layer is applied through the snapshotter on top of
// the parent's chain and its tar stored in the content store, then the config blob, then the record, then the tag.
// A failure removes what this commit added; a kill -9 leaves at worst an unreferenced layer or blob, never a record
// pointing at something missing.

import { PassThrough, type Readable } from 'node:stream';
import { sha256Digest } from '../base/digest.ts';
import { internal, invalidArgument, notFound } from '../base/errors.ts';
import type { ImageRuntimeConfig } from '../spec/docker-api.ts';
import { ociArchitecture, rfc3339Nano, type ImageHistory, type OciImageConfig } from '../spec/oci-image.ts';
import { parseReference } from '../spec/reference.ts';
import type { ContentStore } from '../store/content/content-store.ts';
import type { ImageStore } from '../store/metadata/image-store.ts';
import type { Snapshotter } from '../store/snapshot/snapshotter.ts';
import { applyConfigChanges } from './config-changes.ts';

/** sha256 of an empty tar (two zero blocks): a commit without changes adds no layer (Docker's empty_layer). */
export const EMPTY_LAYER_DIFF_ID = sha256Digest(Buffer.alloc(1024));

export interface CommitLayerOptions {
  /** The image the container was created from (may have been force-removed meanwhile). */
  parentImageId: string;
  /** Chain id the container's writable layer sits on (null: no layers). */
  parentChainId: string | null;
  /** The container's runtime config, already merged with its image's. */
  containerConfig: ImageRuntimeConfig;
  /** Dockerfile instructions applied last (`--change`). */
  changes?: string[];
  comment?: string;
  author?: string;
  /** History created_by: the container's command. */
  createdBy: string;
  repoTag?: string;
  signal?: AbortSignal;
}

export interface CommitDeps {
  content: ContentStore;
  store: ImageStore;
  snapshotter: Snapshotter;
}

const RUNTIME_KEYS = [
  'User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck',
  'OnBuild', 'Shell', 'ArgsEscaped',
] as const;

function imageConfigFrom(c: ImageRuntimeConfig): ImageRuntimeConfig {
  const out: Record<string, unknown> = {};
  for (const k of RUNTIME_KEYS) if (c[k] !== undefined && c[k] !== null) out[k] = structuredClone(c[k]);
  return out as ImageRuntimeConfig;
}

/** The diff ids of a layer chain, bottom first, read from the snapshotter (works after the image was removed). */
async function diffIdsOf(snap: Snapshotter, chainId: string | null): Promise<string[]> {
  const out: string[] = [];
  for (let id = chainId; id !== null; ) {
    const info = await snap.layerInfo(id);
    if (!info) throw notFound(`layer ${id} does not exist`, 'layer_not_found');
    out.push(info.diffId);
    id = info.parent;
    if (out.length > 500) throw invalidArgument('layer chain too deep');
  }
  return out.reverse();
}

/** Applies `layerTar` on top of the parent and records the new image. Returns its id. */
export async function commitLayer(deps: CommitDeps, layerTar: Readable, opts: CommitLayerOptions): Promise<string> {
  const runtimeConfig = applyConfigChanges(imageConfigFrom(opts.containerConfig), opts.changes ?? []);
  const tagRef = opts.repoTag ? parseReference(opts.repoTag) : undefined;
  if (tagRef?.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
  const parentRec = deps.store.get(opts.parentImageId);
  const parentDiffIds = parentRec ? [...parentRec.config.rootfs.diff_ids] : await diffIdsOf(deps.snapshotter, opts.parentChainId);

  let newChain: string | undefined;
  let newBlob: string | undefined;
  try {
    const toLayer = new PassThrough();
    const toBlob = new PassThrough();
    toLayer.on('error', () => {});
    toBlob.on('error', () => {});
    let firstError: unknown;
    const abort = (e: unknown) => {
      firstError ??= e;
      const err = e instanceof Error ? e : new Error(String(e));
      layerTar.destroy(err);
      toLayer.destroy(err);
      toBlob.destroy(err);
    };
    layerTar.on('error', abort);
    layerTar.pipe(toLayer);
    layerTar.pipe(toBlob);
    const fail = (e: unknown): never => {
      abort(e);
      throw e;
    };
    const [layerRes, blobRes] = await Promise.allSettled([
      deps.snapshotter.applyLayer({ parent: opts.parentChainId, tar: toLayer, signal: opts.signal }).then((l) => {
        if (!l.existed) newChain = l.chainId;
        return l;
      }, fail),
      deps.content.ingest(toBlob, { signal: opts.signal }).then((b) => {
        newBlob = b.digest;
        return b;
      }, fail),
    ]);
    if (layerRes.status === 'rejected') throw firstError ?? layerRes.reason;
    if (blobRes.status === 'rejected') throw firstError ?? blobRes.reason;
    const layer = layerRes.value;
    if (blobRes.value.digest !== layer.diffId) throw internal(`layer digest mismatch: blob ${blobRes.value.digest}, unpacked ${layer.diffId}`);
    const empty = layer.diffId === EMPTY_LAYER_DIFF_ID;

    const now = new Date();
    const created = rfc3339Nano(now);
    const history: ImageHistory[] = [...(parentRec?.config.history ?? [])];
    const entry: ImageHistory = { created, created_by: opts.createdBy };
    if (opts.author) entry.author = opts.author;
    if (opts.comment) entry.comment = opts.comment;
    if (empty) entry.empty_layer = true;
    history.push(entry);
    const config: OciImageConfig = {
      architecture: parentRec?.config.architecture ?? ociArchitecture(process.arch),
      ...(parentRec?.config.variant ? { variant: parentRec.config.variant } : {}),
      os: parentRec?.config.os ?? 'linux',
      created,
      ...(opts.author ? { author: opts.author } : {}),
      ...(opts.comment ? { comment: opts.comment } : {}),
      config: runtimeConfig,
      rootfs: { type: 'layers', diff_ids: empty ? parentDiffIds : [...parentDiffIds, layer.diffId] },
      history,
    };
    const chainId = empty ? opts.parentChainId : layer.chainId;
    const { digest: id } = await deps.content.ingest(Buffer.from(JSON.stringify(config)), { signal: opts.signal });
    opts.signal?.throwIfAborted();
    const parentSizes = parentRec?.layerSizes ?? (parentRec ? [parentRec.size] : []);
    const layerSizes = empty ? parentSizes : [...parentSizes, layer.size];
    if (!deps.store.get(id)) {
      await deps.store.put({
        id,
        config,
        chainId,
        size: layerSizes.reduce((a, b) => a + b, 0),
        layerSizes,
        created: now.toISOString(),
        repoDigests: [],
        ...(parentRec ? { parent: parentRec.id } : {}),
      });
    }
    if (tagRef) await deps.store.tag(id, tagRef);
    // The empty layer itself is not referenced by the image: drop it unless something else uses it.
    if (empty && newChain) {
      await deps.snapshotter.removeLayer(newChain).catch(() => {});
      newChain = undefined;
    }
    return id;
  } catch (e) {
    if (newChain) await deps.snapshotter.removeLayer(newChain).catch(() => {});
    if (newBlob && !deps.store.list().some((r) => r.config.rootfs.diff_ids.includes(newBlob!))) {
      await deps.content.delete(newBlob).catch(() => {});
    }
    throw e;
  }
}
