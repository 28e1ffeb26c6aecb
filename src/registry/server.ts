// The registry server: storage + auth + handlers on a node:http listener, with an optional per-client rate limit
// (TOOMANYREQUESTS) and online GC on a timer.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Acl } from './auth/acl.ts';
import { Authorizer } from './auth/authorizer.ts';
import { Htpasswd } from './auth/htpasswd.ts';
import { TokenSigner } from './auth/token.ts';
import { collectGarbage, formatGcReport } from './gc.ts';
import { handle, sendError } from './http/handlers.ts';
import { Registry } from './registry.ts';
import { RegistryError } from './registry-error.ts';
import { Search } from './search.ts';
import type { StorageDriver } from './storage/driver.ts';
import { FsDriver } from './storage/fs-driver.ts';

export interface RegistryServerOptions {
  /** host:port; port 0 picks a free one. */
  addr: string;
  root: string;
  /** Defaults to the filesystem driver on `root`. */
  driver?: StorageDriver;
  htpasswd?: string;
  acl?: string;
  /** Token auth: the realm URL; "{addr}" is replaced by the bound address. */
  realm?: string;
  tokenIssuer?: string;
  service?: string;
  gcIntervalMs?: number;
  gcGraceMs?: number;
  /** Requests per second per client address (burst: twice that); 0 or undefined: unlimited. */
  rateLimit?: number;
  log?: (line: string) => void;
}

export interface RunningRegistry {
  address: string;
  registry: Registry;
  server: Server;
  close(): Promise<void>;
}

class RateLimiter {
  private readonly rate: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(rate: number) {
    this.rate = rate;
  }
  take(key: string): boolean {
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: this.rate * 2, at: now };
    b.tokens = Math.min(this.rate * 2, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    this.buckets.set(key, b);
    if (this.buckets.size > 10000) this.buckets.clear();
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

export function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new Error(`--addr must be host:port, got ${addr}`);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in --addr ${addr}`);
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

export async function startRegistry(opts: RegistryServerOptions): Promise<RunningRegistry> {
  const log = opts.log ?? (() => {});
  const registry = new Registry(opts.driver ?? new FsDriver(opts.root));
  const htpasswd = opts.htpasswd === undefined ? undefined : await Htpasswd.load(opts.htpasswd);
  const acl = opts.acl === undefined ? undefined : await Acl.load(opts.acl);
  const { host, port } = splitAddr(opts.addr);

  const server = createServer({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;

  let signer: TokenSigner | undefined;
  let realm: string | undefined;
  if (opts.realm !== undefined) {
    realm = opts.realm.replace('{addr}', address);
    signer = await TokenSigner.open(join(opts.root, '_auth', 'token-key.pem'), {
      issuer: opts.tokenIssuer ?? 'berth-registry',
      service: opts.service ?? 'berth-registry',
    });
  }
  const auth = new Authorizer({ htpasswd, acl, realm, signer });
  const deps = { registry, auth, search: new Search(registry) };
  const limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit) : undefined;

  server.on('request', (req, res) => {
    const started = Date.now();
    res.on('finish', () => log(`${req.socket.remoteAddress} ${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    if (limiter !== undefined && !limiter.take(req.socket.remoteAddress ?? '')) {
      sendError(res, new RegistryError('TOOMANYREQUESTS', undefined, { headers: { 'Retry-After': '1' } }));
      return;
    }
    void handle(deps, req, res);
  });

  let gcTimer: NodeJS.Timeout | undefined;
  let gcRunning: Promise<unknown> | undefined;
  if (opts.gcIntervalMs !== undefined && opts.gcIntervalMs > 0) {
    gcTimer = setInterval(() => {
      if (gcRunning !== undefined) return;
      gcRunning = collectGarbage(registry, { graceMs: opts.gcGraceMs ?? 3600_000 })
        .then((r) => log(`gc: ${formatGcReport(r)}`))
        .catch((e: unknown) => log(`gc failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          gcRunning = undefined;
        });
    }, opts.gcIntervalMs);
    gcTimer.unref();
  }

  return {
    address,
    registry,
    server,
    async close() {
      if (gcTimer !== undefined) clearInterval(gcTimer);
      await gcRunning;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
