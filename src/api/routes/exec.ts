// /containers/{id}/exec and /exec/* routes.
import { invalidArgument } from '../../base/errors.ts';
import type { StdioSink, StdinTarget } from '../backend.ts';
import { intParam, type Ctx, type Route } from '../server.ts';
import { DetachScanner, MULTIPLEXED, RAW, parseDetachKeys } from '../stream-out.ts';

async function create(ctx: Ctx) {
  const body = await ctx.readJson<Record<string, unknown>>();
  if (!body) throw invalidArgument('No exec command specified');
  if (body.DetachKeys) {
    try {
      parseDetachKeys(String(body.DetachKeys));
    } catch (e) {
      throw invalidArgument((e as Error).message);
    }
  }
  ctx.json(201, ctx.backends.exec.create(ctx.params.id!, body));
}

async function start(ctx: Ctx) {
  const body = (await ctx.readJson<{ Detach?: boolean; Tty?: boolean }>()) ?? {};
  const execId = ctx.params.id!;
  const rec = ctx.backends.exec.get(execId);
  if (body.Detach) {
    await ctx.backends.exec.start(execId, { detach: true, tty: body.Tty });
    ctx.json(200, {});
    return;
  }
  const tty = body.Tty ?? !!rec.Config.Tty;
  const out = ctx.hijack(tty ? RAW : MULTIPLEXED);
  const sink: StdioSink = {
    stdin: !!rec.Config.AttachStdin,
    onOutput: (s, d) => out.write(s, d),
    onEnd: () => out.end(),
  };
  const { attach } = await ctx.backends.exec.start(execId, { detach: false, tty }, sink);
  if (attach && rec.Config.AttachStdin && out.input) {
    const target: StdinTarget = attach;
    const scanner = tty ? new DetachScanner(parseDetachKeys(rec.Config.DetachKeys)) : null;
    out.input.on('data', (d: Buffer) => {
      if (!scanner) return target.writeStdin(d);
      const r = scanner.push(d);
      if (r.forward.length) target.writeStdin(r.forward);
      if (r.detach) out.end();
    });
    out.input.on('end', () => target.closeStdin());
    out.input.resume();
  }
  out.onClose(() => attach?.close());
}

export const execRoutes: Route[] = [
  { method: 'POST', path: '/containers/{id}/exec', handler: create },
  { method: 'POST', path: '/exec/{id}/start', handler: start },
  {
    method: 'POST', path: '/exec/{id}/resize', handler: async (ctx) => {
      await ctx.backends.exec.resize(ctx.params.id!, { height: intParam(ctx.query, 'h') ?? 0, width: intParam(ctx.query, 'w') ?? 0 });
      ctx.json(200, {});
    },
  },
  { method: 'GET', path: '/exec/{id}/json', handler: (ctx) => ctx.json(200, ctx.backends.exec.inspect(ctx.params.id!)) },
];
