// The network subsystem's kernel side effects: `ip`, `iptables-restore`/`iptables`, sysctls, and "is this port free".
// Behind one small interface so network logic is unit-tested against a recording fake (RecordingNetExec) without root.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { run } from './exec.ts';

export interface NetExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NetExec {
  /** `ip ARGS...`; rejects on failure unless `allowFail` (then the code is returned). */
  ip(args: string[], opts?: { allowFail?: boolean; input?: string }): Promise<NetExecResult>;
  /** `iptables -w ARGS...` (IPv4). */
  iptables(args: string[], opts?: { allowFail?: boolean }): Promise<NetExecResult>;
  /** `iptables-restore -w --noflush` with `input` (one atomic nf_tables transaction). */
  iptablesRestore(input: string): Promise<void>;
  /** Writes /proc/sys/<key with dots as slashes>. */
  sysctl(key: string, value: string): Promise<void>;
  /** Whether nothing on the host listens on / is bound to ip:port for proto. */
  portFree(proto: 'tcp' | 'udp' | 'sctp', ip: string, port: number): Promise<boolean>;
  /** Names of existing network namespaces under /run/netns. */
  listNetns(): Promise<string[]>;
  /** The host's resolv.conf text (for upstream DNS servers). */
  hostResolvConf(): Promise<string>;
}

async function runText(cmd: string, args: string[], allowFail: boolean, input?: string): Promise<NetExecResult> {
  if (allowFail) {
    const codes = Array.from({ length: 255 }, (_, i) => i + 1);
    const r = await run(cmd, args, { allowExit: codes, input });
    return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }
  const r = await run(cmd, args, { input });
  return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export class RealNetExec implements NetExec {
  ip(args: string[], opts: { allowFail?: boolean; input?: string } = {}): Promise<NetExecResult> {
    return runText('ip', args, !!opts.allowFail, opts.input);
  }

  iptables(args: string[], opts: { allowFail?: boolean } = {}): Promise<NetExecResult> {
    return runText('iptables', ['-w', ...args], !!opts.allowFail);
  }

  async iptablesRestore(input: string): Promise<void> {
    await run('iptables-restore', ['-w', '--noflush'], { input });
  }

  async sysctl(key: string, value: string): Promise<void> {
    await writeFile(`/proc/sys/${key.replace(/\./g, '/')}`, value);
  }

  portFree(proto: 'tcp' | 'udp' | 'sctp', ip: string, port: number): Promise<boolean> {
    const host = ip || '0.0.0.0';
    if (proto === 'udp') {
      return new Promise((resolve) => {
        const s = createSocket('udp4');
        s.once('error', () => {
          s.close();
          resolve(false);
        });
        s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
      });
    }
    if (proto === 'sctp') return Promise.resolve(true);
    return new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
    });
  }

  async listNetns(): Promise<string[]> {
    const { readdir } = await import('node:fs/promises');
    return readdir('/run/netns').catch(() => [] as string[]);
  }

  hostResolvConf(): Promise<string> {
    return readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  }
}

/** Records every call; `ip`/`iptables` answer from `responder` (default: success, empty output). */
export class RecordingNetExec implements NetExec {
  readonly calls: string[] = [];
  readonly restores: string[] = [];
  readonly sysctls: Record<string, string> = {};
  busyPorts = new Set<string>();
  netns = new Set<string>();
  resolvConf = 'nameserver 192.0.2.53\n';
  responder: (cmd: string, args: string[]) => Partial<NetExecResult> | undefined = () => undefined;

  private answer(cmd: string, args: string[], allowFail?: boolean): NetExecResult {
    this.calls.push([cmd, ...args].join(' '));
    const r = { code: 0, stdout: '', stderr: '', ...this.responder(cmd, args) };
    if (r.code !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')}: exit status ${r.code}: ${r.stderr}`);
    return r;
  }

  /** A batch (`[-n NS] [-force] -batch -`) is recorded as one call per line: `ip [-n NS] LINE`. */
  async ip(args: string[], opts: { allowFail?: boolean; input?: string } = {}): Promise<NetExecResult> {
    const b = args.indexOf('-batch');
    if (b >= 0 && args[b + 1] === '-' && opts.input !== undefined) {
      const prefix = args.slice(0, b).filter((a) => a !== '-force');
      let last: NetExecResult = { code: 0, stdout: '', stderr: '' };
      for (const line of opts.input.split('\n').filter((l) => l.trim())) {
        last = await this.ip([...prefix, ...line.trim().split(/\s+/)], { allowFail: true });
        if (last.code !== 0 && !args.includes('-force')) break;
      }
      if (last.code !== 0 && !opts.allowFail) throw new Error(`ip ${args.join(' ')}: exit status ${last.code}: ${last.stderr}`);
      return last;
    }
    if (args[0] === 'netns' && args[1] === 'add') this.netns.add(args[2]!);
    if (args[0] === 'netns' && (args[1] === 'del' || args[1] === 'delete')) this.netns.delete(args[2]!);
    return this.answer('ip', opts.input ? [...args, `<<${opts.input.trim().split('\n').join('; ')}`] : args, opts.allowFail);
  }

  async iptables(args: string[], opts: { allowFail?: boolean } = {}): Promise<NetExecResult> {
    return this.answer('iptables', args, opts.allowFail);
  }

  async iptablesRestore(input: string): Promise<void> {
    this.calls.push('iptables-restore');
    this.restores.push(input);
  }

  async sysctl(key: string, value: string): Promise<void> {
    this.calls.push(`sysctl ${key}=${value}`);
    this.sysctls[key] = value;
  }

  async portFree(proto: 'tcp' | 'udp' | 'sctp', ip: string, port: number): Promise<boolean> {
    return !this.busyPorts.has(`${proto}/${port}`) && !this.busyPorts.has(`${proto}/${ip}:${port}`);
  }

  async listNetns(): Promise<string[]> {
    return [...this.netns];
  }

  async hostResolvConf(): Promise<string> {
    return this.resolvConf;
  }
}
