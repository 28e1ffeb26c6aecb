// An OCI distribution / Docker registry v2 client for one endpoint: manifests, blobs (ranged GETs for resume), blob
// uploads (monolithic or chunked, cross-repository mounts), manifest push, /v2/ ping (login) and /v1/search.
// Authentication is answered on demand: a 401 carries a challenge (Basic, or Bearer → token flow, see auth.ts) and
// the request is retried once with credentials. Redirects (blob storage) are followed without the Authorization.

import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { BerthError, errorMessage, type ErrorCategory } from '../base/errors.ts';
import { basicAuth, parseChallenges, tokenKey, tokenUrl, type Challenge, type Credentials, type TokenCache } from './auth.ts';
import type { Endpoint } from './hosts.ts';

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });

/** An error answered by a registry (or the failure to reach it). */
export class RegistryError extends BerthError {
  readonly status: number;
  /** The distribution error code (MANIFEST_UNKNOWN, NAME_UNKNOWN, UNAUTHORIZED, ...) when the registry gave one. */
  readonly registryCode: string;
  constructor(category: ErrorCategory, status: number, registryCode: string, message: string, cause?: unknown) {
    super(category, `registry_${registryCode.toLowerCase() || status}`, message, { cause });
    this.status = status;
    this.registryCode = registryCode;
  }
}

export const isRegistryError = (e: unknown): e is RegistryError => e instanceof RegistryError;

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** Unread body (always consume or destroy it). */
  body: IncomingMessage;
  url: URL;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** A Buffer is re-sent after an auth challenge; a stream is not (authorize first with a bodiless request). */
  body?: Buffer | Readable;
  /** Scopes for the bearer token. */
  scopes?: string[];
  signal?: AbortSignal;
  /** Statuses the caller handles itself (anything else ≥ 400 throws RegistryError). */
  accept?: number[];
}

export interface RegistryClientOptions {
  endpoint: Endpoint;
  credentials?: Credentials;
  tokens: TokenCache;
  userAgent?: string;
  /** Connect/idle timeout per request. */
  timeoutMs?: number;
}

export async function readAll(stream: NodeJS.ReadableStream, limit = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      (stream as Readable).destroy?.();
      throw new RegistryError('invalid_argument', 0, 'SIZE_INVALID', `response larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** First error of a distribution error body, as docker prints it: "manifest unknown: manifest unknown". */
export function errorBodyText(body: Buffer, status: number): { code: string; text: string } {
  try {
    const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    const e = j.errors?.[0];
    if (e) {
      const code = String(e.code ?? '');
      const kind = code.toLowerCase().replace(/_/g, ' ');
      const msg = e.message || kind;
      return { code, text: kind ? `${kind}: ${msg}` : msg };
    }
  } catch {
    // not JSON
  }
  const text = body.toString('utf8').trim().slice(0, 200);
  return { code: '', text: text || `status ${status}` };
}

const categoryFor = (status: number, code: string): ErrorCategory => {
  if (status === 401 || code === 'UNAUTHORIZED') return 'unauthorized';
  if (status === 403 || code === 'DENIED') return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 400) return 'invalid_argument';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'internal';
};

export class RegistryClient {
  readonly endpoint: Endpoint;
  private readonly creds: Credentials;
  private readonly tokens: TokenCache;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  /** Last challenge seen from this endpoint (Basic hosts get credentials pre-emptively afterwards). */
  private challenge: Challenge | undefined;

  constructor(o: RegistryClientOptions) {
    this.endpoint = o.endpoint;
    this.creds = o.credentials ?? {};
    this.tokens = o.tokens;
    this.userAgent = o.userAgent ?? 'berth/0.1';
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  url(path: string): URL {
    return new URL(this.endpoint.prefix + path, this.endpoint.base);
  }

  private authFor(scopes: string[]): string | undefined {
    if (this.creds.registryToken) return `Bearer ${this.creds.registryToken}`;
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') return basicAuth(this.creds);
    if (ch.scheme === 'bearer') {
      const t = this.tokens.get(tokenKey(this.endpoint.host, this.creds, scopes));
      return t ? `Bearer ${t}` : undefined;
    }
    return undefined;
  }

  /** Answers a challenge: true when a retry with new credentials makes sense. */
  private async answer(res: IncomingMessage, scopes: string[], sentAuth: boolean, signal?: AbortSignal): Promise<boolean> {
    const challenges = parseChallenges(res.headers['www-authenticate']);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) {
      const ch = { scheme: 'bearer', params: { ...bearer.params } };
      // The challenge's own scope (if any) joins the ones the operation needs.
      const want = [...new Set([...scopes, ...(bearer.params.scope ? bearer.params.scope.split(' ') : [])])];
      const token = await this.fetchToken(ch, want, signal);
      this.tokens.set(tokenKey(this.endpoint.host, this.creds, scopes), token.token, token.expiresIn);
      this.challenge = ch;
      return true;
    }
    if (basic) {
      this.challenge = basic;
      return !sentAuth && basicAuth(this.creds) !== undefined;
    }
    return false;
  }

  private async fetchToken(ch: Challenge, scopes: string[], signal?: AbortSignal): Promise<{ token: string; expiresIn: number }> {
    let res: IncomingMessage;
    if (this.creds.identityToken) {
      const u = new URL(ch.params.realm!);
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.creds.identityToken, client_id: 'berth', service: ch.params.service ?? '', scope: scopes.join(' ') });
      res = await this.raw('POST', u, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), signal });
    } else {
      const auth = basicAuth(this.creds);
      res = await this.raw('GET', tokenUrl(ch, scopes, this.creds), { headers: auth ? { Authorization: auth } : {}, signal });
    }
    const body = await readAll(res, 1 << 20);
    if (res.statusCode !== 200) {
      const { code, text } = errorBodyText(body, res.statusCode ?? 0);
      const msg = res.statusCode === 401 ? (text.startsWith('unauthorized') ? text : `unauthorized: ${text.includes('status') ? 'incorrect username or password' : text}`) : text;
      throw new RegistryError(categoryFor(res.statusCode ?? 0, code), res.statusCode ?? 0, code || 'UNAUTHORIZED', msg);
    }
    let j: { token?: string; access_token?: string; expires_in?: number };
    try {
      j = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RegistryError('unavailable', 200, 'TOKEN', `token endpoint ${ch.params.realm} returned invalid JSON`);
    }
    const token = j.token || j.access_token;
    if (!token) throw new RegistryError('unavailable', 200, 'TOKEN', `token endpoint ${ch.params.realm} returned no token`);
    return { token, expiresIn: j.expires_in ?? 60 };
  }

  /** One HTTP exchange, following redirects for GET/HEAD (dropping Authorization across hosts). */
  async raw(method: string, url: URL, o: { headers?: Record<string, string>; body?: Buffer | Readable; signal?: AbortSignal } = {}): Promise<IncomingMessage> {
    let cur = url;
    let headers = { 'User-Agent': this.userAgent, ...(o.headers ?? {}) };
    for (let hop = 0; hop < 6; hop++) {
      const res = await this.once(method, cur, headers, o.body, o.signal);
      const loc = res.headers.location;
      if ((method === 'GET' || method === 'HEAD') && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && loc) {
        res.resume();
        const next = new URL(loc, cur);
        if (next.host !== cur.host) {
          const { Authorization: _drop, ...rest } = headers as Record<string, string>;
          headers = rest as typeof headers;
        }
        cur = next;
        continue;
      }
      return res;
    }
    throw new RegistryError('unavailable', 0, 'REDIRECT', `${method} ${url}: too many redirects`);
  }

  private once(method: string, url: URL, headers: Record<string, string>, body: Buffer | Readable | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    const isHttps = url.protocol === 'https:';
    const req = (isHttps ? httpsRequest : httpRequest)(url, {
      method,
      headers: Buffer.isBuffer(body) ? { ...headers, 'Content-Length': String(body.length) } : headers,
      agent: isHttps ? httpsAgent : httpAgent,
      signal,
      timeout: this.timeoutMs,
    });
    return new Promise<IncomingMessage>((resolve, reject) => {
      const verb = method[0] + method.slice(1).toLowerCase();
      req.on('timeout', () => req.destroy(new Error('i/o timeout')));
      req.on('error', (e) => {
        if (signal?.aborted) return reject(signal.reason ?? e);
        reject(new RegistryError('unavailable', 0, 'UNREACHABLE', `${verb} "${url.href}": ${describeNetError(e)}`, e));
      });
      req.on('response', (res) => {
        // The idle timeout keeps applying to the body.
        res.socket?.setTimeout(this.timeoutMs);
        resolve(res);
      });
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }

  /** A request with auth: throws RegistryError for statuses ≥ 400 unless listed in `accept`. */
  async request(method: string, path: string | URL, o: RequestOptions = {}): Promise<Response> {
    const url = typeof path === 'string' ? this.url(path) : path;
    const scopes = o.scopes ?? [];
    for (let attempt = 0; ; attempt++) {
      const auth = this.authFor(scopes);
      const res = await this.raw(method, url, { headers: { ...(o.headers ?? {}), ...(auth ? { Authorization: auth } : {}) }, body: o.body, signal: o.signal });
      const status = res.statusCode ?? 0;
      if (status === 401 && attempt === 0 && (o.body === undefined || Buffer.isBuffer(o.body))) {
        res.resume();
        if (await this.answer(res, scopes, auth !== undefined, o.signal)) continue;
        return this.fail(method, url, res);
      }
      if (status >= 400 && !(o.accept ?? []).includes(status)) return this.fail(method, url, res);
      return { status, headers: res.headers, body: res, url };
    }
  }

  private async fail(method: string, url: URL, res: IncomingMessage): Promise<never> {
    const status = res.statusCode ?? 0;
    const body = method === 'HEAD' ? Buffer.alloc(0) : await readAll(res, 1 << 20).catch(() => Buffer.alloc(0));
    let { code, text } = errorBodyText(body, status);
    if (status === 401 && !text.startsWith('unauthorized')) text = `unauthorized: ${code ? text : 'authentication required'}`;
    if (!code) code = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : String(status);
    if (status >= 500 && !body.length) text = `received unexpected HTTP status: ${status} ${res.statusMessage ?? ''}`.trim();
    throw new RegistryError(categoryFor(status, code), status, code, text);
  }

  /** GET /v2/: checks that the endpoint is a registry and (with credentials) that they are accepted. */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.request('GET', '/v2/', { signal, accept: [404] });
    res.body.resume();
    if (res.status === 404) throw new RegistryError('not_found', 404, 'NOT_FOUND', `${this.url('/v2/').href} is not a registry (404)`);
  }

  async getManifest(repo: string, reference: string, o: { accept: string[]; scopes?: string[]; signal?: AbortSignal }): Promise<{ body: Buffer; mediaType: string; digest?: string }> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${reference}`, { headers: { Accept: o.accept.join(', ') }, scopes: o.scopes, signal: o.signal });
    const body = await readAll(res.body, 8 << 20);
    return { body, mediaType: String(res.headers['content-type'] ?? '').split(';')[0]!.trim(), digest: header(res.headers, 'docker-content-digest') };
  }

  /** HEAD a blob: its size, or undefined when the repository does not have it. */
  async headBlob(repo: string, digest: string, o: { scopes?: string[]; signal?: AbortSignal } = {}): Promise<number | undefined> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { scopes: o.scopes, signal: o.signal, accept: [404] });
    res.body.resume();
    if (res.status === 404) return undefined;
    const n = Number(res.headers['content-length']);
    return Number.isFinite(n) ? n : 0;
  }

  /** GET a blob from `offset` (Range). `partial` says whether the registry honoured the range (206). */
  async openBlob(repo: string, digest: string, o: { offset?: number; scopes?: string[]; signal?: AbortSignal } = {}): Promise<{ stream: IncomingMessage; partial: boolean; length?: number }> {
    const headers: Record<string, string> = {};
    if (o.offset) headers.Range = `bytes=${o.offset}-`;
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`, { headers, scopes: o.scopes, signal: o.signal, accept: [416] });
    if (res.status === 416) {
      res.body.resume();
      return this.openBlob(repo, digest, { ...o, offset: 0 });
    }
    const len = Number(res.headers['content-length']);
    return { stream: res.body, partial: res.status === 206, length: Number.isFinite(len) ? len : undefined };
  }

  /** POST /blobs/uploads/?mount=&from=: true when mounted (201), else the upload location to use. */
  async mountOrStart(repo: string, o: { digest?: string; from?: string; scopes?: string[]; signal?: AbortSignal }): Promise<{ mounted: true } | { mounted: false; location: URL }> {
    const q = o.digest && o.from ? `?mount=${encodeURIComponent(o.digest)}&from=${encodeURIComponent(o.from)}` : '';
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/${q}`, { scopes: o.scopes, signal: o.signal, body: Buffer.alloc(0) });
    res.body.resume();
    if (res.status === 201 && q) return { mounted: true };
    const loc = header(res.headers, 'location');
    if (!loc) throw new RegistryError('unavailable', res.status, 'BLOB_UPLOAD_INVALID', `registry gave no upload location (status ${res.status})`);
    return { mounted: false, location: new URL(loc, res.url) };
  }

  /** Finishes an upload in one PUT with the whole blob. */
  async putBlob(location: URL, digest: string, data: Readable, size: number, o: { scopes?: string[]; signal?: AbortSignal } = {}): Promise<void> {
    const u = new URL(location);
    u.searchParams.set('digest', digest);
    const res = await this.request('PUT', u, {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      body: data,
      scopes: o.scopes,
      signal: o.signal,
    });
    res.body.resume();
  }

  /** Sends one chunk (PATCH with Content-Range); returns the next location. */
  async patchChunk(location: URL, chunk: Buffer, start: number, o: { scopes?: string[]; signal?: AbortSignal } = {}): Promise<URL> {
    const res = await this.request('PATCH', location, {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${start + chunk.length - 1}` },
      body: chunk,
      scopes: o.scopes,
      signal: o.signal,
    });
    res.body.resume();
    const loc = header(res.headers, 'location');
    return loc ? new URL(loc, res.url) : location;
  }

  /** Closes a chunked upload (PUT ?digest= without a body). */
  async finishUpload(location: URL, digest: string, o: { scopes?: string[]; signal?: AbortSignal } = {}): Promise<void> {
    const u = new URL(location);
    u.searchParams.set('digest', digest);
    const res = await this.request('PUT', u, { headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(0), scopes: o.scopes, signal: o.signal });
    res.body.resume();
  }

  async putManifest(repo: string, reference: string, body: Buffer, mediaType: string, o: { scopes?: string[]; signal?: AbortSignal } = {}): Promise<string | undefined> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'Content-Type': mediaType }, body, scopes: o.scopes, signal: o.signal });
    res.body.resume();
    return header(res.headers, 'docker-content-digest');
  }

  /** GET /v1/search (Docker Hub's and Berth's registry). */
  async search(term: string, limit: number, signal?: AbortSignal): Promise<{ results: SearchResult[] }> {
    const q = new URLSearchParams({ q: term, n: String(limit) });
    // v1 endpoints get Basic credentials up front (moby's v1 session does the same): a registry may answer an
    // anonymous search with fewer results instead of a challenge.
    const basic = basicAuth(this.creds);
    const res = await this.request('GET', `/v1/search?${q}`, { signal, headers: basic ? { Authorization: basic } : {} });
    const body = await readAll(res.body, 8 << 20);
    try {
      const j = JSON.parse(body.toString('utf8')) as { results?: SearchResult[] };
      return { results: Array.isArray(j.results) ? j.results : [] };
    } catch {
      throw new RegistryError('unavailable', res.status, 'SEARCH', `invalid search response from ${this.endpoint.host}`);
    }
  }
}

export interface SearchResult {
  name: string;
  description?: string;
  star_count?: number;
  is_official?: boolean;
  is_automated?: boolean;
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function describeNetError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number };
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${err.hostname ?? ''}: no such host`;
    case 'ECONNREFUSED':
      return `dial tcp ${err.address ?? ''}:${err.port ?? ''}: connect: connection refused`;
    case 'ENETUNREACH':
      return `dial tcp: connect: network is unreachable`;
    case 'ECONNRESET':
      return 'connection reset by peer';
    default:
      return errorMessage(e);
  }
}
