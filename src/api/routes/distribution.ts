// Registry-facing routes: POST /images/create?fromImage= (pull), POST /images/{name}/push, POST /auth,
// GET /images/search. Pull and push stream Docker's JSON progress messages ("\r\n" separated); the 200 goes out with
// the first message, so a failure before it (unknown manifest, access denied) is a plain JSON error with its status,
// and a later one is an {"errorDetail":...} line, as dockerd does.
import { errorMessage, invalidArgument, notImplemented } from '../../base/errors.ts';
import type { DistributionBackend } from '../backend.ts';
import { commonHeaders, type Ctx, type Route } from '../server.ts';

function backend(ctx: Ctx): DistributionBackend {
  const b = ctx.backends.distribution;
  if (!b) throw notImplemented('registry access is not available');
  return b;
}

function registryAuth(ctx: Ctx): string | undefined {
  const h = ctx.req.headers['x-registry-auth'];
  return (Array.isArray(h) ? h[0] : h) || undefined;
}

/** Runs a progress-producing operation with the lazy-200 rule (also used by POST /berth/bootstrap). */
export async function streamProgress(ctx: Ctx, run: (say: (m: object) => void) => Promise<void>): Promise<void> {
  const res = ctx.res!;
  let started = false;
  const say = (m: object) => {
    if (!started) {
      started = true;
      ctx.status = 200;
      res.writeHead(200, { 'Content-Type': 'application/json', ...commonHeaders() });
    }
    if (!res.destroyed) res.write(JSON.stringify(m) + '\r\n');
  };
  try {
    await run(say);
  } catch (e) {
    if (!started) throw e;
    const message = errorMessage(e);
    ctx.log.warn('streamed operation failed', { path: ctx.req.url, error: message });
    if (!res.destroyed) res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n');
  }
  if (!started) {
    ctx.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json', ...commonHeaders() });
  }
  res.end();
}

/** POST /images/create?fromImage=&tag=&platform= (called by the images route when fromSrc is absent). */
export async function pullImage(ctx: Ctx): Promise<void> {
  const fromImage = ctx.query.get('fromImage') ?? '';
  if (!fromImage) throw invalidArgument('fromImage is required');
  const tag = ctx.query.get('tag') ?? '';
  let ref = fromImage;
  if (tag) ref = /^[a-z0-9]+:[a-f0-9]{32,}$/i.test(tag) ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
  const b = backend(ctx);
  await streamProgress(ctx, (say) => b.pull(ref, { auth: registryAuth(ctx), platform: ctx.query.get('platform') || undefined, signal: ctx.signal, onProgress: say }));
}

async function pushImage(ctx: Ctx): Promise<void> {
  const b = backend(ctx);
  const name = ctx.params.name!;
  await b.checkPush?.(name, ctx.query.get('tag') || undefined);
  await streamProgress(ctx, (say) => b.push(name, ctx.query.get('tag') || undefined, { auth: registryAuth(ctx), signal: ctx.signal, onProgress: say }));
}

async function auth(ctx: Ctx): Promise<void> {
  const body = (await ctx.readJson<Record<string, unknown>>()) ?? {};
  ctx.json(200, await backend(ctx).auth(body, ctx.signal));
}

async function search(ctx: Ctx): Promise<void> {
  const term = ctx.query.get('term') ?? '';
  if (!term) throw invalidArgument('term is required');
  const limitText = ctx.query.get('limit');
  const limit = limitText ? Number(limitText) : undefined;
  if (limitText && !Number.isInteger(limit)) throw invalidArgument(`invalid limit: ${limitText}`);
  ctx.json(200, await backend(ctx).search(term, { limit, filters: ctx.query.get('filters') ?? undefined, auth: registryAuth(ctx), signal: ctx.signal }));
}

export const distributionRoutes: Route[] = [
  { method: 'POST', path: '/images/{name:.*}/push', handler: pushImage },
  { method: 'POST', path: '/auth', handler: auth },
  { method: 'GET', path: '/images/search', handler: search },
];
