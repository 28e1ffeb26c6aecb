// GET /v1/search, answered like Docker Hub's v1 search from the catalog. A repository's description comes from its
// newest manifest ("latest", else the most recently written tag): the manifest's
// org.opencontainers.image.description annotation, else the same label in the image config. Cached per digest.
import { isDigest } from '../base/digest.ts';
import { isIndexMediaType, parseManifest } from '../spec/distribution.ts';
import * as P from './paths.ts';
import type { Registry } from './registry.ts';
import { orMissing } from './storage/driver.ts';

export const DESCRIPTION_KEY = 'org.opencontainers.image.description';

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export interface SearchResponse {
  num_results: number;
  num_pages: number;
  page: number;
  page_size: number;
  query: string;
  results: SearchResult[];
}

export class Search {
  private readonly registry: Registry;
  private readonly descriptions = new Map<string, string>();

  constructor(registry: Registry) {
    this.registry = registry;
  }

  async search(opts: { q: string; n?: number; page?: number; visible: (name: string) => boolean }): Promise<SearchResponse> {
    const q = opts.q.toLowerCase().trim();
    const pageSize = Math.min(Math.max(opts.n ?? 25, 1), 100);
    const page = Math.max(opts.page ?? 1, 1);
    const names = (await this.registry.catalog()).filter((n) => n.includes(q) && opts.visible(n));
    const slice = names.slice((page - 1) * pageSize, page * pageSize);
    const results: SearchResult[] = [];
    for (const name of slice) {
      results.push({ name, description: await this.description(name), star_count: 0, is_official: false, is_automated: false });
    }
    return {
      num_results: names.length,
      num_pages: Math.ceil(names.length / pageSize),
      page,
      page_size: pageSize,
      query: opts.q,
      results,
    };
  }

  private async newestTagDigest(name: string): Promise<string | undefined> {
    const d = this.registry.driver;
    const tags = (await orMissing(this.registry.tags(name))) ?? [];
    if (tags.includes('latest')) return this.registry.tagDigest(name, 'latest');
    let best: { t: number; tag: string } | undefined;
    for (const tag of tags) {
      const st = await orMissing(d.stat(P.tagLink(name, tag)));
      if (st !== undefined && (best === undefined || st.modTime.getTime() > best.t)) best = { t: st.modTime.getTime(), tag };
    }
    return best === undefined ? undefined : this.registry.tagDigest(name, best.tag);
  }

  private async description(name: string): Promise<string> {
    try {
      const digest = await this.newestTagDigest(name);
      if (digest === undefined || !isDigest(digest)) return '';
      const cached = this.descriptions.get(digest);
      if (cached !== undefined) return cached;
      const text = await this.describe(digest);
      this.descriptions.set(digest, text);
      return text;
    } catch {
      return '';
    }
  }

  private async describe(digest: string): Promise<string> {
    const d = this.registry.driver;
    const body = await orMissing(d.getContent(P.blobData(digest)));
    if (body === undefined) return '';
    const m = parseManifest(body, '');
    const ann = m.annotations?.[DESCRIPTION_KEY];
    if (ann !== undefined) return ann;
    if (isIndexMediaType(m.mediaType)) return '';
    const config = m.blobs[0];
    if (config === undefined || config.size > 1024 * 1024 || !isDigest(config.digest)) return '';
    const raw = await orMissing(d.getContent(P.blobData(config.digest)));
    if (raw === undefined) return '';
    const doc = JSON.parse(raw.toString()) as { config?: { Labels?: Record<string, string> } };
    return doc.config?.Labels?.[DESCRIPTION_KEY] ?? '';
  }
}
