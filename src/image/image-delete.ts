// `docker rmi` semantics (moby daemon/images/image_delete.go), kept apart from storage so the rules read in one place:
//  - A name untags. If it was the image's last reference (and no container uses it), the image is deleted too.
//  - Untagging the last tag of a repository also drops that repository's digest references.
//  - An id deletes the image, and needs force when the image is referenced by several repositories.
//  - Hard conflicts (a running container, dependent child images) cannot be forced; soft ones (other references, a
//    stopped container) can. A name whose image is used by a container needs force, and then only untags when a
//    running container still uses it.
//  - Afterwards, a dangling parent image is pruned unless noPrune.

import { conflict } from '../base/errors.ts';
import { shortId } from '../base/ids.ts';
import type { ImageDeleteResponseItem } from '../spec/image-api.ts';
import { familiarName, familiarString, parseReference, withDefaultTag, type Reference } from '../spec/reference.ts';
import type { ImageRecord } from '../store/metadata/image-store.ts';

export interface RemoveImageOptions {
  force?: boolean;
  /** Keep untagged parent images. */
  noPrune?: boolean;
  /** A container (running or not) using the image, or null. */
  imageInUse: (imageId: string) => string | null;
  /** A RUNNING container using the image, or null. Without it, no container counts as running. */
  runningContainerFor?: (imageId: string) => string | null;
}

/** What the delete rules need from the image store. */
export interface ImageDeleteBackend {
  resolve(refOrId: string): ImageRecord;
  get(id: string): ImageRecord | undefined;
  refsFor(id: string): string[];
  children(id: string): ImageRecord[];
  untag(ref: string): Promise<unknown>;
  setRepoDigests(id: string, repoDigests: string[]): Promise<void>;
  /** Deletes the record and its unused data; returns the chain ids of removed layers. */
  deleteImage(id: string, keepLayers: boolean): Promise<string[]>;
}

interface RepoRef {
  text: string;
  ref: Reference;
  canonical: boolean;
}

interface DeleteConflict {
  hard: boolean;
  used: boolean;
  message: string;
}

const CONFLICT_CHILD = 1;
const CONFLICT_RUNNING = 2;
const CONFLICT_ACTIVE_REF = 4;
const CONFLICT_STOPPED = 8;
const CONFLICT_HARD = CONFLICT_CHILD | CONFLICT_RUNNING;
const CONFLICT_SOFT = CONFLICT_ACTIVE_REF | CONFLICT_STOPPED;

function isImageIdPrefix(imageId: string, s: string): boolean {
  return imageId.startsWith(s) || imageId.slice(imageId.indexOf(':') + 1).startsWith(s);
}

/** Docker's isSingleReference: at most one tag, and every reference in the same repository. */
function isSingleReference(refs: RepoRef[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: RepoRef | undefined;
  const names = new Set<string>();
  for (const r of refs) {
    if (r.canonical) names.add(familiarName(r.ref));
    else if (!single) {
      names.add(familiarName(r.ref));
      single = r;
    } else return false;
  }
  single ??= refs[0]!;
  return names.size === 1 && names.has(familiarName(single.ref));
}

export class ImageDeleter {
  private readonly b: ImageDeleteBackend;
  private readonly opts: RemoveImageOptions;
  private readonly records: ImageDeleteResponseItem[] = [];

  constructor(backend: ImageDeleteBackend, opts: RemoveImageOptions) {
    this.b = backend;
    this.opts = opts;
  }

  private repoRefs(id: string): RepoRef[] {
    const rec = this.b.get(id);
    const tags = this.b.refsFor(id).map((text) => ({ text, ref: parseReference(text), canonical: false }));
    const digests = (rec?.repoDigests ?? []).map((text) => ({ text, ref: parseReference(text), canonical: true }));
    return [...tags, ...digests];
  }

  private async removeRef(id: string, r: RepoRef): Promise<void> {
    if (r.canonical) {
      const rec = this.b.get(id);
      if (rec) await this.b.setRepoDigests(id, rec.repoDigests.filter((d) => d !== r.text));
    } else await this.b.untag(r.text);
    this.records.push({ Untagged: r.text });
  }

  async run(refOrId: string): Promise<ImageDeleteResponseItem[]> {
    const rec = this.b.resolve(refOrId);
    const id = rec.id;
    const force = this.opts.force ?? false;
    let repoRefs = this.repoRefs(id);
    let removedRepositoryRef = false;

    if (!isImageIdPrefix(id, refOrId)) {
      if (!force && isSingleReference(repoRefs)) {
        const ctr = this.opts.imageInUse(id);
        if (ctr) {
          throw conflict(
            `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(ctr)} is using its referenced image ${shortId(id)}`,
            'image_in_use',
          );
        }
      }
      const parsed = withDefaultTag(parseReference(refOrId));
      const given: RepoRef = {
        text: familiarString(parsed),
        ref: parsed,
        canonical: parsed.digest !== undefined && parsed.tag === undefined,
      };
      // A name that resolved to the image is one of its refs; remove that one exactly.
      const match = repoRefs.find((r) => r.text === given.text) ?? given;
      await this.removeRef(id, match);
      repoRefs = this.repoRefs(id);
      if (!match.canonical) {
        const name = familiarName(match.ref);
        const tagLeft = repoRefs.some((r) => !r.canonical && familiarName(r.ref) === name);
        if (!tagLeft) {
          for (const r of repoRefs.filter((x) => x.canonical && familiarName(x.ref) === name)) await this.removeRef(id, r);
        }
      }
      if (this.repoRefs(id).length > 0) return this.records;
      removedRepositoryRef = true;
    } else if (isSingleReference(repoRefs)) {
      let mask = CONFLICT_HARD;
      if (!force) mask |= CONFLICT_SOFT & ~CONFLICT_ACTIVE_REF;
      const c = this.check(id, mask);
      if (c) throw this.error(id, c);
      for (const r of repoRefs) await this.removeRef(id, r);
    }
    await this.deleteHelper(id, force, !(this.opts.noPrune ?? false), removedRepositoryRef);
    return this.records;
  }

  private isDangling(id: string): boolean {
    return this.repoRefs(id).length === 0 && this.b.children(id).length === 0;
  }

  private check(id: string, mask: number): DeleteConflict | undefined {
    if (mask & CONFLICT_CHILD && this.b.children(id).length > 0) {
      return { hard: true, used: false, message: 'image has dependent child images' };
    }
    if (mask & CONFLICT_RUNNING) {
      const ctr = this.opts.runningContainerFor?.(id);
      if (ctr) return { hard: true, used: true, message: `image is being used by running container ${shortId(ctr)}` };
    }
    if (mask & CONFLICT_ACTIVE_REF && this.repoRefs(id).length > 0) {
      return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
    }
    if (mask & CONFLICT_STOPPED) {
      const ctr = this.opts.imageInUse(id);
      if (ctr) return { hard: false, used: true, message: `image is being used by stopped container ${shortId(ctr)}` };
    }
    return undefined;
  }

  private error(id: string, c: DeleteConflict) {
    return conflict(`conflict: unable to delete ${shortId(id)} (${c.hard ? 'cannot be forced' : 'must be forced'}) - ${c.message}`, 'image_delete_conflict');
  }

  private async deleteHelper(id: string, force: boolean, prune: boolean, quiet: boolean): Promise<void> {
    let mask = CONFLICT_HARD;
    if (!force) mask |= CONFLICT_SOFT;
    const c = this.check(id, mask);
    if (c) {
      // After untagging, staying quiet is right unless the user would be surprised that nothing was deleted.
      if (quiet && (!this.isDangling(id) || c.used)) return;
      throw this.error(id, c);
    }
    const parent = this.b.get(id)?.parent;
    for (const r of this.repoRefs(id)) await this.removeRef(id, r);
    // A (stopped) container still using the image keeps its layers: its writable layer sits on them.
    const removedLayers = await this.b.deleteImage(id, this.opts.imageInUse(id) !== null);
    this.records.push({ Deleted: id });
    for (const l of removedLayers) this.records.push({ Deleted: l });
    if (!prune || !parent || !this.b.get(parent)) return;
    await this.deleteHelper(parent, false, true, true);
  }
}
