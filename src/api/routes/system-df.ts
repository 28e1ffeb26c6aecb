// GET /system/df.
import { notImplemented } from '../../base/errors.ts';
import type { Ctx, Route } from '../server.ts';

async function df(ctx: Ctx) {
  const b = ctx.backends.diskUsage;
  if (!b) throw notImplemented('disk usage is not available');
  const types = ctx.query.getAll('type').filter(Boolean);
  ctx.json(200, await b.df({ types }));
}

export const systemDfRoutes: Route[] = [{ method: 'GET', path: '/system/df', handler: df }];
