// Rendering a classic build's stream. `plain`: the daemon's lines as they come (what `docker build` prints).
// `tty`: a readable live view — one header per step with its duration once it ends ("CACHED" for hits), RUN output
// indented, cache-miss explanations highlighted, a live "Sending context" counter while the context uploads.

export interface ViewSink {
  out(text: string): void;
  err(text: string): void;
}

export interface BuildView {
  uploadProgress(bytes: number): void;
  uploadDone(bytes: number): void;
  stream(text: string): void;
  end(ok: boolean): void;
}

export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 3 : v < 100 ? 2 : 1).replace(/\.?0+$/, '')}${units[i]}`;
}

export function plainView(sink: ViewSink, quiet: boolean): BuildView {
  return {
    uploadProgress: () => {},
    uploadDone: (n) => {
      if (!quiet) sink.out(`Sending build context to Berth daemon  ${humanBytes(n)}\n`);
    },
    stream: (t) => {
      if (!quiet) sink.out(t);
    },
    end: () => {},
  };
}

export function ttyView(sink: ViewSink, now: () => number = () => Date.now()): BuildView {
  const t0 = now();
  let stepStart = 0;
  let stepTitle: string | undefined;
  let cached = false;
  let lastUpload = 0;
  let pending = '';
  const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
  const dim = (s: string) => `\x1b[2m${s}\x1b[0m`;
  const yellow = (s: string) => `\x1b[33m${s}\x1b[0m`;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const closeStep = () => {
    if (stepTitle === undefined) return;
    sink.out(dim(`    ${cached ? 'CACHED' : 'done'} in ${secs(now() - stepStart)}`) + '\n');
    stepTitle = undefined;
  };
  const line = (l: string) => {
    const step = /^Step (\d+\/\d+) : (.*)$/.exec(l);
    if (step) {
      closeStep();
      stepTitle = step[2]!;
      stepStart = now();
      cached = false;
      sink.out(`${bold(`[${step[1]}]`)} ${stepTitle}\n`);
      return;
    }
    if (l === ' ---> Using cache') {
      cached = true;
      return;
    }
    const miss = /^ ---> Cache miss: (.*)$/.exec(l);
    if (miss) {
      sink.out(yellow(`    cache miss: ${miss[1]}`) + '\n');
      return;
    }
    const id = /^ ---> ([0-9a-f]{12})$/.exec(l);
    if (id) {
      sink.out(dim(`    → ${id[1]}`) + '\n');
      return;
    }
    if (/^ ---> Running in /.test(l) || /^Removing intermediate container /.test(l)) return;
    if (/^Successfully (built|tagged) /.test(l)) {
      closeStep();
      sink.out(`${l}\n`);
      return;
    }
    sink.out(`    ${dim('│')} ${l}\n`);
  };
  return {
    uploadProgress(n) {
      if (now() - lastUpload < 100) return;
      lastUpload = now();
      sink.err(`\rSending build context  ${humanBytes(n)}   `);
    },
    uploadDone(n) {
      sink.err(`\rSending build context  ${humanBytes(n)}  ${dim(secs(now() - t0))}\n`);
    },
    stream(t) {
      pending += t;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        line(pending.slice(0, nl).replace(/\r$/, ''));
        pending = pending.slice(nl + 1);
      }
    },
    end(ok) {
      if (pending) line(pending);
      pending = '';
      if (ok) closeStep();
      sink.out(dim(`total ${secs(now() - t0)}`) + '\n');
    },
  };
}
