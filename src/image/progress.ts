// Docker's JSON progress messages (pkg/jsonmessage + daemon/internal/streamformatter), field order as Docker writes
// them: status, progressDetail, progress, id. Per-layer messages carry "progressDetail":{} even without numbers.

export interface ProgressMessage {
  status?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  id?: string;
  errorDetail?: { message: string };
  error?: string;
  aux?: unknown;
}

export type ProgressSink = (m: ProgressMessage) => void;

/** go-units HumanSize: decimal units, 4 significant digits ("1.234MB", "3MB", "512B"). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** JSONProgress.String() at the daemon's width (200): "[=====>        ]  1.2MB/3MB". */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

export const status = (s: string, id?: string): ProgressMessage => (id === undefined ? { status: s } : { status: s, id });

export const layerStatus = (s: string, id: string): ProgressMessage => ({ status: s, progressDetail: {}, id });

export const layerProgress = (s: string, id: string, current: number, total: number): ProgressMessage => ({
  status: s,
  progressDetail: { current, total },
  progress: progressBar(current, total),
  id,
});

export const errorMessageOf = (message: string): ProgressMessage => ({ errorDetail: { message }, error: message });

/** Docker shortens ids to 12 hex. */
export const shortId = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Limits how often byte progress is reported for one id (every 100 ms or so, and always the last). */
export function throttled(fn: (current: number, total: number) => void, ms = 100): (current: number, total: number, force?: boolean) => void {
  let last = 0;
  return (current, total, force) => {
    const now = Date.now();
    if (force || now - last >= ms) {
      last = now;
      fn(current, total);
    }
  };
}
