// berth rmi / image rm.
import { removeImage } from '../../../client/image-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function rmiCommand(cli: Cli, name = 'rmi', aliases: string[] = []): BerthCommand {
  const cmd = newCommand({ name, usage: '[OPTIONS] IMAGE [IMAGE...]', description: 'Remove one or more images', aliases })
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents') as BerthCommand;
  return bindAction<{ force?: boolean; prune?: boolean }>(cmd, cli, (args, f, c) => {
    requireArgs(c, args, 1);
    return forEachRef(
      cli,
      args,
      async (ref) => {
        const items = await removeImage(cli.client(), ref, { force: f.force, noPrune: f.prune === false });
        for (const item of items) {
          if (item.Untagged) cli.out(`Untagged: ${item.Untagged}\n`);
          if (item.Deleted) cli.out(`Deleted: ${item.Deleted}\n`);
        }
      },
      { echo: false },
    );
  });
}
