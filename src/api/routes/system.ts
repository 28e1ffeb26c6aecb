// /_ping, /version, /info, /events.
import { API_VERSION } from '../../spec/docker-api.ts';
import { invalidArgument } from '../../base/errors.ts';
import type { EventMessageLike } from '../backend.ts';
import { commonHeaders, type Ctx, type Route } from '../server.ts';
import { parseTimeParam } from './time-param.ts';

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

function parseFilterParam(raw: string | null): Record<string, string[]> {
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid filter: ${raw}`);
  }
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries((v ?? {}) as Record<string, unknown>)) {
    out[k] = Array.isArray(val) ? val.map(String) : Object.keys((val ?? {}) as object);
  }
  return out;
}

/** GET /events: replay from the persisted log (since/until), then follow live until `until` or the client leaves. */
async function events(ctx: Ctx) {
  const filters = parseFilterParam(ctx.query.get('filters'));
  const bad = ctx.backends.events.validateFilters(filters);
  if (bad) throw invalidArgument(bad);
  const sinceNano = parseTimeParam(ctx.query.get('since'), 'since');
  const untilNano = parseTimeParam(ctx.query.get('until'), 'until');
  const nowNano = BigInt(Date.now()) * 1_000_000n;
  if (sinceNano !== undefined && untilNano !== undefined && untilNano < sinceNano) {
    throw invalidArgument('`since` time cannot be after `until`');
  }
  const res = ctx.res!;
  ctx.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const send = (e: unknown) => res.write(JSON.stringify(e) + '\n');
  // Subscribe before replaying so nothing falls in between; drop live events the replay already covered.
  const live: EventMessageLike[] = [];
  let replaying = true;
  let lastSent = -1;
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));
  const unsubscribe = ctx.backends.events.subscribe((e) => {
    if (!ctx.backends.events.matches(e, filters)) return;
    if (untilNano !== undefined && BigInt(e.timeNano) > untilNano) return finish();
    if (replaying) live.push(e);
    else send(e);
  });
  try {
    if (sinceNano !== undefined) {
      for (const e of ctx.backends.events.replay({ sinceNano, untilNano, filters })) {
        send(e);
        lastSent = e.timeNano;
      }
    }
    replaying = false;
    for (const e of live) if (e.timeNano > lastSent) send(e);
    if (untilNano !== undefined && untilNano <= nowNano) return;
    const timer =
      untilNano !== undefined ? setTimeout(finish, Number((untilNano - nowNano) / 1_000_000n)) : undefined;
    ctx.signal.addEventListener('abort', finish, { once: true });
    await done;
    if (timer) clearTimeout(timer);
  } finally {
    unsubscribe();
    res.end();
  }
}

export const systemRoutes: Route[] = [
  { method: 'GET', path: '/_ping', handler: ping },
  { method: 'HEAD', path: '/_ping', handler: ping },
  { method: 'GET', path: '/version', handler: (ctx) => ctx.json(200, ctx.backends.system.version()) },
  { method: 'GET', path: '/info', handler: async (ctx) => ctx.json(200, await ctx.backends.system.info()) },
  { method: 'GET', path: '/events', handler: events },
];
