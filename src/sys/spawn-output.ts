// A program's stdout as a stream (e.g. `tar -c` for export and cp). The stream ends only once the exit status is
// known and errors if the program fails, so a consumer never mistakes a truncated archive for a complete one.
// Destroying the stream kills the program.

import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { commandFailed } from './exec.ts';

export function spawnOutput(cmd: string, args: string[], opts: { cwd?: string; signal?: AbortSignal } = {}): Readable {
  const output = new PassThrough();
  const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const err: Buffer[] = [];
  let done = false;
  const fail = (e: unknown) => {
    if (done) return;
    done = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    output.destroy(e instanceof Error ? e : new Error(String(e)));
  };
  const onAbort = () => fail(opts.signal?.reason ?? new Error('aborted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.on('error', fail);
  child.stdout.pipe(output, { end: false });
  child.on('close', (code, sig) => {
    opts.signal?.removeEventListener('abort', onAbort);
    if (done) return;
    done = true;
    if (code === 0) output.end();
    else output.destroy(commandFailed(cmd, args, code === null ? `killed by ${sig}` : `exit status ${code}`, Buffer.concat(err)));
  });
  output.on('close', () => {
    if (!done) fail(new Error('stream closed'));
  });
  return output;
}
