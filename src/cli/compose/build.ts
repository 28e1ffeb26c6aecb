// compose build: the context tarred with .dockerignore applied, sent to the classic POST /build, its JSON message
// stream printed as it comes.
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { ApiError } from '../../client/engine-client.ts';
import type { EngineClient } from '../../client/engine-client.ts';
import { jsonMessages } from '../../client/json-messages.ts';
import { contextTar } from './context-tar.ts';
import type { BuildConfig } from './model.ts';
import { ComposeError } from './model.ts';

export interface BuildRequest {
  service: string;
  tag: string;
  build: BuildConfig;
  noCache?: boolean;
  pull?: boolean;
  labels?: Record<string, string>;
  quiet?: boolean;
}

/** Builds one image; returns its id (from the aux message) when the daemon reports it. */
export async function buildImage(client: EngineClient, r: BuildRequest, write: (s: string) => void): Promise<string | undefined> {
  const b = r.build;
  try {
    if (!statSync(b.context).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new ComposeError(`services.${r.service}.build: unable to prepare context: path "${b.context}" not found`);
  }
  if (b.dockerfile_inline !== undefined) throw new ComposeError(`services.${r.service}.build.dockerfile_inline is not supported by berth compose`);
  const dockerfile = b.dockerfile ?? 'Dockerfile';
  const dfRel = dockerfile.startsWith('/') ? relative(b.context, dockerfile) : dockerfile;
  const tar = contextTar(b.context, [dfRel, '.dockerignore']);
  const query = {
    t: [r.tag, ...(b.tags ?? [])],
    dockerfile: dfRel,
    buildargs: b.args && Object.keys(b.args).length ? JSON.stringify(b.args) : undefined,
    target: b.target || undefined,
    labels: JSON.stringify({ ...(b.labels ?? {}), ...(r.labels ?? {}) }),
    nocache: r.noCache || b.no_cache ? true : undefined,
    pull: r.pull || b.pull ? true : undefined,
    networkmode: b.network || undefined,
    rm: true,
    forcerm: true,
    q: r.quiet ? true : undefined,
  };
  let res;
  try {
    res = await client.stream('POST', '/build', { query, body: tar, headers: { 'Content-Type': 'application/x-tar' } });
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501) && /page not found|not found|not implemented|no such/i.test(e.message) && !/Dockerfile/i.test(e.message)) {
      throw new ComposeError(`failed to build service "${r.service}": the daemon does not support POST /build (${e.message})`);
    }
    throw new ComposeError(`failed to build service "${r.service}": ${e instanceof Error ? e.message : String(e)}`);
  }
  let id: string | undefined;
  for await (const m of jsonMessages(res)) {
    if (m.errorDetail || m.error) throw new ComposeError(`failed to build service "${r.service}": ${m.errorDetail?.message ?? m.error}`);
    const aux = (m as { aux?: { ID?: string } }).aux;
    if (aux?.ID) id = aux.ID;
    if (typeof m.stream === 'string' && !r.quiet) write(m.stream);
    else if (m.status && !r.quiet) write(`${m.status}${m.progress ? ` ${m.progress}` : ''}\n`);
  }
  return id;
}
