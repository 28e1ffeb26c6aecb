// One sampler per container, shared by every reader (user need 14: dockerd's stats cost grows with watchers and a
// non-stream request sleeps ~2 s). A single 1 s clock samples only the containers someone is watching; with no
// watcher nothing runs. A non-stream request answers from the newest sample at least ~1 s old plus one fresh read;
// only when the container was not sampled recently does it wait for one interval (1 s, still half dockerd's).
import { totalmem } from 'node:os';
import type { StatsResponse } from '../spec/stats-api.ts';
import { CgroupLocator, type CgroupDirs } from './cgroup-paths.ts';
import { invalidateSlowFiles, ProcStat, readSample, type RawSample, type SystemCpuSource } from './cgroup-stats.ts';
import { emptyStats, toStatsResponse } from './docker-stats.ts';

export interface StatsTarget {
  id: string;
  name: string;
  /** Container init pid, 0 when not running. */
  pid: number;
  running: boolean;
}

export interface StatsSamplerOptions {
  /** Resolves a name/id/prefix to the container (throws not found). */
  lookup(ref: string): StatsTarget;
  locator?: CgroupLocator;
  systemCpu?: SystemCpuSource;
  intervalMs?: number;
  /** Keep sampling this long after a non-stream request, so repeated `stats --no-stream` answer at once. */
  lingerMs?: number;
  machineMemory?: number;
}

/** The minimum window between precpu and cpu for a CPU % worth showing. */
const MIN_WINDOW_MS = 900;
const HISTORY = 64;

/** `json()` is the response serialized once per sample and shared by every watcher of the container. */
type Watcher = (s: StatsResponse, json: () => string) => void;

function shared(msg: StatsResponse): () => string {
  let text: string | null = null;
  return () => (text ??= JSON.stringify(msg));
}

class ContainerSampler {
  readonly id: string;
  name = '';
  pid = 0;
  dirs: Promise<CgroupDirs> | null = null;
  history: RawSample[] = [];
  watchers = new Set<Watcher>();
  lingerUntil = 0;
  /** Non-stream requests in progress (they keep the sampler, and its history, alive). */
  pending = 0;
  private inflight: Promise<RawSample | null> | null = null;

  constructor(id: string) {
    this.id = id;
  }

  active(now: number): boolean {
    return this.watchers.size > 0 || this.pending > 0 || now < this.lingerUntil;
  }

  /** The newest kept sample at least MIN_WINDOW_MS older than `at`. */
  baseFor(at: number): RawSample | null {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const s = this.history[i]!;
      if (at - s.at >= MIN_WINDOW_MS) return s;
    }
    return null;
  }

  /** Single-flight: concurrent readers share one read of the files. */
  sample(t: StatsTarget, deps: { locator: CgroupLocator; systemCpu: SystemCpuSource }): Promise<RawSample | null> {
    if (this.inflight) return this.inflight;
    this.name = t.name;
    if (!t.running || t.pid <= 0) {
      this.history = [];
      this.pid = 0;
      return Promise.resolve(null);
    }
    if (t.pid !== this.pid) {
      // A restart: new cgroup files, and counters from the old run must not be subtracted.
      this.pid = t.pid;
      this.dirs = deps.locator.dirsOf(t.pid);
      this.history = [];
    }
    const dirs = this.dirs!;
    const p = (async () => {
      try {
        const s = await readSample(await dirs, { pid: t.pid, procRoot: deps.locator.procRoot, systemCpu: deps.systemCpu });
        const h = this.history;
        h.push(s);
        // Keep one sample at least a window old (the precpu base) and everything newer.
        while (h.length >= 2 && s.at - h[1]!.at >= MIN_WINDOW_MS) h.shift();
        if (h.length > HISTORY) h.shift();
        return s;
      } catch {
        // The process went away between lookup and read (exit, restart): the next sample starts over.
        this.dirs = null;
        this.pid = 0;
        return null;
      } finally {
        this.inflight = null;
      }
    })();
    this.inflight = p;
    return p;
  }
}

export class StatsSampler {
  private readonly o: StatsSamplerOptions;
  private readonly locator: CgroupLocator;
  private readonly systemCpu: SystemCpuSource;
  private readonly interval: number;
  private readonly linger: number;
  private readonly machineMemory: number;
  private readonly samplers = new Map<string, ContainerSampler>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  /** Reads done, for tests and the cost figure. */
  reads = 0;

  constructor(o: StatsSamplerOptions) {
    this.o = o;
    this.locator = o.locator ?? new CgroupLocator();
    this.systemCpu = o.systemCpu ?? new ProcStat(this.locator.procRoot);
    this.interval = o.intervalMs ?? 1000;
    this.linger = o.lingerMs ?? 10_000;
    this.machineMemory = o.machineMemory ?? totalmem();
  }

  /** How many containers the clock currently samples. */
  activeCount(): number {
    const now = Date.now();
    return [...this.samplers.values()].filter((s) => s.active(now)).length;
  }

  private samplerFor(id: string): ContainerSampler {
    let s = this.samplers.get(id);
    if (!s) {
      s = new ContainerSampler(id);
      this.samplers.set(id, s);
    }
    return s;
  }

  private deps() {
    return { locator: this.locator, systemCpu: this.systemCpu };
  }

  private targetOf(id: string): StatsTarget | null {
    try {
      return this.o.lookup(id);
    } catch {
      return null;
    }
  }

  private respond(s: ContainerSampler, t: StatsTarget, cur: RawSample | null, prev: RawSample | null): StatsResponse {
    const meta = { id: t.id, name: t.name, machineMemory: this.machineMemory };
    return cur ? toStatsResponse(cur, prev, meta) : emptyStats(meta);
  }

  private read(s: ContainerSampler, t: StatsTarget): Promise<RawSample | null> {
    this.reads++;
    return s.sample(t, this.deps());
  }

  private ensureClock(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.interval);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.ticking) return; // a slow round (loaded host) is skipped rather than piled up
    this.ticking = true;
    try {
      const now = Date.now();
      const due = [...this.samplers.values()].filter((s) => s.active(now));
      for (const [id, s] of this.samplers) if (!s.active(now)) this.samplers.delete(id);
      if (due.length === 0) {
        clearInterval(this.timer!);
        this.timer = null;
        return;
      }
      await Promise.all(due.map(async (s) => {
        const t = this.targetOf(s.id);
        if (!t) {
          this.samplers.delete(s.id);
          return;
        }
        const cur = await this.read(s, t);
        if (s.watchers.size === 0) return;
        const msg = this.respond(s, t, cur, cur ? s.baseFor(cur.at) : null);
        const json = shared(msg);
        for (const w of s.watchers) w(msg, json);
      }));
    } finally {
      this.ticking = false;
    }
  }

  /**
   * stream=true: `onStats` gets one response now and one per interval until the returned function is called.
   * Throws (not found) if the container does not exist.
   */
  async watch(ref: string, onStats: Watcher): Promise<() => void> {
    const t = this.o.lookup(ref);
    const s = this.samplerFor(t.id);
    s.watchers.add(onStats);
    this.ensureClock();
    const cur = await this.read(s, t);
    if (s.watchers.has(onStats)) {
      const msg = this.respond(s, t, cur, cur ? s.baseFor(cur.at) : null);
      onStats(msg, shared(msg));
    }
    return () => {
      s.watchers.delete(onStats);
    };
  }

  /** stream=false: the newest sample ≥ ~1 s old as precpu plus a fresh read; one-shot never waits. */
  async once(ref: string, opts: { oneShot?: boolean; signal?: AbortSignal } = {}): Promise<StatsResponse> {
    const t = this.o.lookup(ref);
    if (!t.running) return emptyStats({ id: t.id, name: t.name });
    const s = this.samplerFor(t.id);
    s.pending++;
    try {
      return await this.onceWith(s, t, opts);
    } finally {
      s.pending--;
      s.lingerUntil = Date.now() + this.linger;
      this.ensureClock();
    }
  }

  private async onceWith(s: ContainerSampler, t: StatsTarget, opts: { oneShot?: boolean; signal?: AbortSignal }): Promise<StatsResponse> {
    this.ensureClock();
    let cur = await this.read(s, t);
    if (!cur) return this.respond(s, t, null, null);
    let prev = s.baseFor(cur.at);
    if (!prev && !opts.oneShot) {
      const oldest = s.history[0]!;
      await delay(Math.max(0, MIN_WINDOW_MS - (Date.now() - oldest.at)) + 20, opts.signal);
      const t2 = this.targetOf(t.id);
      const again = t2 ? await this.read(s, t2) : null;
      if (again) {
        cur = again;
        prev = s.baseFor(cur.at);
      }
    }
    return this.respond(s, t, cur, prev);
  }

  /** `docker update` changed limits: the container's next sample re-reads them instead of waiting up to 10 s. */
  limitsChanged(ref: string): void {
    const t = this.targetOf(ref);
    const dirs = t ? this.samplers.get(t.id)?.dirs : null;
    if (dirs) void dirs.then(invalidateSlowFiles, () => {});
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.samplers.clear();
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
