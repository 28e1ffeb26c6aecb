// /containers/* routes.
import { invalidArgument } from '../../base/errors.ts';
import type { ContainerCreateBody } from '../../spec/docker-api.ts';
import type { StdioSink, StdinTarget } from '../backend.ts';
import { boolParam, intParam, type Ctx, type Route } from '../server.ts';
import { DetachScanner, MULTIPLEXED, RAW, parseDetachKeys, type StreamOut } from '../stream-out.ts';
import { parseTimeParam } from './time-param.ts';

const id = (ctx: Ctx) => ctx.params.id!;

async function list(ctx: Ctx) {
  const sizes = boolParam(ctx.query, 'size');
  const out = ctx.backends.containers.list({
    all: boolParam(ctx.query, 'all'),
    limit: intParam(ctx.query, 'limit'),
    filters: ctx.query.get('filters') ?? undefined,
    sizes,
  });
  // size=1: SizeRw (the writable layer) and SizeRootFs (image + SizeRw), like dockerd.
  const du = ctx.backends.diskUsage;
  if (sizes && du) await Promise.all(out.map(async (c) => Object.assign(c, await du.containerSize(c.Id))));
  ctx.json(200, out);
}

async function create(ctx: Ctx) {
  const body = await ctx.readJson<ContainerCreateBody>();
  if (!body) throw invalidArgument('config cannot be empty in order to create a container');
  const name = ctx.query.get('name') ?? undefined;
  ctx.json(201, await ctx.backends.containers.create(body, { name: name || undefined }));
}

async function stop(ctx: Ctx) {
  await ctx.backends.containers.stop(id(ctx), {
    timeout: intParam(ctx.query, 't'),
    signal: ctx.query.get('signal') || undefined,
  });
  ctx.noContent();
}

async function restart(ctx: Ctx) {
  await ctx.backends.containers.restart(id(ctx), {
    timeout: intParam(ctx.query, 't'),
    signal: ctx.query.get('signal') || undefined,
  });
  ctx.noContent();
}

async function wait(ctx: Ctx) {
  const cond = (ctx.query.get('condition') || 'not-running') as 'not-running' | 'next-exit' | 'removed';
  const p = ctx.backends.containers.wait(id(ctx), cond, ctx.signal);
  // The docker CLI sends /start only after it has these headers (findings §6).
  const res = ctx.res!;
  ctx.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const result = await p.catch((e) => ({ StatusCode: -1, Error: { Message: String(e?.message ?? e) } }));
  res.end(JSON.stringify(result) + '\n');
}

/** Pipes a hijacked client's stdin to the container, honouring the detach keys. */
function pipeStdin(out: StreamOut, target: StdinTarget, detachKeys: string | null | undefined, tty: boolean, onDetach: () => void) {
  const input = out.input;
  if (!input) return;
  let keys: Buffer;
  try {
    keys = parseDetachKeys(detachKeys);
  } catch {
    keys = parseDetachKeys(undefined);
  }
  const scanner = tty ? new DetachScanner(keys) : null;
  input.on('data', (d: Buffer) => {
    if (!scanner) return target.writeStdin(d);
    const { forward, detach } = scanner.push(d);
    if (forward.length) target.writeStdin(forward);
    if (detach) onDetach();
  });
  // Half-close from the client = stdin EOF (Docker's StdinOnce), not "client gone".
  input.on('end', () => target.closeStdin());
  input.resume();
}

async function attach(ctx: Ctx) {
  const c = ctx.backends.containers.get(id(ctx));
  const tty = !!c.Config.Tty;
  const wantStdin = boolParam(ctx.query, 'stdin');
  const wantOut = boolParam(ctx.query, 'stdout');
  const wantErr = boolParam(ctx.query, 'stderr');
  const stream = boolParam(ctx.query, 'stream');
  const logs = boolParam(ctx.query, 'logs');
  const detachKeys = ctx.query.get('detachKeys');
  if (detachKeys) {
    try {
      parseDetachKeys(detachKeys);
    } catch (e) {
      throw invalidArgument((e as Error).message);
    }
  }
  const out = ctx.hijack(tty ? RAW : MULTIPLEXED);
  if (logs) {
    const ac = new AbortController();
    for await (const l of ctx.backends.containers.logs(c.Id, { follow: false, stdout: wantOut, stderr: wantErr, signal: ac.signal })) {
      out.write(l.stream === 'stderr' ? 2 : 1, l.data);
    }
  }
  if (!stream) {
    out.end();
    return;
  }
  let target: StdinTarget | null = null;
  const sink: StdioSink = {
    stdin: wantStdin && !!c.Config.OpenStdin,
    onOutput(s, d) {
      if ((s === 1 && wantOut) || (s === 2 && wantErr)) out.write(s, d);
    },
    onEnd() {
      out.end();
    },
    bind(t) {
      target = t;
      if (sink.stdin) pipeStdin(out, t, detachKeys, tty, () => {
        ctx.log.debug('client detached', { id: c.Id });
        t.close();
        out.end();
      });
    },
  };
  out.onClose(() => {
    ctx.backends.containers.detachPending(c.Id, sink);
    (target as StdinTarget | null)?.close();
  });
  await ctx.backends.containers.attach(c.Id, sink);
}

async function logs(ctx: Ctx) {
  const c = ctx.backends.containers.get(id(ctx));
  const stdout = boolParam(ctx.query, 'stdout');
  const stderr = boolParam(ctx.query, 'stderr');
  if (!stdout && !stderr) throw invalidArgument('You must choose at least one stream');
  const tailRaw = ctx.query.get('tail');
  const tail = !tailRaw || tailRaw === 'all' ? undefined : Number(tailRaw);
  if (tail !== undefined && (!Number.isInteger(tail))) throw invalidArgument(`invalid value for "tail": ${tailRaw}`);
  const sinceNs = parseTimeParam(ctx.query.get('since'), 'since');
  const untilNs = parseTimeParam(ctx.query.get('until'), 'until');
  const timestamps = boolParam(ctx.query, 'timestamps');
  const follow = boolParam(ctx.query, 'follow');
  const out = ctx.hijack(c.Config.Tty ? RAW : MULTIPLEXED);
  for await (const l of ctx.backends.containers.logs(c.Id, {
    follow,
    tail: tail !== undefined && tail < 0 ? undefined : tail,
    sinceNs: sinceNs !== undefined && sinceNs > 0n ? sinceNs : undefined,
    untilNs,
    stdout,
    stderr,
    signal: ctx.signal,
  })) {
    const data = timestamps ? Buffer.concat([Buffer.from(l.time + ' '), l.data]) : l.data;
    out.write(l.stream === 'stderr' ? 2 : 1, data);
  }
  out.end();
}

export const containerRoutes: Route[] = [
  { method: 'GET', path: '/containers/json', handler: list },
  { method: 'POST', path: '/containers/create', handler: create },
  { method: 'POST', path: '/containers/prune', handler: async (ctx) => ctx.json(200, await ctx.backends.containers.prune(ctx.query.get('filters') ?? undefined)) },
  { method: 'GET', path: '/containers/{id}/json', handler: (ctx) => ctx.json(200, ctx.backends.containers.inspect(id(ctx))) },
  { method: 'GET', path: '/containers/{id}/top', handler: async (ctx) => ctx.json(200, await ctx.backends.containers.top(id(ctx), ctx.query.get('ps_args') || undefined)) },
  { method: 'GET', path: '/containers/{id}/logs', handler: logs },
  { method: 'POST', path: '/containers/{id}/start', handler: async (ctx) => { await ctx.backends.containers.start(id(ctx)); ctx.noContent(); } },
  { method: 'POST', path: '/containers/{id}/stop', handler: stop },
  { method: 'POST', path: '/containers/{id}/restart', handler: restart },
  { method: 'POST', path: '/containers/{id}/kill', handler: async (ctx) => { await ctx.backends.containers.kill(id(ctx), ctx.query.get('signal') || 'KILL'); ctx.noContent(); } },
  { method: 'POST', path: '/containers/{id}/pause', handler: async (ctx) => { await ctx.backends.containers.pause(id(ctx)); ctx.noContent(); } },
  { method: 'POST', path: '/containers/{id}/unpause', handler: async (ctx) => { await ctx.backends.containers.unpause(id(ctx)); ctx.noContent(); } },
  { method: 'POST', path: '/containers/{id}/rename', handler: async (ctx) => { await ctx.backends.containers.rename(id(ctx), ctx.query.get('name') ?? ''); ctx.noContent(); } },
  {
    method: 'POST', path: '/containers/{id}/resize', handler: async (ctx) => {
      await ctx.backends.containers.resize(id(ctx), { height: intParam(ctx.query, 'h') ?? 0, width: intParam(ctx.query, 'w') ?? 0 });
      ctx.json(200, {});
    },
  },
  { method: 'POST', path: '/containers/{id}/wait', handler: wait },
  { method: 'POST', path: '/containers/{id}/attach', handler: attach },
  {
    method: 'DELETE', path: '/containers/{id}', handler: async (ctx) => {
      await ctx.backends.containers.remove(id(ctx), { force: boolParam(ctx.query, 'force'), volumes: boolParam(ctx.query, 'v') });
      ctx.noContent();
    },
  },
];
