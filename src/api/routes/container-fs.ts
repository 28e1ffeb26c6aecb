// A container's filesystem: GET /containers/{id}/changes, POST /commit, GET /containers/{id}/export and
// HEAD/GET/PUT /containers/{id}/archive (docker cp). Path stats travel base64-encoded in X-Docker-Container-Path-Stat.
import { pipeline } from 'node:stream/promises';
import { invalidArgument, notImplemented } from '../../base/errors.ts';
import type { ContainerFsBackend } from '../backend.ts';
import { boolParam, type Ctx, type Route } from '../server.ts';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

function backend(ctx: Ctx): ContainerFsBackend {
  const b = ctx.backends.containerFs;
  if (!b) throw notImplemented('container filesystem operations are not available');
  return b;
}

const statHeader = (stat: unknown) => Buffer.from(JSON.stringify(stat)).toString('base64');

function requirePath(ctx: Ctx): string {
  const p = ctx.query.get('path');
  if (!p) throw invalidArgument('path is required');
  return p;
}

async function sendTar(ctx: Ctx, stream: NodeJS.ReadableStream, headers: Record<string, string> = {}) {
  const res = ctx.res!;
  ctx.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/x-tar', ...headers });
  // A failure after the headers cannot become an error status: cutting the connection tells the client.
  await pipeline(stream, res).catch(() => res.destroy());
}

async function changes(ctx: Ctx) {
  ctx.json(200, await backend(ctx).changes(ctx.params.id!));
}

async function commit(ctx: Ctx) {
  const container = ctx.query.get('container');
  if (!container) throw invalidArgument('container is required');
  const id = await backend(ctx).commit(container, {
    repo: ctx.query.get('repo') || undefined,
    tag: ctx.query.get('tag') || undefined,
    comment: ctx.query.get('comment') || undefined,
    author: ctx.query.get('author') || undefined,
    pause: boolParam(ctx.query, 'pause', true),
    changes: ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim()),
    signal: ctx.signal,
  });
  ctx.json(201, { Id: id });
}

async function exportContainer(ctx: Ctx) {
  await sendTar(ctx, await backend(ctx).export(ctx.params.id!, ctx.signal));
}

async function statArchive(ctx: Ctx) {
  const stat = await backend(ctx).statPath(ctx.params.id!, requirePath(ctx));
  ctx.status = 200;
  ctx.res!.writeHead(200, { [STAT_HEADER]: statHeader(stat), 'Content-Type': 'application/json' });
  ctx.res!.end();
}

async function getArchive(ctx: Ctx) {
  const { stat, stream } = await backend(ctx).getArchive(ctx.params.id!, requirePath(ctx), ctx.signal);
  await sendTar(ctx, stream, { [STAT_HEADER]: statHeader(stat) });
}

async function putArchive(ctx: Ctx) {
  await backend(ctx).putArchive(ctx.params.id!, requirePath(ctx), ctx.bodyStream(), {
    noOverwriteDirNonDir: boolParam(ctx.query, 'noOverwriteDirNonDir'),
    copyUIDGID: boolParam(ctx.query, 'copyUIDGID'),
    signal: ctx.signal,
  });
  ctx.status = 200;
  ctx.res!.writeHead(200).end();
}

export const containerFsRoutes: Route[] = [
  { method: 'GET', path: '/containers/{id}/changes', handler: changes },
  { method: 'POST', path: '/commit', handler: commit },
  { method: 'GET', path: '/containers/{id}/export', handler: exportContainer },
  { method: 'HEAD', path: '/containers/{id}/archive', handler: statArchive },
  { method: 'GET', path: '/containers/{id}/archive', handler: getArchive },
  { method: 'PUT', path: '/containers/{id}/archive', handler: putArchive },
];
