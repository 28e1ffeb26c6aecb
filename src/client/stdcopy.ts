// Docker's multiplexed stream framing (non-tty attach, exec and logs): each frame is an 8-byte header
// [stream, 0, 0, 0, uint32 BE length] followed by `length` bytes of payload.
import { Transform } from 'node:stream';
import type { TransformCallback, Writable } from 'node:stream';

/** 0 stdin, 1 stdout, 2 stderr, 3 systemerr (an error message from the daemon that ends the stream). */
export type StdStream = 0 | 1 | 2 | 3;

export interface StdFrame {
  stream: StdStream;
  data: Buffer;
}

const HEADER = 8;

export function muxFrame(stream: StdStream, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const header = Buffer.alloc(HEADER);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Incremental parser: feed chunks in any split, get whole frames out. */
export class StdDemuxer {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  push(chunk: Buffer): StdFrame[] {
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    const out: StdFrame[] = [];
    if (this.pendingLen < HEADER) return out;
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLen);
    let off = 0;
    while (buf.length - off >= HEADER) {
      const stream = buf[off]!;
      if (stream > 3) throw new Error(`unrecognized input header: ${stream}`);
      const len = buf.readUInt32BE(off + 4);
      if (buf.length - off - HEADER < len) break;
      // Copy so frames do not pin the whole chunk.
      out.push({ stream: stream as StdStream, data: Buffer.from(buf.subarray(off + HEADER, off + HEADER + len)) });
      off += HEADER + len;
    }
    buf = buf.subarray(off);
    this.pending = buf.length ? [buf] : [];
    this.pendingLen = buf.length;
    return out;
  }

  /** Bytes of an unfinished frame left when the stream ended. */
  get leftover(): number {
    return this.pendingLen;
  }
}

export async function* demux(source: AsyncIterable<Buffer | string>): AsyncGenerator<StdFrame> {
  const d = new StdDemuxer();
  for await (const chunk of source) {
    yield* d.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
}

/** Object-mode Transform: Buffer chunks in, StdFrame objects out. */
export class DemuxTransform extends Transform {
  private readonly demuxer = new StdDemuxer();
  constructor() {
    super({ readableObjectMode: true });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      for (const f of this.demuxer.push(chunk)) this.push(f);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

/** Error raised for a systemerr (3) frame. */
export class StreamSystemError extends Error {}

/**
 * Copies a multiplexed stream to stdout/stderr writers, honouring backpressure. Rejects with StreamSystemError on a
 * systemerr frame, as docker's stdcopy does.
 */
export async function demuxTo(source: AsyncIterable<Buffer | string>, stdout: Writable, stderr: Writable): Promise<void> {
  for await (const frame of demux(source)) {
    if (frame.stream === 3) throw new StreamSystemError(frame.data.toString('utf8'));
    const target = frame.stream === 2 ? stderr : stdout;
    if (!target.write(frame.data)) await waitDrain(target);
  }
}

export function waitDrain(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      w.off('error', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
    w.on('error', done);
  });
}
