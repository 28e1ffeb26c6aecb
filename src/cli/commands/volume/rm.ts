// berth volume rm [-f] VOLUME...: echoes each removed name; failures after, exit 1.
import { removeVolume } from '../../../client/volume-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function volumeRmCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'rm', usage: '[OPTIONS] VOLUME [VOLUME...]', description: 'Remove one or more volumes', aliases: ['remove'] })
    .option('-f, --force', 'Force the removal of one or more volumes') as BerthCommand;
  return bindAction<{ force?: boolean }>(cmd, cli, (args, f, c) => {
    requireArgs(c, args, 1);
    return forEachRef(cli, args, (name) => removeVolume(cli.client(), name, { force: f.force }));
  });
}
