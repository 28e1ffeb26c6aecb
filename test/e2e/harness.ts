// End-to-end harness: a real berthd on a temporary socket, data root, exec root and cgroup parent, driven by the
// `berth` CLI and the real docker CLI. Everything it creates is removed by its own paths and ids.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

export const REPO = resolve(import.meta.dirname, '../..');
export const BERTH = join(REPO, 'bin/berth');
export const BERTHD = join(REPO, 'bin/berthd');

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Daemon {
  readonly tmp: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly cgroupParent: string;
  /** Unique per daemon: its default bridge (also names its iptables chains BERTH-<bridge>-*) and subnets. */
  readonly bridgeName: string;
  readonly bip: string;
  readonly addressPool: string;
  proc: ChildProcess | null = null;
  log = '';

  private constructor(tmp: string, dataRoot: string) {
    this.tmp = tmp;
    this.dataRoot = dataRoot;
    this.execRoot = join(tmp, 'x');
    this.socket = join(tmp, 'berth.sock');
    this.cgroupParent = `/berth-e2e-${randomBytes(4).toString('hex')}`;
    this.bridgeName = `bt${randomBytes(4).toString('hex')}`;
    const octet = 1 + (randomBytes(1)[0]! % 250);
    this.bip = `10.213.${octet}.1/24`;
    this.addressPool = `10.214.${octet}.0/24`;
  }

  get chainPrefix(): string {
    return `BERTH-${this.bridgeName}`;
  }

  static async start(extraArgs: string[] = []): Promise<Daemon> {
    // Short exec root: conmon's socket paths must fit in 108 bytes. Data root on disk (overlay upper dirs).
    const tmp = await mkdtemp('/tmp/bt-');
    const dataRoot = await mkdtemp('/var/tmp/berth-e2e-');
    const d = new Daemon(tmp, dataRoot);
    await writeFile(join(tmp, 'daemon.json'), '{}\n');
    await d.spawn(extraArgs);
    return d;
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  async spawn(extraArgs: string[] = []): Promise<void> {
    const args = [
      '-H', this.host, '--data-root', this.dataRoot, '--exec-root', this.execRoot,
      '--cgroup-parent', this.cgroupParent, '--config-file', join(this.tmp, 'daemon.json'), '--log-level', 'debug',
      ...(extraArgs.includes('--bridge-name') ? [] : ['--bridge-name', this.bridgeName]),
      ...(extraArgs.includes('--bip') ? [] : ['--bip', this.bip]),
      ...(extraArgs.includes('--default-address-pool') ? [] : ['--default-address-pool', this.addressPool]),
      ...extraArgs,
    ];
    const proc = spawn(BERTHD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => {
      this.log += d.toString();
      if (this.log.length > 2_000_000) this.log = this.log.slice(-1_000_000);
    });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`berthd exited early (${proc.exitCode}):\n${this.log}`);
      if (await this.ping()) return;
      await sleep(50);
    }
    throw new Error(`berthd did not come up:\n${this.log}`);
  }

  ping(): Promise<boolean> {
    return new Promise((res) => {
      const req = request({ socketPath: this.socket, path: '/_ping', method: 'GET' }, (r) => {
        r.resume();
        res(r.statusCode === 200);
      });
      req.on('error', () => res(false));
      req.end();
    });
  }

  /** Raw API call; returns status and parsed JSON (or text). */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
    return new Promise((res, rej) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request(
        { socketPath: this.socket, path, method, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {}
            res({ status: r.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on('error', rej);
      if (data) req.write(data);
      req.end();
    });
  }

  berth(args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
    return runCmd(BERTH, args, { ...opts, env: { BERTH_HOST: this.host, ...opts.env } });
  }

  docker(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return runCmd('docker', args, { ...opts, env: { DOCKER_HOST: this.host, DOCKER_CONFIG: join(this.tmp, 'docker-config') } });
  }

  /** SIGKILL the daemon (containers must survive). */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (p.exitCode === null) {
      p.kill('SIGKILL');
      await exited;
    }
  }

  /** Removes every container through the API, stops the daemon and deletes its roots and cgroups. */
  async destroy(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      const list = await this.api('GET', '/containers/json?all=1').catch(() => ({ body: [] }));
      for (const c of (Array.isArray(list.body) ? list.body : []) as { Id: string }[]) {
        await this.api('DELETE', `/containers/${c.Id}?force=1`).catch(() => {});
      }
      await this.stop();
    }
    for (const m of await this.mountsUnder()) await runCmd('umount', ['-l', m]).catch(() => {});
    await this.removeNetworking();
    await removeCgroups(this.cgroupParent);
    await rm(this.tmp, { recursive: true, force: true });
    await rm(this.dataRoot, { recursive: true, force: true });
  }

  /** Bridges of this daemon's networks (from its records) and its default bridge. */
  async bridgesOwned(): Promise<string[]> {
    const out = new Set([this.bridgeName]);
    const dir = join(this.dataRoot, 'network', 'networks');
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      const rec = JSON.parse(await readFile(join(dir, f), 'utf8').catch(() => '{}')) as { BridgeName?: string };
      if (rec.BridgeName) out.add(rec.BridgeName);
    }
    return [...out];
  }

  /** Links that are one of this daemon's bridges or enslaved to one. */
  async linksLeft(bridges?: string[]): Promise<string[]> {
    const names = bridges ?? (await this.bridgesOwned());
    const out = (await runCmd('ip', ['-o', 'link', 'show'])).stdout;
    return out
      .split('\n')
      .filter((l) => names.some((b) => new RegExp(`^\\d+: ${b}[:@]| master ${b} `).test(l)))
      .map((l) => l.split(': ')[1]!.split('@')[0]!);
  }

  /** iptables lines (filter and nat) that mention this daemon's chains. */
  async rulesLeft(): Promise<string[]> {
    const f = (await runCmd('iptables', ['-w', '-S'])).stdout;
    const n = (await runCmd('iptables', ['-w', '-t', 'nat', '-S'])).stdout;
    return [...f.split('\n'), ...n.split('\n')].filter((l) => l.includes(this.chainPrefix + '-'));
  }

  /** Removes by name what a daemon keeps across container removal (its bridges, chains), plus anything stale. */
  async removeNetworking(): Promise<void> {
    const bridges = await this.bridgesOwned();
    const dir = join(this.dataRoot, 'network', 'containers');
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      const st = JSON.parse(await readFile(join(dir, f), 'utf8').catch(() => '{}')) as { Sandbox?: { Netns: string; Endpoints: Record<string, { Veth: string }> } };
      for (const ep of Object.values(st.Sandbox?.Endpoints ?? {})) await runCmd('ip', ['link', 'del', ep.Veth]).catch(() => {});
      if (st.Sandbox?.Netns) await runCmd('ip', ['netns', 'del', st.Sandbox.Netns]).catch(() => {});
    }
    for (const b of bridges) await runCmd('ip', ['link', 'del', b]).catch(() => {});
    const p = this.chainPrefix;
    const jumps: [string, string, string[]][] = [
      ['filter', 'FORWARD', ['-j', `${p}-FWD`]],
      ['nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', `${p}-DNAT`]],
      ['nat', 'OUTPUT', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', `${p}-DNAT`]],
      ['nat', 'POSTROUTING', ['-j', `${p}-POST`]],
    ];
    for (const [t, c, args] of jumps) {
      for (let i = 0; i < 5; i++) if ((await runCmd('iptables', ['-w', '-t', t, '-D', c, ...args])).code !== 0) break;
    }
    for (const [t, c] of [['filter', `${p}-FWD`], ['nat', `${p}-DNAT`], ['nat', `${p}-POST`]] as const) {
      await runCmd('iptables', ['-w', '-t', t, '-F', c]).catch(() => {});
      await runCmd('iptables', ['-w', '-t', t, '-X', c]).catch(() => {});
    }
  }

  async mountsUnder(): Promise<string[]> {
    const info = await readFile('/proc/self/mountinfo', 'utf8');
    return info
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.tmp) || m.startsWith(this.dataRoot));
  }

  /** conmon processes serving this daemon's containers. */
  async conmonPids(): Promise<number[]> {
    const out: number[] = [];
    for (const p of await readdir('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
      if (cmd.startsWith('/usr/bin/conmon') && cmd.includes(this.execRoot)) out.push(Number(p));
    }
    return out;
  }

  /** Container cgroups left under this daemon's parent, in any hierarchy. */
  async cgroupsLeft(): Promise<string[]> {
    const left: string[] = [];
    for (const h of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      const dir = join('/sys/fs/cgroup', h, this.cgroupParent);
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) left.push(join(dir, e.name));
    }
    return left;
  }
}

async function removeCgroups(parent: string): Promise<void> {
  for (const h of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const dir = join('/sys/fs/cgroup', h, parent);
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await rmdir(join(dir, e.name)).catch(() => {});
    }
    await rmdir(dir).catch(() => {});
  }
}

export function runCmd(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`timeout: ${cmd} ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

// ---------------------------------------------------------------- pseudo-terminals

/**
 * python3's pty module runs the command on a fresh pseudo-terminal of the given size: our stdin goes to the master
 * (keystrokes), the master's output comes back on stdout, the exit status is the command's (128+N for a signal).
 * SIGUSR1 resizes the terminal to the size in argv[3..4] (the kernel then sends SIGWINCH to the foreground job).
 */
const PTY_PY = String.raw`
import os, pty, sys, select, struct, fcntl, termios, signal
rows, cols, rows2, cols2 = (int(x) for x in sys.argv[1:5])
cmd = sys.argv[5:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(cmd[0], cmd)
def resize(*_):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows2, cols2, 0, 0))
signal.signal(signal.SIGUSR1, resize)
inputs = [fd, 0]
echo = None
while True:
    try:
        now = not not (termios.tcgetattr(fd)[3] & termios.ECHO)
        if now != echo:
            echo = now
            os.write(2, b'cooked\n' if echo else b'raw\n')
    except termios.error:
        pass
    try:
        r, _, _ = select.select(inputs, [], [], 0.02)
    except InterruptedError:
        continue
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            inputs.remove(0)
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

export class PtySession {
  readonly child: ChildProcess;
  output = '';
  /** "cooked"/"raw" lines: the terminal's ECHO flag as it changes (a CLI entering raw mode turns it off). */
  modes = '';
  readonly exited: Promise<number>;
  private consumed = 0;

  constructor(cmd: string, args: string[], opts: { env?: Record<string, string>; rows?: number; cols?: number; resizeTo?: [number, number] } = {}) {
    const [rows2, cols2] = opts.resizeTo ?? [opts.rows ?? 24, opts.cols ?? 80];
    this.child = spawn('python3', ['-c', PTY_PY, String(opts.rows ?? 24), String(opts.cols ?? 80), String(rows2), String(cols2), cmd, ...args], {
      env: { ...process.env, TERM: 'xterm', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString('latin1')));
    this.child.stderr!.on('data', (d: Buffer) => (this.modes += d.toString()));
    this.child.stdin!.on('error', () => {});
    this.exited = new Promise((res) => this.child.on('close', (code, sig) => res(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15))));
  }

  /** Waits until output after the last match contains `re`; returns the match. */
  async expect(re: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output.slice(this.consumed);
      const m = re.exec(rest);
      if (m) {
        this.consumed += m.index + m[0].length;
        return m;
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        if (this.child.exitCode === null) this.child.kill('SIGKILL');
        throw new Error(`pty: no ${re} in output:\n${JSON.stringify(rest)}`);
      }
      await sleep(20);
    }
  }

  /** Waits until the CLI has put the terminal in raw mode (typing earlier would be echoed by the line discipline). */
  async raw(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.modes.trimEnd().endsWith('raw')) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`pty: terminal never went raw (${JSON.stringify(this.modes)}); output:\n${JSON.stringify(this.output)}`);
      await sleep(20);
    }
  }

  /** Types the text (the terminal is in raw mode in the container's shell, so "\r" is Enter). */
  send(text: string): void {
    this.child.stdin!.write(Buffer.from(text, 'latin1'));
  }

  resize(): void {
    this.child.kill('SIGUSR1');
  }

  /** The command's exit status, or an error (and a SIGKILL) after the timeout. */
  async exitCode(timeoutMs = 10_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        rej(new Error(`pty: command did not exit; output:\n${JSON.stringify(this.output)}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
