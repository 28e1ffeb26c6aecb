// `docker push`: for each tag of the repository (or the one asked for), every layer is either already in the target
// repository (HEAD → "Layer already exists"), mounted from another repository of the same registry it is known in
// (distribution metadata: "Mounted from x"), or compressed with gzip at push time and uploaded (monolithic PUT, or
// PATCH chunks for big blobs). Then the config blob and the manifest: the very manifest the image was pulled with
// when its blobs are the same (same digest after a round trip), else a generated one in the stored format (Docker
// schema2 for local images). gzip output is deterministic, and the diffID → compressed digest mapping is recorded,
// so pushing again is stable.
//
// On-disk layout: ROOT/push-tmp/<random>   gzip spools during a push (swept at open; ROOT = the image root)

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { sha256Digest } from '../base/digest.ts';
import { BerthError, errorMessage, invalidArgument } from '../base/errors.ts';
import { pushScope, pullScope, type Credentials } from '../remotes/auth.ts';
import type { Registries } from '../remotes/registries.ts';
import type { RegistryClient } from '../remotes/registry-client.ts';
import { MEDIA_TYPE } from '../spec/distribution.ts';
import { familiarName, normalizedName, parseReference, type Reference } from '../spec/reference.ts';
import type { DistMetadata, LayerSource } from './dist-metadata.ts';
import type { ImageService } from './image-service.ts';
import { layerProgress, layerStatus, shortId, status, throttled, type ProgressSink } from './progress.ts';

const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPES = {
  docker: { gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip', none: 'application/vnd.docker.image.rootfs.diff.tar' },
  oci: { gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', none: 'application/vnd.oci.image.layer.v1.tar' },
};
const OCI_TO_DOCKER: Record<string, string> = { [LAYER_TYPES.oci.gzip]: LAYER_TYPES.docker.gzip, [LAYER_TYPES.oci.none]: LAYER_TYPES.docker.none };
const DOCKER_TO_OCI: Record<string, string> = { [LAYER_TYPES.docker.gzip]: LAYER_TYPES.oci.gzip, [LAYER_TYPES.docker.none]: LAYER_TYPES.oci.none };

export interface PusherOptions {
  images: ImageService;
  dist: DistMetadata;
  registries: Registries;
  /** Blobs above this size go up in PATCH chunks of this size. Default 64 MiB. */
  chunkSize?: number;
  maxConcurrentUploads?: number;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

export interface PushOptions {
  credentials?: Credentials;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
}

interface BlobDesc {
  mediaType: string;
  digest: string;
  size: number;
}

export class Pusher {
  private readonly o: PusherOptions;
  private readonly tmp: string;

  private constructor(o: PusherOptions) {
    this.o = o;
    this.tmp = join(o.images.content.root, 'push-tmp');
  }

  static async open(o: PusherOptions): Promise<Pusher> {
    const p = new Pusher(o);
    await rm(p.tmp, { recursive: true, force: true });
    await mkdir(p.tmp, { recursive: true, mode: 0o700 });
    return p;
  }

  /** POST /images/{name}/push?tag=: one tag, or every tag of the repository when `tag` is empty. */
  async push(name: string, tag: string | undefined, opts: PushOptions = {}): Promise<void> {
    const say = opts.onProgress ?? (() => {});
    const base = parseReference(name);
    if (base.digest !== undefined) throw invalidArgument('cannot push a digest reference');
    const wantTag = tag || base.tag;
    const store = this.o.images.store;
    const repoName = familiarName(base);
    const tags: { tag: string; id: string }[] = [];
    if (wantTag) {
      const id = store.lookupRef({ ...base, tag: wantTag });
      if (!id) throw new BerthError('not_found', 'image_not_found', `An image does not exist locally with the tag: ${repoName}`);
      tags.push({ tag: wantTag, id });
    } else {
      for (const rec of store.list()) {
        for (const r of store.refsFor(rec.id)) {
          const pr = parseReference(r);
          if (familiarName(pr) === repoName && pr.tag) tags.push({ tag: pr.tag, id: rec.id });
        }
      }
      if (!tags.length) throw new BerthError('not_found', 'image_not_found', `An image does not exist locally with the tag: ${repoName}`);
      tags.sort((a, b) => (a.tag < b.tag ? -1 : 1));
    }
    const remote: Reference = { domain: base.domain, path: base.path };
    const client = this.o.registries.origin(remote.domain, opts.credentials);
    say(status(`The push refers to repository [${normalizedName(remote)}]`));
    for (const t of tags) await this.pushOne(client, remote, t.tag, t.id, say, opts.signal);
  }

  private async pushOne(client: RegistryClient, remote: Reference, tag: string, id: string, say: ProgressSink, signal?: AbortSignal): Promise<void> {
    const images = this.o.images;
    const rec = images.store.get(id)!;
    const diffIds = rec.config.rootfs.diff_ids;
    const scopes = [pushScope(remote.path)];
    const stored = this.o.dist.manifestsFor(id);
    const format: 'docker' | 'oci' = stored[0]?.mediaType === MEDIA_TYPE.ociManifest ? 'oci' : 'docker';

    // Top layer first, as Docker lists them.
    const order = diffIds.map((d, i) => ({ d, i })).reverse();
    for (const { d } of order) say(layerStatus('Preparing', shortId(d)));
    const descs: BlobDesc[] = new Array(diffIds.length);
    const limit = this.o.maxConcurrentUploads ?? 3;
    let next = 0;
    const seen = new Map<string, Promise<BlobDesc>>();
    const worker = async () => {
      while (next < order.length) {
        const { d, i } = order[next++]!;
        // The same layer twice in one image goes up once.
        let p = seen.get(d);
        if (!p) {
          p = this.pushLayer(client, remote, d, format, scopes, say, signal);
          seen.set(d, p);
        }
        descs[i] = await p;
      }
    };
    if (order.length > limit) for (const { d } of order.slice(limit)) say(layerStatus('Waiting', shortId(d)));
    await Promise.all(Array.from({ length: Math.min(limit, order.length) }, worker));

    // Config blob.
    const configInfo = await images.content.info(id);
    if (!configInfo) throw new BerthError('internal', 'config_missing', `image ${id}: its config blob is missing`);
    if ((await client.headBlob(remote.path, id, { scopes, signal })) === undefined) {
      const start = await client.mountOrStart(remote.path, { scopes, signal });
      if (!start.mounted) await client.putBlob(start.location, id, await images.content.readStream(id), configInfo.size, { scopes, signal });
    }
    const config: BlobDesc = { mediaType: format === 'oci' ? OCI_CONFIG : DOCKER_CONFIG, digest: id, size: configInfo.size };

    // The manifest: the pulled one when its blobs are ours, else a new one.
    let body: Buffer | undefined;
    let mediaType: string = format === 'oci' ? MEDIA_TYPE.ociManifest : MEDIA_TYPE.dockerManifest;
    for (const m of stored) {
      const bytes = await this.o.dist.readManifest(m.digest);
      if (!bytes) continue;
      try {
        const j = JSON.parse(bytes.toString('utf8')) as { config?: { digest?: string }; layers?: { digest?: string }[] };
        if (j.config?.digest === id && j.layers?.length === descs.length && j.layers.every((l, i) => l.digest === descs[i]!.digest)) {
          body = bytes;
          mediaType = m.mediaType;
          break;
        }
      } catch {
        // ignore a damaged record
      }
    }
    if (!body) {
      const doc = format === 'oci'
        ? { schemaVersion: 2, mediaType, config, layers: descs }
        : { schemaVersion: 2, mediaType, config, layers: descs };
      body = Buffer.from(JSON.stringify(doc, null, 3));
    }
    const digest = sha256Digest(body);
    await client.putManifest(remote.path, tag, body, mediaType, { scopes, signal });
    await this.o.dist.addManifest(id, { digest, mediaType, registry: remote.domain, repo: remote.path }, body);
    const repoDigest = `${familiarName(remote)}@${digest}`;
    const cur = images.store.get(id);
    if (cur && !cur.repoDigests.includes(repoDigest)) {
      const keep = cur.repoDigests.filter((d) => !d.startsWith(`${familiarName(remote)}@`));
      await images.store.setRepoDigests(id, [...keep, repoDigest]);
    }
    say(status(`${tag}: digest: ${digest} size: ${body.length}`));
    say({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: body.length } });
  }

  private async pushLayer(client: RegistryClient, remote: Reference, diffId: string, format: 'docker' | 'oci', scopes: string[], say: ProgressSink, signal?: AbortSignal): Promise<BlobDesc> {
    const lid = shortId(diffId);
    const dist = this.o.dist;
    const registry = remote.domain;
    const fix = (s: LayerSource): BlobDesc => ({
      digest: s.digest,
      size: s.size,
      mediaType: (format === 'docker' ? OCI_TO_DOCKER[s.mediaType] : DOCKER_TO_OCI[s.mediaType]) ?? s.mediaType,
    });
    const known = dist.sourcesFor(diffId).filter((s) => s.registry === registry);
    // 1. Already in this repository?
    for (const s of known) {
      if ((await client.headBlob(remote.path, s.digest, { scopes, signal })) !== undefined) {
        await dist.addSource(diffId, s, registry, remote.path);
        say(layerStatus('Layer already exists', lid));
        return fix(s);
      }
    }
    // 2. Mount from another repository of the same registry that has it.
    let location: URL | undefined;
    for (const s of known) {
      for (const from of s.repos.filter((r) => r !== remote.path).slice(0, 3)) {
        try {
          const res = await client.mountOrStart(remote.path, { digest: s.digest, from, scopes: [...scopes, pullScope(from)], signal });
          if (res.mounted) {
            await dist.addSource(diffId, s, registry, remote.path);
            say(layerStatus(`Mounted from ${from}`, lid));
            return fix(s);
          }
          location ??= res.location;
        } catch (e) {
          this.o.log?.warn('cross-repository mount failed', { from, digest: s.digest, error: errorMessage(e) });
        }
      }
    }
    // 3. Compress (gzip) and upload.
    const content = this.o.images.content;
    const spool = join(this.tmp, randomBytes(8).toString('hex'));
    try {
      const hash = createHash('sha256');
      const hasher = new Transform({
        transform(chunk: Buffer, _e, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      await pipeline(await content.readStream(diffId), createGzip(), hasher, createWriteStream(spool, { mode: 0o600 }), { signal });
      const digest = `sha256:${hash.digest('hex')}`;
      const size = (await stat(spool)).size;
      const desc: BlobDesc = { mediaType: LAYER_TYPES[format].gzip, digest, size };
      if ((await client.headBlob(remote.path, digest, { scopes, signal })) !== undefined) {
        await dist.addSource(diffId, desc, registry, remote.path);
        say(layerStatus('Layer already exists', lid));
        return desc;
      }
      if (!location) {
        const start = await client.mountOrStart(remote.path, { scopes, signal });
        if (start.mounted) throw new BerthError('internal', 'upload', 'unexpected mount');
        location = start.location;
      }
      let sent = 0;
      const report = throttled((c, t) => say(layerProgress('Pushing', lid, c, t)));
      report(0, size, true);
      const chunkSize = this.o.chunkSize ?? 64 << 20;
      if (size <= chunkSize) {
        const counter = new Transform({
          transform(chunk: Buffer, _e, cb) {
            sent += chunk.length;
            report(sent, size, sent >= size);
            cb(null, chunk);
          },
        });
        const src = createReadStream(spool);
        src.on('error', (e) => counter.destroy(e));
        await client.putBlob(location, digest, src.pipe(counter), size, { scopes, signal });
      } else {
        const fh = await open(spool, 'r');
        try {
          let loc = location;
          while (sent < size) {
            const buf = Buffer.alloc(Math.min(chunkSize, size - sent));
            const { bytesRead } = await fh.read(buf, 0, buf.length, sent);
            loc = await client.patchChunk(loc, buf.subarray(0, bytesRead), sent, { scopes, signal });
            sent += bytesRead;
            report(sent, size, sent >= size);
          }
          await client.finishUpload(loc, digest, { scopes, signal });
        } finally {
          await fh.close();
        }
      }
      await dist.addSource(diffId, desc, registry, remote.path);
      say(layerStatus('Pushed', lid));
      return desc;
    } finally {
      await rm(spool, { force: true });
    }
  }
}
