// Size of a tree the way Docker reports layer and container sizes: the sum of st_size of every non-directory entry,
// each hard-linked inode counted once, without crossing into other filesystems (mounts inside the tree).

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function dirSize(root: string, opts: { signal?: AbortSignal } = {}): Promise<number> {
  let rootStat;
  try {
    rootStat = await lstat(root, { bigint: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  const seen = new Set<number>();
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    opts.signal?.throwIfAborted();
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const subdirs: string[] = [];
    // Stat a directory's entries concurrently (bounded by its size); recurse one directory at a time.
    await Promise.all(
      entries.map(async (ent) => {
        const path = join(dir, ent.name);
        const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          throw e;
        });
        if (!st || st.dev !== rootStat.dev) return;
        if (st.isDirectory()) subdirs.push(path);
        else if (st.nlink > 1) {
          if (!seen.has(st.ino)) {
            seen.add(st.ino);
            total += st.size;
          }
        } else total += st.size;
      }),
    );
    for (const sub of subdirs) await walk(sub);
  };
  if (rootStat.isDirectory()) await walk(root);
  else total = rootStat.size;
  return total;
}
