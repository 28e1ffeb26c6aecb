// Online mark-and-sweep garbage collection of blobs that no manifest in any repository references.
//
// Mark: every manifest revision of every repository (with deleteUntagged, only what tags reach: tagged manifests,
// their index children and their referrers, recursively; untagged revisions older than the grace period are
// removed) marks itself, its config and layers, and its children. Sweep: an unmarked blob is deleted unless it or a
// repository link to it is younger than the grace period (a client may be between pushing blobs and pushing the
// manifest). Upload sessions idle for longer than the upload grace (at least an hour) are abandoned and removed;
// in-flight ones are never touched. Runs under the registry's GC lock, so no push links content mid-sweep.
import { isDigest } from '../base/digest.ts';
import { parseManifest } from '../spec/distribution.ts';
import * as P from './paths.ts';
import type { Registry } from './registry.ts';
import { orMissing } from './storage/driver.ts';

export interface GcOptions {
  dryRun?: boolean;
  deleteUntagged?: boolean;
  /** Blobs and manifests younger than this are kept. */
  graceMs: number;
  /** Upload sessions idle for less than this are in flight; default max(graceMs, 1h). */
  uploadGraceMs?: number;
  now?: number;
  log?: (line: string) => void;
}

export interface GcReport {
  dryRun: boolean;
  blobs: { digest: string; size: number }[];
  manifests: { repository: string; digest: string }[];
  uploads: { uuid: string; size: number }[];
  bytesFreed: number;
  /** Blobs kept because something references them. */
  referenced: number;
  /** Unreferenced blobs kept because they are younger than the grace period. */
  young: number;
}

const HOUR = 3600_000;

export function collectGarbage(registry: Registry, opts: GcOptions): Promise<GcReport> {
  return registry.gcLock.exclusive(() => sweep(registry, opts));
}

async function sweep(registry: Registry, opts: GcOptions): Promise<GcReport> {
  const d = registry.driver;
  const now = opts.now ?? Date.now();
  const dry = opts.dryRun ?? false;
  const isOld = (t: Date) => now - t.getTime() >= opts.graceMs;
  const log = opts.log ?? (() => {});
  const report: GcReport = { dryRun: dry, blobs: [], manifests: [], uploads: [], bytesFreed: 0, referenced: 0, young: 0 };
  const marked = new Set<string>();
  /** Newest repository link time per blob digest. */
  const linkTimes = new Map<string, number>();
  const links: { repo: string; digest: string }[] = [];

  const manifestRefs = async (digest: string): Promise<{ blobs: string[]; children: string[] }> => {
    const body = await orMissing(d.getContent(P.blobData(digest)));
    if (body === undefined) return { blobs: [], children: [] };
    try {
      const m = parseManifest(body, '');
      return { blobs: m.blobs.map((b) => b.digest), children: m.manifests.map((c) => c.digest) };
    } catch {
      return { blobs: [], children: [] };
    }
  };

  for (const repo of await registry.catalog()) {
    for (const dir of (await orMissing(d.list(P.layersDir(repo)))) ?? []) {
      const digest = P.digestOfHexPath(dir);
      if (!isDigest(digest)) continue;
      links.push({ repo, digest });
      const st = await orMissing(d.stat(`${dir}/link`));
      if (st !== undefined) linkTimes.set(digest, Math.max(linkTimes.get(digest) ?? 0, st.modTime.getTime()));
    }
    const revisions = await registry.revisions(repo);
    let keep = new Set(revisions);
    if (opts.deleteUntagged) {
      keep = new Set();
      const queue: string[] = [];
      for (const tag of (await orMissing(registry.tags(repo))) ?? []) {
        const t = await registry.tagDigest(repo, tag);
        if (t !== undefined) queue.push(t);
      }
      for (const r of revisions) {
        const st = await orMissing(d.stat(P.revisionLink(repo, r)));
        if (st !== undefined && !isOld(st.modTime)) queue.push(r);
      }
      while (queue.length > 0) {
        const m = queue.pop()!;
        if (keep.has(m) || !revisions.includes(m)) continue;
        keep.add(m);
        queue.push(...(await manifestRefs(m)).children);
        for (const r of await registry.referrers(repo, m)) queue.push(r.digest);
      }
      for (const r of revisions) {
        if (keep.has(r)) continue;
        report.manifests.push({ repository: repo, digest: r });
        log(`${dry ? 'would delete' : 'deleting'} manifest ${repo}@${r}`);
        if (!dry) await registry.removeRevision(repo, r);
      }
    }
    for (const m of keep) {
      marked.add(m);
      const refs = await manifestRefs(m);
      for (const b of refs.blobs) marked.add(b);
      for (const c of refs.children) marked.add(c);
    }
  }

  for (const prefix of (await orMissing(d.list(P.BLOBS_ROOT))) ?? []) {
    for (const dir of (await orMissing(d.list(prefix))) ?? []) {
      const digest = P.digestOfHexPath(dir);
      if (!isDigest(digest)) continue;
      if (marked.has(digest)) {
        report.referenced++;
        continue;
      }
      const st = await orMissing(d.stat(`${dir}/data`));
      const linkTime = linkTimes.get(digest);
      if (st !== undefined && (!isOld(st.modTime) || (linkTime !== undefined && !isOld(new Date(linkTime))))) {
        report.young++;
        continue;
      }
      const size = st?.size ?? 0;
      report.blobs.push({ digest, size });
      report.bytesFreed += size;
      log(`${dry ? 'would delete' : 'deleting'} blob ${digest} (${size} bytes)`);
      if (!dry) await orMissing(d.delete(dir));
    }
  }
  if (!dry) {
    const gone = new Set(report.blobs.map((b) => b.digest));
    for (const l of links) if (gone.has(l.digest)) await orMissing(d.delete(P.layerDir(l.repo, l.digest)));
  }

  const uploadGrace = opts.uploadGraceMs ?? Math.max(opts.graceMs, HOUR);
  for (const dir of (await orMissing(d.list(P.UPLOADS_ROOT))) ?? []) {
    const uuid = dir.slice(dir.lastIndexOf('/') + 1);
    const data = await orMissing(d.stat(`${dir}/data`));
    const info = await orMissing(d.stat(`${dir}/info`));
    const last = Math.max(data?.modTime.getTime() ?? 0, info?.modTime.getTime() ?? 0);
    if (now - last < uploadGrace) continue;
    const size = data?.size ?? 0;
    report.uploads.push({ uuid, size });
    report.bytesFreed += size;
    log(`${dry ? 'would delete' : 'deleting'} abandoned upload ${uuid} (${size} bytes)`);
    if (!dry) await orMissing(d.delete(dir));
  }
  return report;
}

export function formatGcReport(r: GcReport): string {
  const verb = r.dryRun ? 'would free' : 'freed';
  return (
    `${r.blobs.length} blob(s), ${r.manifests.length} manifest(s), ${r.uploads.length} upload(s) ` +
    `${r.dryRun ? 'eligible for deletion' : 'deleted'}; ${r.referenced} referenced and ${r.young} recent blob(s) kept; ` +
    `${verb} ${r.bytesFreed} bytes`
  );
}
