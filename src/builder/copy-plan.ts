// COPY/ADD source selection with Docker's rules, the content digests the cache key is made of, and the layer tar the
// step writes. Pure path logic (wildcards, destination rules) is separated from file access so it is unit-tested.
//
// Rules (moby builder/dockerfile/copy.go, BuildKit's FileOp): sources are relative to the source root (the context
// or another stage's/image's filesystem) and may not leave it; `*`, `?`, `[...]` match within one path component
// (Go's filepath.Match); a directory source copies its CONTENTS; the destination is a directory when it ends in "/"
// (or "/."), when there are several sources, or when it already is a directory in the image; several sources need a
// directory destination ending in "/"; a relative destination is taken from WORKDIR. Parents that do not exist are
// created (root, 0755). Files from the context are owned by root unless --chown; files from another stage keep their
// owners. Only content, mode, type, link target and owner go into the digests: never mtimes.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BerthError, invalidArgument } from '../base/errors.ts';
import type { IgnoreMatcher } from '../spec/dockerignore.ts';
import { resolveScoped } from '../sys/scoped-path.ts';
import { encodeTarHeader, tarPadding, TAR_END, type TarHeader } from '../store/diff/tar-writer.ts';

/** One entry of the layer a COPY/ADD writes. */
export interface CopyItem {
  /** Path in the image, relative, no leading "/". */
  dest: string;
  type: 'file' | 'dir' | 'symlink';
  /** Host file with the data (files). */
  source?: string;
  /** Inline data (heredocs). */
  data?: Buffer;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkTarget?: string;
  /** sha256 of the content ("" for dirs); link target for symlinks. */
  digest: string;
  /** Path relative to the source root (for explanations), undefined for generated entries. */
  from?: string;
}

/** Go's filepath.Match for one path component. */
export function matchComponent(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidArgument(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/\\/g, '\\\\');
      else cls = cls.replace(/\\/g, '\\\\');
      re += `[${cls}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(re + '$').test(name);
}

const escapeRe = (s: string) => s.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
export const hasWildcard = (p: string) => /[*?[]/.test(p);

/** Cleans a source path relative to the root; refuses to leave it (Docker: "forbidden path outside the build context"). */
export function cleanSource(src: string): string {
  const n = path.posix.normalize(src.replace(/^\/+/, ''));
  if (n === '..' || n.startsWith('../')) throw invalidArgument(`forbidden path outside the build context: ${src} ()`);
  const rel = n.replace(/\/$/, '');
  return rel === '' || rel === '.' ? '.' : rel;
}

/** The absolute destination in the image for `dest` given WORKDIR; keeps a trailing "/" meaningful. */
export function resolveDest(dest: string, workdir: string): { path: string; isDir: boolean } {
  const dirForm = dest.endsWith('/') || dest.endsWith('/.') || dest === '.' || dest === '..';
  const abs = path.posix.isAbsolute(dest) ? dest : path.posix.join(workdir || '/', dest);
  const clean = path.posix.normalize(abs).replace(/(.)\/$/, '$1');
  return { path: clean, isDir: dirForm };
}

export interface SourceMatch {
  /** Relative to the root, symlinks resolved inside the root (no component of it is a symlink). */
  rel: string;
  isDir: boolean;
  /** The path as matched, before resolving symlinks (names the destination); defaults to rel. */
  name?: string;
}

/** `rel` with every symlink on the way (the last one too) followed inside `root`, like Docker's scoped resolution. */
async function resolveInRoot(root: string, rel: string): Promise<string> {
  if (rel === '.') return '.';
  const r = await resolveScoped(root, rel, { followLast: true });
  return r.containerPath === '/' ? '.' : r.containerPath.slice(1);
}

export class NotFoundInContext extends BerthError {}

/**
 * Expands one source (plain path or wildcard) against a root directory. Excluded paths (.dockerignore) do not
 * exist. Symlinks on a source's path (its last component too) are followed inside the root, never out of it (a link
 * to /etc/passwd names <root>/etc/passwd); links met while walking a source directory are copied as links.
 */
export async function expandSource(root: string, src: string, opts: { ignore?: IgnoreMatcher; what?: string } = {}): Promise<SourceMatch[]> {
  const rel = cleanSource(src);
  const ignored = (p: string) => p !== '.' && !!opts.ignore?.(p);
  if (!hasWildcard(rel)) {
    const real = await resolveInRoot(root, rel);
    const st = await lstat(path.join(root, real)).catch(() => undefined);
    if (!st || ignored(rel) || ignored(real)) {
      throw new NotFoundInContext('not_found', 'copy_source_missing',
        `${opts.what ?? 'COPY'} failed: file not found in build context or excluded by .dockerignore: stat ${rel}: file does not exist`);
    }
    return [{ rel: real, isDir: st.isDirectory(), ...(real !== rel ? { name: rel } : {}) }];
  }
  const parts = rel.split('/');
  let current: string[] = [''];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next: string[] = [];
    for (const base of current) {
      if (!hasWildcard(part)) {
        next.push(base ? `${base}/${part}` : part);
        continue;
      }
      const names = await readdir(path.join(root, await resolveInRoot(root, base || '.'))).catch(() => [] as string[]);
      for (const n of names.sort()) if (matchComponent(part, n)) next.push(base ? `${base}/${n}` : n);
    }
    current = next;
  }
  const out: SourceMatch[] = [];
  for (const r of current) {
    if (ignored(r)) continue;
    const real = await resolveInRoot(root, r);
    if (ignored(real)) continue;
    const st = await lstat(path.join(root, real)).catch(() => undefined);
    if (st) out.push({ rel: real, isDir: st.isDirectory(), ...(real !== r ? { name: r } : {}) });
  }
  return out;
}

export interface OwnerSpec {
  uid: number;
  gid: number;
}

export interface CollectOptions {
  ignore?: IgnoreMatcher;
  /** Force this owner (context sources, --chown). undefined: keep the source's. */
  owner?: OwnerSpec;
  /** --chmod */
  mode?: number;
  /** --exclude patterns, relative to the source. */
  exclude?: IgnoreMatcher;
  signal?: AbortSignal;
  /** Content digests already known by host path (context files linked from the daemon's verified cache). */
  knownDigest?(hostPath: string): string | undefined;
}

async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { signal })) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** One host path (file, dir or symlink) → items under `dest` (a dir copies its contents into dest). */
async function collectPath(root: string, rel: string, dest: string, out: CopyItem[], o: CollectOptions): Promise<void> {
  const host = path.join(root, rel);
  const st = await lstat(host);
  const owner = (s: { uid: number; gid: number }) => o.owner ?? { uid: s.uid, gid: s.gid };
  const mode = (m: number) => (o.mode !== undefined ? o.mode : m & 0o7777);
  if (st.isDirectory()) {
    const walk = async (dirRel: string, destDir: string) => {
      o.signal?.throwIfAborted();
      const names = (await readdir(path.join(root, dirRel))).sort();
      for (const n of names) {
        const r = dirRel === '.' ? n : `${dirRel}/${n}`;
        if (o.ignore?.(r)) {
          if (!(o.ignore.hasExclusions && o.ignore.mayIncludeUnder(r))) continue;
        }
        const relToSource = path.posix.relative(rel === '.' ? '' : rel, r);
        if (o.exclude?.(relToSource)) continue;
        const s = await lstat(path.join(root, r));
        const d = `${destDir}/${n}`;
        if (s.isDirectory()) {
          if (!o.ignore?.(r)) out.push({ dest: d, type: 'dir', size: 0, mode: mode(s.mode), ...owner(s), mtime: s.mtimeMs / 1000, digest: '', from: r });
          await walk(r, d);
        } else if (!o.ignore?.(r)) await collectLeaf(root, r, d, s, out, o);
      }
    };
    await walk(rel, dest);
    return;
  }
  await collectLeaf(root, rel, dest, st, out, o);
}

async function collectLeaf(root: string, rel: string, dest: string, st: import('node:fs').Stats, out: CopyItem[], o: CollectOptions): Promise<void> {
  const owner = o.owner ?? { uid: st.uid, gid: st.gid };
  const mode = o.mode !== undefined ? o.mode : st.mode & 0o7777;
  const host = path.join(root, rel);
  if (st.isSymbolicLink()) {
    const target = await readlink(host);
    out.push({ dest, type: 'symlink', size: 0, mode: 0o777, ...owner, mtime: st.mtimeMs / 1000, linkTarget: target, digest: `link:${target}`, from: rel });
  } else if (st.isFile()) {
    out.push({ dest, type: 'file', source: host, size: st.size, mode, ...owner, mtime: st.mtimeMs / 1000, digest: o.knownDigest?.(host) ?? (await sha256File(host, o.signal)), from: rel });
  }
  // devices, fifos and sockets are not copied
}

/** Items for one source match copied to `destPath` (absolute, in the image). */
export async function collectSource(root: string, m: SourceMatch, destPath: string, o: CollectOptions): Promise<CopyItem[]> {
  const out: CopyItem[] = [];
  await collectPath(root, m.rel, destPath.replace(/^\/+/, ''), out, o);
  return out;
}

/**
 * Where a source lands: a directory's contents go into dest; a file goes to dest/basename when dest is a
 * directory, else to dest itself.
 */
export function targetFor(m: SourceMatch, dest: { path: string; isDir: boolean }): string {
  if (m.isDir) return dest.path;
  return dest.isDir ? path.posix.join(dest.path, path.posix.basename(m.name ?? m.rel)) : dest.path;
}

/** Docker's multi-source rule. */
export function checkMultiSource(kind: string, count: number, dest: { isDir: boolean }): void {
  if (count > 1 && !dest.isDir) {
    throw invalidArgument(`When using ${kind} with more than one source file, the destination must be a directory and end with a /`);
  }
}

/** Per-path digest lines: what the cache key and its explanations are built from. */
export function itemDigests(items: readonly CopyItem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of items) {
    const key = i.dest;
    out[key] = `${i.type} ${i.mode.toString(8)} ${i.uid}:${i.gid} ${i.digest}`;
  }
  return out;
}

export function digestOfDigests(d: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(d).sort()) h.update(`${k}\0${d[k]}\n`);
  return h.digest('hex');
}

/** Missing parent directories (root, 0755) for the items, given a predicate for what the image already has. */
export function parentDirs(items: readonly CopyItem[], exists: (p: string) => boolean, mtime: number): CopyItem[] {
  const have = new Set(items.filter((i) => i.type === 'dir').map((i) => i.dest));
  const add: CopyItem[] = [];
  for (const i of items) {
    const parts = i.dest.split('/');
    for (let n = 1; n < parts.length; n++) {
      const p = parts.slice(0, n).join('/');
      if (have.has(p)) continue;
      have.add(p);
      if (!exists('/' + p)) add.push({ dest: p, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime, digest: '' });
    }
  }
  return add;
}

/** The layer tar for the items, parents first (stable order). */
export function copyLayerTar(items: readonly CopyItem[], signal?: AbortSignal): Readable {
  const sorted = [...items].sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  // A later item for the same path wins (as the filesystem would after copying in order).
  const byPath = new Map<string, CopyItem>();
  for (const i of items) byPath.set(i.dest, i);
  async function* chunks(): AsyncGenerator<Buffer> {
    const seen = new Set<string>();
    for (const s of sorted) {
      if (seen.has(s.dest)) continue;
      seen.add(s.dest);
      const i = byPath.get(s.dest)!;
      signal?.throwIfAborted();
      const h: TarHeader = {
        name: i.type === 'dir' ? `${i.dest}/` : i.dest,
        type: i.type === 'dir' ? '5' : i.type === 'symlink' ? '2' : '0',
        mode: i.mode,
        uid: i.uid,
        gid: i.gid,
        size: i.type === 'file' ? i.size : 0,
        mtime: Math.floor(i.mtime),
        ...(i.linkTarget !== undefined ? { linkname: i.linkTarget } : {}),
      };
      yield encodeTarHeader(h);
      if (i.type !== 'file') continue;
      if (i.data) {
        yield i.data;
      } else {
        let sent = 0;
        if (i.size > 0) {
          for await (const c of createReadStream(i.source!, { end: i.size - 1, signal }) as AsyncIterable<Buffer>) {
            const take = c.subarray(0, Math.min(c.length, i.size - sent));
            sent += take.length;
            yield take;
          }
        }
        if (sent < i.size) yield Buffer.alloc(i.size - sent);
      }
      yield tarPadding(i.size);
    }
    yield TAR_END;
  }
  return Readable.from(chunks());
}

/** Parses --chmod (octal only, as the classic builder). */
export function parseChmod(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^[0-7]{3,4}$/.test(v)) throw invalidArgument(`invalid chmod parameter: ${v}. it should be octal string and between 0 and 07777`);
  return Number.parseInt(v, 8);
}
