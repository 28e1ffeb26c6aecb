// .dockerignore on disk and context walking. The pure matcher (Docker's exact pattern rules) is src/spec/dockerignore.ts,
// shared with the CLI, which applies it while streaming a context.

import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { IgnoreMatcher } from '../../spec/dockerignore.ts';

export { cleanPath, readIgnorePatterns, createPatternMatcher, createIgnoreMatcher } from '../../spec/dockerignore.ts';
export type { IgnoreMatcher, IgnorePattern } from '../../spec/dockerignore.ts';

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * The ignore file for a build: `<Dockerfile>.dockerignore` next to the Dockerfile when it exists, else
 * `<context>/.dockerignore`. `dockerfile` is relative to the context or absolute. undefined when neither exists.
 */
export async function loadDockerignore(contextDir: string, dockerfile?: string): Promise<{ path: string; text: string } | undefined> {
  if (dockerfile !== undefined && dockerfile !== '') {
    const p = path.resolve(contextDir, dockerfile) + '.dockerignore';
    const text = await readIfExists(p);
    if (text !== undefined) return { path: p, text };
  }
  const p = path.join(contextDir, '.dockerignore');
  const text = await readIfExists(p);
  return text === undefined ? undefined : { path: p, text };
}

export interface ContextEntry {
  /** Slash-separated path relative to the context root. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
}

/**
 * Walk a build context in lexical order (like Go's filepath.Walk), yielding entries the matcher keeps. Excluded
 * directories are skipped unless an exception could re-include something inside; such directories are not yielded
 * themselves (consumers create missing parents, as Docker's tar does). Symlinks are not followed.
 */
export async function* walkContext(
  root: string,
  matcher: IgnoreMatcher | undefined,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<ContextEntry> {
  await lstat(root);
  async function* walk(rel: string): AsyncGenerator<ContextEntry> {
    options.signal?.throwIfAborted();
    const dirents = await readdir(rel === '' ? root : path.join(root, rel), { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      const p = rel === '' ? d.name : `${rel}/${d.name}`;
      const type: ContextEntry['type'] = d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other';
      const excluded = matcher ? matcher(p, type === 'dir') : false;
      if (excluded) {
        if (type === 'dir' && matcher!.hasExclusions && matcher!.mayIncludeUnder(p)) yield* walk(p);
        continue;
      }
      yield { path: p, type };
      if (type === 'dir') yield* walk(p);
    }
  }
  yield* walk('');
}

/** All kept paths of a context (convenience over walkContext). */
export async function listContext(root: string, matcher: IgnoreMatcher | undefined, options: { signal?: AbortSignal } = {}): Promise<ContextEntry[]> {
  const out: ContextEntry[] = [];
  for await (const e of walkContext(root, matcher, options)) out.push(e);
  return out;
}
