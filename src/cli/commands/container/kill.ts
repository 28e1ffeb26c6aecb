// berth kill.
import { killContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function killCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'kill', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Kill one or more running containers' })
    .option('-s, --signal <string>', 'Signal to send to the container') as BerthCommand;
  return bindAction<{ signal?: string }>(cmd, cli, (args, f, c) => {
    requireArgs(c, args, 1);
    return forEachRef(cli, args, (ref) => killContainer(cli.client(), ref, f.signal || undefined));
  });
}
