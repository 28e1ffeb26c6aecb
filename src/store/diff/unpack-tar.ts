// Unpacking a Docker/OCI layer tar: the bytes are hashed (the layer's diffId) and scanned for whiteout entries on
// their way into GNU tar, which does the extraction (fast, and it can create devices, FIFOs and xattrs; node-tar
// cannot). Afterwards whiteouts are converted for the snapshotter: overlay wants char 0/0 devices and the
// trusted.overlay.opaque xattr; a copy-based tree wants the named files actually deleted.
//
// Whiteout entries (OCI image-spec layer.md):
//   DIR/.wh.NAME       NAME was deleted in this layer
//   DIR/.wh..wh..opq   DIR is opaque: nothing below it from lower layers is visible
//   DIR/.wh..wh.*      other AUFS metadata (hard-link dirs): dropped

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, rm, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { PassThrough } from 'node:stream';
import { invalidArgument } from '../../base/errors.ts';
import { run } from '../../sys/exec.ts';
import { detectCompression } from './decompress.ts';
import { TarScanner } from './tar-scan.ts';

const WH_PREFIX = '.wh.';
const WH_META_PREFIX = '.wh..wh.';
const WH_OPAQUE = '.wh..wh..opq';

export interface UnpackResult {
  /** sha256 of the uncompressed tar, every byte including trailing padding. */
  diffId: string;
  tarSize: number;
  /** Entry names (relative) of `.wh.` files, opaque markers and AUFS metadata, in archive order. */
  whiteoutEntries: string[];
  /** Every entry name plus its ancestors; only when `collectNames` was set. */
  names?: Set<string>;
}

export const GNU_TAR_EXTRACT_ARGS = ['-x', '--numeric-owner', '-p', '--xattrs', '--xattrs-include=*', '-f', '-'];

/**
 * Streams `tar` into GNU tar extracting into `dir` (which must exist). The whole input is hashed even if tar stops
 * reading at the end-of-archive marker, so the diffId always covers the full stream.
 */
/** A layer tar already on disk (e.g. `docker load`'s spool): GNU tar reads the file itself, no pipe in between. */
export interface LayerTarFile {
  file: string;
}

export function isLayerTarFile(t: NodeJS.ReadableStream | LayerTarFile): t is LayerTarFile {
  return typeof (t as LayerTarFile).file === 'string';
}

export async function unpackTar(
  tar: NodeJS.ReadableStream | LayerTarFile,
  dir: string,
  opts: { signal?: AbortSignal; collectNames?: boolean } = {},
): Promise<UnpackResult> {
  const hash = createHash('sha256');
  const whiteoutEntries: string[] = [];
  const names = opts.collectNames ? new Set<string>() : undefined;
  const scanner = new TarScanner((e) => {
    if (!e.name) return;
    const base = posix.basename(e.name);
    if (base.startsWith(WH_PREFIX)) whiteoutEntries.push(e.name);
    if (names) {
      for (let n = e.name; n && n !== '.'; n = posix.dirname(n)) {
        if (names.has(n)) break;
        names.add(n);
      }
    }
  });

  const kill = new AbortController();
  const onAbort = () => kill.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (isLayerTarFile(tar)) {
    // GNU tar reads the file while we hash and scan the same bytes (from the page cache) in parallel. Reading a file
    // (not a pipe) it would also unpack a compressed archive by itself: a layer here must be a plain tar, as on stdin.
    const head = Buffer.alloc(8);
    const fh = await open(tar.file, 'r');
    try {
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
    if (detectCompression(head) !== 'none') {
      opts.signal?.removeEventListener('abort', onAbort);
      throw invalidArgument('the layer tar is compressed where a plain tar was expected');
    }
    const args = [...GNU_TAR_EXTRACT_ARGS.slice(0, -1), tar.file, '-C', dir];
    const tarDone = run('tar', args, { signal: kill.signal });
    tarDone.catch(() => {});
    let tarSize = 0;
    try {
      const scan = (async () => {
        for await (const chunk of createReadStream(tar.file, { highWaterMark: 1 << 20, signal: kill.signal }) as AsyncIterable<Buffer>) {
          hash.update(chunk);
          scanner.write(chunk);
          tarSize += chunk.length;
        }
      })();
      const [t, sc] = await Promise.allSettled([tarDone, scan]);
      if (t.status === 'rejected') throw tarFailure(t.reason);
      if (sc.status === 'rejected') throw sc.reason;
    } catch (e) {
      kill.abort(e);
      await tarDone.catch(() => {}); // the child must be gone before the caller removes `dir`
      throw opts.signal?.aborted ? (opts.signal.reason ?? e) : e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    return { diffId: `sha256:${hash.digest('hex')}`, tarSize, whiteoutEntries, names };
  }
  const feed = new PassThrough();
  let tarExited = false;
  let tarError: unknown;
  const tarDone = run('tar', [...GNU_TAR_EXTRACT_ARGS, '-C', dir], { input: feed, signal: kill.signal }).then(
    () => void (tarExited = true),
    (e: unknown) => {
      tarExited = true;
      tarError = tarFailure(e);
    },
  );
  let tarSize = 0;
  try {
    for await (const chunk of tar as AsyncIterable<Buffer | string>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      hash.update(buf);
      scanner.write(buf);
      tarSize += buf.length;
      if (tarError) throw tarError;
      if (!tarExited && !feed.write(buf)) {
        await Promise.race([once(feed, 'drain'), tarDone]);
      }
    }
    feed.end();
    await tarDone;
    if (tarError) throw tarError;
  } catch (e) {
    kill.abort(e);
    await tarDone; // the child must be gone before the caller removes `dir`
    throw opts.signal?.aborted ? (opts.signal.reason ?? e) : e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return { diffId: `sha256:${hash.digest('hex')}`, tarSize, whiteoutEntries, names };
}

/**
 * GNU tar refusing a layer (an entry escaping the tree, a hard link to nothing, a truncated archive): the user's
 * mistake, in one line of tar's own words, without the command line and its boilerplate.
 */
function tarFailure(e: unknown): unknown {
  const m = e instanceof Error ? /: exit status \d+: ([\s\S]*)$/.exec(e.message) : null;
  if (!m) return e;
  const lines = m[1]!.split('\n').map((l) => l.trim()).filter((l) => l && !/Exiting with failure status|Removing leading/.test(l));
  return invalidArgument(lines.join('; ') || 'tar failed', 'invalid_layer');
}

/**
 * Joins a relative archive path under `root`, refusing ".." and any ancestor that is a symlink: a layer must not be
 * able to point a whiteout (an unlink or mknod) outside its own tree.
 */
async function safePath(root: string, rel: string): Promise<string> {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw invalidArgument(`invalid layer entry name: ${rel}`);
  let cur = root;
  for (const p of parts.slice(0, -1)) {
    cur = join(cur, p);
    const st = await lstat(cur);
    if (!st.isDirectory()) throw invalidArgument(`invalid layer entry ${rel}: ${p} is not a directory`);
  }
  return join(root, ...parts);
}

/** Overlay form: `.wh.NAME` → char device 0/0 NAME; opaque marker → trusted.overlay.opaque=y on its directory. */
export async function convertWhiteoutsForOverlay(
  dir: string,
  entries: readonly string[],
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  for (const entry of entries) {
    opts.signal?.throwIfAborted();
    const path = await safePath(dir, entry);
    const parent = posix.dirname(entry);
    const base = posix.basename(entry);
    await unlink(path).catch(ignoreEnoent);
    if (base === WH_OPAQUE) {
      await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', await safePath(dir, parent === '.' ? '' : parent)], opts);
    } else if (!base.startsWith(WH_META_PREFIX)) {
      const target = join(dir, parent === '.' ? '' : parent, base.slice(WH_PREFIX.length));
      await rm(target, { recursive: true, force: true });
      // Mode 0, as the kernel's own whiteouts: the device is a marker, never opened.
      await run('mknod', ['-m', '0', target, 'c', '0', '0'], opts);
    }
  }
}

/**
 * Copy-based form: apply the deletions to a tree that already holds the lower layers plus this layer's entries.
 * `names` (from unpackTar with collectNames) says which entries this layer added, so an opaque directory keeps them.
 */
export async function applyWhiteoutsInPlace(
  dir: string,
  entries: readonly string[],
  names: ReadonlySet<string>,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  for (const entry of entries) {
    opts.signal?.throwIfAborted();
    const path = await safePath(dir, entry);
    const parent = posix.dirname(entry);
    const base = posix.basename(entry);
    await rm(path, { recursive: true, force: true });
    if (base === WH_OPAQUE) {
      const parentPath = await safePath(dir, parent === '.' ? '' : parent);
      for (const child of await readdir(parentPath)) {
        const rel = parent === '.' ? child : `${parent}/${child}`;
        if (!names.has(rel)) await rm(join(parentPath, child), { recursive: true, force: true });
      }
    } else if (!base.startsWith(WH_META_PREFIX)) {
      await rm(join(dir, parent === '.' ? '' : parent, base.slice(WH_PREFIX.length)), { recursive: true, force: true });
    }
  }
}

function ignoreEnoent(e: NodeJS.ErrnoException): void {
  if (e.code !== 'ENOENT') throw e;
}
