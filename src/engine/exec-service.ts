// exec sessions: created against a running container, started through conmon's exec mode so tty and non-tty
// sessions share one code path (runtime-findings.md §3).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, errorMessage, invalidArgument, notFound } from '../base/errors.ts';
import { newId } from '../base/ids.ts';
import type { ContainerRuntime, AttachStream } from '../runtime/runtime.ts';
import { resolveUser } from '../runtime/user-lookup.ts';
import { mergeEnv } from './container-config.ts';
import type { ContainerService, Logger } from './container-service.ts';

export interface ExecConfig {
  Cmd: string[];
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Privileged?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
}

export interface ExecRecord {
  ID: string;
  ContainerID: string;
  Config: ExecConfig;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  bundle: string;
  attach: AttachStream | null;
  started: boolean;
}

export interface ExecClient {
  onOutput(stream: 1 | 2, data: Buffer): void;
  onEnd(): void;
}

export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();
  private readonly containers: ContainerService;
  private readonly runtime: ContainerRuntime;
  private readonly execRoot: string;
  private readonly log: Logger;

  constructor(opts: { containers: ContainerService; runtime: ContainerRuntime; execRoot: string; log: Logger }) {
    this.containers = opts.containers;
    this.runtime = opts.runtime;
    this.execRoot = opts.execRoot;
    this.log = opts.log;
  }

  create(containerRef: string, cfg: ExecConfig): { Id: string } {
    const c = this.containers.get(containerRef);
    if (!Array.isArray(cfg?.Cmd) || cfg.Cmd.length === 0) throw invalidArgument('No exec command specified', 'no_command');
    if (!c.State.Running) throw conflict(`container ${c.Id} is not running`, 'container_not_running');
    if (c.State.Paused) throw conflict(`container ${c.Id} is paused, unpause the container before exec`, 'container_paused');
    const id = newId();
    this.containers.event(c, `exec_create: ${cfg.Cmd.join(' ')}`, { execID: id });
    this.execs.set(id, {
      ID: id,
      ContainerID: c.Id,
      Config: cfg,
      Running: false,
      ExitCode: null,
      Pid: 0,
      bundle: join(this.execRoot, 'exec', id),
      attach: null,
      started: false,
    });
    return { Id: id };
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`, 'exec_not_found');
    return e;
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    return {
      ID: e.ID,
      Running: e.Running,
      ExitCode: e.ExitCode,
      ProcessConfig: {
        tty: !!e.Config.Tty,
        entrypoint: e.Config.Cmd[0],
        arguments: e.Config.Cmd.slice(1),
        privileged: !!e.Config.Privileged,
        user: e.Config.User ?? '',
      },
      OpenStdin: !!e.Config.AttachStdin,
      OpenStderr: !!e.Config.AttachStderr,
      OpenStdout: !!e.Config.AttachStdout,
      CanRemove: false,
      ContainerID: e.ContainerID,
      DetachKeys: e.Config.DetachKeys ?? '',
      Pid: e.Pid,
    };
  }

  /** Starts the process; with a client, output flows to it until the process ends. */
  async start(id: string, opts: { detach: boolean; tty?: boolean }, client?: ExecClient): Promise<{ attach: AttachStream | null }> {
    const e = this.get(id);
    if (e.started) throw conflict(`Error: Exec command ${id} is already running`, 'exec_running');
    const c = this.containers.get(e.ContainerID);
    if (!c.State.Running) throw conflict(`container ${c.Id} is not running`, 'container_not_running');
    e.started = true;
    const base = await this.containers.processSpec(c.Id);
    const tty = opts.tty ?? !!e.Config.Tty;
    const env = mergeEnv((base.env as string[]) ?? [], e.Config.Env ?? []);
    if (tty && !env.some((x) => x.startsWith('TERM='))) env.push('TERM=xterm');
    const proc: Record<string, unknown> = { ...base, args: e.Config.Cmd, env, terminal: tty };
    delete proc.consoleSize;
    if (e.Config.WorkingDir) proc.cwd = e.Config.WorkingDir;
    if (e.Config.User) {
      const u = await resolveUser(this.containers.rootfsPath(c.Id), e.Config.User);
      proc.user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
      // HOME follows the exec user unless the caller set it (Docker does the same).
      if (!(e.Config.Env ?? []).some((x) => x.startsWith('HOME='))) {
        const envList = proc.env as string[];
        const i = envList.findIndex((x) => x.startsWith('HOME='));
        if (i >= 0) envList[i] = `HOME=${u.home}`;
        else envList.push(`HOME=${u.home}`);
      }
    }
    if (e.Config.Privileged) {
      const caps = (base.capabilities as Record<string, string[]> | undefined) ?? {};
      const { intersectWithBounding, CAPABILITIES } = await import('../runtime/capabilities.ts');
      const { readHostLimits } = await import('../runtime/oci-spec.ts');
      const all = intersectWithBounding(CAPABILITIES, (await readHostLimits()).capBnd);
      proc.capabilities = { ...caps, bounding: all, effective: all, permitted: all };
    }
    await mkdir(e.bundle, { recursive: true, mode: 0o700 });
    const attach = !opts.detach && !!client;
    try {
      const session = await this.runtime.exec({
        containerId: c.Id,
        sessionId: e.ID,
        dir: e.bundle,
        process: proc,
        tty,
        stdin: !!e.Config.AttachStdin,
        attach,
      });
      e.Running = true;
      e.Pid = session.pid;
      this.containers.event(c, `exec_start: ${e.Config.Cmd.join(' ')}`, { execID: e.ID });
      e.attach = session.attach;
      if (session.attach && client) {
        session.attach.onData((s, d) => client.onOutput(s, d));
      }
      void session.exited.then(async (code) => {
        e.ExitCode = code;
        e.Running = false;
        this.containers.event(c, 'exec_die', { execID: e.ID, exitCode: String(code) });
        // Output may trail the exit report by a moment; the socket closes when conmon exits.
        if (session.attach) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, 2000);
            session.attach!.onClose(() => {
              clearTimeout(t);
              r();
            });
          });
        }
        client?.onEnd();
        await rm(e.bundle, { recursive: true, force: true }).catch(() => {});
      });
      return { attach: session.attach };
    } catch (err) {
      const msg = errorMessage(err);
      e.Running = false;
      e.ExitCode = /executable file not found|no such file or directory/.test(msg) ? 127 : 126;
      await rm(e.bundle, { recursive: true, force: true }).catch(() => {});
      this.log.warn('exec failed', { id, error: msg });
      if (client) {
        client.onOutput(2, Buffer.from(`OCI runtime exec failed: ${msg.replace(/^failed to create task for container: /, '')}\n`));
        client.onEnd();
        return { attach: null };
      }
      throw err;
    }
  }

  async resize(id: string, size: { height: number; width: number }): Promise<void> {
    const e = this.get(id);
    if (!e.Running) throw conflict(`Exec ${id} is not running`, 'exec_not_running');
    if (e.Config.Tty) await this.runtime.resize(e.bundle, size);
  }

  /** Forget sessions of a removed container. */
  dropContainer(containerId: string): void {
    for (const [id, e] of this.execs) if (e.ContainerID === containerId) this.execs.delete(id);
  }

  idsFor(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.ContainerID === containerId).map((e) => e.ID);
  }
}
