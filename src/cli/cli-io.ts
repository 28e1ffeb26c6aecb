// The CLI's view of its process: streams, environment and signals, injectable so commands run in-process in tests.
import type { Readable, Writable } from 'node:stream';

export interface TtyInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface TtyOutput extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface CliIo {
  stdin: TtyInput;
  stdout: TtyOutput;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Subscribes to a process signal; returns the unsubscribe function. */
  onSignal(signal: NodeJS.Signals, listener: () => void): () => void;
}

export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onSignal(signal, listener) {
      process.on(signal, listener);
      return () => process.off(signal, listener);
    },
  };
}
