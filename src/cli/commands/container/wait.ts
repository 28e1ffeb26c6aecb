// berth wait: prints each container's exit status.
import { waitContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function waitCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'wait', usage: 'CONTAINER [CONTAINER...]', description: 'Block until one or more containers stop, then print their exit codes' });
  return bindAction(cmd, cli, (args, _f, c) => {
    requireArgs(c, args, 1);
    return forEachRef(
      cli,
      args,
      async (ref) => {
        const w = await waitContainer(cli.client(), ref, { condition: 'not-running' });
        cli.out(`${(await w.result).StatusCode}\n`);
      },
      { echo: false },
    );
  });
}
