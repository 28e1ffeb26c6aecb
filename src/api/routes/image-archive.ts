// docker save (GET /images/get, GET /images/{name}/get), docker load (POST /images/load) and
// docker image prune (POST /images/prune).
import { pipeline } from 'node:stream/promises';
import { notImplemented } from '../../base/errors.ts';
import type { ImageArchiveBackend } from '../backend.ts';
import { boolParam, commonHeaders, type Ctx, type Route } from '../server.ts';

function backend(ctx: Ctx): ImageArchiveBackend {
  const b = ctx.backends.imageArchive;
  if (!b) throw notImplemented('image save/load is not available');
  return b;
}

async function save(ctx: Ctx, names: string[]): Promise<void> {
  // Every name is resolved before the 200 goes out: a bad one is a plain JSON error.
  const tar = await backend(ctx).save(names);
  const res = ctx.res!;
  ctx.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/x-tar', ...commonHeaders() });
  const onGone = () => (tar as NodeJS.ReadableStream & { destroy?: (e?: Error) => void }).destroy?.();
  ctx.signal.addEventListener('abort', onGone, { once: true });
  try {
    await pipeline(tar, res);
  } catch (e) {
    // Headers are out: the only way to report a failure now is to cut the stream short.
    res.destroy();
    if (!ctx.signal.aborted) ctx.log.warn('image save failed', { error: String(e) });
  } finally {
    ctx.signal.removeEventListener('abort', onGone);
  }
}

async function load(ctx: Ctx): Promise<void> {
  const body = ctx.bodyStream();
  let lines: string[];
  try {
    lines = await backend(ctx).load(body, { quiet: boolParam(ctx.query, 'quiet'), signal: ctx.signal });
  } catch (e) {
    // Answer only once the client has finished sending, or it sees a reset instead of the error.
    if (!ctx.req.complete && !ctx.signal.aborted) {
      ctx.req.resume();
      await new Promise<void>((r) => {
        ctx.req.once('end', r);
        ctx.req.once('close', r);
      });
    }
    throw e;
  }
  const text = lines.map((l) => JSON.stringify({ stream: l }) + '\n').join('');
  ctx.status = 200;
  ctx.res!.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...commonHeaders() });
  ctx.res!.end(text);
}

export const imageArchiveRoutes: Route[] = [
  { method: 'GET', path: '/images/get', handler: (ctx) => save(ctx, ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean)) },
  { method: 'GET', path: '/images/{name:.*}/get', handler: (ctx) => save(ctx, [ctx.params.name!]) },
  { method: 'POST', path: '/images/load', handler: load },
  {
    method: 'POST', path: '/images/prune', handler: async (ctx) => ctx.json(200, await backend(ctx).prune(ctx.query.get('filters') ?? undefined)),
  },
];
