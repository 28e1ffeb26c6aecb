// runc driven through conmon (runtime-findings.md §1, §3). conmon holds each container's stdio, writes its log and
// exit code, and outlives berthd; this adapter keeps no state of its own.
import { spawn } from 'node:child_process';
import { open, readFile, rm, stat, unlink, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SeqpacketSocket } from 'node-unix-socket';
import { BerthError, internal } from '../base/errors.ts';
import { run } from '../sys/exec.ts';
import type {
  AttachStream,
  ContainerRuntime,
  CreateOptions,
  CreateResult,
  ExecOptions,
  ExecSession,
  RuncState,
  RuntimePaths,
} from './runtime.ts';

/** conmon's attach socket keeps messages up to 32 KiB; larger writes are truncated (findings §1). */
const STDIN_CHUNK = 32 * 1024;

/** conmon -u value: short, so SOCKDIR/<uuid>/attach stays under sun_path's 108 bytes. */
export const attachUuid = (id: string): string => id.slice(0, 24);

export class ConmonRuntime implements ContainerRuntime {
  readonly paths: RuntimePaths;
  constructor(paths: RuntimePaths) {
    this.paths = paths;
  }

  async init(): Promise<void> {
    for (const d of [this.paths.runcRoot, this.paths.socketDir, this.paths.exitDir, this.paths.persistDir]) {
      await mkdir(d, { recursive: true, mode: 0o700 });
    }
  }

  private runc(args: string[], opts?: { signal?: AbortSignal; allowExit?: number[] }) {
    return run(this.paths.runc, ['--root', this.paths.runcRoot, ...args], opts);
  }

  async cleanup(id: string): Promise<void> {
    await rm(join(this.paths.exitDir, id), { force: true });
    await rm(join(this.paths.persistDir, id), { recursive: true, force: true });
    await rm(join(this.paths.socketDir, attachUuid(id)), { force: true });
  }

  async create(opts: CreateOptions): Promise<CreateResult> {
    const { id, bundle } = opts;
    await this.cleanup(id);
    await mkdir(join(this.paths.persistDir, id), { recursive: true, mode: 0o700 });
    // conmon opens the log with O_APPEND: a stale file would be continued, so the engine owns truncation.
    const args = [
      '--api-version', '1',
      '-c', id, '-u', attachUuid(id), '-n', id,
      '-r', this.paths.runc,
      '--runtime-arg', '--root', '--runtime-arg', this.paths.runcRoot,
      '-b', bundle,
      '-p', join(bundle, 'pidfile'),
      '-P', join(bundle, 'conmon.pid'),
      '-l', `k8s-file:${opts.logPath}`,
      '--exit-dir', this.paths.exitDir,
      '--persist-dir', join(this.paths.persistDir, id),
      '--socket-dir-path', this.paths.socketDir,
      '--log-level', 'error',
    ];
    if (opts.tty) args.push('-t');
    if (opts.openStdin) args.push('-i');
    if (opts.openStdin && opts.leaveStdinOpen) args.push('--leave-stdin-open');
    const result = await this.spawnConmon(args, { cwd: bundle, signal: opts.signal });
    const pidText = await readFile(join(bundle, 'conmon.pid'), 'utf8').catch(() => '0');
    return { pid: result.pid, conmonPid: Number.parseInt(pidText, 10) || 0 };
  }

  /** Starts conmon and waits for the container (or exec) pid on the sync pipe. */
  private async spawnConmon(
    args: string[],
    opts: { cwd: string; signal?: AbortSignal; extraEnv?: Record<string, string>; attachPipe?: boolean },
  ): Promise<{ pid: number; sync: Readable; start: Writable; attach?: Readable; done: Promise<void> }> {
    // conmon's own stderr goes to a file in the bundle: a pipe to us would break when berthd restarts.
    const errLog = await open(join(opts.cwd, 'conmon.err'), 'a', 0o600);
    const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'ignore', errLog.fd, 'pipe', 'pipe'];
    if (opts.attachPipe) stdio.push('pipe');
    let child;
    try {
      child = spawn(this.paths.conmon, args, {
        cwd: opts.cwd, // conmon drops an `oom` file in its cwd
        detached: true,
        stdio,
        env: {
          PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          _OCI_SYNCPIPE: '3',
          _OCI_STARTPIPE: '4',
          ...(opts.attachPipe ? { _OCI_ATTACHPIPE: '5' } : {}),
          ...opts.extraEnv,
        },
      });
    } finally {
      await errLog.close();
    }
    child.unref();
    const sync = child.stdio[3] as Readable;
    const start = child.stdio[4] as Writable;
    const attach = opts.attachPipe ? ((child.stdio as unknown[])[5] as Readable) : undefined;
    start.on('error', () => {});
    // The start pipe: podman writes it after moving conmon into its cgroup; we have nothing to do first.
    start.end(Buffer.from([0]));
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(internal(`conmon exited with ${code}`))));
    });
    done.catch(() => {});
    const pid = await this.readSyncPid(sync, opts.cwd, opts.signal);
    // conmon keeps its end open for the container's life: waiting for EOF would hang (findings §1).
    sync.destroy();
    return { pid, sync, start, attach, done };
  }

  private readSyncPid(sync: Readable, bundle: string, signal: AbortSignal | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let buf = '';
      const onData = (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        sync.off('data', onData);
        let msg: { data?: number; message?: string };
        try {
          msg = JSON.parse(buf.slice(0, nl));
        } catch {
          return reject(internal(`conmon: unexpected sync message ${JSON.stringify(buf)}`));
        }
        if (typeof msg.data === 'number' && msg.data > 0) return resolve(msg.data);
        reject(runtimeError(msg.message ?? 'container create failed'));
      };
      sync.on('data', onData);
      sync.on('error', () => {});
      sync.once('end', () => {
        if (!buf.includes('\n')) {
          readFile(join(bundle, 'conmon.err'), 'utf8')
            .catch(() => '')
            .then((err) => reject(internal(`conmon ended before reporting a pid${err ? `: ${err.trim()}` : ''}`)));
        }
      });
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  async start(id: string): Promise<void> {
    await this.runc(['start', id]).catch((e) => {
      throw runtimeError(errorText(e));
    });
  }

  async kill(id: string, signal: string, opts?: { all?: boolean }): Promise<void> {
    const args = ['kill'];
    if (opts?.all) args.push('--all');
    await this.runc([...args, id, signal.replace(/^SIG/, '')]).catch((e) => {
      const text = errorText(e);
      // Already gone between our state check and the kill: the caller's intent is met.
      if (/not running|container not running|process already finished|does not exist/.test(text)) return;
      throw runtimeError(text);
    });
  }

  async delete(id: string, opts?: { force?: boolean }): Promise<void> {
    const args = ['delete'];
    if (opts?.force) args.push('--force');
    await this.runc([...args, id]).catch((e) => {
      const text = errorText(e);
      if (/does not exist|not found/.test(text)) return;
      throw runtimeError(text);
    });
  }

  async pause(id: string): Promise<void> {
    await this.runc(['pause', id]).catch((e) => {
      throw runtimeError(errorText(e));
    });
  }

  async resume(id: string): Promise<void> {
    await this.runc(['resume', id]).catch((e) => {
      throw runtimeError(errorText(e));
    });
  }

  async state(id: string): Promise<RuncState | null> {
    try {
      const { stdout } = await this.runc(['state', id]);
      return JSON.parse(stdout.toString('utf8')) as RuncState;
    } catch {
      return null;
    }
  }

  async hasState(id: string): Promise<boolean> {
    return stat(join(this.paths.runcRoot, id)).then(
      () => true,
      () => false,
    );
  }

  async update(id: string, resources: object): Promise<void> {
    const args = ['--root', this.paths.runcRoot, 'update', '--resources', '-', id];
    await run(this.paths.runc, args, { input: JSON.stringify(resources) }).catch((e) => {
      const text = errorText(e);
      const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
      throw new BerthError('internal', 'update_failed', (m ? m[1]! : text).trim());
    });
  }

  async pids(id: string): Promise<number[]> {
    const { stdout } = await this.runc(['ps', '--format', 'json', id]).catch((e) => {
      throw runtimeError(errorText(e));
    });
    const list = JSON.parse(stdout.toString('utf8') || '[]') as number[] | null;
    return list ?? [];
  }

  attach(id: string): Promise<AttachStream> {
    return connectAttach(join(this.paths.socketDir, attachUuid(id), 'attach'));
  }

  async resize(bundle: string, size: { height: number; width: number }): Promise<void> {
    await writeCtl(bundle, `1 ${size.height} ${size.width}\n`);
  }

  async reopenLog(bundle: string): Promise<void> {
    await writeCtl(bundle, '2 0 0\n');
  }

  async exec(opts: ExecOptions): Promise<ExecSession> {
    await mkdir(join(opts.dir, 'exit'), { recursive: true });
    await writeFile(join(opts.dir, 'process.json'), JSON.stringify(opts.process));
    const uuid = attachUuid(opts.sessionId);
    await rm(join(this.paths.socketDir, uuid), { force: true });
    const args = [
      '--api-version', '1',
      '-c', opts.containerId, '-u', uuid, '-n', opts.containerId,
      '-r', this.paths.runc,
      '--runtime-arg', '--root', '--runtime-arg', this.paths.runcRoot,
      '-b', opts.dir,
      '-p', join(opts.dir, 'pid'),
      '-l', 'none',
      '--exit-dir', join(opts.dir, 'exit'),
      '--socket-dir-path', this.paths.socketDir,
      '--log-level', 'error',
      '-e', '--exec-process-spec', join(opts.dir, 'process.json'),
    ];
    if (opts.attach) args.push('--exec-attach');
    if (opts.tty) args.push('-t');
    if (opts.stdin && opts.attach) args.push('-i');

    // Handshake (findings §3): start byte, wait for the attach socket, connect, second start byte, then pid.
    const errLog = await open(join(opts.dir, 'conmon.err'), 'a', 0o600);
    const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'ignore', errLog.fd, 'pipe', 'pipe', 'pipe'];
    let child;
    try {
      child = spawn(this.paths.conmon, args, {
        cwd: opts.dir,
        detached: true,
        stdio,
        env: {
          PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
          _OCI_SYNCPIPE: '3',
          _OCI_STARTPIPE: '4',
          _OCI_ATTACHPIPE: '5',
        },
      });
    } finally {
      await errLog.close();
    }
    child.unref();
    child.on('error', () => {});
    const sync = child.stdio[3] as Readable;
    const start = child.stdio[4] as Writable;
    const attachPipe = (child.stdio as unknown[])[5] as Readable;
    start.on('error', () => {});
    attachPipe.on('error', () => {});
    const messages = lineReader(sync);
    const failWith = async (what: string): Promise<never> => {
      const err = await readFile(join(opts.dir, 'conmon.err'), 'utf8').catch(() => '');
      throw runtimeError(`${what}${err ? `: ${err.trim()}` : ''}`);
    };

    start.write(Buffer.from([0]));
    let attach: AttachStream | null = null;
    if (opts.attach) {
      const ready = await firstLine(attachPipe);
      if (ready === null) await failWith('exec: conmon did not open the attach socket');
      attach = await connectAttach(join(this.paths.socketDir, uuid, 'attach'));
    }
    start.write(Buffer.from([0]));
    start.end();
    const first = await messages.next();
    if (first.done) await failWith('exec failed');
    const pidMsg = JSON.parse(first.value as string) as { data: number; message?: string };
    if (!(pidMsg.data > 0)) {
      attach?.close();
      throw runtimeError(pidMsg.message ?? 'exec failed');
    }
    const exited = (async () => {
      const next = await messages.next();
      sync.destroy();
      if (!next.done) {
        const m = JSON.parse(next.value) as { data: number };
        return m.data;
      }
      const code = await readFile(join(opts.dir, 'exit', opts.containerId), 'utf8').catch(() => '-1');
      return Number.parseInt(code, 10);
    })();
    exited.catch(() => {});
    return { pid: pidMsg.data, attach, exited };
  }

  async readExit(id: string): Promise<{ code: number; at: Date; oomKilled: boolean } | null> {
    const file = join(this.paths.exitDir, id);
    let text: string;
    let at: Date;
    try {
      text = await readFile(file, 'utf8');
      at = (await stat(file)).mtime;
    } catch {
      return null;
    }
    const code = Number.parseInt(text.trim(), 10);
    if (Number.isNaN(code)) return null;
    const oomKilled = await stat(join(this.paths.persistDir, id, 'oom')).then(
      () => true,
      () => false,
    );
    return { code, at, oomKilled };
  }
}

async function writeCtl(bundle: string, line: string): Promise<void> {
  // O_NONBLOCK: the FIFO has a reader only while conmon lives; never hang the event loop on a dead container.
  const { constants } = await import('node:fs');
  let fh;
  try {
    fh = await open(join(bundle, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new BerthError('conflict', 'container_not_running', `cannot control container: ${errorText(e)}`);
  }
  try {
    await fh.write(line);
  } finally {
    await fh.close();
  }
}

function connectAttach(path: string): Promise<AttachStream> {
  return new Promise<AttachStream>((resolve, reject) => {
    const sock = new SeqpacketSocket();
    let dataCb: ((stream: 1 | 2, data: Buffer) => void) | null = null;
    const pending: [1 | 2, Buffer][] = [];
    const closeCbs: (() => void)[] = [];
    let closed = false;
    const fireClose = () => {
      if (closed) return;
      closed = true;
      for (const cb of closeCbs) cb();
    };
    sock.on('data', (buf: Buffer) => {
      if (buf.length < 1) return;
      // conmon tags each message with its pipe: 2 = stdout, 3 = stderr.
      const stream: 1 | 2 = buf[0] === 3 ? 2 : 1;
      const data = Buffer.from(buf.subarray(1));
      if (dataCb) dataCb(stream, data);
      else pending.push([stream, data]);
    });
    sock.on('end', fireClose);
    sock.on('close', fireClose);
    sock.on('error', (e: Error) => {
      if (!connected) reject(internal(`attach: ${e.message}`));
      fireClose();
    });
    let connected = false;
    try {
      sock.connect(path, () => {
        connected = true;
        resolve({
          onData(cb) {
            dataCb = cb;
            for (const [s, d] of pending.splice(0)) cb(s, d);
          },
          onClose(cb) {
            if (closed) cb();
            else closeCbs.push(cb);
          },
          writeStdin(data) {
            if (closed) return;
            for (let off = 0; off < data.length; off += STDIN_CHUNK) {
              sock.write(data.subarray(off, Math.min(data.length, off + STDIN_CHUNK)));
            }
          },
          closeStdin() {
            if (!closed) sock.end();
          },
          close() {
            if (!closed) sock.destroy();
            fireClose();
          },
        });
      });
    } catch (e) {
      reject(internal(`attach: ${errorText(e)}`));
    }
  });
}

async function* lineReader(stream: Readable): AsyncGenerator<string> {
  let buf = '';
  for await (const chunk of stream) {
    buf += (chunk as Buffer).toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
  if (buf.trim()) yield buf;
}

async function firstLine(stream: Readable): Promise<string | null> {
  for await (const line of lineReader(stream)) return line;
  return null;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** runc's stderr is JSON-ish (`level=error msg="..."`); keep the human part for Docker-like messages. */
export function runtimeError(text: string): BerthError {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
  const msg = (m ? m[1]!.replace(/\\"/g, '"') : text).trim();
  return new BerthError('internal', 'runtime_error', `failed to create task for container: ${msg}`);
}

export async function unlinkQuiet(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}
