// The image side of registries, as the daemon binds it: pull, push, login and search over one Registries (settings
// + token cache), one Puller (single-flight downloads, resumable partials) and one Pusher.

import { errorMessage } from '../base/errors.ts';
import { credentialsOf, decodeRegistryAuth, login, search, type AuthConfig } from '../remotes/login-search.ts';
import { Registries, type RegistriesConfig } from '../remotes/registries.ts';
import { PartialBlobs } from '../store/content/partial-blobs.ts';
import { DistMetadata } from './dist-metadata.ts';
import type { ImageService } from './image-service.ts';
import type { ProgressSink } from './progress.ts';
import { Puller, type Platform, type PullResult } from './pull.ts';
import { Pusher } from './push.ts';
import { BerthError } from '../base/errors.ts';
import { familiarName, parseReference } from '../spec/reference.ts';

export interface DistributionServiceOptions {
  images: ImageService;
  registries: RegistriesConfig;
  platform?: Platform;
  /** Partial downloads older than this are dropped at start. Default 24 h. */
  partialTtlMs?: number;
  maxConcurrentDownloads?: number;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void; debug(msg: string, fields?: Record<string, unknown>): void; info?(msg: string, fields?: Record<string, unknown>): void };
  /** Called after a pull or push (events: "pull", "push"). */
  onEvent?: (action: 'pull' | 'push', name: string, id?: string) => void;
}

export class DistributionService {
  readonly registries: Registries;
  readonly puller: Puller;
  readonly pusher: Pusher;
  readonly dist: DistMetadata;
  readonly partials: PartialBlobs;
  private readonly o: DistributionServiceOptions;

  private constructor(o: DistributionServiceOptions, registries: Registries, puller: Puller, pusher: Pusher, dist: DistMetadata, partials: PartialBlobs) {
    this.o = o;
    this.registries = registries;
    this.puller = puller;
    this.pusher = pusher;
    this.dist = dist;
    this.partials = partials;
  }

  static async open(o: DistributionServiceOptions): Promise<DistributionService> {
    const registries = new Registries(o.registries);
    const root = o.images.content.root;
    const [dist, partials] = await Promise.all([DistMetadata.open(root), PartialBlobs.open(o.images.content, { ttlMs: o.partialTtlMs })]);
    const puller = new Puller({ images: o.images, dist, partials, registries, platform: o.platform, maxConcurrentDownloads: o.maxConcurrentDownloads, log: o.log });
    const pusher = await Pusher.open({ images: o.images, dist, registries, log: o.log });
    return new DistributionService(o, registries, puller, pusher, dist, partials);
  }

  async pull(ref: string, opts: { auth?: string; platform?: string; signal?: AbortSignal; onProgress?: ProgressSink }): Promise<PullResult> {
    const r = await this.puller.pull(ref, { credentials: credentialsOf(decodeRegistryAuth(opts.auth)), platform: opts.platform, signal: opts.signal, onProgress: opts.onProgress });
    this.o.onEvent?.('pull', r.name, r.id);
    return r;
  }

  async checkPush(name: string, tag: string | undefined): Promise<void> {
    const base = parseReference(name);
    const store = this.o.images.store;
    const t = tag || base.tag;
    const ok = t
      ? !!store.lookupRef({ ...base, tag: t })
      : store.list().some((rec) => store.refsFor(rec.id).some((r) => familiarName(parseReference(r)) === familiarName(base)));
    if (!ok) throw new BerthError('not_found', 'image_not_found', `An image does not exist locally with the tag: ${familiarName(base)}`);
  }

  async push(name: string, tag: string | undefined, opts: { auth?: string; signal?: AbortSignal; onProgress?: ProgressSink }): Promise<void> {
    try {
      await this.pusher.push(name, tag, { credentials: credentialsOf(decodeRegistryAuth(opts.auth)), signal: opts.signal, onProgress: opts.onProgress });
      this.o.onEvent?.('push', tag ? `${name}:${tag}` : name);
    } catch (e) {
      this.o.log?.warn('push failed', { name, error: errorMessage(e) });
      throw e;
    }
  }

  auth(body: Record<string, unknown>, signal?: AbortSignal): Promise<{ Status: string; IdentityToken: string }> {
    return login(this.registries, body as AuthConfig, signal);
  }

  search(term: string, opts: { limit?: number; filters?: string; auth?: string; signal?: AbortSignal }): Promise<unknown[]> {
    return search(this.registries, term, { limit: opts.limit, filters: opts.filters, credentials: credentialsOf(decodeRegistryAuth(opts.auth)), signal: opts.signal });
  }
}
