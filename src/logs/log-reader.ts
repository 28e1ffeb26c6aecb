// Reads a container's k8s-file log (live file plus rotated siblings) as `docker logs` needs it:
// tail, since/until, stream selection, and follow across rotations.
//
// Files are opened up front, newest first, and deduplicated by inode: a rotation during setup only
// moves files to higher indices, so every file is seen (at least once). From then on we read through
// file handles, which renames do not disturb.
//
// Following: a file is "sealed" (conmon will not write to it again) once PATH exists as a different
// inode, because conmon creates the new PATH only when it reopens its log. Until then (between the
// rename and the reopen) the renamed file may still grow, so we keep reading it.
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ChangeWaiter } from './change-waiter.ts';
import { parseK8sLine } from './k8s-file.ts';
import type { LogEntry } from './k8s-file.ts';
import { isNotFound, rotatedIndices, rotatedPath } from './log-files.ts';
import { scanTail } from './tail-scan.ts';

export type { LogEntry } from './k8s-file.ts';

export interface ReadLogsOptions {
  /** The live log file; rotated siblings are path.1, path.2, ... (older = higher number). */
  path: string;
  follow?: boolean;
  /** undefined/-1 = all; 0 = none; N = the last N entries across rotated files. */
  tail?: number;
  /** Entries with timeNs < sinceNs are skipped (inclusive since, as Docker). */
  sinceNs?: bigint;
  /** Entries with timeNs > untilNs end the read; following stops once the clock passes it. */
  untilNs?: bigint;
  stdout?: boolean;
  stderr?: boolean;
  /**
   * True once the container has exited. Following drains what is left and ends. It also decides
   * whether an unterminated last line is complete: it is emitted only when the writer is done
   * (or, without follow, when isDone is not given).
   */
  isDone?: () => boolean;
  /** Stops promptly and releases watchers and file handles; the iterator just ends. */
  signal?: AbortSignal;
}

const CHUNK = 64 * 1024;
const POLL_MS = 250;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

interface LogFile {
  fh: FileHandle;
  dev: number;
  ino: number;
  /** Size when opened: the snapshot a non-follow read stops at. */
  size: number;
}

/** Reads forward through one file, splitting into lines and holding back an unterminated rest. */
class Cursor {
  readonly file: LogFile;
  offset: number;
  #carry: Buffer = EMPTY;

  constructor(file: LogFile, offset: number) {
    this.file = file;
    this.offset = offset;
  }

  /** Reads up to one chunk (not past `limit`); returns the complete lines and the bytes read. */
  async read(limit = Number.MAX_SAFE_INTEGER): Promise<{ lines: Buffer[]; bytes: number }> {
    const want = Math.min(CHUNK, limit - this.offset);
    if (want <= 0) return { lines: [], bytes: 0 };
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await this.file.fh.read(buf, 0, want, this.offset);
    if (bytesRead === 0) return { lines: [], bytes: 0 };
    this.offset += bytesRead;
    let data = buf.subarray(0, bytesRead);
    if (this.#carry.length > 0) data = Buffer.concat([this.#carry, data]);
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
      lines.push(data.subarray(start, nl));
      start = nl + 1;
    }
    this.#carry = start < data.length ? Buffer.from(data.subarray(start)) : EMPTY;
    return { lines, bytes: bytesRead };
  }

  /** The unterminated rest, taken as final (the file is sealed or the reader is finishing). */
  flush(): Buffer | null {
    const rest = this.#carry;
    this.#carry = EMPTY;
    return rest.length > 0 ? rest : null;
  }
}

export function readLogs(opts: ReadLogsOptions): AsyncIterable<LogEntry> {
  return generate(opts);
}

const STOP = Symbol('stop');

async function* generate(opts: ReadLogsOptions): AsyncGenerator<LogEntry> {
  const { path, signal } = opts;
  const follow = opts.follow ?? false;
  const wantStdout = opts.stdout ?? true;
  const wantStderr = opts.stderr ?? true;
  const tail = opts.tail ?? -1;
  if (!follow && tail === 0) return;
  if (signal?.aborted) return;
  // Whether an unterminated last line counts as complete right now.
  const finishing = (): boolean => (opts.isDone ? opts.isDone() : !follow);

  const select = (line: Buffer): LogEntry | null | typeof STOP => {
    const e = parseK8sLine(line);
    if (e === null) return null;
    if (opts.untilNs !== undefined && e.timeNs > opts.untilNs) return STOP;
    if (opts.sinceNs !== undefined && e.timeNs < opts.sinceNs) return null;
    if (e.stream === 'stdout' ? !wantStdout : !wantStderr) return null;
    return e;
  };

  const chain = await openChain(path);
  try {
    // Choose the starting file and offset.
    let first = 0;
    let firstOffset = 0;
    if (tail >= 0 && chain.length > 0) {
      const skipTrailing = !finishing();
      let need = tail;
      for (let i = chain.length - 1; i >= 0; i--) {
        const f = chain[i]!;
        const r = await scanTail(f.fh, f.size, { need, skipTrailing: skipTrailing && i === chain.length - 1 });
        need -= r.count;
        first = i;
        firstOffset = r.start;
        if (need <= 0) break;
      }
    }
    for (const f of chain.splice(0, first)) await f.fh.close();

    if (!follow) {
      for (let i = 0; i < chain.length; i++) {
        const last = i === chain.length - 1;
        const cur = new Cursor(chain[i]!, i === 0 ? firstOffset : 0);
        for (;;) {
          if (signal?.aborted) return;
          const { lines, bytes } = await cur.read(cur.file.size);
          for (const line of lines) {
            const e = select(line);
            if (e === STOP) return;
            if (e !== null) yield e;
          }
          if (bytes === 0) break;
        }
        const rest = !last || finishing() ? cur.flush() : null;
        if (rest !== null) {
          const e = select(rest);
          if (e === STOP) return;
          if (e !== null) yield e;
        }
      }
      return;
    }

    const waiter = new ChangeWaiter(dirname(path), { pollMs: POLL_MS, signal });
    const untilPassed = (): boolean =>
      opts.untilNs !== undefined && BigInt(Date.now()) * 1_000_000n > opts.untilNs;
    const firstFile = chain.shift();
    let cur: Cursor | null = firstFile ? new Cursor(firstFile, firstOffset) : null;
    try {
      for (;;) {
        if (signal?.aborted) return;
        if (cur === null) {
          // No log yet (or it vanished mid-rotation with the writer gone): wait for PATH.
          const done = opts.isDone?.() ?? false;
          const f = await openLogFile(path);
          if (f !== null) {
            cur = new Cursor(f, 0);
            continue;
          }
          if (done || untilPassed()) return;
          await waiter.wait();
          continue;
        }
        // isDone is sampled BEFORE the read: everything written before the exit is then on disk.
        const done = opts.isDone?.() ?? false;
        const { lines, bytes } = await cur.read();
        for (const line of lines) {
          const e = select(line);
          if (e === STOP) return;
          if (e !== null) yield e;
        }
        if (bytes > 0) continue;

        if (await isSealed(path, cur.file)) {
          // Writes may have landed between the read and the check: drain, then move on.
          for (;;) {
            const more = await cur.read();
            for (const line of more.lines) {
              const e = select(line);
              if (e === STOP) return;
              if (e !== null) yield e;
            }
            if (more.bytes === 0) break;
          }
          const rest = cur.flush();
          if (rest !== null) {
            const e = select(rest);
            if (e === STOP) return;
            if (e !== null) yield e;
          }
          const sealed = cur.file;
          cur = null;
          await sealed.fh.close();
          const next = chain.shift() ?? (await openSuccessor(path, sealed));
          if (next !== null) cur = new Cursor(next, 0);
          continue;
        }
        if (done) {
          const rest = cur.flush();
          if (rest !== null) {
            const e = select(rest);
            if (e !== null && e !== STOP) yield e;
          }
          return;
        }
        if (untilPassed()) return;
        await waiter.wait();
      }
    } finally {
      waiter.close();
      if (cur !== null) await cur.file.fh.close();
    }
  } finally {
    for (const f of chain) await f.fh.close().catch(() => {});
  }
}

/** Opens PATH and its rotated siblings; returns them oldest first, one per inode. */
async function openChain(path: string): Promise<LogFile[]> {
  const indices = await rotatedIndices(path);
  // One index past the last seen catches a file shifted up by a rotation racing the listing.
  const paths = [path, ...indices.map((n) => rotatedPath(path, n))];
  paths.push(rotatedPath(path, (indices.at(-1) ?? 0) + 1));
  const newestFirst: LogFile[] = [];
  const seen = new Set<string>();
  try {
    for (const p of paths) {
      const f = await openLogFile(p);
      if (f === null) continue;
      const key = `${f.dev}:${f.ino}`;
      if (seen.has(key)) {
        await f.fh.close();
        continue;
      }
      seen.add(key);
      newestFirst.push(f);
    }
  } catch (e) {
    for (const f of newestFirst) await f.fh.close().catch(() => {});
    throw e;
  }
  return newestFirst.reverse();
}

async function openLogFile(p: string): Promise<LogFile | null> {
  let fh: FileHandle;
  try {
    fh = await open(p, 'r');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  try {
    const st = await fh.stat();
    return { fh, dev: st.dev, ino: st.ino, size: st.size };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function statOrNull(p: string): Promise<{ dev: number; ino: number } | null> {
  try {
    return await stat(p);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

const sameFile = (a: { dev: number; ino: number }, b: { dev: number; ino: number }): boolean =>
  a.dev === b.dev && a.ino === b.ino;

async function isSealed(path: string, file: LogFile): Promise<boolean> {
  const st = await statOrNull(path);
  return st !== null && !sameFile(st, file);
}

/**
 * Opens the file that follows `file` in rotation order: PATH.(k-1) when `file` is now PATH.k,
 * PATH when it is PATH.1. Re-checks that `file` is still at PATH.k after opening, since a
 * rotation in between would shift the names (the shift moves older files first, so an unchanged
 * PATH.k means PATH.(k-1) was not moved yet either).
 */
async function openSuccessor(path: string, file: LogFile): Promise<LogFile | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    let k = 0;
    for (const n of await rotatedIndices(path)) {
      const st = await statOrNull(rotatedPath(path, n));
      if (st !== null && sameFile(st, file)) {
        k = n;
        break;
      }
    }
    // Not found (rotated out of existence): the best remaining guess is the live file.
    const nextPath = k <= 1 ? path : rotatedPath(path, k - 1);
    const next = await openLogFile(nextPath);
    if (next === null) continue;
    if (k === 0) return next;
    const again = await statOrNull(rotatedPath(path, k));
    if (again !== null && sameFile(again, file)) return next;
    await next.fh.close();
  }
  return openLogFile(path);
}
