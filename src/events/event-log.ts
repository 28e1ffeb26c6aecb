// The daemon's event log: every event Docker would emit, persisted as JSON lines and bounded, so `events --since`
// replays across daemon restarts (dockerd keeps only 256 events in memory).
//
// Layout: DATA_ROOT/events.jsonl, one Docker event message per line, appended with O_APPEND. A line torn by a crash
// is skipped on load. When the file holds more than 2×max events it is rewritten atomically with the newest max.
import { appendFile, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../sys/atomic-file.ts';

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

/** The Engine API's events message. */
export interface EventMessage {
  Type: string;
  Action: string;
  Actor: EventActor;
  scope: 'local';
  time: number;
  timeNano: number;
  /** Legacy fields docker-py and old clients still read. */
  status?: string;
  id?: string;
  from?: string;
}

export interface EventInput {
  type: 'container' | 'image' | 'network' | 'volume' | 'daemon' | 'builder';
  action: string;
  id: string;
  attributes?: Record<string, string>;
}

export type EventFilters = Record<string, string[]>;

export interface EventSink {
  emit(ev: EventInput): void;
}

export class EventLog implements EventSink {
  private readonly path: string;
  private readonly max: number;
  private ring: EventMessage[] = [];
  private readonly subscribers = new Set<(e: EventMessage) => void>();
  private onDisk = 0;
  /** Appends are chained so lines land in emit order. */
  private tail: Promise<void> = Promise.resolve();
  private lastNano = 0n;
  /** Sequence numbers let a compaction and queued appends agree on what is already on disk. */
  private seq = 0;
  private writtenSeq = 0;
  private readonly seqOf = new WeakMap<EventMessage, number>();

  private constructor(path: string, max: number) {
    this.path = path;
    this.max = max;
  }

  static async open(opts: { path: string; max?: number }): Promise<EventLog> {
    const log = new EventLog(opts.path, opts.max ?? 10_000);
    const text = await readFile(opts.path, 'utf8').catch(() => '');
    const events: EventMessage[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as EventMessage);
      } catch {
        // torn write from a crash: skip it
      }
    }
    log.onDisk = events.length;
    log.ring = events.slice(-log.max);
    if (events.length > log.max) await log.compact();
    return log;
  }

  emit(ev: EventInput): void {
    // Strictly increasing timestamps keep since/until replay stable. timeNano travels as a JSON number (a double:
    // 256 ns steps at today's epoch), so keep microsecond resolution and step by at least 1 µs.
    let nano = BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor((performance.now() % 1) * 1000)) * 1000n;
    if (nano <= this.lastNano) nano = this.lastNano + 1000n;
    this.lastNano = nano;
    const msg: EventMessage = {
      Type: ev.type,
      Action: ev.action,
      Actor: { ID: ev.id, Attributes: ev.attributes ?? {} },
      scope: 'local',
      time: Number(nano / 1_000_000_000n),
      timeNano: Number(nano),
    };
    if (ev.type === 'container' || ev.type === 'image') {
      msg.status = ev.action;
      msg.id = ev.id;
      if (ev.type === 'container' && ev.attributes?.image) msg.from = ev.attributes.image;
    }
    const seq = ++this.seq;
    this.seqOf.set(msg, seq);
    this.ring.push(msg);
    if (this.ring.length > this.max) this.ring.splice(0, this.ring.length - this.max);
    for (const s of this.subscribers) s(msg);
    const line = JSON.stringify(msg) + '\n';
    this.tail = this.tail
      .then(async () => {
        if (seq <= this.writtenSeq) return; // a compaction already wrote it
        await appendFile(this.path, line, { mode: 0o600 });
        this.writtenSeq = seq;
        this.onDisk++;
        if (this.onDisk > this.max * 2) await this.compact();
      })
      .catch(() => {});
  }

  /** Events already recorded, oldest first, within [sinceNano, untilNano]. */
  replay(opts: { sinceNano?: bigint; untilNano?: bigint; filters?: EventFilters }): EventMessage[] {
    return this.ring.filter(
      (e) =>
        (opts.sinceNano === undefined || BigInt(e.timeNano) >= opts.sinceNano) &&
        (opts.untilNano === undefined || BigInt(e.timeNano) <= opts.untilNano) &&
        matchEvent(e, opts.filters ?? {}),
    );
  }

  subscribe(cb: (e: EventMessage) => void): () => void {
    this.subscribers.add(cb);
    return () => this.subscribers.delete(cb);
  }

  get listeners(): number {
    return this.subscribers.size;
  }

  /** Waits until pending appends are on disk (tests, shutdown). */
  async flush(): Promise<void> {
    let t: Promise<void>;
    do {
      t = this.tail;
      await t;
    } while (t !== this.tail);
  }

  private async compact(): Promise<void> {
    const keep = this.ring.slice(-this.max);
    const upTo = this.seq;
    await writeFileAtomic(this.path, keep.map((e) => JSON.stringify(e)).join('\n') + (keep.length ? '\n' : ''), { mode: 0o600 });
    this.onDisk = keep.length;
    this.writtenSeq = Math.max(this.writtenSeq, upTo);
  }
}

const FILTER_KEYS = new Set(['type', 'container', 'image', 'event', 'label', 'network', 'volume', 'daemon', 'scope', 'config', 'node', 'plugin', 'secret', 'service']);

export function validateEventFilters(f: EventFilters): string | null {
  for (const k of Object.keys(f)) if (!FILTER_KEYS.has(k)) return `invalid filter '${k}'`;
  return null;
}

/** Docker's event filter semantics: values of one key are OR-ed, keys are AND-ed. */
export function matchEvent(e: EventMessage, f: EventFilters): boolean {
  const attrs = e.Actor.Attributes;
  const any = (key: string, pred: (v: string) => boolean) => !f[key]?.length || f[key]!.some(pred);
  return (
    any('type', (v) => v === e.Type) &&
    any('event', (v) => v === e.Action || e.Action.startsWith(`${v}:`)) &&
    any('container', (v) => e.Type === 'container' && (e.Actor.ID === v || e.Actor.ID.startsWith(v) || attrs.name === v)) &&
    any('image', (v) => {
      const img = e.Type === 'image' ? e.Actor.ID : attrs.image ?? '';
      const bare = (s: string) => s.replace(/:latest$/, '');
      return img === v || bare(img) === bare(v) || (e.Type === 'image' && attrs.name !== undefined && bare(attrs.name) === bare(v));
    }) &&
    any('network', (v) => e.Type === 'network' && (e.Actor.ID.startsWith(v) || attrs.name === v)) &&
    any('volume', (v) => e.Type === 'volume' && e.Actor.ID === v) &&
    any('daemon', (v) => e.Type === 'daemon' && e.Actor.ID === v) &&
    any('scope', (v) => v === e.scope) &&
    (!f.label?.length ||
      f.label.every((l) => {
        const i = l.indexOf('=');
        return i < 0 ? l in attrs : attrs[l.slice(0, i)] === l.slice(i + 1);
      }))
  );
}
