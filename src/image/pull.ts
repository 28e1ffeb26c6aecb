// `docker pull`: resolve the manifest (index → platform), fetch config and layers (3 downloads at a time, daemon
// wide), verify every blob by digest while streaming, decompress each layer into the content store by its diffID
// (verified against the config), apply layers in order through the snapshotter, then write the record and the tag
// (ImageService's write order: blobs → layers → config → record → tags).
//
// Single flight: one download per compressed digest in the whole daemon; every pull that needs it waits on the same
// flight and sees its progress. Resume: bytes go to the content store's partial area keyed by digest (partial-blobs.ts)
// and survive cancel and restart; the next attempt continues with `Range: bytes=N-`. Each blob is retried with
// backoff on network errors (never on a digest mismatch).

import { chainIdOf, sha256Digest } from '../base/digest.ts';
import { BerthError, errorMessage, invalidArgument, isBerthError } from '../base/errors.ts';
import { KeyedMutex } from '../base/keyed-mutex.ts';
import type { Credentials } from '../remotes/auth.ts';
import { pullScope } from '../remotes/auth.ts';
import { DOCKER_HUB } from '../remotes/hosts.ts';
import type { Registries } from '../remotes/registries.ts';
import { isRegistryError, type RegistryClient } from '../remotes/registry-client.ts';
import { MEDIA_TYPE, isIndexMediaType, parseManifest, ManifestError, type Descriptor, type ImageIndex } from '../spec/distribution.ts';
import { ociArchitecture, type OciImageConfig } from '../spec/oci-image.ts';
import { familiarName, familiarString, parseReference, type Reference } from '../spec/reference.ts';
import type { PartialBlobs } from '../store/content/partial-blobs.ts';
import { maybeDecompress } from '../store/diff/decompress.ts';
import type { DistMetadata } from './dist-metadata.ts';
import type { ImageService } from './image-service.ts';
import { layerProgress, layerStatus, shortId, status, throttled, type ProgressSink } from './progress.ts';

export const MANIFEST_ACCEPT = [MEDIA_TYPE.ociIndex, MEDIA_TYPE.dockerManifestList, MEDIA_TYPE.ociManifest, MEDIA_TYPE.dockerManifest];

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PullerOptions {
  images: ImageService;
  dist: DistMetadata;
  partials: PartialBlobs;
  registries: Registries;
  /** The daemon's platform (default linux/<node arch>). */
  platform?: Platform;
  maxConcurrentDownloads?: number;
  /** Attempts per blob (network errors) and the first backoff; doubles each time. */
  attempts?: number;
  backoffMs?: number;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void; debug(msg: string, fields?: Record<string, unknown>): void };
}

export interface PullOptions {
  credentials?: Credentials;
  /** "linux/amd64", "linux/arm64/v8". */
  platform?: string;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
}

export interface PullResult {
  id: string;
  /** Manifest digest. */
  digest: string;
  /** Local name it was tagged as (familiar), e.g. "busybox:latest" or "x@sha256:..". */
  name: string;
  upToDate: boolean;
}

type FlightEvent = { kind: 'status'; status: string } | { kind: 'progress'; current: number; total: number };

/** One download (+ decompression into the diffID blob) shared by every pull that needs the same digest. */
class Flight {
  readonly digest: string;
  readonly promise: Promise<void>;
  private readonly listeners = new Set<(e: FlightEvent) => void>();
  private last: FlightEvent | undefined;
  private waiters = 0;
  readonly ac = new AbortController();

  constructor(digest: string, run: (f: Flight) => Promise<void>) {
    this.digest = digest;
    this.promise = Promise.resolve().then(() => run(this));
    this.promise.catch(() => {});
  }

  emit(e: FlightEvent): void {
    this.last = e;
    for (const l of this.listeners) l(e);
  }

  /** Joins the flight; leaving (abort) of the last waiter cancels the download (partial bytes are kept). */
  join(listener: (e: FlightEvent) => void, signal?: AbortSignal): Promise<void> {
    this.waiters++;
    this.listeners.add(listener);
    if (this.last) listener(this.last);
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.listeners.delete(listener);
      if (--this.waiters === 0) this.ac.abort(new Error('pull cancelled'));
    };
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        leave();
        reject(signal!.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.promise.then(
        () => {
          signal?.removeEventListener('abort', onAbort);
          this.listeners.delete(listener);
          left = true;
          resolve();
        },
        (e) => {
          signal?.removeEventListener('abort', onAbort);
          this.listeners.delete(listener);
          left = true;
          reject(e);
        },
      );
    });
  }
}

class Semaphore {
  private free: number;
  private readonly queue: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  tryAcquire(): boolean {
    if (this.free > 0) {
      this.free--;
      return true;
    }
    return false;
  }
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.queue.indexOf(go);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal!.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(go);
    });
  }
  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('aborted'));
    }, { once: true });
  });

export function parsePlatform(s: string | undefined, fallback: Platform): Platform {
  if (!s) return fallback;
  const [os, architecture, variant] = s.toLowerCase().split('/');
  if (!os || !architecture) {
    // "arm64" alone means the daemon's OS.
    if (os && !architecture) return { os: fallback.os, architecture: os };
    throw invalidArgument(`"${s}": unknown operating system or architecture: invalid argument`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

const platformText = (p: Platform) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;

/** Chooses a manifest for `want` from an index (exact variant first, then any variant of the architecture). */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  if (want.variant) return candidates.find((m) => m.platform!.variant === want.variant);
  const defaults: Record<string, string> = { arm64: 'v8', arm: 'v7' };
  return candidates.find((m) => !m.platform!.variant || m.platform!.variant === defaults[want.architecture]) ?? candidates[0];
}

/** Whether a failure is worth another attempt (network trouble, 5xx, 429), not a verdict (digest, 4xx). */
function retryable(e: unknown): boolean {
  if (isRegistryError(e)) return e.status === 0 || e.status === 429 || e.status >= 500;
  if (isBerthError(e)) return false;
  return true; // socket errors while streaming the body
}

/** What Docker says when the registry refuses a pull. */
function pullError(e: unknown, ref: Reference, shown: string): unknown {
  if (!isRegistryError(e)) return e;
  if (e.registryCode === 'MANIFEST_UNKNOWN') {
    return new BerthError('not_found', 'manifest_unknown', `manifest for ${shown} not found: ${e.message}`);
  }
  if (['NAME_UNKNOWN', 'DENIED', 'UNAUTHORIZED', 'NOT_FOUND'].includes(e.registryCode) || e.status === 401 || e.status === 403 || e.status === 404) {
    return new BerthError('not_found', 'pull_access_denied', `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${e.message}`);
  }
  return e;
}

export class Puller {
  private readonly o: PullerOptions;
  private readonly flights = new Map<string, Flight>();
  private readonly downloads: Semaphore;
  private readonly layerLocks = new KeyedMutex();
  readonly platform: Platform;
  /** GET counts per blob digest, for tests and diagnostics. */
  readonly fetchCount = new Map<string, number>();

  constructor(o: PullerOptions) {
    this.o = o;
    this.downloads = new Semaphore(o.maxConcurrentDownloads ?? 3);
    this.platform = o.platform ?? { os: 'linux', architecture: ociArchitecture(process.arch) };
  }

  /**
   * The remote repository for a local reference: a configured default registry stands in for docker.io (clients
   * send "docker.io/library/x" for a bare "x", so the two cannot be told apart); library/ is dropped there.
   */
  remoteFor(ref: Reference): Reference {
    const def = this.o.registries.defaultRegistry;
    if (ref.domain !== DOCKER_HUB || def === DOCKER_HUB) return ref;
    return { ...ref, domain: def, path: ref.path.replace(/^library\//, '') };
  }

  async pull(name: string, opts: PullOptions = {}): Promise<PullResult> {
    const say = opts.onProgress ?? (() => {});
    const ref = parseReference(name);
    if (ref.tag === undefined && ref.digest === undefined) ref.tag = 'latest';
    const remote = this.remoteFor(ref);
    const shown = familiarString(ref);
    const want = parsePlatform(opts.platform, this.platform);
    const scopes = [pullScope(remote.path)];
    const clients = this.o.registries.pullClients(remote.domain, opts.credentials);

    // Manifest: mirrors first, then the origin; the client that answered serves the blobs (origin as fallback).
    let resolved: { client: RegistryClient; body: Buffer; mediaType: string; digest: string } | undefined;
    let firstError: unknown;
    for (const client of clients) {
      try {
        resolved = { client, ...(await this.resolveManifest(client, remote, want, scopes, opts.signal)) };
        break;
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        if (client.endpoint.mirror) {
          this.o.log?.warn('mirror failed, trying the next endpoint', { mirror: client.endpoint.base, error: errorMessage(e) });
          continue;
        }
        firstError = e;
      }
    }
    if (!resolved) throw pullError(firstError, ref, shown);
    const blobClients = [resolved.client, ...clients.slice(clients.indexOf(resolved.client) + 1)];

    let manifest;
    try {
      manifest = parseManifest(resolved.body, resolved.mediaType);
    } catch (e) {
      if (e instanceof ManifestError) throw invalidArgument(`invalid manifest for ${shown}: ${e.message}`, 'manifest_invalid');
      throw e;
    }
    const configDesc = manifest.blobs[0]!;
    const layers = manifest.blobs.slice(1);
    say(status(`Pulling from ${remote.path}`, ref.digest ?? ref.tag));

    // Config first (small): it names the diffIDs every layer must decompress to.
    await this.fetchBlob(blobClients, remote.path, configDesc, scopes, opts.signal);
    const configBytes = await this.o.images.content.readBuffer(configDesc.digest);
    let config: OciImageConfig;
    try {
      config = JSON.parse(configBytes.toString('utf8')) as OciImageConfig;
    } catch {
      throw invalidArgument(`invalid image config ${configDesc.digest}`, 'invalid_config');
    }
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== layers.length) {
      throw invalidArgument(`image config ${configDesc.digest} names ${diffIds.length} layers, the manifest ${layers.length}`, 'invalid_config');
    }
    const id = configDesc.digest;
    const images = this.o.images;
    const snap = images.snapshotter;

    const chains: string[] = [];
    let parent: string | null = null;
    for (const d of diffIds) chains.push((parent = chainIdOf(parent, d)));
    const unpin = chains.map((c) => images.pinLayer(c));
    const createdLayers: string[] = [];
    const ac = new AbortController();
    const onAbort = () => ac.abort(opts.signal!.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let downloaded = false;
    try {
      // Which layers are already here (both the unpacked layer and its tar).
      const present: boolean[] = [];
      for (const [i, l] of layers.entries()) {
        const have = (await snap.hasLayer(chains[i]!)) && (await images.content.has(diffIds[i]!));
        present.push(have);
        say(have ? layerStatus('Already exists', shortId(l.digest)) : layerStatus('Pulling fs layer', shortId(l.digest)));
      }
      // Start every missing download now (the semaphore limits them); extraction follows in order.
      const fetches = layers.map((l, i) => {
        if (present[i]) return Promise.resolve();
        downloaded = true;
        const lid = shortId(l.digest);
        const report = throttled((c, t) => say(layerProgress('Downloading', lid, c, t)));
        const p = this.fetchLayer(blobClients, remote.path, l, diffIds[i]!, scopes, ac.signal, (e) => {
          if (e.kind === 'progress') report(e.current, e.total, e.current >= e.total);
          else say(layerStatus(e.status, lid));
        });
        p.catch(() => {});
        return p;
      });
      parent = null;
      const sizes: number[] = [];
      for (const [i, l] of layers.entries()) {
        const chainId = chains[i]!;
        if (!present[i]) {
          await fetches[i]!;
          const lid = shortId(l.digest);
          await this.layerLocks.run(chainId, async () => {
            if (await snap.hasLayer(chainId)) return;
            const total = (await images.content.info(diffIds[i]!))?.size ?? 0;
            say(layerProgress('Extracting', lid, 0, total));
            let applied;
            try {
              // GNU tar reads the diffID blob itself (no pipe through this process); the same bytes are hashed and
              // scanned from the page cache in parallel.
              applied = await snap.applyLayer({ parent, chainId, tar: { file: images.content.blobPath(diffIds[i]!) }, signal: ac.signal });
              say(layerProgress('Extracting', lid, total, total));
            } catch (e) {
              if (ac.signal.aborted) throw e;
              throw invalidArgument(`failed to register layer: ${errorMessage(e)}`, 'invalid_layer');
            }
            if (!applied.existed) createdLayers.push(chainId);
          });
          say(layerStatus('Pull complete', lid));
        }
        sizes.push((await snap.layerInfo(chainId))?.size ?? 0);
        parent = chainId;
      }
      ac.signal.throwIfAborted();

      // Record, distribution metadata, then the tag.
      const repoDigest = `${familiarName(ref)}@${resolved.digest}`;
      const existing = images.store.get(id);
      if (!existing) {
        await images.store.put({
          id,
          config,
          chainId: parent,
          size: sizes.reduce((a, b) => a + b, 0),
          layerSizes: sizes,
          created: new Date().toISOString(),
          repoDigests: [repoDigest],
        });
      } else if (!existing.repoDigests.includes(repoDigest)) {
        // One digest per repository, as Docker keeps them.
        const keep = existing.repoDigests.filter((d) => !d.startsWith(`${familiarName(ref)}@`));
        await images.store.setRepoDigests(id, [...keep, repoDigest]);
      }
      for (const [i, l] of layers.entries()) await this.o.dist.addSource(diffIds[i]!, { digest: l.digest, size: l.size, mediaType: l.mediaType }, remote.domain, remote.path);
      await this.o.dist.addManifest(id, { digest: resolved.digest, mediaType: manifest.mediaType, registry: remote.domain, repo: remote.path }, resolved.body);
      let previous: string | undefined;
      if (ref.digest === undefined) previous = await images.store.tag(id, ref);
      const upToDate = !downloaded && (ref.digest !== undefined ? !!existing : previous === id);
      say(status(`Digest: ${resolved.digest}`));
      say(status(upToDate ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}`));
      return { id, digest: resolved.digest, name: shown, upToDate };
    } catch (e) {
      ac.abort(e);
      for (const u of unpin.splice(0)) u();
      for (const chainId of createdLayers.reverse()) {
        if (!images.isReferenced('layer', chainId)) await snap.removeLayer(chainId).catch(() => {});
      }
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      for (const u of unpin) u();
    }
  }

  private async resolveManifest(client: RegistryClient, remote: Reference, want: Platform, scopes: string[], signal?: AbortSignal): Promise<{ body: Buffer; mediaType: string; digest: string }> {
    const reference = remote.digest ?? remote.tag!;
    let m = await client.getManifest(remote.path, reference, { accept: MANIFEST_ACCEPT, scopes, signal });
    let digest = sha256Digest(m.body);
    if (remote.digest !== undefined && digest !== remote.digest) {
      throw invalidArgument(`manifest verification failed for digest ${remote.digest}`, 'digest_mismatch');
    }
    let mediaType = m.mediaType || guessType(m.body);
    if (isIndexMediaType(mediaType)) {
      const index = JSON.parse(m.body.toString('utf8')) as ImageIndex;
      const chosen = selectManifest(index, want);
      if (!chosen) {
        throw new BerthError('not_found', 'no_matching_manifest', `no matching manifest for ${platformText(want)} in the manifest list entries`);
      }
      m = await client.getManifest(remote.path, chosen.digest, { accept: MANIFEST_ACCEPT, scopes, signal });
      if (sha256Digest(m.body) !== chosen.digest) throw invalidArgument(`manifest verification failed for digest ${chosen.digest}`, 'digest_mismatch');
      mediaType = m.mediaType || chosen.mediaType;
      // Docker records the index digest as the repo digest.
    } else if (mediaType === 'application/vnd.docker.distribution.manifest.v1+prettyjws' || mediaType === 'application/vnd.docker.distribution.manifest.v1+json') {
      throw invalidArgument('Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed', 'unsupported_manifest');
    }
    return { body: m.body, mediaType, digest };
  }

  /** Ensures a blob is committed to the content store (single flight per digest). */
  private async fetchBlob(clients: RegistryClient[], repo: string, desc: Descriptor, scopes: string[], signal: AbortSignal | undefined, listener: (e: FlightEvent) => void = () => {}): Promise<void> {
    if (await this.o.images.content.has(desc.digest)) return;
    const flight = this.flight(desc.digest, async (f) => {
      await this.download(f, clients, repo, desc, scopes);
    });
    await flight.join(listener, signal);
  }

  /** Ensures the layer's uncompressed tar (diffID) is in the content store. */
  private async fetchLayer(clients: RegistryClient[], repo: string, desc: Descriptor, diffId: string, scopes: string[], signal: AbortSignal, listener: (e: FlightEvent) => void): Promise<void> {
    const content = this.o.images.content;
    if (await content.has(diffId)) {
      listener({ kind: 'status', status: 'Download complete' });
      return;
    }
    const flight = this.flight(`layer:${desc.digest}`, async (f) => {
      if (!(await content.has(diffId))) {
        if (!(await content.has(desc.digest))) await this.download(f, clients, repo, desc, scopes);
        else f.emit({ kind: 'status', status: 'Download complete' });
        // Decompression (gzip, zstd or none) straight into a verified diffID blob.
        const { stream } = await maybeDecompress(await content.readStream(desc.digest), { signal: f.ac.signal });
        try {
          await content.ingest(stream, { expected: { digest: diffId }, signal: f.ac.signal });
        } catch (e) {
          if (isBerthError(e, 'invalid_argument')) throw invalidArgument(`failed to register layer: layer ${desc.digest} does not match its diffID ${diffId}: ${e.message}`, 'digest_mismatch');
          throw e;
        } finally {
          if (desc.digest !== diffId) await content.delete(desc.digest).catch(() => {});
        }
      } else {
        f.emit({ kind: 'status', status: 'Download complete' });
      }
    });
    await flight.join(listener, signal);
  }

  private flight(key: string, run: (f: Flight) => Promise<void>): Flight {
    let f = this.flights.get(key);
    if (f) return f;
    f = new Flight(key, run);
    this.flights.set(key, f);
    const done = () => {
      if (this.flights.get(key) === f) this.flights.delete(key);
    };
    f.promise.then(done, done);
    return f;
  }

  /** Downloads a blob into the partial area (resuming), verifies it and commits it. */
  private async download(f: Flight, clients: RegistryClient[], repo: string, desc: Descriptor, scopes: string[]): Promise<void> {
    const signal = f.ac.signal;
    if (!this.downloads.tryAcquire()) {
      f.emit({ kind: 'status', status: 'Waiting' });
      await this.downloads.acquire(signal);
    }
    try {
      const attempts = this.o.attempts ?? 5;
      let delay = this.o.backoffMs ?? 1000;
      for (let attempt = 1; ; attempt++) {
        // Later attempts move on to the next endpoint (the origin after a mirror).
        const client = clients[Math.min(attempt - 1, clients.length - 1)]!;
        try {
          await this.downloadOnce(f, client, repo, desc, scopes, signal);
          return;
        } catch (e) {
          if (signal.aborted || !retryable(e) || attempt >= attempts) throw e;
          this.o.log?.warn('blob download failed, retrying', { digest: desc.digest, attempt, error: errorMessage(e) });
          f.emit({ kind: 'status', status: `Retrying in ${Math.max(1, Math.round(delay / 1000))} second${delay >= 1500 ? 's' : ''}` });
          await sleep(delay, signal);
          delay *= 2;
        }
      }
    } finally {
      this.downloads.release();
    }
  }

  private async downloadOnce(f: Flight, client: RegistryClient, repo: string, desc: Descriptor, scopes: string[], signal: AbortSignal): Promise<void> {
    const partials = this.o.partials;
    const w = await partials.writer(desc.digest, { signal });
    let committed = false;
    try {
      let offset = w.offset;
      if (offset > desc.size) {
        await w.reset();
        offset = 0;
      }
      if (offset < desc.size || desc.size === 0) {
        this.fetchCount.set(desc.digest, (this.fetchCount.get(desc.digest) ?? 0) + 1);
        const { stream, partial } = await client.openBlob(repo, desc.digest, { offset, scopes, signal });
        if (offset > 0 && !partial) await w.reset();
        f.emit({ kind: 'progress', current: w.offset, total: desc.size });
        try {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            signal.throwIfAborted();
            if (w.offset + chunk.length > desc.size) {
              throw invalidArgument(`size mismatch for ${desc.digest}: more than ${desc.size} bytes`, 'size_mismatch');
            }
            await w.write(chunk);
            f.emit({ kind: 'progress', current: w.offset, total: desc.size });
          }
        } finally {
          stream.destroy();
        }
        if (w.offset < desc.size) throw new Error(`unexpected EOF: got ${w.offset} of ${desc.size} bytes of ${desc.digest}`);
      }
      f.emit({ kind: 'status', status: 'Verifying Checksum' });
      await w.commit(desc.size);
      committed = true;
      f.emit({ kind: 'status', status: 'Download complete' });
    } finally {
      if (!committed) await w.close().catch(() => {});
    }
  }
}

function guessType(body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as { mediaType?: string; manifests?: unknown };
    if (j.mediaType) return j.mediaType;
    return Array.isArray(j.manifests) ? MEDIA_TYPE.ociIndex : MEDIA_TYPE.ociManifest;
  } catch {
    return MEDIA_TYPE.ociManifest;
  }
}

