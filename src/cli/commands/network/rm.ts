// berth network rm NETWORK...: echoes each removed reference.
import { removeNetwork } from '../../../client/network-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function networkRmCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'rm', usage: 'NETWORK [NETWORK...]', description: 'Remove one or more networks', aliases: ['remove'] })
    .option('-f, --force', 'Do not error if the network does not exist') as BerthCommand;
  return bindAction<{ force?: boolean }>(cmd, cli, (args, f, c) => {
    requireArgs(c, args, 1);
    return forEachRef(cli, args, async (ref) => {
      try {
        await removeNetwork(cli.client(), ref);
      } catch (e) {
        if (f.force && /not found/.test(String((e as Error).message))) return;
        throw e;
      }
    });
  });
}
