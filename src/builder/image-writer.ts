// Images a build step produces: a new config on top of the parent (metadata-only steps: an `empty_layer: true`
// history entry, no layer), or a layer tar applied on top (RUN, COPY, ADD, WORKDIR creating its directory) through
// the same path as `docker commit` (src/image/commit.ts). Each step's image records its parent (Docker's classic
// builder keeps intermediate images; `docker images` hides untagged ones with children).

import type { Readable } from 'node:stream';
import type { ImageRuntimeConfig } from '../spec/docker-api.ts';
import { ociArchitecture, rfc3339Nano, type ImageHistory, type OciImageConfig } from '../spec/oci-image.ts';
import { commitLayer, type CommitDeps } from '../image/commit.ts';

export interface StepImage {
  parentId: string | null;
  config: ImageRuntimeConfig;
  createdBy: string;
  author?: string;
  /** Platform for images built FROM scratch. */
  platform?: { os: string; architecture: string; variant?: string };
  signal?: AbortSignal;
}

/** A config-only step. */
export async function writeConfigImage(deps: CommitDeps, s: StepImage): Promise<string> {
  const parent = s.parentId ? deps.store.get(s.parentId) : undefined;
  const now = new Date();
  const created = rfc3339Nano(now);
  const entry: ImageHistory = { created, created_by: s.createdBy, empty_layer: true };
  if (s.author) entry.author = s.author;
  const config: OciImageConfig = {
    architecture: parent?.config.architecture ?? s.platform?.architecture ?? ociArchitecture(process.arch),
    ...(parent?.config.variant ? { variant: parent.config.variant } : s.platform?.variant ? { variant: s.platform.variant } : {}),
    os: parent?.config.os ?? s.platform?.os ?? 'linux',
    created,
    ...(s.author ? { author: s.author } : {}),
    config: structuredClone(s.config),
    rootfs: { type: 'layers', diff_ids: [...(parent?.config.rootfs.diff_ids ?? [])] },
    history: [...(parent?.config.history ?? []), entry],
  };
  const { digest: id } = await deps.content.ingest(Buffer.from(JSON.stringify(config)), { signal: s.signal });
  if (!deps.store.get(id)) {
    await deps.store.put({
      id,
      config,
      chainId: parent?.chainId ?? null,
      size: parent?.size ?? 0,
      layerSizes: [...(parent?.layerSizes ?? (parent ? [parent.size] : []))],
      created: now.toISOString(),
      repoDigests: [],
      ...(parent ? { parent: parent.id } : {}),
    });
  }
  return id;
}

/** A step with a layer. */
export async function writeLayerImage(deps: CommitDeps, tar: Readable, s: StepImage): Promise<string> {
  const parent = s.parentId ? deps.store.get(s.parentId) : undefined;
  return commitLayer(deps, tar, {
    parentImageId: s.parentId ?? '',
    parentChainId: parent?.chainId ?? null,
    containerConfig: s.config,
    createdBy: s.createdBy,
    author: s.author,
    signal: s.signal,
  });
}
