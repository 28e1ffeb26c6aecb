// Paths inside a container's root filesystem, resolved from the host without ever leaving that root. Symlinks are
// followed component by component the way the kernel would inside the container (chroot semantics): an absolute
// target restarts at the container's root and ".." never climbs above it. So a container symlink to "/" or "../.."
// lands in the container's own root, never in the host's.
//
// Resolution alone is a check at one instant; a running container may swap a component afterwards. Callers that then
// hand a directory to another program open it with openScopedDir(), which re-checks the opened directory's real path
// through /proc and gives a /proc/<pid>/fd/<n> path naming exactly that directory.

import { lstat, open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { forbidden, invalidArgument } from '../base/errors.ts';

const MAX_LINKS = 255;

export interface ScopedPath {
  /** The path on the host (under the root). */
  hostPath: string;
  /** The same path as the container sees it, always absolute ("/" for the root itself). */
  containerPath: string;
}

/**
 * Resolves `p` (a container path; relative means relative to "/") inside `root`. Every symlink on the way is followed
 * inside the root; the last component is followed only with `followLast` (lstat semantics otherwise). Components that
 * do not exist are kept literally.
 */
export async function resolveScoped(root: string, p: string, opts: { followLast?: boolean } = {}): Promise<ScopedPath> {
  const base = path.resolve(root);
  const pending = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const comp = pending.shift()!;
    if (comp === '..') {
      done.pop();
      continue;
    }
    const host = path.join(base, ...done, comp);
    const isLast = pending.length === 0;
    let isLink = false;
    try {
      isLink = (await lstat(host)).isSymbolicLink();
    } catch {
      done.push(comp);
      continue;
    }
    if (!isLink || (isLast && !opts.followLast)) {
      done.push(comp);
      continue;
    }
    if (++links > MAX_LINKS) throw invalidArgument(`too many levels of symbolic links: ${p}`);
    const target = await readlink(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
  }
  return { hostPath: path.join(base, ...done), containerPath: '/' + done.join('/') };
}

/** A symlink's target as a container path: absolute, resolved (not following the final component of the target). */
export async function linkTargetInRoot(root: string, containerPath: string): Promise<string> {
  const r = await resolveScoped(root, containerPath, { followLast: true });
  return r.containerPath;
}

/** True when `candidate` is `root` or lies under it (both absolute and canonical). */
export function isWithin(root: string, candidate: string): boolean {
  const r = root.endsWith('/') ? root.slice(0, -1) : root;
  return candidate === r || candidate.startsWith(r + '/') || r === '';
}

export interface ScopedDir {
  handle: FileHandle;
  /** /proc/<our pid>/fd/<n>: usable as a child's cwd or `tar -C`; names exactly the directory we checked. */
  procPath: string;
  close(): Promise<void>;
}

/**
 * Opens directory `hostPath` and verifies, on the opened descriptor, that it really lies inside `root` (a component
 * swapped for a symlink between resolution and open would show up here). The last component is not followed.
 */
export async function openScopedDir(root: string, hostPath: string): Promise<ScopedDir> {
  const realRoot = await realpath(root);
  const handle = await open(hostPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const procPath = `/proc/${process.pid}/fd/${handle.fd}`;
    const actual = await readlink(procPath);
    if (!isWithin(realRoot, actual)) throw forbidden(`path escapes the container root: ${hostPath}`, 'path_escape');
    return { handle, procPath, close: () => handle.close() };
  } catch (e) {
    await handle.close().catch(() => {});
    throw e;
  }
}
