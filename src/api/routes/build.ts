// POST /build (the classic builder protocol: a tar context in, JSON messages out) and POST /build/prune.
// The 200 goes out at once; steps stream as {"stream": "..."} lines, the image id as {"aux": {"ID": ...}}, a
// failure as {"errorDetail": {"message": ...}, "error": ...} — what the docker CLI renders with DOCKER_BUILDKIT=0.
// `explaincache=1` (sent by `berth build`) adds " ---> Cache miss: <step> — <why>" lines.
import { errorMessage, invalidArgument, notImplemented } from '../../base/errors.ts';
import { BERTH_CONTEXT_CHECK_PATH, BERTH_CONTEXT_MEDIA_TYPE } from '../../spec/build-context.ts';
import type { BuildBackend, BuildParams } from '../backend.ts';
import { boolParam, commonHeaders, intParam, type Ctx, type Route } from '../server.ts';

function backend(ctx: Ctx): BuildBackend {
  const b = ctx.backends.build;
  if (!b) throw notImplemented('the builder is not available');
  return b;
}

function jsonParam<T>(q: URLSearchParams, name: string): T | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  try {
    return JSON.parse(v) as T;
  } catch (e) {
    throw invalidArgument(`invalid ${name}: ${errorMessage(e)}`);
  }
}

export function buildParams(q: URLSearchParams): Omit<BuildParams, 'context' | 'signal' | 'out'> {
  if (q.get('remote')) throw invalidArgument('remote build contexts are not supported; send the context as a tar');
  const version = q.get('version');
  if (version === '2') throw invalidArgument('BuildKit is not supported by this daemon; use DOCKER_BUILDKIT=0');
  const resources: Record<string, unknown> = {};
  const num = (k: string, field: string) => {
    const n = intParam(q, k);
    if (n !== undefined && n !== 0) resources[field] = n;
  };
  num('memory', 'Memory');
  num('memswap', 'MemorySwap');
  num('cpushares', 'CpuShares');
  num('cpuperiod', 'CpuPeriod');
  num('cpuquota', 'CpuQuota');
  num('shmsize', 'ShmSize');
  if (q.get('cpusetcpus')) resources.CpusetCpus = q.get('cpusetcpus');
  if (q.get('cpusetmems')) resources.CpusetMems = q.get('cpusetmems');
  const cacheFrom = jsonParam<string[]>(q, 'cachefrom') ?? [];
  const extraHosts = (q.get('extrahosts') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    dockerfile: q.get('dockerfile') || undefined,
    tags: q.getAll('t').filter(Boolean),
    buildArgs: jsonParam<Record<string, string | undefined>>(q, 'buildargs') ?? {},
    labels: jsonParam<Record<string, string>>(q, 'labels') ?? {},
    target: q.get('target') || undefined,
    noCache: boolParam(q, 'nocache'),
    pull: boolParam(q, 'pull'),
    rm: boolParam(q, 'rm', true),
    forceRm: boolParam(q, 'forcerm'),
    quiet: boolParam(q, 'q'),
    cacheFrom: Array.isArray(cacheFrom) ? cacheFrom : [],
    networkMode: q.get('networkmode') || undefined,
    platform: q.get('platform') || undefined,
    extraHosts,
    resources,
    explainCache: boolParam(q, 'explaincache'),
  };
}

async function build(ctx: Ctx): Promise<void> {
  const b = backend(ctx);
  const params = buildParams(ctx.query);
  const res = ctx.res!;
  ctx.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json', ...commonHeaders() });
  const write = (m: object) => {
    if (!res.destroyed) res.write(JSON.stringify(m) + '\r\n');
  };
  try {
    await b.build({
      ...params,
      ...((ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim() === BERTH_CONTEXT_MEDIA_TYPE ? { berthContext: true } : {}),
      context: ctx.bodyStream(),
      signal: ctx.signal,
      out: { stream: (s) => write({ stream: s }), aux: (a) => write({ aux: a }) },
    });
  } catch (e) {
    const message = errorMessage(e);
    const code = (e as { exitCode?: number }).exitCode;
    if (!ctx.signal.aborted) ctx.log.info('build failed', { error: message });
    write({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
    if (!ctx.req.complete && !ctx.signal.aborted) {
      ctx.req.resume();
      await new Promise<void>((r) => {
        ctx.req.once('end', r);
        ctx.req.once('close', r);
      });
    }
  }
  res.end();
}

async function prune(ctx: Ctx): Promise<void> {
  const all = boolParam(ctx.query, 'all');
  ctx.json(200, await backend(ctx).prune({ all, filters: ctx.query.get('filters') ?? undefined }));
}

/** Berth: POST /berth/build/context {digests: [hex]} → {missing: [hex]} (what an incremental context must send). */
async function contextCheck(ctx: Ctx): Promise<void> {
  const b = backend(ctx);
  if (!b.missingContext) throw notImplemented('incremental build contexts are not available');
  const body = await ctx.readJson<{ digests?: unknown }>();
  const digests = body?.digests;
  if (!Array.isArray(digests) || digests.some((d) => typeof d !== 'string')) throw invalidArgument('digests: a list of sha256 hex strings is required');
  ctx.json(200, { missing: await b.missingContext(digests as string[]) });
}

export const buildRoutes: Route[] = [
  { method: 'POST', path: BERTH_CONTEXT_CHECK_PATH, handler: contextCheck },
  { method: 'POST', path: '/build', handler: build },
  { method: 'POST', path: '/build/prune', handler: prune },
];
