// What goes into and comes out of an image archive, without any I/O of its own:
//  - buildSaveLayout: the file set docker 25+ writes for `docker save` (OCI layout + manifest.json + repositories).
//  - planLoad: which config and layer files make up each image of a loaded archive, and under which tags, from a
//    docker-archive manifest.json (current or legacy `<id>/layer.tar` paths) or a plain OCI layout (index.json).

import { isDigest, sha256Digest } from '../base/digest.ts';
import { errorMessage, invalidArgument } from '../base/errors.ts';
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  MEDIA_DOCKER_MANIFEST,
  MEDIA_DOCKER_MANIFEST_LIST,
  MEDIA_OCI_CONFIG,
  MEDIA_OCI_INDEX,
  MEDIA_OCI_LAYER,
  MEDIA_OCI_MANIFEST,
  OCI_LAYOUT_FILE,
  type DockerArchiveManifestItem,
  type OciDescriptor,
  type OciIndex,
  type OciManifest,
} from '../spec/image-archive.ts';
import type { OciImageConfig } from '../spec/oci-image.ts';
import { familiarString, normalizedString, parseReference, type Reference } from '../spec/reference.ts';

// ---- save ---------------------------------------------------------------------------------------------------------

export interface SaveImageInput {
  id: string;
  configSize: number;
  /** Bottom first: the uncompressed layer blobs, named by their diffIDs. */
  layers: { diffId: string; size: number }[];
  /** Tagged references to record for this image (none when saved by id). */
  refs: Reference[];
}

export interface SaveLayout {
  /** Every blob once, sorted by name: from the content store unless `data` is given (generated manifests). */
  blobs: { digest: string; size: number; data?: Buffer }[];
  /** Top-level files, in archive order after blobs/. */
  files: { name: string; data: Buffer }[];
}

const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;

export function buildSaveLayout(images: SaveImageInput[]): SaveLayout {
  const blobs = new Map<string, { digest: string; size: number; data?: Buffer }>();
  const manifestJson: DockerArchiveManifestItem[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const indexManifests: OciDescriptor[] = [];
  for (const img of images) {
    blobs.set(img.id, { digest: img.id, size: img.configSize });
    for (const l of img.layers) blobs.set(l.diffId, { digest: l.diffId, size: l.size });
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_OCI_MANIFEST,
      config: { mediaType: MEDIA_OCI_CONFIG, digest: img.id, size: img.configSize },
      layers: img.layers.map((l) => ({ mediaType: MEDIA_OCI_LAYER, digest: l.diffId, size: l.size })),
    };
    const data = Buffer.from(JSON.stringify(manifest));
    const digest = sha256Digest(data);
    blobs.set(digest, { digest, size: data.length, data });
    const desc = { mediaType: MEDIA_OCI_MANIFEST, digest, size: data.length };
    const repoTags: string[] = [];
    for (const ref of img.refs) {
      repoTags.push(familiarString(ref));
      const top = img.layers.at(-1);
      if (top && ref.tag !== undefined) {
        const name = familiarString({ ...ref, tag: undefined, digest: undefined });
        (repositories[name] ??= {})[ref.tag] = top.diffId.slice('sha256:'.length);
      }
      indexManifests.push({ ...desc, annotations: { [ANNOTATION_IMAGE_NAME]: normalizedString(ref), [ANNOTATION_REF_NAME]: ref.tag ?? '' } });
    }
    if (img.refs.length === 0) indexManifests.push(desc);
    manifestJson.push({
      Config: blobPath(img.id),
      RepoTags: repoTags.length ? repoTags : null,
      Layers: img.layers.map((l) => blobPath(l.diffId)),
    });
  }
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_OCI_INDEX, manifests: indexManifests };
  const files = [
    { name: 'index.json', data: Buffer.from(JSON.stringify(index) + '\n') },
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifestJson) + '\n') },
    { name: 'oci-layout', data: Buffer.from(JSON.stringify(OCI_LAYOUT_FILE)) },
  ];
  if (Object.keys(repositories).length) files.push({ name: 'repositories', data: Buffer.from(JSON.stringify(repositories) + '\n') });
  const sorted = [...blobs.values()].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  return { blobs: sorted, files };
}

export const saveBlobPath = blobPath;

// ---- load ---------------------------------------------------------------------------------------------------------

/** The archive as spooled: look up files by name (symlinks resolved by the caller). */
export interface ArchiveFiles {
  has(name: string): boolean;
  /** Small JSON files only (manifests, configs); the caller caps the size. */
  read(name: string): Promise<Buffer>;
  /** sha256 of the file's bytes as stored in the archive. */
  digestOf(name: string): string | undefined;
}

export interface LoadPlan {
  configPath: string;
  /** Bottom first. */
  layerPaths: string[];
  /** Familiar tagged references ("busybox:latest"). */
  tags: string[];
}

const MAX_IMAGES = 1000;

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (e) {
    throw invalidArgument(`invalid ${what}: ${errorMessage(e)}`, 'invalid_archive');
  }
}

/** A path inside the archive as written in a manifest: relative, no "..", normalized. */
function archivePath(p: unknown, what: string): string {
  if (typeof p !== 'string' || p === '') throw invalidArgument(`invalid ${what} path in manifest`, 'invalid_archive');
  const norm = p.replace(/^(\.\/)+/, '');
  if (norm.startsWith('/') || norm.split('/').some((s) => s === '..' || s === '')) {
    throw invalidArgument(`invalid ${what} path in manifest: ${JSON.stringify(p)}`, 'invalid_archive');
  }
  return norm;
}

/** The digest a path claims by its name (blobs/sha256/<hex>, or a legacy "<hex>.json" config), if any. */
export function digestFromPath(path: string): string | undefined {
  const m = /(?:^|\/)(?:blobs\/sha256\/([a-f0-9]{64})|([a-f0-9]{64})\.json)$/.exec(path);
  const hex = m?.[1] ?? m?.[2];
  return hex ? `sha256:${hex}` : undefined;
}

function familiarTag(s: string): string {
  const ref = parseReference(s);
  if (ref.tag === undefined || ref.digest !== undefined) throw invalidArgument(`invalid tag in archive: ${s}`, 'invalid_archive');
  return familiarString(ref);
}

/** The tag an OCI index entry names: containerd's full image name, else a ref.name that is a whole reference. */
export function tagFromAnnotations(a: Record<string, string> | undefined): string | undefined {
  const full = a?.[ANNOTATION_IMAGE_NAME];
  const refName = a?.[ANNOTATION_REF_NAME];
  for (const candidate of [full, refName && /[:/]/.test(refName) ? refName : undefined]) {
    if (!candidate) continue;
    try {
      const ref = parseReference(candidate);
      if (ref.tag !== undefined && ref.digest === undefined) return familiarString(ref);
    } catch {
      // not a reference: ignore, like docker does for unusable names
    }
  }
  return undefined;
}

function checkDescriptor(d: unknown, what: string): OciDescriptor {
  const o = d as OciDescriptor;
  if (!o || typeof o !== 'object' || typeof o.digest !== 'string' || !isDigest(o.digest) || typeof o.size !== 'number') {
    throw invalidArgument(`invalid ${what} descriptor`, 'invalid_archive');
  }
  return o;
}

export async function planLoad(files: ArchiveFiles, hostArch: string): Promise<LoadPlan[]> {
  if (files.has('manifest.json')) return planDockerArchive(files);
  if (files.has('index.json')) return planOciLayout(files, hostArch);
  throw invalidArgument('invalid archive: it has neither manifest.json nor index.json', 'invalid_archive');
}

async function planDockerArchive(files: ArchiveFiles): Promise<LoadPlan[]> {
  const items = parseJson<unknown>(await files.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(items) || items.length > MAX_IMAGES) throw invalidArgument('invalid manifest.json: not a list', 'invalid_archive');
  return items.map((raw: unknown) => {
    const it = raw as DockerArchiveManifestItem;
    if (!it || typeof it !== 'object' || !Array.isArray(it.Layers)) throw invalidArgument('invalid manifest.json entry', 'invalid_archive');
    const configPath = archivePath(it.Config, 'config');
    const layerPaths = it.Layers.map((l) => archivePath(l, 'layer'));
    for (const p of [configPath, ...layerPaths]) {
      if (!files.has(p)) throw invalidArgument(`invalid archive: ${p} is referenced by manifest.json but missing`, 'invalid_archive');
    }
    const tags = (Array.isArray(it.RepoTags) ? it.RepoTags : []).map((t) => familiarTag(String(t)));
    return { configPath, layerPaths, tags };
  });
}

async function planOciLayout(files: ArchiveFiles, hostArch: string): Promise<LoadPlan[]> {
  const blob = async (d: OciDescriptor): Promise<Buffer> => {
    const path = blobPath(d.digest);
    if (!files.has(path)) throw invalidArgument(`invalid archive: blob ${d.digest} is missing`, 'invalid_archive');
    const data = await files.read(path);
    if (data.length !== d.size) throw invalidArgument(`size mismatch for ${d.digest}: got ${data.length} bytes, expected ${d.size}`, 'invalid_archive');
    return data;
  };
  const plans = new Map<string, LoadPlan>();
  const visit = async (desc: OciDescriptor, tag: string | undefined, depth: number): Promise<void> => {
    if (depth > 4) throw invalidArgument('invalid archive: indexes nested too deeply', 'invalid_archive');
    const mt = desc.mediaType;
    if (mt === MEDIA_OCI_INDEX || mt === MEDIA_DOCKER_MANIFEST_LIST) {
      const idx = parseJson<OciIndex>(await blob(desc), `index ${desc.digest}`);
      const pick = pickPlatform((idx.manifests ?? []).map((m) => checkDescriptor(m, 'manifest')), hostArch);
      if (!pick) throw invalidArgument(`no image for linux/${hostArch} in index ${desc.digest}`, 'invalid_archive');
      return visit(pick, tag, depth + 1);
    }
    if (mt !== MEDIA_OCI_MANIFEST && mt !== MEDIA_DOCKER_MANIFEST) return; // not an image (attestations, artifacts)
    let plan = plans.get(desc.digest);
    if (!plan) {
      const m = parseJson<OciManifest>(await blob(desc), `manifest ${desc.digest}`);
      const config = checkDescriptor(m.config, 'config');
      if (!Array.isArray(m.layers)) throw invalidArgument(`invalid manifest ${desc.digest}: no layers`, 'invalid_archive');
      const layers = m.layers.map((l) => checkDescriptor(l, 'layer'));
      for (const d of [config, ...layers]) {
        const p = blobPath(d.digest);
        if (!files.has(p)) throw invalidArgument(`invalid archive: blob ${d.digest} is missing`, 'invalid_archive');
      }
      plan = { configPath: blobPath(config.digest), layerPaths: layers.map((l) => blobPath(l.digest)), tags: [] };
      plans.set(desc.digest, plan);
    }
    if (tag && !plan.tags.includes(tag)) plan.tags.push(tag);
  };
  const index = parseJson<OciIndex>(await files.read('index.json'), 'index.json');
  if (!index || !Array.isArray(index.manifests) || index.manifests.length > MAX_IMAGES) {
    throw invalidArgument('invalid index.json: no manifests', 'invalid_archive');
  }
  for (const raw of index.manifests) {
    const d = checkDescriptor(raw, 'manifest');
    await visit(d, tagFromAnnotations(d.annotations), 0);
  }
  if (plans.size === 0) throw invalidArgument('invalid archive: index.json names no image manifest', 'invalid_archive');
  return [...plans.values()];
}

function pickPlatform(ms: OciDescriptor[], hostArch: string): OciDescriptor | undefined {
  const images = ms.filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  return images.find((m) => m.platform?.os === 'linux' && m.platform.architecture === hostArch) ?? (images.length === 1 ? images[0] : undefined);
}

/** Checks an image config read from an archive enough to store and run it. */
export function parseLoadedConfig(data: Buffer, layerCount: number): OciImageConfig {
  const c = parseJson<OciImageConfig>(data, 'image config');
  if (!c || typeof c !== 'object' || !c.rootfs || !Array.isArray(c.rootfs.diff_ids) || !c.rootfs.diff_ids.every((d) => typeof d === 'string' && isDigest(d))) {
    throw invalidArgument('invalid image config: rootfs.diff_ids missing or malformed', 'invalid_archive');
  }
  if (c.rootfs.diff_ids.length !== layerCount) {
    throw invalidArgument(`invalid manifest, layers length mismatch: expected ${c.rootfs.diff_ids.length}, got ${layerCount}`, 'invalid_archive');
  }
  if (c.os && c.os !== 'linux') throw invalidArgument(`image operating system "${c.os}" cannot be used on this platform`, 'invalid_archive');
  return c;
}
