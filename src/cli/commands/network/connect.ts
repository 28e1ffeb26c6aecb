// berth network connect / disconnect.
import { connectNetwork, disconnectNetwork } from '../../../client/network-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

export function networkConnectCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'connect', usage: '[OPTIONS] NETWORK CONTAINER', description: 'Connect a container to a network' })
    .option('--alias <strings>', 'Add network-scoped alias for the container', collect)
    .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")') as BerthCommand;
  return bindAction<{ alias?: string[]; ip?: string }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 2, 2);
    await connectNetwork(cli.client(), args[0]!, {
      Container: args[1]!,
      EndpointConfig: { Aliases: f.alias ?? [], ...(f.ip ? { IPAMConfig: { IPv4Address: f.ip } } : {}) },
    });
    return 0;
  });
}

export function networkDisconnectCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'disconnect', usage: '[OPTIONS] NETWORK CONTAINER', description: 'Disconnect a container from a network' })
    .option('-f, --force', 'Force the container to disconnect from a network') as BerthCommand;
  return bindAction<{ force?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 2, 2);
    await disconnectNetwork(cli.client(), args[0]!, { Container: args[1]!, Force: !!f.force });
    return 0;
  });
}
