// The distribution API over node:http: routes, auth needs per route, and the translation of Registry calls and
// RegistryErrors into responses. The routes:
//   GET  /v2/                                  ping (Docker-Distribution-API-Version: registry/2.0)
//   GET  /v2/_catalog?n=&last=                 repositories (Link pagination)
//   GET  /v2/<name>/tags/list?n=&last=         tags (Link pagination)
//   GET|HEAD|PUT|DELETE /v2/<name>/manifests/<tag|digest>
//   GET|HEAD|DELETE     /v2/<name>/blobs/<digest>            (GET honours Range → 206)
//   POST /v2/<name>/blobs/uploads/[?digest=|?mount=&from=]  start / monolithic / cross-repository mount
//   GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<uuid>    status / chunk / finish ?digest= / cancel
//   GET  /v2/<name>/referrers/<digest>[?artifactType=]
//   GET  /token?service=&scope=                token endpoint (token auth mode)
//   GET  /v1/search?q=&n=&page=                Docker Hub style search; GET /v1/_ping
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Access } from '../auth/acl.ts';
import type { Authorizer, Principal } from '../auth/authorizer.ts';
import { MEDIA_TYPE } from '../../spec/distribution.ts';
import { parseRange } from '../byte-range.ts';
import { paginate, parseN } from '../pagination.ts';
import { MAX_MANIFEST_BYTES, Registry, checkDigest, checkName } from '../registry.ts';
import { RegistryError, regErr } from '../registry-error.ts';
import type { Search } from '../search.ts';
import { parseContentRange, uploadRangeHeader } from '../uploads.ts';

export interface HandlerDeps {
  registry: Registry;
  auth: Authorizer;
  search: Search;
}

type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The request path as sent, percent-decoded once, never dot-segment-normalized (see requestPath). */
  path: string;
  method: Method;
  deps: HandlerDeps;
  principal: Principal;
}

const API_VERSION = { 'Docker-Distribution-API-Version': 'registry/2.0' };

function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Buffer) {
  const h: Record<string, string | number> = { ...API_VERSION, ...headers };
  if (body === undefined) {
    if (h['Content-Length'] === undefined && status !== 204 && status !== 304) h['Content-Length'] = 0;
  } else if (h['Content-Length'] === undefined) {
    h['Content-Length'] = Buffer.byteLength(body);
  }
  res.writeHead(status, h);
  res.end(body === undefined || res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, doc: unknown, headers: Record<string, string> = {}) {
  send(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(doc));
}

export function sendError(res: ServerResponse, e: RegistryError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status, e.body(), e.headers);
}

/** A manifest PUT's body, refused above MAX_MANIFEST_BYTES (4 MiB, as distribution) with MANIFEST_INVALID and 413. */
async function readManifestBody(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = () =>
    new RegistryError('MANIFEST_INVALID', `manifest larger than ${MAX_MANIFEST_BYTES} bytes`, {
      status: 413,
      detail: { limit: MAX_MANIFEST_BYTES },
    });
  // Past the limit the rest is read and dropped (up to 4 more times the limit) so that the client, still sending,
  // reads the answer instead of a reset (leaving a for-await loop early would destroy the socket); beyond, it is cut.
  const announced = contentLength(req);
  const chunks: Buffer[] = [];
  let n = announced !== undefined && announced > MAX_MANIFEST_BYTES ? announced : 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n <= MAX_MANIFEST_BYTES) chunks.push(c as Buffer);
    else if (n > 5 * MAX_MANIFEST_BYTES) {
      req.destroy();
      break;
    }
  }
  if (n <= MAX_MANIFEST_BYTES) return Buffer.concat(chunks);
  throw tooLarge();
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // discard
  }
}

const contentLength = (req: IncomingMessage): number | undefined => {
  const v = req.headers['content-length'];
  return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
};

const hasBody = (req: IncomingMessage): boolean =>
  (contentLength(req) ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

const repoAccess = (name: string, ...actions: string[]): Access => ({ type: 'repository', name, actions });

/** Dispatches one request. Never throws: every failure becomes a spec error response. */
export async function handle(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://registry.invalid');
    const method = (req.method ?? 'GET').toUpperCase() as Method;
    await route({ req, res, url, path: requestPath(req.url ?? '/'), method, deps, principal: {} });
  } catch (e) {
    if (e instanceof RegistryError) {
      sendError(res, e);
    } else if (!res.headersSent && !req.destroyed) {
      sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: e instanceof Error ? e.message : String(e) }] });
    } else {
      res.destroy();
    }
  }
}

/**
 * The path routes match on. WHATWG URL parsing would resolve "..", "%2e%2e" and backslashes before routing
 * ("/v2/a/%2e%2e/%2e%2e/v2/b/manifests/x" would become repository "b", "/v2/a\\b/..." repository "a/b"); instead the
 * raw path is only percent-decoded (except %2F), so such names reach checkName and fail with NAME_INVALID.
 */
export function requestPath(rawUrl: string): string {
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rawUrl); // absolute-form request target
  const rest = abs === null ? rawUrl : rawUrl.slice(abs[0].length) || '/';
  const end = rest.search(/[?#]/);
  const raw = end < 0 ? rest : rest.slice(0, end);
  try {
    // %2F stays "%2F" (no grammar allows '%'): an encoded slash must not become a separator.
    return decodeURIComponent(raw.replace(/%2f/gi, '%252F'));
  } catch {
    throw regErr('NAME_INVALID', 'malformed percent-encoding in the request path');
  }
}

async function authorize(ctx: Ctx, need: Access[]): Promise<void> {
  ctx.principal = await ctx.deps.auth.authorize(ctx.req.headers.authorization, need);
}

function methodNotAllowed(): RegistryError {
  return regErr('UNSUPPORTED', 'method not allowed for this endpoint');
}

async function route(ctx: Ctx): Promise<void> {
  const p = ctx.path;
  const { method } = ctx;
  if (p === '/v2/' || p === '/v2') {
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    await authorize(ctx, []);
    return sendJson(ctx.res, 200, {});
  }
  if (p === '/token') return token(ctx);
  if (p === '/v1/search') return search(ctx);
  if (p === '/v1/_ping') return send(ctx.res, 200, { 'Content-Type': 'application/json' }, 'true');
  if (p === '/v2/_catalog') return catalog(ctx);
  let m: RegExpExecArray | null;
  if ((m = /^\/v2\/(.+)\/blobs\/uploads\/?([^/]*)$/.exec(p)) !== null) return uploads(ctx, checkName(m[1]!), m[2]!);
  if ((m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(p)) !== null) return blobs(ctx, checkName(m[1]!), m[2]!);
  if ((m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(p)) !== null) return manifests(ctx, checkName(m[1]!), m[2]!);
  if ((m = /^\/v2\/(.+)\/tags\/list$/.exec(p)) !== null) return tags(ctx, checkName(m[1]!));
  if ((m = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(p)) !== null) return referrers(ctx, checkName(m[1]!), m[2]!);
  if (p.startsWith('/v2/')) throw new RegistryError('NAME_UNKNOWN', 'no such endpoint', { status: 404 });
  sendJson(ctx.res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
}

// ---- catalog, tags, referrers, search, token

async function catalog(ctx: Ctx): Promise<void> {
  if (ctx.method !== 'GET') throw methodNotAllowed();
  await authorize(ctx, []);
  const n = parseN(ctx.url.searchParams.get('n'));
  const all = (await ctx.deps.registry.catalog()).filter((r) => ctx.deps.auth.canPull(ctx.principal, r));
  const page = paginate(all, { n, last: ctx.url.searchParams.get('last') ?? undefined, path: '/v2/_catalog' });
  sendJson(ctx.res, 200, { repositories: page.items }, page.link ? { Link: page.link } : {});
}

async function tags(ctx: Ctx, name: string): Promise<void> {
  if (ctx.method !== 'GET') throw methodNotAllowed();
  await authorize(ctx, [repoAccess(name, 'pull')]);
  const n = parseN(ctx.url.searchParams.get('n'));
  const all = await ctx.deps.registry.tags(name);
  const page = paginate(all, { n, last: ctx.url.searchParams.get('last') ?? undefined, path: `/v2/${name}/tags/list` });
  sendJson(ctx.res, 200, { name, tags: page.items }, page.link ? { Link: page.link } : {});
}

async function referrers(ctx: Ctx, name: string, digest: string): Promise<void> {
  if (ctx.method !== 'GET') throw methodNotAllowed();
  await authorize(ctx, [repoAccess(name, 'pull')]);
  checkDigest(digest);
  const artifactType = ctx.url.searchParams.get('artifactType') ?? undefined;
  const manifests = await ctx.deps.registry.referrers(name, digest, artifactType);
  const headers: Record<string, string> = {};
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests });
  send(ctx.res, 200, { 'Content-Type': MEDIA_TYPE.ociIndex, ...headers }, body);
}

async function search(ctx: Ctx): Promise<void> {
  if (ctx.method !== 'GET') throw methodNotAllowed();
  const { auth } = ctx.deps;
  const header = ctx.req.headers.authorization;
  let principal: Principal = {};
  if (auth.mode !== 'none' && header !== undefined) {
    principal = /^Basic\s/i.test(header)
      ? { account: await auth.basicAccount(header, {}) }
      : await auth.authorize(header, []);
  }
  const sp = ctx.url.searchParams;
  const num = (k: string) => (sp.get(k) !== null && /^\d+$/.test(sp.get(k)!) ? Number(sp.get(k)) : undefined);
  const result = await ctx.deps.search.search({
    q: sp.get('q') ?? '',
    n: num('n'),
    page: num('page'),
    visible: (name) => auth.canPull(principal, name),
  });
  sendJson(ctx.res, 200, result);
}

async function token(ctx: Ctx): Promise<void> {
  if (ctx.method !== 'GET') throw methodNotAllowed();
  const scopes = ctx.url.searchParams.getAll('scope');
  const t = await ctx.deps.auth.token(ctx.req.headers.authorization, scopes);
  sendJson(ctx.res, 200, t, { 'Cache-Control': 'no-store' });
}

// ---- manifests

function acceptable(req: IncomingMessage, mediaType: string): boolean {
  const raw = req.headers.accept;
  if (raw === undefined || raw.trim() === '') return true;
  const types = raw.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  return types.some((t) => t === '*/*' || t === mediaType || t === 'application/*' || t === 'application/json');
}

async function manifests(ctx: Ctx, name: string, reference: string): Promise<void> {
  const { registry } = ctx.deps;
  switch (ctx.method) {
    case 'GET':
    case 'HEAD': {
      await authorize(ctx, [repoAccess(name, 'pull')]);
      const m = await registry.getManifest(name, reference);
      if (!acceptable(ctx.req, m.mediaType)) {
        throw regErr('MANIFEST_UNKNOWN', `manifest is ${m.mediaType}, which the Accept header does not allow`, {
          mediaType: m.mediaType,
        });
      }
      return send(
        ctx.res,
        200,
        {
          'Content-Type': m.mediaType,
          'Content-Length': m.body.length,
          'Docker-Content-Digest': m.digest,
          ETag: `"${m.digest}"`,
        },
        m.body,
      );
    }
    case 'PUT': {
      await authorize(ctx, [repoAccess(name, 'pull', 'push')]);
      const body = await readManifestBody(ctx.req);
      const r = await registry.putManifest(name, reference, body, ctx.req.headers['content-type'] ?? '');
      const headers: Record<string, string> = {
        Location: `/v2/${name}/manifests/${r.digest}`,
        'Docker-Content-Digest': r.digest,
      };
      if (r.subject !== undefined) headers['OCI-Subject'] = r.subject;
      return send(ctx.res, 201, headers);
    }
    case 'DELETE':
      await authorize(ctx, [repoAccess(name, 'delete')]);
      await registry.deleteManifest(name, reference);
      return send(ctx.res, 202, {});
    default:
      throw methodNotAllowed();
  }
}

// ---- blobs

async function blobs(ctx: Ctx, name: string, digest: string): Promise<void> {
  const { registry } = ctx.deps;
  switch (ctx.method) {
    case 'GET':
    case 'HEAD': {
      await authorize(ctx, [repoAccess(name, 'pull')]);
      const st = await registry.statBlob(name, digest);
      const base = {
        'Content-Type': 'application/octet-stream',
        'Docker-Content-Digest': digest,
        'Accept-Ranges': 'bytes',
        ETag: `"${digest}"`,
        'Cache-Control': 'max-age=31536000',
      };
      const range = ctx.method === 'GET' ? parseRange(ctx.req.headers.range, st.size) : { kind: 'full' as const };
      if (range.kind === 'unsatisfiable') {
        throw new RegistryError('RANGE_INVALID', `range not satisfiable for a ${st.size} byte blob`, {
          headers: { 'Content-Range': `bytes */${st.size}` },
        });
      }
      if (ctx.method === 'HEAD') return send(ctx.res, 200, { ...base, 'Content-Length': st.size });
      const [status, start, len, extra] =
        range.kind === 'partial'
          ? [206, range.start, range.end - range.start + 1, { 'Content-Range': `bytes ${range.start}-${range.end}/${st.size}` }]
          : [200, 0, st.size, {}];
      const stream = await registry.openBlob(name, digest, start, len);
      ctx.res.writeHead(status, { ...API_VERSION, ...base, ...extra, 'Content-Length': len });
      await pipeline(stream, ctx.res).catch(() => ctx.res.destroy());
      return;
    }
    case 'DELETE':
      await authorize(ctx, [repoAccess(name, 'delete')]);
      await registry.deleteBlob(name, digest);
      return send(ctx.res, 202, { 'Docker-Content-Digest': digest });
    default:
      throw methodNotAllowed();
  }
}

function uploadHeaders(name: string, uuid: string, offset: number): Record<string, string> {
  return {
    Location: `/v2/${name}/blobs/uploads/${uuid}`,
    Range: uploadRangeHeader(offset),
    'Docker-Upload-UUID': uuid,
  };
}

async function uploads(ctx: Ctx, name: string, uuid: string): Promise<void> {
  const { registry } = ctx.deps;
  const { req, res, url } = ctx;
  if (uuid === '') {
    if (ctx.method !== 'POST') throw methodNotAllowed();
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    const need = [repoAccess(name, 'pull', 'push')];
    if (mount !== null && from !== null && from !== name) need.push(repoAccess(from, 'pull'));
    await authorize(ctx, need);
    if (mount !== null && from !== null) {
      checkDigest(mount);
      if (await registry.mountBlob(name, from, mount)) {
        await drain(req);
        return send(res, 201, { Location: `/v2/${name}/blobs/${mount}`, 'Docker-Content-Digest': mount });
      }
    }
    const digest = url.searchParams.get('digest');
    if (digest !== null) {
      checkDigest(digest);
      const id = await registry.uploads.start(name);
      try {
        await registry.uploads.append(name, id, req, { length: contentLength(req) });
        await registry.finishUpload(name, id, digest);
      } catch (e) {
        await registry.uploads.cancel(name, id).catch(() => {});
        throw e;
      }
      return send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
    }
    await drain(req);
    const id = await registry.uploads.start(name);
    return send(res, 202, uploadHeaders(name, id, 0));
  }

  switch (ctx.method) {
    case 'GET': {
      await authorize(ctx, [repoAccess(name, 'pull')]);
      const offset = await registry.uploads.offset(name, uuid);
      return send(res, 204, uploadHeaders(name, uuid, offset));
    }
    case 'PATCH': {
      await authorize(ctx, [repoAccess(name, 'pull', 'push')]);
      const cr = req.headers['content-range'];
      const range = cr === undefined ? undefined : parseContentRange(cr);
      if (cr !== undefined && range === undefined) {
        const offset = await registry.uploads.offset(name, uuid);
        throw new RegistryError('BLOB_UPLOAD_INVALID', `malformed Content-Range: ${cr}`, {
          status: 416,
          headers: uploadHeaders(name, uuid, offset),
        });
      }
      const offset = await registry.uploads.append(name, uuid, req, { range, length: contentLength(req) });
      return send(res, 202, uploadHeaders(name, uuid, offset));
    }
    case 'PUT': {
      await authorize(ctx, [repoAccess(name, 'pull', 'push')]);
      const digest = url.searchParams.get('digest');
      if (digest === null) throw regErr('DIGEST_INVALID', 'digest query parameter missing');
      checkDigest(digest);
      if (hasBody(req)) {
        const cr = req.headers['content-range'];
        const range = cr === undefined ? undefined : parseContentRange(cr);
        await registry.uploads.append(name, uuid, req, { range, length: contentLength(req) });
      } else {
        await drain(req);
      }
      await registry.finishUpload(name, uuid, digest);
      return send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
    }
    case 'DELETE':
      await authorize(ctx, [repoAccess(name, 'push')]);
      await registry.uploads.cancel(name, uuid);
      return send(res, 204, {});
    default:
      throw methodNotAllowed();
  }
}
