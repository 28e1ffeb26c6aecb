// In-memory CliIo for running main() in-process against a fake daemon.
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../cli-io.ts';

export interface TestIo extends CliIo {
  stdoutText(): string;
  stderrText(): string;
  /** Fires a signal at the CLI's handlers. */
  raise(signal: NodeJS.Signals): void;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export function testIo(opts: { env?: NodeJS.ProcessEnv; stdin?: string | null } = {}): TestIo {
  const stdin = new PassThrough();
  if (opts.stdin !== null) stdin.end(opts.stdin ?? '');
  const out = collector();
  const err = collector();
  const handlers = new Map<string, Set<() => void>>();
  return {
    stdin,
    stdout: out.stream,
    stderr: err.stream,
    env: opts.env ?? {},
    onSignal(signal, listener) {
      if (!handlers.has(signal)) handlers.set(signal, new Set());
      handlers.get(signal)!.add(listener);
      return () => handlers.get(signal)?.delete(listener);
    },
    raise(signal) {
      for (const h of handlers.get(signal) ?? []) h();
    },
    stdoutText: out.text,
    stderrText: err.text,
  };
}
