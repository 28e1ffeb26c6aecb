// berth pause.
import { pauseContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function pauseCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'pause', usage: 'CONTAINER [CONTAINER...]', description: 'Pause all processes within one or more containers' });
  return bindAction(cmd, cli, (args, _f, c) => {
    requireArgs(c, args, 1);
    return forEachRef(cli, args, (ref) => pauseContainer(cli.client(), ref));
  });
}
