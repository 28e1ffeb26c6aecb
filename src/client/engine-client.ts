// Typed HTTP client for the Docker Engine API on a unix socket. Negotiates the API version once (HEAD /_ping) and
// prefixes every later path with /vX.Y, like the docker CLI does.
import { createRequire } from 'node:module';
import type { Agent as HttpAgent, ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { API_VERSION } from '../spec/docker-api.ts';

// require(), not an ESM import: importing node:http as ESM evaluates every export getter, which loads undici and
// costs the CLI ~20-100 ms at each start.
const { Agent, request: httpRequest } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export const DEFAULT_HOST = 'unix:///run/berth.sock';

export type QueryValue = string | number | boolean | undefined | null | string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** A plain value is sent as JSON; a Buffer or Readable as-is (set Content-Type in headers). */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
}

/** The daemon answered with a non-2xx status. `message` is the daemon's own text (Docker's {"message": ...}). */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The socket could not be reached at all (no daemon, wrong path, permissions). */
export class ConnectError extends Error {
  readonly host: string;
  constructor(host: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const text =
      code === 'EACCES'
        ? `permission denied while trying to connect to the Berth daemon socket at ${host}`
        : `Cannot connect to the Berth daemon at ${host}. Is the berth daemon running?`;
    super(text, { cause });
    this.name = 'ConnectError';
    this.host = host;
  }
}

/** Picks the daemon address: explicit option, then BERTH_HOST, then DOCKER_HOST, then the default socket. */
export function resolveHost(host?: string, env: NodeJS.ProcessEnv = process.env): string {
  return host || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

/** Returns the socket path of a unix:// address; other schemes are not supported. */
export function socketPathOf(host: string): string {
  if (host.startsWith('unix://')) {
    const p = host.slice('unix://'.length);
    if (p.startsWith('/')) return p;
  }
  throw new Error(`unsupported host "${host}": only unix:///absolute/path.sock addresses are supported`);
}

const compareVersions = (a: string, b: string): number => {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
};

export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) sp.append(k, item);
    else if (typeof v === 'boolean') sp.append(k, v ? '1' : '0');
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

/** Reads a whole response body. */
export async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

function errorFromBody(status: number, raw: Buffer): ApiError {
  const text = raw.toString('utf8').trim();
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed?.message === 'string') message = parsed.message;
  } catch {
    // Not JSON: keep the text, as docker does.
  }
  if (!message) message = `${status} ${status === 404 ? 'page not found' : 'error'}`;
  return new ApiError(status, message);
}

export class EngineClient {
  readonly host: string;
  readonly socketPath: string;
  private readonly agent: HttpAgent;
  private negotiated?: Promise<string>;

  constructor(opts: { host?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.host = resolveHost(opts.host, opts.env);
    this.socketPath = socketPathOf(this.host);
    // Keep-alive makes the CLI's sequential requests reuse one connection; close() releases it.
    this.agent = new Agent({ keepAlive: true, maxSockets: 8 });
  }

  /** The API version in use: min(ours, the daemon's), found out once. */
  apiVersion(): Promise<string> {
    this.negotiated ??= this.ping().then(
      (h) => {
        const server = typeof h['api-version'] === 'string' ? h['api-version'] : '';
        if (!server) return API_VERSION;
        return compareVersions(server, API_VERSION) < 0 ? server : API_VERSION;
      },
      (e: unknown) => {
        this.negotiated = undefined;
        throw e;
      },
    );
    return this.negotiated;
  }

  /** HEAD /_ping, unversioned. Resolves to the response headers. */
  async ping(): Promise<IncomingHttpHeaders> {
    let res = await this.send('HEAD', '/_ping', {});
    // Some servers do not answer HEAD; docker falls back to GET.
    if (res.statusCode === 405 || res.statusCode === 404) {
      res.resume();
      res = await this.send('GET', '/_ping', {});
    }
    const body = await readAll(res);
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(res.statusCode ?? 500, body);
    return res.headers;
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const res = await this.stream(method, path, opts);
    const raw = await readAll(res);
    const ct = String(res.headers['content-type'] ?? '');
    let body: unknown = raw;
    if (ct.includes('json') && raw.length > 0) body = JSON.parse(raw.toString('utf8'));
    else if (ct.startsWith('text/')) body = raw.toString('utf8');
    return { status: res.statusCode ?? 0, headers: res.headers, body: body as T };
  }

  /** Like request() but returns the open response for streaming endpoints; non-2xx still throws ApiError. */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const full = await this.versioned(path);
    const res = await this.send(method, full + encodeQuery(opts.query), opts);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw errorFromBody(status, await readAll(res));
    return res;
  }

  /**
   * Upgrades the connection to a raw bidirectional stream (attach, exec start). Ending our write side half-closes it;
   * the daemon keeps sending output until the process exits.
   */
  async hijack(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
  ): Promise<{ socket: Duplex; head: Buffer; headers: IncomingHttpHeaders }> {
    const full = (await this.versioned(path)) + encodeQuery(opts.query);
    const { payload, headers } = encodeBody(opts.body);
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        socketPath: this.socketPath,
        method,
        path: full,
        agent: false,
        signal: opts.signal,
        headers: { Host: 'berth', Connection: 'Upgrade', Upgrade: 'tcp', ...headers },
      });
      req.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
        socket.on('error', () => {});
        resolve({ socket, head, headers: res.headers });
      });
      req.on('response', (res: IncomingMessage) => {
        void readAll(res).then(
          (raw) => reject(errorFromBody(res.statusCode ?? 0, raw)),
          reject,
        );
      });
      req.on('error', (e) => reject(this.wrapConnectError(e)));
      if (payload instanceof Readable) payload.pipe(req);
      else req.end(payload);
    });
  }

  /** Releases pooled connections so the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  private async versioned(path: string): Promise<string> {
    const v = await this.apiVersion();
    return `/v${v}${path.startsWith('/') ? path : `/${path}`}`;
  }

  private send(method: string, fullPath: string, opts: RequestOptions): Promise<IncomingMessage> {
    const { payload, headers } = encodeBody(opts.body);
    return new Promise((resolve, reject) => {
      const req: ClientRequest = httpRequest({
        socketPath: this.socketPath,
        method,
        path: fullPath,
        agent: this.agent,
        signal: opts.signal,
        headers: { Host: 'berth', ...headers, ...opts.headers },
      });
      req.on('response', resolve);
      req.on('error', (e) => reject(this.wrapConnectError(e)));
      if (payload instanceof Readable) {
        payload.on('error', (e) => req.destroy(e));
        payload.pipe(req);
      } else req.end(payload);
    });
  }

  private wrapConnectError(e: Error): Error {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ENOTSOCK') {
      return new ConnectError(this.host, e);
    }
    return e;
  }
}

function encodeBody(body: unknown): { payload: Buffer | Readable | undefined; headers: OutgoingHttpHeaders } {
  if (body === undefined) return { payload: undefined, headers: {} };
  if (Buffer.isBuffer(body)) return { payload: body, headers: { 'Content-Length': body.length } };
  if (body instanceof Readable) return { payload: body, headers: { 'Transfer-Encoding': 'chunked' } };
  const text = Buffer.from(JSON.stringify(body) + '\n');
  return { payload: text, headers: { 'Content-Type': 'application/json', 'Content-Length': text.length } };
}
