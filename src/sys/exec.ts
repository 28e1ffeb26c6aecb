// Spawning helper programs (tar, mount, mknod, ...). Never through a shell: arguments are passed as-is, so names with
// spaces or metacharacters cannot change the command.

import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { BerthError, internal } from '../base/errors.ts';

export interface RunOptions {
  /** Written to the child's stdin, which is closed afterwards. Without it stdin is /dev/null. */
  input?: Buffer | string | NodeJS.ReadableStream;
  cwd?: string;
  /** Replaces the environment (PATH is kept from the daemon's unless given). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Exit codes besides 0 that count as success (e.g. 1 for `grep` or `diff`). */
  allowExit?: number[];
}

export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  code: number;
}

const MAX_STDERR_IN_MESSAGE = 2000;

function describe(cmd: string, args: string[]): string {
  const shown = args.length > 12 ? [...args.slice(0, 12), '...'] : args;
  return [cmd, ...shown].join(' ');
}

function childEnv(env: Record<string, string> | undefined): NodeJS.ProcessEnv | undefined {
  if (!env) return undefined;
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env };
}

/** Error for a failed child: the command, how it ended, and its trimmed stderr. */
export function commandFailed(cmd: string, args: string[], how: string, stderr: Buffer | string): BerthError {
  let text = stderr.toString().trim();
  if (text.length > MAX_STDERR_IN_MESSAGE) text = text.slice(0, MAX_STDERR_IN_MESSAGE) + '...';
  return internal(`${describe(cmd, args)}: ${how}${text ? `: ${text}` : ''}`);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** Runs a program to completion, collecting its output. Rejects unless it exits 0 (or an allowed code). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(abortReason(opts.signal));
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: childEnv(opts.env),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (e: unknown, result?: RunResult) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (e !== undefined) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        if (input instanceof Readable) input.unpipe(child.stdin ?? undefined);
        reject(e);
      } else resolve(result!);
    };
    const onAbort = () => finish(abortReason(opts.signal!));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => finish(internal(`${describe(cmd, args)}: ${e.message}`, e)));
    child.on('close', (code, sig) => {
      const stderr = Buffer.concat(err);
      if (code === null) return finish(commandFailed(cmd, args, `killed by ${sig}`, stderr));
      if (code !== 0 && !(opts.allowExit ?? []).includes(code)) {
        return finish(commandFailed(cmd, args, `exit status ${code}`, stderr));
      }
      finish(undefined, { stdout: Buffer.concat(out), stderr, code });
    });

    let input: Readable | undefined;
    if (opts.input !== undefined) {
      const stdin = child.stdin!;
      // The child may exit without reading everything (e.g. tar on a bad archive); its exit status tells why.
      stdin.on('error', () => {});
      if (typeof opts.input === 'string' || Buffer.isBuffer(opts.input)) {
        stdin.end(opts.input);
      } else {
        input = opts.input instanceof Readable ? opts.input : Readable.from(opts.input);
        // A failing producer (bad gzip, digest mismatch, abort) must fail the run, not look like a short archive.
        input.once('error', (e) => finish(e));
        input.pipe(stdin);
      }
    }
  });
}

/**
 * Streams `input` through a filter program (e.g. `zstd -dc`) and returns its stdout. The returned stream errors if
 * the program fails or `input` errors, so consumers never mistake a truncated output for a complete one.
 */
export function pipeThrough(
  cmd: string,
  args: string[],
  input: NodeJS.ReadableStream,
  opts: { signal?: AbortSignal } = {},
): Readable {
  const output = new PassThrough();
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal });
  const err: Buffer[] = [];
  const src = input instanceof Readable ? input : Readable.from(input);
  let failed = false;
  const fail = (e: unknown) => {
    if (failed) return;
    failed = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    src.unpipe(child.stdin);
    output.destroy(e instanceof Error ? e : new Error(String(e)));
  };
  child.stdin.on('error', () => {});
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.on('error', (e) => fail(e.name === 'AbortError' ? e : internal(`${describe(cmd, args)}: ${e.message}`, e)));
  src.once('error', fail);
  src.pipe(child.stdin);
  // Only end the output once the exit status is known: a failure after the last byte must still surface.
  child.stdout.pipe(output, { end: false });
  child.on('close', (code, sig) => {
    if (failed) return;
    if (code === 0) output.end();
    else fail(commandFailed(cmd, args, code === null ? `killed by ${sig}` : `exit status ${code}`, Buffer.concat(err)));
  });
  output.on('close', () => {
    if (!output.writableFinished) fail(new Error('stream closed'));
  });
  return output;
}
