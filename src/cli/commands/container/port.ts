// berth port CONTAINER [PRIVATE_PORT[/PROTO]]: the container's published ports, from inspect's NetworkSettings.Ports.
import { inspectContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { StatusError } from '../../cli-errors.ts';
import { bindAction } from '../../run-action.ts';

type Ports = Record<string, { HostIp: string; HostPort: string }[] | null>;

const hostPort = (ip: string, port: string) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

export function portCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'port', usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]', description: 'List port mappings or a specific mapping for the container' });
  return bindAction<Record<string, never>>(cmd, cli, async (args, _f, c) => {
    requireArgs(c, args, 1, 2);
    const info = (await inspectContainer(cli.client(), args[0]!)) as unknown as { NetworkSettings?: { Ports?: Ports } };
    const ports: Ports = info.NetworkSettings?.Ports ?? {};
    if (args[1]) {
      const [p, proto = 'tcp'] = args[1].split('/');
      const key = `${p}/${proto}`;
      const list = ports[key];
      if (!list?.length) throw new StatusError(1, `Error: No public port '${key}' published for ${args[0]}`);
      cli.out(list.map((b) => `${hostPort(b.HostIp, b.HostPort)}\n`).join(''));
      return 0;
    }
    const lines: string[] = [];
    const keys = Object.keys(ports).sort((a, b) => Number.parseInt(a) - Number.parseInt(b) || (a < b ? -1 : 1));
    for (const k of keys) for (const b of ports[k] ?? []) lines.push(`${k} -> ${hostPort(b.HostIp, b.HostPort)}\n`);
    cli.out(lines.join(''));
    return 0;
  });
}
