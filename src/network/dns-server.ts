// The embedded DNS of a user-defined network: UDP on the network's gateway address, port 53 (in the host netns; the
// gateway address sits on the bridge). Names of containers on the network (name, aliases, short id) get A records;
// other dotted names are forwarded to the host's resolvers; single-label names that are not ours get NXDOMAIN here
// (public DNS has no answer for them, and it keeps container-name lookups on the host).
import { createSocket, type Socket } from 'node:dgram';
import {
  CLASS_IN,
  encodeAnswer,
  parseQuery,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  TYPE_A,
  type DnsQuery,
} from './dns-message.ts';

export interface DnsServerOptions {
  address: string;
  port?: number;
  /** Addresses for a name on this network (lower-case, without trailing dot), or undefined when unknown. */
  lookup(name: string, from: string): string[] | undefined;
  /** Upstream resolvers (IPv4, port 53). */
  upstreams(): string[];
  onError?(e: Error): void;
}

export class DnsServer {
  private readonly o: DnsServerOptions;
  private sock: Socket | null = null;

  constructor(o: DnsServerOptions) {
    this.o = o;
  }

  get port(): number {
    return this.sock?.address().port ?? 0;
  }

  async listen(): Promise<void> {
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: this.o.address, port: this.o.port ?? 53 }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('error', (e) => this.o.onError?.(e));
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    this.sock = sock;
  }

  close(): Promise<void> {
    const s = this.sock;
    this.sock = null;
    if (!s) return Promise.resolve();
    return new Promise((r) => s.close(() => r()));
  }

  private reply(buf: Buffer, address: string, port: number): void {
    this.sock?.send(buf, port, address);
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    const q = parseQuery(msg);
    if (!q) return;
    if ((q.flags & 0x7800) !== 0 || q.klass !== CLASS_IN) return this.reply(encodeAnswer(q, RCODE_NOTIMP), address, port);
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const ips = this.o.lookup(name, address);
    if (ips) {
      // Ours: A records for A queries, an empty NOERROR for AAAA and the rest (the name exists).
      return this.reply(encodeAnswer(q, RCODE_NOERROR, q.type === TYPE_A ? ips : []), address, port);
    }
    if (!name.includes('.') || name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) {
      return this.reply(encodeAnswer(q, RCODE_NXDOMAIN), address, port);
    }
    void this.forward(q, msg).then((r) => this.reply(r, address, port));
  }

  private async forward(q: DnsQuery, msg: Buffer): Promise<Buffer> {
    for (const up of this.o.upstreams()) {
      const r = await forwardOnce(msg, up, 3000).catch(() => undefined);
      if (r) return r;
    }
    return encodeAnswer(q, RCODE_SERVFAIL);
  }
}

function forwardOnce(msg: Buffer, server: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('timeout'));
    }, timeoutMs);
    s.once('error', (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.once('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, 53, server);
  });
}

/** Nameservers of a resolv.conf usable from the host (IPv4 only). */
export function upstreamsOf(resolvConf: string): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}
