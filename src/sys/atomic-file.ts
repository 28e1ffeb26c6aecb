// Crash-safe metadata writes: a reader (or the daemon after kill -9) sees either the old file or the new one, never a
// torn mix. Temp file in the same directory (so rename stays on one filesystem), fsync, rename, fsync the directory.

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsyncs a directory so a rename or unlink inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * `sync: false` keeps the temp+rename (a reader or a restarted daemon still sees the old or the new file whole) but
 * skips both fsyncs: for state that describes only what a reboot wipes anyway (netns, veths, rules).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number; sync?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  // Leading dot + ".tmp-" so directory scans can skip and sweep leftovers from a crash.
  const tmp = join(dir, `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'w', opts.mode ?? 0o644);
  try {
    try {
      await fh.writeFile(data);
      if (opts.sync !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  if (opts.sync !== false) await fsyncDir(dir);
}

/** Reads and parses a JSON file; undefined when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as T;
}

/** True for temp files left behind by writeFileAtomic (safe to delete when no write is in flight). */
export const isAtomicTempName = (name: string): boolean => name.startsWith('.') && name.includes('.tmp-');
