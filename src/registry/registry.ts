// The registry's content model over a StorageDriver: blobs linked into repositories, upload sessions, manifests by
// tag and digest, referrers, tags and the catalog. No HTTP here: handlers translate requests into these calls and
// RegistryErrors back into responses.
import type { Readable } from 'node:stream';
import { isDigest, sha256Digest } from '../base/digest.ts';
import type { Descriptor } from '../spec/distribution.ts';
import { ManifestError, MEDIA_TYPE, isRepositoryName, isTag, parseManifest } from '../spec/distribution.ts';
import * as P from './paths.ts';
import { RegistryError, regErr } from './registry-error.ts';
import { RwLock } from './rw-lock.ts';
import type { FileInfo, StorageDriver } from './storage/driver.ts';
import { isPathNotFound, orMissing } from './storage/driver.ts';
import { Uploads } from './uploads.ts';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface StoredManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

export interface PutManifestResult {
  digest: string;
  subject?: string;
}

/** Checks a repository name (NAME_INVALID). */
export function checkName(name: string): string {
  if (!isRepositoryName(name)) throw regErr('NAME_INVALID', `invalid repository name: ${name}`, { name });
  return name;
}

/** Checks a digest from a URL or query (DIGEST_INVALID; other algorithms than sha256 are UNSUPPORTED). */
export function checkDigest(d: string): string {
  if (isDigest(d)) return d;
  if (/^sha(384|512):[a-f0-9]+$/.test(d)) throw regErr('UNSUPPORTED', `digest algorithm not supported: ${d}`);
  throw regErr('DIGEST_INVALID', `invalid digest: ${d}`, { digest: d });
}

export class Registry {
  readonly driver: StorageDriver;
  readonly uploads: Uploads;
  /** Shared by writers that link content; exclusive for GC's mark-and-sweep. */
  readonly gcLock = new RwLock();

  constructor(driver: StorageDriver) {
    this.driver = driver;
    this.uploads = new Uploads(driver);
  }

  async repositoryExists(name: string): Promise<boolean> {
    return (await orMissing(this.driver.stat(P.repoRoot(name)))) !== undefined;
  }

  // ---- blobs

  /** The blob as seen from a repository: it must be linked there and present. BLOB_UNKNOWN otherwise. */
  async statBlob(name: string, digest: string): Promise<FileInfo> {
    checkDigest(digest);
    const link = await orMissing(this.driver.stat(P.layerLink(name, digest)));
    const st = link === undefined ? undefined : await orMissing(this.driver.stat(P.blobData(digest)));
    if (st === undefined) throw regErr('BLOB_UNKNOWN', `blob unknown: ${digest}`, { digest });
    return st;
  }

  async openBlob(name: string, digest: string, offset = 0, length?: number): Promise<Readable> {
    await this.statBlob(name, digest);
    return this.driver.reader(P.blobData(digest), offset, length);
  }

  /** Unlinks the blob from the repository; the content itself goes at the next GC if nothing else uses it. */
  async deleteBlob(name: string, digest: string): Promise<void> {
    await this.statBlob(name, digest);
    await this.gcLock.shared(() => this.driver.delete(P.layerDir(name, digest)));
  }

  /** Cross-repository mount: links a blob of `from` into `name`. False when `from` does not have it. */
  async mountBlob(name: string, from: string, digest: string): Promise<boolean> {
    checkName(from);
    checkDigest(digest);
    return this.gcLock.shared(async () => {
      try {
        await this.statBlob(from, digest);
      } catch {
        return false;
      }
      await this.driver.putContent(P.layerLink(name, digest), digest);
      return true;
    });
  }

  /** Finishes an upload session: verifies, then links the blob into the repository. */
  finishUpload(name: string, uuid: string, digest: string): Promise<number> {
    checkDigest(digest);
    return this.gcLock.shared(() =>
      this.uploads.finish(name, uuid, digest, async () => {
        await this.driver.putContent(P.layerLink(name, digest), digest);
      }),
    );
  }

  // ---- manifests

  /** Resolves a tag or digest reference to a digest in the repository (MANIFEST_UNKNOWN). */
  async resolve(name: string, reference: string): Promise<string> {
    let digest: string;
    if (reference.includes(':')) {
      digest = checkDigest(reference);
    } else {
      if (!isTag(reference)) throw regErr('MANIFEST_INVALID', `invalid tag: ${reference}`, { tag: reference });
      const link = await orMissing(this.driver.getContent(P.tagLink(name, reference)));
      if (link === undefined) throw this.unknownManifest(name, reference);
      digest = link.toString().trim();
    }
    if ((await orMissing(this.driver.stat(P.revisionLink(name, digest)))) === undefined) {
      throw this.unknownManifest(name, reference);
    }
    return digest;
  }

  private unknownManifest(name: string, reference: string) {
    return regErr('MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference}`, { name, reference });
  }

  async getManifest(name: string, reference: string): Promise<StoredManifest> {
    const digest = await this.resolve(name, reference);
    const body = await orMissing(this.driver.getContent(P.blobData(digest)));
    if (body === undefined) throw this.unknownManifest(name, reference);
    const t = await orMissing(this.driver.getContent(P.revisionType(name, digest)));
    let mediaType = t?.toString().trim();
    if (mediaType === undefined || mediaType === '') {
      try {
        mediaType = parseManifest(body, '').mediaType;
      } catch {
        mediaType = MEDIA_TYPE.ociManifest;
      }
    }
    return { digest, mediaType, body };
  }

  async putManifest(name: string, reference: string, body: Buffer, contentType: string): Promise<PutManifestResult> {
    if (body.length > MAX_MANIFEST_BYTES) {
      throw new RegistryError('MANIFEST_INVALID', `manifest larger than ${MAX_MANIFEST_BYTES} bytes`, { status: 413 });
    }
    const digest = sha256Digest(body);
    const isDigestRef = reference.includes(':');
    if (isDigestRef) {
      checkDigest(reference);
      if (reference !== digest) {
        throw regErr('DIGEST_INVALID', `manifest digest ${digest} does not match ${reference}`, { digest: reference });
      }
    } else if (!isTag(reference)) {
      throw regErr('MANIFEST_INVALID', `invalid tag: ${reference}`, { tag: reference });
    }
    let parsed;
    try {
      parsed = parseManifest(body, contentType);
    } catch (e) {
      if (e instanceof ManifestError) throw regErr('MANIFEST_INVALID', e.message);
      throw e;
    }
    return this.gcLock.shared(async () => {
      const missing: string[] = [];
      for (const b of parsed.blobs) {
        if (!isDigest(b.digest)) throw regErr('UNSUPPORTED', `digest algorithm not supported: ${b.digest}`);
        try {
          await this.statBlob(name, b.digest);
        } catch {
          missing.push(b.digest);
        }
      }
      for (const m of parsed.manifests) {
        if (!isDigest(m.digest)) throw regErr('UNSUPPORTED', `digest algorithm not supported: ${m.digest}`);
        if ((await orMissing(this.driver.stat(P.revisionLink(name, m.digest)))) === undefined) missing.push(m.digest);
      }
      if (missing.length > 0) {
        throw regErr('MANIFEST_BLOB_UNKNOWN', `manifest references unknown blobs: ${missing.join(', ')}`, {
          digests: missing,
        });
      }
      if ((await orMissing(this.driver.stat(P.blobData(digest)))) === undefined) {
        await this.driver.putContent(P.blobData(digest), body);
      }
      await this.driver.putContent(P.revisionType(name, digest), parsed.mediaType);
      await this.driver.putContent(P.revisionLink(name, digest), digest);
      if (parsed.subject !== undefined && isDigest(parsed.subject.digest)) {
        const d: Descriptor = { mediaType: parsed.mediaType, digest, size: body.length };
        if (parsed.artifactType !== undefined) d.artifactType = parsed.artifactType;
        if (parsed.annotations !== undefined) d.annotations = parsed.annotations;
        await this.driver.putContent(P.referrerEntry(name, parsed.subject.digest, digest), JSON.stringify(d));
      }
      if (!isDigestRef) await this.driver.putContent(P.tagLink(name, reference), digest);
      return { digest, subject: parsed.subject?.digest };
    });
  }

  /** By digest: removes the manifest from the repository with every tag pointing at it; by tag: removes the tag. */
  async deleteManifest(name: string, reference: string): Promise<void> {
    if (!reference.includes(':')) {
      await this.resolve(name, reference);
      await this.driver.delete(`${P.tagsDir(name)}/${reference}`);
      return;
    }
    const digest = await this.resolve(name, reference);
    await this.gcLock.shared(async () => {
      for (const tag of await this.tags(name)) {
        const link = await orMissing(this.driver.getContent(P.tagLink(name, tag)));
        if (link?.toString().trim() === digest) await orMissing(this.driver.delete(`${P.tagsDir(name)}/${tag}`));
      }
      await this.removeRevision(name, digest);
    });
  }

  /** Removes a manifest revision and its referrer entry (no tags, no locking: callers hold the GC lock). */
  async removeRevision(name: string, digest: string): Promise<void> {
    const body = await orMissing(this.driver.getContent(P.blobData(digest)));
    if (body !== undefined) {
      try {
        const subject = parseManifest(body, '').subject;
        if (subject !== undefined && isDigest(subject.digest)) {
          await orMissing(this.driver.delete(P.referrerDir(name, subject.digest, digest)));
        }
      } catch {
        // not parseable: it has no referrer entry either
      }
    }
    await orMissing(this.driver.delete(P.revisionDir(name, digest)));
  }

  /** Every manifest digest stored in the repository. */
  async revisions(name: string): Promise<string[]> {
    const dirs = (await orMissing(this.driver.list(P.revisionsDir(name)))) ?? [];
    return dirs.map(P.digestOfHexPath).filter(isDigest);
  }

  // ---- tags, referrers, catalog

  /** Sorted tags; NAME_UNKNOWN when the repository does not exist. */
  async tags(name: string): Promise<string[]> {
    const dirs = await orMissing(this.driver.list(P.tagsDir(name)));
    if (dirs === undefined) {
      if (!(await this.repositoryExists(name))) throw regErr('NAME_UNKNOWN', `repository name not known: ${name}`, { name });
      return [];
    }
    return dirs.map((d) => d.slice(d.lastIndexOf('/') + 1)).sort();
  }

  async tagDigest(name: string, tag: string): Promise<string | undefined> {
    return (await orMissing(this.driver.getContent(P.tagLink(name, tag))))?.toString().trim();
  }

  async referrers(name: string, subject: string, artifactType?: string): Promise<Descriptor[]> {
    checkDigest(subject);
    const entries = (await orMissing(this.driver.list(P.referrersDir(name, subject)))) ?? [];
    const out: Descriptor[] = [];
    for (const e of entries) {
      const raw = await orMissing(this.driver.getContent(`${e}/descriptor`));
      if (raw === undefined) continue;
      const d = JSON.parse(raw.toString()) as Descriptor;
      if (artifactType !== undefined && d.artifactType !== artifactType) continue;
      out.push(d);
    }
    return out;
  }

  /** All repository names, sorted. */
  async catalog(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let children: string[];
      try {
        children = await this.driver.list(dir);
      } catch (e) {
        if (isPathNotFound(e)) return;
        throw e;
      }
      let isRepo = false;
      for (const c of children) {
        const base = c.slice(c.lastIndexOf('/') + 1);
        if (base === '_manifests' || base === '_layers') isRepo = true;
        else if (!base.startsWith('_')) await walk(c, prefix === '' ? base : `${prefix}/${base}`);
      }
      if (isRepo && prefix !== '') out.push(prefix);
    };
    await walk(P.REPOS_ROOT, '');
    return out.sort();
  }
}
