// Colored, prefixed log lines ("web-1  | ...") for compose logs and attached up, one color per container.
import type { Writable } from 'node:stream';
import type { EngineClient } from '../../client/engine-client.ts';
import { containerLogs } from '../../client/container-api.ts';
import { StdDemuxer } from '../../client/stdcopy.ts';

const COLORS = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

export class LogPrinter {
  private width = 0;
  private readonly colors = new Map<string, string>();
  private readonly out: Writable;
  private readonly color: boolean;
  constructor(out: Writable, color: boolean) {
    this.out = out;
    this.color = color;
  }

  register(name: string): void {
    this.width = Math.max(this.width, name.length);
    if (!this.colors.has(name)) this.colors.set(name, COLORS[this.colors.size % COLORS.length]!);
  }

  prefix(name: string): string {
    const p = `${name.padEnd(this.width)}  | `;
    return this.color ? `\x1b[${this.colors.get(name) ?? '0'}m${p}\x1b[0m` : p;
  }

  line(name: string, text: string): void {
    this.out.write(`${this.prefix(name)}${text}\n`);
  }

  /** A line-splitter for one container's byte stream. */
  sink(name: string): { write(b: Buffer): void; end(): void } {
    let rest = '';
    const decoder = new TextDecoder();
    return {
      write: (b: Buffer) => {
        rest += decoder.decode(b, { stream: true });
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          this.line(name, rest.slice(0, nl).replace(/\r$/, ''));
          rest = rest.slice(nl + 1);
        }
      },
      end: () => {
        rest += decoder.decode();
        if (rest) this.line(name, rest);
        rest = '';
      },
    };
  }

  /** Streams one container's logs through the printer until the stream ends or `signal` aborts. */
  async follow(
    client: EngineClient,
    c: { id: string; name: string; tty: boolean },
    o: { follow?: boolean; tail?: string; timestamps?: boolean; since?: string; signal?: AbortSignal },
  ): Promise<void> {
    const sink = this.sink(c.name);
    try {
      const res = await containerLogs(client, c.id, { follow: o.follow, tail: o.tail, timestamps: o.timestamps, since: o.since, signal: o.signal });
      if (c.tty) {
        for await (const chunk of res) sink.write(chunk as Buffer);
      } else {
        const demux = new StdDemuxer();
        for await (const chunk of res) for (const f of demux.push(chunk as Buffer)) sink.write(f.data);
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError' && !o.signal?.aborted) throw e;
    } finally {
      sink.end();
    }
  }
}
