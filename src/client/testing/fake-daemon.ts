// A scriptable stand-in for berthd in unit tests: a node:http server on a temp unix socket that records every request
// and answers from registered handlers (unmatched paths get Docker's 404 JSON). Not used in production code.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

export interface RecordedRequest {
  method: string;
  /** Path without the /vX.Y prefix. */
  path: string;
  /** The /vX.Y prefix's version, or '' when the request had none. */
  version: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Parsed body when it was JSON, else undefined. */
  json: unknown;
  match: RegExpMatchArray;
}

export type FakeHandler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;
/** Receives the raw socket of an Upgrade request; the 101 line is the handler's to write. */
export type FakeUpgradeHandler = (req: RecordedRequest, socket: Duplex) => void | Promise<void>;

interface Route {
  method: string;
  pattern: RegExp;
  handler?: FakeHandler;
  upgrade?: FakeUpgradeHandler;
}

export class FakeDaemon {
  readonly socketPath: string;
  readonly requests: RecordedRequest[] = [];
  apiVersion: string;
  private readonly dir: string;
  private readonly server: Server;
  private readonly routes: Route[] = [];
  private readonly sockets = new Set<Duplex>();

  private constructor(apiVersion: string) {
    this.apiVersion = apiVersion;
    this.dir = mkdtempSync(join(tmpdir(), 'berth-fake-'));
    this.socketPath = join(this.dir, 'd.sock');
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.dispatchUpgrade(req, socket, head));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: { apiVersion?: string } = {}): Promise<FakeDaemon> {
    const d = new FakeDaemon(opts.apiVersion ?? '1.47');
    await new Promise<void>((resolve) => d.server.listen(d.socketPath, resolve));
    return d;
  }

  get host(): string {
    return `unix://${this.socketPath}`;
  }

  /** Registers a handler; `pattern` is matched against the unversioned path (anchored). */
  on(method: string, pattern: string | RegExp, handler: FakeHandler): this {
    this.routes.unshift({ method, pattern: anchor(pattern), handler });
    return this;
  }

  onUpgrade(method: string, pattern: string | RegExp, upgrade: FakeUpgradeHandler): this {
    this.routes.unshift({ method, pattern: anchor(pattern), upgrade });
    return this;
  }

  /** Shorthand: answer with a status and JSON body. */
  json(method: string, pattern: string | RegExp, status: number, body: unknown): this {
    return this.on(method, pattern, (_req, res) => sendJson(res, status, body));
  }

  find(method: string, path: string | RegExp): RecordedRequest | undefined {
    const p = anchor(path);
    return this.requests.find((r) => r.method === method && p.test(r.path));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private record(req: IncomingMessage, body: Buffer): { rec: RecordedRequest; route?: Route } {
    const url = new URL(req.url ?? '/', 'http://d');
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const path = m ? m[2]! : url.pathname;
    let json: unknown;
    if (body.length > 0 && /json/.test(String(req.headers['content-type'] ?? ''))) {
      try {
        json = JSON.parse(body.toString());
      } catch {
        json = undefined;
      }
    }
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      version: m ? m[1]! : '',
      query: url.searchParams,
      headers: req.headers,
      body,
      json,
      match: [] as unknown as RegExpMatchArray,
    };
    this.requests.push(rec);
    for (const route of this.routes) {
      const mm = route.method === rec.method ? route.pattern.exec(path) : null;
      if (mm) {
        rec.match = mm;
        return { rec, route };
      }
    }
    return { rec };
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const { rec, route } = this.record(req, Buffer.concat(chunks));
    res.setHeader('Api-Version', this.apiVersion);
    try {
      if (route?.handler) return await route.handler(rec, res);
      if (rec.path === '/_ping') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(rec.method === 'HEAD' ? undefined : 'OK');
        return;
      }
      sendJson(res, 404, { message: 'page not found' });
    } catch (e) {
      if (!res.headersSent) sendJson(res, 500, { message: String(e) });
      else res.destroy();
    }
  }

  private async dispatchUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    // The body of an upgrade request (exec start) is not parsed by node: read Content-Length bytes ourselves.
    const len = Number(req.headers['content-length'] ?? 0);
    let body = head;
    while (body.length < len) {
      const chunk = await new Promise<Buffer | null>((resolve) => {
        socket.once('data', resolve);
        socket.once('end', () => resolve(null));
      });
      if (!chunk) break;
      body = Buffer.concat([body, chunk]);
    }
    const { rec, route } = this.record(req, body.subarray(0, len));
    if (route?.upgrade) {
      await route.upgrade(rec, socket);
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{"message":"page not found"}\n');
  }
}

function anchor(p: string | RegExp): RegExp {
  return typeof p === 'string' ? new RegExp(`^${p}$`) : p;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes the 101 response Docker's attach and exec-start answer with. */
export function writeUpgradeHead(socket: Duplex, tty: boolean): void {
  const ct = tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${ct}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
}
