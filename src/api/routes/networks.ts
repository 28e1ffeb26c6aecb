// Docker's /networks API: list, inspect, create, remove, prune, connect, disconnect.
import { invalidArgument, notImplemented } from '../../base/errors.ts';
import type { NetworkBackend } from '../backend.ts';
import type { Ctx, Route } from '../server.ts';

function backend(ctx: Ctx): NetworkBackend {
  const b = ctx.backends.networks;
  if (!b) throw notImplemented('networking is not available');
  return b;
}

async function body<T>(ctx: Ctx): Promise<T> {
  const b = await ctx.readJson<T>();
  if (!b || typeof b !== 'object') throw invalidArgument('request body is required');
  return b;
}

export const networkRoutes: Route[] = [
  { method: 'GET', path: '/networks', handler: (ctx) => ctx.json(200, backend(ctx).list(ctx.query.get('filters') ?? undefined)) },
  { method: 'POST', path: '/networks/create', handler: async (ctx) => ctx.json(201, await backend(ctx).create(await body(ctx))) },
  { method: 'POST', path: '/networks/prune', handler: async (ctx) => ctx.json(200, await backend(ctx).prune(ctx.query.get('filters') ?? undefined)) },
  { method: 'GET', path: '/networks/{id}', handler: (ctx) => ctx.json(200, backend(ctx).inspect(ctx.params.id!)) },
  {
    method: 'DELETE', path: '/networks/{id}', handler: async (ctx) => {
      await backend(ctx).remove(ctx.params.id!);
      ctx.noContent();
    },
  },
  {
    method: 'POST', path: '/networks/{id}/connect', handler: async (ctx) => {
      await backend(ctx).connect(ctx.params.id!, await body(ctx));
      ctx.json(200, null);
    },
  },
  {
    method: 'POST', path: '/networks/{id}/disconnect', handler: async (ctx) => {
      await backend(ctx).disconnect(ctx.params.id!, await body(ctx));
      ctx.json(200, null);
    },
  },
];
