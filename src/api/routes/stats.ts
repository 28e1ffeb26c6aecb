// GET /containers/{id}/stats (stream / one-shot) and POST /containers/{id}/update.
import { invalidArgument, notImplemented } from '../../base/errors.ts';
import type { StatsBackend } from '../backend.ts';
import { boolParam, type Ctx, type Route } from '../server.ts';

function backend(ctx: Ctx): StatsBackend {
  const b = ctx.backends.stats;
  if (!b) throw notImplemented('container stats are not available');
  return b;
}

async function stats(ctx: Ctx) {
  const b = backend(ctx);
  const ref = ctx.params.id!;
  const stream = boolParam(ctx.query, 'stream', true);
  const oneShot = boolParam(ctx.query, 'one-shot');
  if (oneShot && stream) throw invalidArgument('cannot have stream=true and one-shot=true');
  if (!stream) {
    ctx.json(200, await b.once(ref, { oneShot, signal: ctx.signal }));
    return;
  }
  const res = ctx.res!;
  let started = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));
  // watch() throws (404) before anything is written for an unknown container.
  const stop = await b.watch(ref, (s, json) => {
    if (!started) {
      started = true;
      ctx.status = 200;
      res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    if (!res.write((json ? json() : JSON.stringify(s)) + '\n')) {
      // A client that stops reading is not buffered for without bound.
      if (res.writableLength > 4 * 1024 * 1024) finish();
    }
  });
  ctx.signal.addEventListener('abort', finish, { once: true });
  if (ctx.signal.aborted) finish();
  try {
    await done;
  } finally {
    stop();
    res.end();
  }
}

async function update(ctx: Ctx) {
  const b = backend(ctx);
  const body = await ctx.readJson<Record<string, unknown>>();
  if (!body) throw invalidArgument('config cannot be empty in order to update a container');
  ctx.json(200, await b.update(ctx.params.id!, body));
}

export const statsRoutes: Route[] = [
  { method: 'GET', path: '/containers/{id}/stats', handler: stats },
  { method: 'POST', path: '/containers/{id}/update', handler: update },
];
