// Daemon log lines on stderr: `time level msg key=value...`, logfmt-like so they grep well.
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function parseLevel(v: string): Level {
  const l = v.toLowerCase() === 'warning' ? 'warn' : v.toLowerCase();
  if (l === 'fatal' || l === 'panic') return 'error';
  if (!(l in ORDER)) throw new Error(`invalid log level: ${v}`);
  return l as Level;
}

export function createLogger(level: Level, out: NodeJS.WritableStream = process.stderr): Logger {
  const emit = (l: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] < ORDER[level]) return;
    let line = `time="${new Date().toISOString()}" level=${l} msg=${JSON.stringify(msg)}`;
    for (const [k, v] of Object.entries(fields ?? {})) {
      if (v === undefined) continue;
      line += ` ${k}=${typeof v === 'string' && /^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v)}`;
    }
    out.write(line + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
