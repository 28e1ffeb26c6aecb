// Picks the snapshotter for a data root: overlayfs when the kernel and the backing filesystem support it (probed with
// a real mount, since e.g. overlay on overlay or on some FUSE filesystems fails only at mount time), else vfs.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mountOverlay, unmount } from '../../sys/mount.ts';
import { OverlaySnapshotter } from './overlay-snapshotter.ts';
import type { Snapshotter } from './snapshotter.ts';
import { VfsSnapshotter } from './vfs-snapshotter.ts';

export async function overlaySupported(root: string): Promise<boolean> {
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(join(root, '.overlay-probe-'));
  const merged = join(dir, 'merged');
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d));
    await mountOverlay({ lowerdirs: [join(dir, 'lower')], upperdir: join(dir, 'upper'), workdir: join(dir, 'work'), target: merged });
    await unmount(merged);
    return true;
  } catch {
    return false;
  } finally {
    await unmount(merged, { lazy: true }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

export async function openSnapshotter(root: string, driver: 'overlayfs' | 'vfs' | 'auto' = 'auto'): Promise<Snapshotter> {
  if (driver === 'vfs' || (driver === 'auto' && !(await overlaySupported(root)))) return VfsSnapshotter.open(root);
  return OverlaySnapshotter.open(root);
}
