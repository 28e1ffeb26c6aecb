// /images/* routes (the minimal store of the engine-foundation slice; pull arrives with the registry client).
import { invalidArgument, notFound } from '../../base/errors.ts';
import { boolParam, type Ctx, type Route } from '../server.ts';
import { pullImage, streamProgress } from './distribution.ts';

async function createImage(ctx: Ctx) {
  const fromSrc = ctx.query.get('fromSrc');
  const fromImage = ctx.query.get('fromImage');
  if (fromSrc === null && !fromImage) throw invalidArgument('fromImage or fromSrc is required');
  if (fromSrc === null && ctx.backends.distribution) return pullImage(ctx);
  if (fromSrc === null) {
    const tag = ctx.query.get('tag');
    const ref = tag ? `${fromImage}:${tag}` : fromImage!.includes(':') ? fromImage! : `${fromImage}:latest`;
    throw notFound(`pull access denied for ${fromImage}, repository does not exist or may require 'docker login': no registry reachable for ${ref}`, 'image_not_found');
  }
  const repo = ctx.query.get('repo') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  const changes = ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim());
  const repoTag = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
  if (fromSrc !== '-') {
    if (!/^https?:\/\//i.test(fromSrc) || !ctx.backends.images.importFromUrl) {
      throw invalidArgument(`importing from ${fromSrc} is not supported: use "-" or an http(s) URL`);
    }
    const id = await ctx.backends.images.importFromUrl(fromSrc, { repoTag, changes, message: ctx.query.get('message') || undefined, signal: ctx.signal });
    ctx.status = 200;
    ctx.res!.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res!.end(JSON.stringify({ status: id }) + '\r\n');
    return;
  }
  const id = await ctx.backends.images.importRootfs(ctx.bodyStream(), {
    repoTag,
    changes,
    message: ctx.query.get('message') ?? undefined,
    signal: ctx.signal,
  });
  ctx.status = 200;
  ctx.res!.writeHead(200, { 'Content-Type': 'application/json' });
  ctx.res!.end(JSON.stringify({ status: id }) + '\r\n');
}

async function tag(ctx: Ctx) {
  const repo = ctx.query.get('repo');
  if (!repo) throw invalidArgument('repository name is required');
  const t = ctx.query.get('tag');
  await ctx.backends.images.tag(ctx.params.name!, t ? `${repo}:${t}` : repo);
  ctx.noContent(201);
}

/**
 * POST /berth/bootstrap?name=: JSON lines, `{"status":...}` while it works (debootstrap's output) and `{"Id":...}`
 * last; a quick one (busybox) is that single line, i.e. plain JSON. Failures before the first line are plain errors
 * with their status; later ones an {"errorDetail":...} line.
 */
async function bootstrap(ctx: Ctx) {
  const name = ctx.query.get('name') ?? '';
  if (!name) throw invalidArgument('name is required');
  await streamProgress(ctx, async (say) => {
    say({ Id: await ctx.backends.images.bootstrap(name, { signal: ctx.signal, onProgress: say }) });
  });
}

export const imageRoutes: Route[] = [
  { method: 'POST', path: '/berth/bootstrap', handler: bootstrap },
  {
    method: 'GET', path: '/images/json', handler: (ctx) => ctx.json(200, ctx.backends.images.list({
      all: boolParam(ctx.query, 'all'), filters: ctx.query.get('filters') ?? undefined, digests: boolParam(ctx.query, 'digests'),
    })),
  },
  { method: 'POST', path: '/images/create', handler: createImage },
  { method: 'GET', path: '/images/{name:.*}/json', handler: (ctx) => ctx.json(200, ctx.backends.images.inspect(ctx.params.name!)) },
  {
    method: 'GET', path: '/images/{name:.*}/history', handler: (ctx) => {
      if (!ctx.backends.images.history) throw notFound('history is not available');
      ctx.json(200, ctx.backends.images.history(ctx.params.name!));
    },
  },
  { method: 'POST', path: '/images/{name:.*}/tag', handler: tag },
  {
    method: 'DELETE', path: '/images/{name:.*}', handler: async (ctx) => ctx.json(200, await ctx.backends.images.remove(ctx.params.name!, {
      force: boolParam(ctx.query, 'force'), noPrune: boolParam(ctx.query, 'noprune'),
    })),
  },
];
