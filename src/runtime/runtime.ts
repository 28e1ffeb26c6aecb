// The runtime role: what the engine needs from an OCI runtime + monitor. The adapter is thin and stateless:
// every fact it returns is re-read from runc/conmon files, so a restarted daemon can pick containers up again.
import type { Duplex } from 'node:stream';

export interface RuntimePaths {
  runc: string;
  conmon: string;
  /** runc --root: private per daemon so two daemons never see each other's containers. */
  runcRoot: string;
  /** Short directory for conmon's attach-socket symlinks (sun_path is limited to 108 bytes). */
  socketDir: string;
  /** conmon writes EXITDIR/<id> with the exit code; watched by the engine. */
  exitDir: string;
  /** conmon --persist-dir parent: PERSIST/<id>/{exit,oom}. */
  persistDir: string;
}

export interface CreateOptions {
  id: string;
  bundle: string;
  logPath: string;
  tty: boolean;
  openStdin: boolean;
  /** Docker's StdinOnce=false with OpenStdin: keep stdin open after the first attach detaches. */
  leaveStdinOpen: boolean;
  signal?: AbortSignal;
}

export interface CreateResult {
  pid: number;
  conmonPid: number;
}

export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  created: string;
}

/** One live attach to a container's (or exec session's) stdio through conmon. */
export interface AttachStream {
  /** Output frames as they arrive: 1 = stdout, 2 = stderr. */
  onData(cb: (stream: 1 | 2, data: Buffer) => void): void;
  onClose(cb: () => void): void;
  writeStdin(data: Buffer): void;
  /** Half-close: conmon closes the container's stdin (Docker's StdinOnce). */
  closeStdin(): void;
  close(): void;
}

export interface ExecOptions {
  containerId: string;
  sessionId: string;
  /** Directory owned by the session: process.json, pid file, ctl, exit dir. */
  dir: string;
  process: object;
  tty: boolean;
  stdin: boolean;
  /** Attach streams before the process starts (non-detached exec). */
  attach: boolean;
  signal?: AbortSignal;
}

export interface ExecSession {
  pid: number;
  attach: AttachStream | null;
  /** Resolves with the exit code once the process ends (conmon reports it on the sync pipe). */
  exited: Promise<number>;
}

export interface ContainerRuntime {
  create(opts: CreateOptions): Promise<CreateResult>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string, opts?: { all?: boolean }): Promise<void>;
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  state(id: string): Promise<RuncState | null>;
  /** Cheap check (no runc call): does runc keep state for this id? */
  hasState(id: string): Promise<boolean>;
  pids(id: string): Promise<number[]>;
  attach(id: string): Promise<AttachStream>;
  resize(bundle: string, size: { height: number; width: number }): Promise<void>;
  reopenLog(bundle: string): Promise<void>;
  exec(opts: ExecOptions): Promise<ExecSession>;
  /** The exit code conmon recorded, or null while the container runs (or never ran). */
  readExit(id: string): Promise<{ code: number; at: Date; oomKilled: boolean } | null>;
  /** Forget files conmon left for an id (exit file, persist dir, socket link) before a new create. */
  cleanup(id: string): Promise<void>;
  /** `runc update --resources -`: apply OCI LinuxResources to a running (or paused) container. */
  update?(id: string, resources: object): Promise<void>;
}

export type { Duplex };
