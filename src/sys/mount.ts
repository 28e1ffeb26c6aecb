// Mounts through util-linux `mount`/`umount` (Node has no mount(2)). The kernel passes legacy mount data in one page,
// so long overlay option strings fail with a misleading "special device overlay does not exist"; callers with many
// layers pass short lowerdirs relative to `cwd` (see overlay-snapshotter.ts).

import { readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { run } from './exec.ts';


// Absolute paths: util-linux's, so each spawn skips the PATH walk.
const MOUNT = '/usr/bin/mount';
const UMOUNT = '/usr/bin/umount';
export interface OverlayMountOptions {
  /** Top-most first, as overlayfs expects. */
  lowerdirs: string[];
  upperdir?: string;
  workdir?: string;
  target: string;
  /** Working directory for `mount`, so lowerdirs can be short relative paths. */
  cwd?: string;
  signal?: AbortSignal;
}

export async function mountOverlay(opts: OverlayMountOptions): Promise<void> {
  if (opts.lowerdirs.length === 0) throw new Error('mountOverlay: at least one lowerdir is required');
  if (!opts.upperdir && opts.lowerdirs.length === 1) {
    // overlayfs needs two lowers when there is no upper; one read-only layer is just a read-only bind.
    const source = opts.cwd ? resolve(opts.cwd, opts.lowerdirs[0]!) : opts.lowerdirs[0]!;
    return bindMount(source, opts.target, { readonly: true, signal: opts.signal });
  }
  const parts = [`lowerdir=${opts.lowerdirs.join(':')}`];
  if (opts.upperdir) {
    if (!opts.workdir) throw new Error('mountOverlay: workdir is required with upperdir');
    parts.push(`upperdir=${opts.upperdir}`, `workdir=${opts.workdir}`);
  } else {
    parts.push('ro');
  }
  await run(MOUNT, ['-t', 'overlay', 'overlay', '-o', parts.join(','), opts.target], {
    cwd: opts.cwd,
    signal: opts.signal,
  });
}

export async function bindMount(
  source: string,
  target: string,
  opts: { readonly?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  // util-linux 2.38 applies "ro" to the new bind mount atomically (mount_setattr), no separate remount needed.
  const args = ['--bind', ...(opts.readonly ? ['-o', 'ro'] : []), source, target];
  await run(MOUNT, args, { signal: opts.signal });
}

/** Unmounts `target`; a path that is missing or not a mount point is already unmounted. */
export async function unmount(target: string, opts: { lazy?: boolean; signal?: AbortSignal } = {}): Promise<void> {
  const path = await realpath(target).catch(() => resolve(target));
  // Stacked mounts (e.g. mounted twice) need one umount each.
  for (let i = 0; i < 16 && (await isMounted(path)); i++) {
    await run(UMOUNT, [...(opts.lazy ? ['-l'] : []), path], { signal: opts.signal });
  }
}

/** Decodes mountinfo's octal escapes (\040 for space, \011 tab, \012 newline, \134 backslash). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points of this process's mount namespace, from /proc/self/mountinfo (field 5). */
export async function listMountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field) points.push(unescapeMountinfo(field));
  }
  return points;
}

export async function isMounted(target: string): Promise<boolean> {
  // mountinfo shows canonical paths; a missing target cannot be a mount point.
  const path = await realpath(target).catch(() => undefined);
  if (path === undefined) return false;
  return (await listMountPoints()).includes(path);
}

/** `mount -t TYPE -o OPTIONS SOURCE TARGET` (a local volume's `type`/`o`/`device` options, tmpfs, ...). */
export async function mountFs(
  type: string,
  source: string,
  target: string,
  opts: { options?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const args = ['-t', type, ...(opts.options ? ['-o', opts.options] : []), source, target];
  await run(MOUNT, args, { signal: opts.signal });
}
