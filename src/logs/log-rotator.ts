// Size-based rotation of a conmon log without losing lines. conmon's own --log-size-max truncates,
// so the daemon rotates instead: shift ctr.log.N → ctr.log.N+1 (dropping the oldest), rename the
// live file to ctr.log.1, then ask conmon to reopen. Until conmon reopens it keeps appending to the
// renamed file, so every line lands in exactly one file.
//
// On-disk layout: PATH (live, written by conmon), PATH.1 (newest rotated) … PATH.<maxFiles-1>.
import { rename, stat, unlink } from 'node:fs/promises';
import { invalidArgument } from '../base/errors.ts';
import { isNotFound, rotatedIndices, rotatedPath } from './log-files.ts';

export { parseSize } from './log-size.ts';

export interface LogRotatorOptions {
  path: string;
  /** Rotate once the live file has at least this many bytes. */
  maxSize: number;
  /** Files kept in total, the live one included (Docker's max-file). */
  maxFiles: number;
  /** Makes the log writer reopen `path` (for conmon: write "2 0 0\n" to the bundle's ctl FIFO). */
  reopen: () => Promise<void>;
}

// Rotations of one path run one at a time; concurrent callers share the running one.
const inFlight = new Map<string, Promise<boolean>>();

/** Rotates when the live file has reached maxSize; resolves to whether it rotated. */
export function rotateIfNeeded(opts: LogRotatorOptions): Promise<boolean> {
  const running = inFlight.get(opts.path);
  if (running) return running;
  const p = rotate(opts).finally(() => inFlight.delete(opts.path));
  inFlight.set(opts.path, p);
  return p;
}

async function rotate(opts: LogRotatorOptions): Promise<boolean> {
  const { path, maxSize, maxFiles } = opts;
  if (!Number.isInteger(maxFiles) || maxFiles < 1) throw invalidArgument(`invalid max-file: ${maxFiles}`);
  if (!(maxSize > 0)) throw invalidArgument(`invalid max-size: ${maxSize}`);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  if (size < maxSize) return false;

  // Everything from index maxFiles-1 up would fall off the end after the shift (higher indices
  // exist only if max-file was lowered since the last rotation).
  for (const n of await rotatedIndices(path)) {
    if (n >= maxFiles - 1) await unlinkIfExists(rotatedPath(path, n));
  }
  for (let n = maxFiles - 2; n >= 1; n--) await renameIfExists(rotatedPath(path, n), rotatedPath(path, n + 1));

  if (maxFiles === 1) {
    // No history kept: lines written until the reopen go to the doomed file, as with Docker's truncation.
    const doomed = `${path}.rotating`;
    await rename(path, doomed);
    try {
      await opts.reopen();
    } finally {
      await unlinkIfExists(doomed);
    }
    return true;
  }
  await rename(path, rotatedPath(path, 1));
  await opts.reopen();
  return true;
}

/** Removes the live file and all rotated siblings (container removal). */
export async function removeLogFiles(path: string): Promise<void> {
  for (const n of await rotatedIndices(path)) await unlinkIfExists(rotatedPath(path, n));
  await unlinkIfExists(path);
  await unlinkIfExists(`${path}.rotating`);
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

async function unlinkIfExists(p: string): Promise<void> {
  try {
    await unlink(p);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
