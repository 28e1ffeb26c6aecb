// A streaming response: either a hijacked connection (101 UPGRADED, then raw bytes both ways) or a plain 200 whose
// body is the stream. Docker's stream codec: in non-tty mode each chunk is framed [stream,0,0,0,len32BE]+data.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { API_VERSION } from '../spec/docker-api.ts';

export const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
export const RAW = 'application/vnd.docker.raw-stream';

export function frame(stream: 0 | 1 | 2, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}

export class StreamOut {
  private readonly res?: ServerResponse;
  private readonly socket?: Duplex;
  private readonly multiplexed: boolean;
  private ended = false;
  private closeCbs: (() => void)[] = [];

  constructor(o: { res?: ServerResponse; upgrade?: { socket: Duplex; head: Buffer }; contentType: string }) {
    this.multiplexed = o.contentType === MULTIPLEXED;
    if (o.upgrade) {
      this.socket = o.upgrade.socket;
      this.socket.write(
        `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${o.contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${API_VERSION}\r\n\r\n`,
      );
      // Client may have sent stdin bytes right behind the request.
      if (o.upgrade.head.length) this.socket.unshift(o.upgrade.head);
      this.socket.on('close', () => this.fireClose());
    } else if (o.res) {
      this.res = o.res;
      o.res.writeHead(200, { 'Content-Type': o.contentType, 'Api-Version': API_VERSION });
      o.res.flushHeaders();
      o.res.on('close', () => this.fireClose());
    }
  }

  /** Hijacked connections carry stdin from the client; plain responses have none. */
  get input(): Duplex | undefined {
    return this.socket;
  }

  write(stream: 1 | 2, data: Buffer): void {
    if (this.ended || data.length === 0) return;
    const out = this.multiplexed ? frame(stream, data) : data;
    if (this.socket) {
      if (this.socket.writable) this.socket.write(out);
    } else if (this.res && !this.res.writableEnded) {
      this.res.write(out);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    // A client half-close ('end') does not mean it has gone: keep the socket writable until here.
    if (this.socket) this.socket.end();
    else this.res?.end();
  }

  onClose(cb: () => void): void {
    this.closeCbs.push(cb);
  }

  private fireClose(): void {
    const cbs = this.closeCbs;
    this.closeCbs = [];
    for (const cb of cbs) cb();
  }
}

/** Docker's --detach-keys: 'ctrl-p,ctrl-q' or single characters, comma separated. */
export function parseDetachKeys(spec: string | null | undefined): Buffer {
  const s = spec || 'ctrl-p,ctrl-q';
  const out: number[] = [];
  for (const part of s.split(',')) {
    const k = part.trim();
    if (k.length === 1) out.push(k.charCodeAt(0));
    else if (/^ctrl-[a-z@\[\\\]^_]$/i.test(k)) {
      const c = k.slice(5).toLowerCase();
      const code = c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 }[c]!;
      out.push(code);
    } else {
      throw new Error(`Invalid detach keys (${s}) provided`);
    }
  }
  return Buffer.from(out);
}

/**
 * Watches stdin for the detach sequence. Bytes that might start the sequence are held back until it is clear
 * they are not it, so a lone ctrl-p still reaches the container.
 */
export class DetachScanner {
  private readonly keys: Buffer;
  private held: number[] = [];
  constructor(keys: Buffer) {
    this.keys = keys;
  }

  /** Returns the bytes to forward and whether the sequence was seen. */
  push(data: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of data) {
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      out.push(...this.held);
      this.held = [];
      if (b === this.keys[0]) this.held.push(b);
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
