// GET /system/df: layers counted once however many images share them (moby daemon/disk_usage.go), containers'
// writable layers (SizeRw) and SizeRootFs = image + SizeRw, per-image container counts and shared sizes.
import { chainIds } from '../base/digest.ts';
import type { ContainerSummary } from '../spec/docker-api.ts';
import type { DiskUsage, DiskUsageImage, DiskUsageVolume } from '../spec/stats-api.ts';
import type { ImageRecord } from '../store/metadata/image-store.ts';
import type { ContainerRecord } from './container-record.ts';

export interface DiskUsageDeps {
  images(): ImageRecord[];
  imageSummaries(): { Id: string; RepoTags: string[] | null; RepoDigests: string[] | null; Created: number; Labels: Record<string, string> | null; ParentId: string }[];
  containers(): ContainerRecord[];
  summary(rec: ContainerRecord): ContainerSummary;
  /** Bytes in the container's writable layer. */
  usage(id: string): Promise<number>;
  volumes?(): Promise<DiskUsageVolume[]>;
}

/** Each image's layers as (chain id, size), bottom first. */
function layersOf(rec: ImageRecord): { chain: string; size: number }[] {
  const diffIds = rec.config.rootfs?.diff_ids ?? [];
  const chains = chainIds(diffIds);
  const sizes = rec.layerSizes ?? (chains.length === 1 ? [rec.size] : []);
  return chains.map((chain, i) => ({ chain, size: sizes[i] ?? (i === chains.length - 1 ? Math.max(0, rec.size - sizes.reduce((a, b) => a + b, 0)) : 0) }));
}

export async function containerSize(deps: Pick<DiskUsageDeps, 'images' | 'usage'>, rec: ContainerRecord): Promise<{ SizeRw: number; SizeRootFs: number }> {
  const rw = await deps.usage(rec.Id).catch(() => 0);
  const image = deps.images().find((i) => i.id === rec.Image);
  return { SizeRw: rw, SizeRootFs: rw + (image?.size ?? 0) };
}

export async function diskUsage(deps: DiskUsageDeps, opts: { types?: string[] } = {}): Promise<DiskUsage> {
  const want = (t: string) => !opts.types?.length || opts.types.includes(t);
  const images = deps.images();
  const recs = deps.containers();
  const refCount = new Map<string, number>();
  const layerSize = new Map<string, number>();
  const perImage = new Map<string, { chain: string; size: number }[]>();
  for (const img of images) {
    const layers = layersOf(img);
    perImage.set(img.id, layers);
    for (const l of new Set(layers.map((x) => x.chain))) refCount.set(l, (refCount.get(l) ?? 0) + 1);
    for (const l of layers) layerSize.set(l.chain, l.size);
  }
  const out: DiskUsage = { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] };
  if (want('image')) {
    out.LayersSize = [...layerSize.values()].reduce((a, b) => a + b, 0);
    const summaries = new Map(deps.imageSummaries().map((s) => [s.Id, s]));
    out.Images = images.map((img): DiskUsageImage => {
      const shared = (perImage.get(img.id) ?? []).filter((l) => (refCount.get(l.chain) ?? 0) > 1).reduce((a, l) => a + l.size, 0);
      const s = summaries.get(img.id);
      return {
        Id: img.id,
        ParentId: s?.ParentId ?? '',
        RepoTags: s?.RepoTags ?? [],
        RepoDigests: s?.RepoDigests ?? [],
        Created: s?.Created ?? 0,
        Size: img.size,
        SharedSize: shared,
        Labels: s?.Labels ?? null,
        Containers: recs.filter((c) => c.Image === img.id).length,
      };
    }).sort((a, b) => b.Created - a.Created);
  }
  if (want('container')) {
    out.Containers = await Promise.all(recs.map(async (rec) => ({ ...deps.summary(rec), ...(await containerSize(deps, rec)) })));
  }
  if (want('volume') && deps.volumes) out.Volumes = await deps.volumes();
  return out;
}

/** Bytes of regular files under `dir` (symlinks not followed): a volume's UsageData.Size. */
export async function dirUsage(dir: string): Promise<number> {
  const { readdir, lstat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let total = 0;
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  for (const e of entries) {
    const st = await lstat(join(dir, e)).catch(() => null);
    if (st?.isFile()) total += st.size;
  }
  return total;
}

/** Containers referring to a named volume (Binds "name:/path" or Mounts of type volume). */
export function volumeRefCount(recs: ContainerRecord[], name: string): number {
  return recs.filter((r) =>
    (r.HostConfig.Binds ?? []).some((b) => b.split(':')[0] === name) ||
    (r.HostConfig.Mounts ?? []).some((m) => m.Type === 'volume' && m.Source === name),
  ).length;
}
