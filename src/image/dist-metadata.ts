// Distribution metadata (moby's v2 metadata service, in one file): which compressed blobs (digest, size, media type)
// a layer (diffID) is known by on which registry and in which repositories, and which manifests an image was pulled
// or pushed as. Push uses it to skip blobs a registry has, to mount them across repositories, and to send back the
// very manifest an image was pulled with; pull records it.
//
// On-disk layout (ROOT = the image root, <data-root>/image):
//   ROOT/distribution/state.json          { layers: {diffID: [LayerSource]}, images: {imageId: [ManifestRef]} }
//   ROOT/distribution/manifests/<hex>     manifest bytes as pulled/pushed

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex } from '../base/digest.ts';
import { readJson, writeFileAtomic } from '../sys/atomic-file.ts';

export interface LayerSource {
  digest: string;
  size: number;
  mediaType: string;
  registry: string;
  repos: string[];
}

export interface ManifestRef {
  digest: string;
  mediaType: string;
  registry: string;
  repo: string;
}

interface State {
  layers: Record<string, LayerSource[]>;
  images: Record<string, ManifestRef[]>;
}

export class DistMetadata {
  private readonly dir: string;
  private state: State = { layers: {}, images: {} };
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(root: string) {
    this.dir = join(root, 'distribution');
  }

  static async open(root: string): Promise<DistMetadata> {
    const m = new DistMetadata(root);
    await mkdir(join(m.dir, 'manifests'), { recursive: true });
    const s = await readJson<State>(join(m.dir, 'state.json'));
    if (s && typeof s === 'object') m.state = { layers: s.layers ?? {}, images: s.images ?? {} };
    return m;
  }

  private save(): Promise<void> {
    const p = this.queue.then(() => writeFileAtomic(join(this.dir, 'state.json'), JSON.stringify(this.state)));
    this.queue = p.catch(() => {});
    return p;
  }

  sourcesFor(diffId: string): LayerSource[] {
    return (this.state.layers[diffId] ?? []).map((s) => ({ ...s, repos: [...s.repos] }));
  }

  /** Records that `diffId` is `blob` in registry/repo (most recent first). */
  async addSource(diffId: string, blob: { digest: string; size: number; mediaType: string }, registry: string, repo: string): Promise<void> {
    const list = this.state.layers[diffId] ?? [];
    let s = list.find((x) => x.digest === blob.digest && x.registry === registry);
    if (!s) {
      s = { ...blob, registry, repos: [] };
      list.unshift(s);
    }
    s.mediaType = blob.mediaType;
    s.size = blob.size;
    if (!s.repos.includes(repo)) s.repos.unshift(repo);
    s.repos = s.repos.slice(0, 16);
    this.state.layers[diffId] = list.slice(0, 16);
    await this.save();
  }

  manifestsFor(imageId: string): ManifestRef[] {
    return [...(this.state.images[imageId] ?? [])];
  }

  async addManifest(imageId: string, ref: ManifestRef, body: Buffer): Promise<void> {
    await writeFileAtomic(join(this.dir, 'manifests', digestHex(ref.digest)), body);
    const list = (this.state.images[imageId] ?? []).filter((m) => !(m.digest === ref.digest && m.registry === ref.registry && m.repo === ref.repo));
    list.unshift(ref);
    this.state.images[imageId] = list.slice(0, 32);
    await this.save();
  }

  async readManifest(digest: string): Promise<Buffer | undefined> {
    return readFile(join(this.dir, 'manifests', digestHex(digest))).catch(() => undefined);
  }

  /** Forgets an image's manifests (after rmi). Layer sources stay: they describe blobs, not images. */
  async dropImage(imageId: string): Promise<void> {
    if (!this.state.images[imageId]) return;
    delete this.state.images[imageId];
    await this.save();
  }
}
