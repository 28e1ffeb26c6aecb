// HEALTHCHECK: runs the probe inside the container on Docker's schedule and keeps State.Health the way dockerd does
// (starting → healthy/unhealthy, FailingStreak, the last 5 results, health_status events).
import type { HealthConfig } from '../spec/docker-api.ts';

export interface ProbeResult {
  exitCode: number;
  output: string;
}

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export interface HealthTarget {
  id: string;
  config: HealthConfig;
  startedAt: number;
  /** Runs argv in the container; resolves with its exit code and combined output (capped by the caller). */
  probe(argv: string[], signal: AbortSignal): Promise<ProbeResult>;
  onChange(state: HealthState, statusChanged: boolean): void;
}

const NS = 1_000_000;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

/** The argv a HealthConfig.Test runs, or null for NONE / no test. */
export function probeArgv(test: string[] | undefined): string[] | null {
  if (!test?.length) return null;
  const [kind, ...rest] = test;
  if (kind === 'NONE') return null;
  if (kind === 'CMD') return rest.length ? rest : null;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  return test; // a bare argv from older clients
}

/** One monitor per running container; stop() when the container exits. */
export class HealthMonitor {
  private readonly t: HealthTarget;
  private readonly argv: string[];
  private timer: NodeJS.Timeout | null = null;
  private readonly ac = new AbortController();
  readonly state: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };

  private constructor(t: HealthTarget, argv: string[]) {
    this.t = t;
    this.argv = argv;
  }

  static start(t: HealthTarget): HealthMonitor | null {
    const argv = probeArgv(t.config.Test);
    if (!argv) return null;
    const m = new HealthMonitor(t, argv);
    m.schedule(m.interval(true));
    return m;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ac.abort();
  }

  private interval(first: boolean): number {
    const c = this.t.config;
    const inStart = c.StartPeriod && Date.now() - this.t.startedAt < c.StartPeriod / NS;
    if (first || inStart) {
      if (c.StartInterval) return c.StartInterval / NS;
    }
    return c.Interval ? c.Interval / NS : DEFAULT_INTERVAL_MS;
  }

  private schedule(ms: number): void {
    if (this.ac.signal.aborted) return;
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    const c = this.t.config;
    const timeoutMs = c.Timeout ? c.Timeout / NS : DEFAULT_TIMEOUT_MS;
    const start = new Date();
    const ac = new AbortController();
    const onStop = () => ac.abort();
    this.ac.signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    let result: ProbeResult;
    try {
      result = await this.t.probe(this.argv, ac.signal);
      if (ac.signal.aborted && !this.ac.signal.aborted) {
        result = { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
      }
    } catch (e) {
      result = { exitCode: -1, output: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
      this.ac.signal.removeEventListener('abort', onStop);
    }
    if (this.ac.signal.aborted) return;
    this.record(start, result);
    this.schedule(this.interval(false));
  }

  private record(start: Date, r: ProbeResult): void {
    const s = this.state;
    s.Log.push({ Start: start.toISOString(), End: new Date().toISOString(), ExitCode: r.exitCode, Output: r.output.slice(0, MAX_OUTPUT) });
    if (s.Log.length > MAX_LOG) s.Log.splice(0, s.Log.length - MAX_LOG);
    const before = s.Status;
    const retries = this.t.config.Retries || DEFAULT_RETRIES;
    const inStartPeriod = !!this.t.config.StartPeriod && Date.now() - this.t.startedAt < this.t.config.StartPeriod / NS;
    if (r.exitCode === 0) {
      s.FailingStreak = 0;
      s.Status = 'healthy';
    } else if (!(inStartPeriod && before === 'starting')) {
      // Failures during the start period do not count while the container has never been healthy.
      s.FailingStreak++;
      if (s.FailingStreak >= retries) s.Status = 'unhealthy';
    }
    this.t.onChange(s, s.Status !== before);
  }
}
