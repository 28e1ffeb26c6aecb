// Typed wrappers for a container's filesystem endpoints: changes, commit, export, archive (cp), import from a URL.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { JsonMessage } from '../spec/docker-api.ts';
import { ApiError, readAll, type EngineClient } from './engine-client.ts';
import { consumeJsonMessages } from './json-messages.ts';

export interface ContainerChange {
  Path: string;
  Kind: number;
}

/** Docker's ContainerPathStat; `mode` is a Go os.FileMode (type bits above the permission bits). */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export const GO_MODE_DIR = 2 ** 31;
export const GO_MODE_SYMLINK = 2 ** 27;
export const isDirMode = (mode: number) => mode >= GO_MODE_DIR;
export const isSymlinkMode = (mode: number) => Math.floor(mode / GO_MODE_SYMLINK) % 2 === 1;

const STAT_HEADER = 'x-docker-container-path-stat';

function decodeStat(h: string | string[] | undefined): ContainerPathStat | undefined {
  if (typeof h !== 'string' || !h) return undefined;
  return JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as ContainerPathStat;
}

export async function containerChanges(c: EngineClient, ref: string): Promise<ContainerChange[]> {
  return (await c.request<ContainerChange[] | null>('GET', `/containers/${encodeURIComponent(ref)}/changes`)).body ?? [];
}

export async function commitContainer(
  c: EngineClient,
  ref: string,
  opts: { repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[] } = {},
): Promise<string> {
  const query = {
    container: ref,
    repo: opts.repo || undefined,
    tag: opts.tag || undefined,
    comment: opts.comment || undefined,
    author: opts.author || undefined,
    pause: opts.pause === false ? '0' : undefined,
    changes: opts.changes && opts.changes.length ? opts.changes : undefined,
  };
  return (await c.request<{ Id: string }>('POST', '/commit', { query })).body.Id;
}

export function exportContainer(c: EngineClient, ref: string): Promise<IncomingMessage> {
  return c.stream('GET', `/containers/${encodeURIComponent(ref)}/export`);
}

/** HEAD /containers/{id}/archive; undefined when the path does not exist (404 with a known container). */
export async function statContainerPath(c: EngineClient, ref: string, path: string): Promise<ContainerPathStat | undefined> {
  try {
    const res = await c.stream('HEAD', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path } });
    await readAll(res);
    return decodeStat(res.headers[STAT_HEADER]);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      // HEAD has no body: tell a missing container from a missing path with an inspect.
      await c.request('GET', `/containers/${encodeURIComponent(ref)}/json`);
      return undefined;
    }
    throw e;
  }
}

export async function getContainerArchive(c: EngineClient, ref: string, path: string): Promise<{ stat: ContainerPathStat | undefined; stream: IncomingMessage }> {
  const res = await c.stream('GET', `/containers/${encodeURIComponent(ref)}/archive`, { query: { path } });
  return { stat: decodeStat(res.headers[STAT_HEADER]), stream: res };
}

export async function putContainerArchive(
  c: EngineClient,
  ref: string,
  path: string,
  tar: Readable,
  opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {},
): Promise<void> {
  const res = await c.stream('PUT', `/containers/${encodeURIComponent(ref)}/archive`, {
    query: { path, noOverwriteDirNonDir: opts.noOverwriteDirNonDir ? 'true' : undefined, copyUIDGID: opts.copyUIDGID ? 'true' : undefined },
    body: tar,
    headers: { 'Content-Type': 'application/x-tar' },
  });
  await readAll(res);
}

/** POST /images/create?fromSrc=<URL>: the daemon fetches the tarball. */
export async function importImageFromUrl(
  c: EngineClient,
  url: string,
  opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string } = {},
): Promise<JsonMessage[]> {
  const query = {
    fromSrc: url,
    repo: opts.repo || undefined,
    tag: opts.tag || undefined,
    changes: opts.changes && opts.changes.length ? opts.changes : undefined,
    message: opts.message || undefined,
    platform: opts.platform || undefined,
  };
  return consumeJsonMessages(await c.stream('POST', '/images/create', { query }));
}
