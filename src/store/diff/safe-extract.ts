// Extracting an untrusted archive into a directory of a container's filesystem (PUT /containers/{id}/archive).
// GNU tar runs on the host, so anything that would make it write outside the target must be refused before tar sees
// it. Every header is checked on its way in, before the bytes that carry it reach tar:
//   - names and hard-link targets with a ".." component are refused (absolute names are taken as relative);
//   - no entry may go through a symlink: neither one already on disk (a container's `/escape -> /`) nor one the
//     archive itself created earlier; hard-link targets likewise;
//   - with noOverwriteDirNonDir, a directory may not replace a non-directory or the other way round.
// GNU tar additionally extracts the archive's own symlinks last (placeholders first), and removes existing files
// instead of writing through them. trusted.overlay.* xattrs from the archive are never applied.

import { once } from 'node:events';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { invalidArgument, forbidden } from '../../base/errors.ts';
import { run } from '../../sys/exec.ts';
import { TarScanner, type TarEntryInfo } from './tar-scan.ts';

export interface SafeExtractOptions {
  noOverwriteDirNonDir?: boolean;
  /** Keep the archive's numeric owners (Docker's default for cp); otherwise files belong to the extracting user. */
  sameOwner?: boolean;
  signal?: AbortSignal;
}

type Check = (e: TarEntryInfo) => Promise<void>;

function components(name: string, what: string): string[] {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw forbidden(`${what} ${JSON.stringify(name)} refers outside the destination`, 'path_escape');
  return parts;
}

/** The per-entry check, against directory `dir` (which must already be verified to lie inside the container). */
export function entryChecker(dir: string, opts: { noOverwriteDirNonDir?: boolean }): Check {
  const archiveLinks = new Set<string>();
  const archiveDirs = new Set<string>();
  const noSymlinkOnWay = async (parts: string[], what: string) => {
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (archiveLinks.has(prefix)) throw forbidden(`${what} goes through symlink ${prefix} from the archive`, 'path_escape');
      if (archiveDirs.has(prefix)) continue;
      const st = await lstat(join(dir, prefix)).catch(() => undefined);
      if (!st) continue;
      if (st.isSymbolicLink()) throw forbidden(`${what} goes through symbolic link ${prefix} in the container`, 'path_escape');
      if (!st.isDirectory()) throw invalidArgument(`cannot extract ${what}: ${prefix} is not a directory`);
    }
  };
  return async (e) => {
    if (!e.name) return; // the archive's own "./": the destination itself
    if (e.type === 'x' || e.type === 'g' || e.type === 'L' || e.type === 'K') return;
    const parts = components(e.name, 'archive entry');
    await noSymlinkOnWay(parts, e.name);
    const rel = parts.join('/');
    const isDir = e.type === '5';
    const existing = await lstat(join(dir, rel)).catch(() => undefined);
    if (existing) {
      if (isDir && existing.isSymbolicLink()) throw forbidden(`directory ${rel} would replace a symbolic link`, 'path_escape');
      if (opts.noOverwriteDirNonDir && existing.isDirectory() !== isDir && !archiveDirs.has(rel)) {
        throw invalidArgument(
          isDir ? `cannot overwrite non-directory "/${rel}" with directory "${rel}"` : `cannot overwrite directory "/${rel}" with non-directory "${rel}"`,
        );
      }
    }
    if (e.type === '1') {
      const target = components(e.linkname ?? '', 'hard link target');
      await noSymlinkOnWay(target, `hard link target ${e.linkname}`);
    }
    if (e.type === '2') archiveLinks.add(rel);
    else archiveLinks.delete(rel);
    if (isDir) archiveDirs.add(rel);
  };
}

export const GNU_TAR_SAFE_EXTRACT_ARGS = ['-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--xattrs-exclude=trusted.overlay.*', '-f', '-'];

/** Streams `tar` into GNU tar extracting into `dir`, refusing (before tar sees it) any entry that fails the checks. */
export async function safeExtract(tar: NodeJS.ReadableStream, dir: string, opts: SafeExtractOptions = {}): Promise<void> {
  const check = entryChecker(dir, opts);
  const pending: TarEntryInfo[] = [];
  const scanner = new TarScanner((e) => pending.push(e));
  const kill = new AbortController();
  const onAbort = () => kill.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const feed = new PassThrough();
  let tarExited = false;
  let tarError: unknown;
  const args = [...GNU_TAR_SAFE_EXTRACT_ARGS, opts.sameOwner ? '--same-owner' : '--no-same-owner', '-C', dir];
  const tarDone = run('tar', args, { input: feed, signal: kill.signal }).then(
    () => void (tarExited = true),
    (e: unknown) => {
      tarExited = true;
      tarError = e;
    },
  );
  try {
    for await (const chunk of tar as AsyncIterable<Buffer | string>) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      scanner.write(buf);
      // Headers in this chunk are checked before any of it reaches tar.
      while (pending.length) await check(pending.shift()!);
      if (tarError) throw tarError;
      if (!tarExited && !feed.write(buf)) await Promise.race([once(feed, 'drain'), tarDone]);
    }
    feed.end();
    await tarDone;
    if (tarError) throw tarError;
  } catch (e) {
    kill.abort(e);
    feed.destroy();
    await tarDone;
    throw opts.signal?.aborted ? (opts.signal.reason ?? e) : e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
