// /_ping, /version, /info, /events.
import { API_VERSION } from '../../spec/docker-api.ts';
import { commonHeaders, type Ctx, type Route } from '../server.ts';

function ping(ctx: Ctx) {
  const res = ctx.res!;
  ctx.status = 200;
  res.writeHead(200, {
    ...commonHeaders(),
    'Api-Version': API_VERSION,
    'Builder-Version': '1',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': ctx.req.method === 'HEAD' ? '0' : '2',
  });
  res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
}

async function events(ctx: Ctx) {
  // The event log arrives with its own subsystem; until then clients get a live stream that stays quiet.
  const res = ctx.res!;
  ctx.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  if (ctx.query.get('until')) {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  res.end();
}

export const systemRoutes: Route[] = [
  { method: 'GET', path: '/_ping', handler: ping },
  { method: 'HEAD', path: '/_ping', handler: ping },
  { method: 'GET', path: '/version', handler: (ctx) => ctx.json(200, ctx.backends.system.version()) },
  { method: 'GET', path: '/info', handler: async (ctx) => ctx.json(200, await ctx.backends.system.info()) },
  { method: 'GET', path: '/events', handler: events },
];
