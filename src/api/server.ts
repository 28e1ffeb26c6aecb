// The Engine API over a unix socket: plain node:http, routes per resource, version negotiation, one error shape.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { chmod, unlink } from 'node:fs/promises';
import { BerthError, errorMessage, invalidArgument } from '../base/errors.ts';
import { API_VERSION, MIN_API_VERSION } from '../spec/docker-api.ts';
import type { ApiLogger, Backends } from './backend.ts';
import { statusFor } from './http-status.ts';
import { buildRoutes } from './routes/build.ts';
import { containerFsRoutes } from './routes/container-fs.ts';
import { distributionRoutes } from './routes/distribution.ts';
import { containerRoutes } from './routes/containers.ts';
import { execRoutes } from './routes/exec.ts';
import { imageArchiveRoutes } from './routes/image-archive.ts';
import { imageRoutes } from './routes/images.ts';
import { networkRoutes } from './routes/networks.ts';
import { systemRoutes } from './routes/system.ts';
import { statsRoutes } from './routes/stats.ts';
import { systemDfRoutes } from './routes/system-df.ts';
import { volumeRoutes } from './routes/volumes.ts';
import { StreamOut } from './stream-out.ts';

export interface Ctx {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  apiVersion: string;
  backends: Backends;
  log: ApiLogger;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Set for requests that came as `Connection: Upgrade` (hijackable). */
  upgrade?: { socket: Duplex; head: Buffer };
  res?: ServerResponse;
  json(status: number, body: unknown): void;
  noContent(status?: number): void;
  readJson<T>(): Promise<T | undefined>;
  readBody(): Promise<Buffer>;
  /** The request body as a stream (for image import). */
  bodyStream(): NodeJS.ReadableStream;
  /** Switch to a raw stream: 101 for upgraded requests, 200 otherwise. */
  hijack(contentType: string): StreamOut;
  status?: number;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;
export interface Route {
  method: string;
  path: string;
  handler: Handler;
}

interface Compiled {
  method: string;
  re: RegExp;
  names: string[];
  handler: Handler;
}

function compile(routes: Route[]): Compiled[] {
  return routes.map((r) => {
    const names: string[] = [];
    // {name:.*} captures slashes (image names like localhost:5000/a/b); {id} does not.
    const src = r.path.replace(/\{(\w+)(:\.\*)?\}/g, (_m, n: string, greedy?: string) => {
      names.push(n);
      return greedy ? '(.+?)' : '([^/]+)';
    });
    return { method: r.method, re: new RegExp(`^${src}$`), names, handler: r.handler };
  });
}

function versionLess(a: string, b: string): boolean {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1! < b1! || (a1 === b1 && a2! < b2!);
}

export interface ApiServerOptions {
  socketPath: string;
  backends: Backends;
  log: ApiLogger;
}

export class ApiServer {
  private readonly server: Server;
  private readonly routes: Compiled[];
  private readonly o: ApiServerOptions;
  private readonly sockets = new Set<Duplex>();

  constructor(o: ApiServerOptions) {
    this.o = o;
    this.routes = compile([...systemRoutes, ...containerRoutes, ...containerFsRoutes, ...execRoutes, ...imageArchiveRoutes, ...distributionRoutes, ...imageRoutes, ...networkRoutes, ...volumeRoutes, ...statsRoutes, ...systemDfRoutes, ...buildRoutes]);
    this.server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 });
    this.server.on('request', (req, res) => void this.dispatch(req, res, undefined));
    this.server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => {}); // an EPIPE after the client left must never crash the daemon
      void this.dispatch(req, undefined, { socket, head });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
  }

  async listen(): Promise<void> {
    await unlink(this.o.socketPath).catch(() => {});
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.socketPath, () => resolve());
    });
    await chmod(this.o.socketPath, 0o660);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    await unlink(this.o.socketPath).catch(() => {});
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse | undefined, upgrade: { socket: Duplex; head: Buffer } | undefined): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://berth');
    let path = url.pathname;
    let apiVersion = API_VERSION;
    const vm = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
    const ac = new AbortController();
    const onGone = () => ac.abort();
    (upgrade?.socket ?? req.socket).once('close', onGone);
    const ctx = this.makeCtx(req, res, upgrade, url.searchParams, ac.signal);
    try {
      if (vm) {
        apiVersion = vm[1]!;
        path = vm[2]!;
        if (versionLess(API_VERSION, apiVersion)) {
          throw invalidArgument(`client version ${apiVersion} is too new. Maximum supported API version is ${API_VERSION}`);
        }
        if (versionLess(apiVersion, MIN_API_VERSION)) {
          throw invalidArgument(
            `client version ${apiVersion} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
          );
        }
      }
      ctx.apiVersion = apiVersion;
      const method = req.method === 'HEAD' && path === '/_ping' ? 'HEAD' : req.method ?? 'GET';
      let found: Compiled | undefined;
      let pathMatched = false;
      for (const r of this.routes) {
        const m = r.re.exec(path);
        if (!m) continue;
        pathMatched = true;
        if (r.method !== method) continue;
        found = r;
        r.names.forEach((n, i) => (ctx.params[n] = decodeURIComponent(m[i + 1]!)));
        break;
      }
      if (!found) {
        const msg = pathMatched ? `method not allowed` : `page not found`;
        throw new BerthError('not_found', 'route_not_found', msg);
      }
      await found.handler(ctx);
    } catch (e) {
      this.sendError(ctx, e);
    } finally {
      const status = ctx.status ?? res?.statusCode ?? 101;
      const fields = { method: req.method, path: url.pathname, status, ms: Date.now() - started };
      if (status >= 500) this.o.log.warn('request', fields);
      else this.o.log.debug('request', fields);
    }
  }

  private sendError(ctx: Ctx, e: unknown): void {
    const status = statusFor(e);
    const message = errorMessage(e);
    if (status >= 500) this.o.log.error('request failed', { message, stack: e instanceof Error ? e.stack : undefined });
    ctx.status = status;
    if (ctx.res) {
      const res = ctx.res;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (status === 304) {
        res.writeHead(304).end();
        return;
      }
      ctx.json(status, { message });
    } else if (ctx.upgrade) {
      const body = JSON.stringify({ message }) + '\n';
      const sock = ctx.upgrade.socket;
      if (!sock.writable) return;
      sock.end(
        `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : status === 400 ? 'Bad Request' : 'Error'}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }

  private makeCtx(
    req: IncomingMessage,
    res: ServerResponse | undefined,
    upgrade: { socket: Duplex; head: Buffer } | undefined,
    query: URLSearchParams,
    signal: AbortSignal,
  ): Ctx {
    let bodyPromise: Promise<Buffer> | undefined;
    const readBody = (): Promise<Buffer> => {
      bodyPromise ??= (async () => {
        const chunks: Buffer[] = [];
        if (upgrade) {
          // Node does not parse bodies of upgrade requests: Content-Length bytes come in `head`, then the socket.
          const want = Number(req.headers['content-length'] ?? 0);
          let have = upgrade.head.length;
          chunks.push(upgrade.head);
          const sock = upgrade.socket;
          while (have < want) {
            const chunk = await new Promise<Buffer | null>((resolve) => {
              const onData = (d: Buffer) => {
                sock.off('end', onEnd);
                sock.pause();
                resolve(d);
              };
              const onEnd = () => {
                sock.off('data', onData);
                resolve(null);
              };
              sock.once('data', onData);
              sock.once('end', onEnd);
              sock.resume();
            });
            if (!chunk) break;
            const need = want - have;
            if (chunk.length > need) {
              chunks.push(chunk.subarray(0, need));
              sock.unshift(chunk.subarray(need));
              have = want;
            } else {
              chunks.push(chunk);
              have += chunk.length;
            }
          }
          upgrade.head = Buffer.alloc(0);
          return Buffer.concat(chunks);
        }
        for await (const c of req) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      })();
      return bodyPromise;
    };
    const ctx: Ctx = {
      req,
      res,
      upgrade,
      params: {},
      query,
      apiVersion: API_VERSION,
      backends: this.o.backends,
      log: this.o.log,
      signal,
      json(status, body) {
        ctx.status = status;
        const text = JSON.stringify(body) + '\n';
        if (res) {
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...commonHeaders() });
          res.end(text);
        } else if (upgrade) {
          upgrade.socket.end(
            `HTTP/1.1 ${status} OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
          );
        }
      },
      noContent(status = 204) {
        ctx.status = status;
        if (res) res.writeHead(status, commonHeaders()).end();
        else upgrade?.socket.end(`HTTP/1.1 ${status} No Content\r\n\r\n`);
      },
      async readJson<T>() {
        const buf = await readBody();
        const text = buf.toString('utf8').trim();
        if (!text) return undefined;
        try {
          return JSON.parse(text) as T;
        } catch (e) {
          throw invalidArgument(`invalid JSON: ${errorMessage(e)}`, 'invalid_json');
        }
      },
      readBody,
      bodyStream() {
        return req;
      },
      hijack(contentType: string) {
        ctx.status = upgrade ? 101 : 200;
        return new StreamOut({ res, upgrade, contentType });
      },
    };
    return ctx;
  }
}

export function commonHeaders(): Record<string, string> {
  return { 'Api-Version': API_VERSION, 'Docker-Experimental': 'false', 'Ostype': 'linux', Server: `Berth/${process.env.BERTH_VERSION ?? '0.1.0'} (linux)` };
}

export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  return !['0', 'false', 'False', 'no'].includes(v);
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !/^-?\d+(\.\d+)?$/.test(v)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return Math.trunc(n);
}
