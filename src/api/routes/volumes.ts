// Volumes: GET /volumes, POST /volumes/create, GET/DELETE /volumes/{name}, POST /volumes/prune (Docker's shapes).
import { invalidArgument, notImplemented } from '../../base/errors.ts';
import type { VolumeBackend } from '../backend.ts';
import { boolParam, type Ctx, type Route } from '../server.ts';

function backend(ctx: Ctx): VolumeBackend {
  const b = ctx.backends.volumes;
  if (!b) throw notImplemented('volumes are not available');
  return b;
}

function versionBelow(v: string, major: number, minor: number): boolean {
  const [a, b] = v.split('.').map(Number);
  return a! < major || (a === major && b! < minor);
}

interface CreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export const volumeRoutes: Route[] = [
  { method: 'GET', path: '/volumes', handler: (ctx) => ctx.json(200, backend(ctx).list(ctx.query.get('filters') ?? undefined)) },
  {
    method: 'POST',
    path: '/volumes/create',
    handler: async (ctx) => {
      const body = (await ctx.readJson<CreateBody>()) ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON body');
      if (body.Name !== undefined && typeof body.Name !== 'string') throw invalidArgument('invalid volume name');
      ctx.json(201, await backend(ctx).create(body));
    },
  },
  {
    method: 'POST',
    path: '/volumes/prune',
    handler: async (ctx) =>
      // Before API 1.42 prune removed every unused volume; since then only anonymous ones unless all=true.
      ctx.json(200, await backend(ctx).prune(ctx.query.get('filters') ?? undefined, { allByDefault: versionBelow(ctx.apiVersion, 1, 42) })),
  },
  { method: 'GET', path: '/volumes/{name}', handler: (ctx) => ctx.json(200, backend(ctx).inspect(ctx.params.name!)) },
  {
    method: 'DELETE',
    path: '/volumes/{name}',
    handler: async (ctx) => {
      await backend(ctx).remove(ctx.params.name!, { force: boolParam(ctx.query, 'force') });
      ctx.noContent(204);
    },
  },
];
