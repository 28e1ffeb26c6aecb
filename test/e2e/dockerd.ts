// A real dockerd for interop tests, side by side with the system: its own socket, data root, exec root (and so its
// own managed containerd), no bridge, no iptables. Never touches /var/run/docker.sock, /var/lib/docker or docker0.
// Everything it creates is removed by its own paths and pids.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCmd, sleep, type RunResult } from './harness.ts';

const DOCKERD_CANDIDATES = ['/usr/sbin/dockerd', '/usr/bin/dockerd'];

/** The dockerd binary, or undefined when Docker's daemon is not installed (tests then skip). */
export async function findDockerd(): Promise<string | undefined> {
  for (const p of DOCKERD_CANDIDATES) {
    if (await access(p).then(() => true, () => false)) return p;
  }
  return undefined;
}

/** dockerd before 23 keeps a trust key, whose path only daemon.json's "deprecated-key-path" moves. */
async function keyPathOption(bin: string): Promise<boolean> {
  const v = await runCmd(bin, ['--version']).catch(() => undefined);
  const major = Number(/version (\d+)\./i.exec(v?.stdout ?? '')?.[1] ?? 0);
  return major > 0 && major < 23;
}

export class Dockerd {
  readonly tmp: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socket: string;
  proc: ChildProcess | null = null;
  log = '';

  private constructor(tmp: string, dataRoot: string, execRoot: string) {
    this.tmp = tmp;
    this.dataRoot = dataRoot;
    this.execRoot = execRoot;
    this.socket = join(tmp, 'docker.sock');
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  static async start(): Promise<Dockerd> {
    const bin = await findDockerd();
    if (!bin) throw new Error('dockerd is not installed');
    const tmp = await mkdtemp('/tmp/bdk-');
    const dataRoot = await mkdtemp('/var/tmp/berth-dockerd-');
    // Short: containerd's and the shims' socket paths live under it (sun_path ≤ 108 bytes).
    const execRoot = await mkdtemp('/tmp/bdx-');
    const d = new Dockerd(tmp, dataRoot, execRoot);
    // 20.10 otherwise writes its trust key to /etc/docker/key.json (23+ has no trust key and no such option).
    const cfg = (await keyPathOption(bin)) ? { 'deprecated-key-path': join(tmp, 'key.json') } : {};
    await writeFile(join(tmp, 'daemon.json'), JSON.stringify(cfg) + '\n');
    const args = [
      '-H', d.host, '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', join(tmp, 'd.pid'),
      '--config-file', join(tmp, 'daemon.json'), '--bridge=none', '--iptables=false', '--ip-masq=false',
      '--storage-driver', 'overlay2', '--log-level', 'warn',
    ];
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DOCKER_CONFIG: join(tmp, 'cli') } });
    d.proc = proc;
    proc.stderr!.on('data', (c: Buffer) => {
      d.log += c.toString();
      if (d.log.length > 1_000_000) d.log = d.log.slice(-500_000);
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) {
        await d.destroy();
        throw new Error(`dockerd exited early (${proc.exitCode}):\n${d.log}`);
      }
      const r = await d.docker(['version', '--format', '{{.Server.Version}}']).catch(() => undefined);
      if (r?.code === 0) return d;
      await sleep(200);
    }
    await d.destroy();
    throw new Error(`dockerd did not come up:\n${d.log}`);
  }

  docker(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return runCmd('docker', args, { ...opts, timeoutMs: opts.timeoutMs ?? 120_000, env: { DOCKER_HOST: this.host, DOCKER_CONFIG: join(this.tmp, 'cli') } });
  }

  /** Processes started for this dockerd (its managed containerd, shims): found by our exec root in their cmdline. */
  async childPids(): Promise<number[]> {
    const out: number[] = [];
    for (const p of await readdir('/proc')) {
      if (!/^\d+$/.test(p) || Number(p) === this.proc?.pid) continue;
      const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes(this.execRoot) || cmd.includes(this.dataRoot)) out.push(Number(p));
    }
    return out;
  }

  async mountsUnder(): Promise<string[]> {
    const info = await readFile('/proc/self/mountinfo', 'utf8');
    return info
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.tmp) || m.startsWith(this.dataRoot) || m.startsWith(this.execRoot))
      .sort((a, b) => b.length - a.length); // deepest first
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
      if (p.exitCode === null) {
        p.kill('SIGKILL');
        await exited;
      }
    }
    // A managed containerd or shim that outlived dockerd (e.g. after SIGKILL): ours by path, ended by pid.
    for (const pid of await this.childPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }

  /** Removes every container, stops dockerd and its containerd, unmounts and deletes all its directories. */
  async destroy(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      const ps = await this.docker(['ps', '-aq']).catch(() => undefined);
      const ids = ps?.stdout.trim().split('\n').filter(Boolean) ?? [];
      if (ids.length) await this.docker(['rm', '-f', ...ids]).catch(() => {});
    }
    await this.stop();
    for (const m of await this.mountsUnder()) await runCmd('umount', ['-l', m]).catch(() => {});
    for (const dir of [this.tmp, this.execRoot, this.dataRoot]) await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}
