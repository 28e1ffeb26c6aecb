// berth rename.
import { renameContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { bindAction } from '../../run-action.ts';

export function renameCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'rename', usage: 'CONTAINER NEW_NAME', description: 'Rename a container' });
  return bindAction(cmd, cli, async (args, _f, c) => {
    requireArgs(c, args, 2, 2);
    const [old, name] = args as [string, string];
    if (!name.trim()) throw new StatusError(1, 'Error: neither old nor new names may be empty');
    try {
      await renameContainer(cli.client(), old.trim(), name.trim());
    } catch (e) {
      throw new StatusError(1, `${daemonErrorText(e)}\nError: failed to rename container named ${old}`);
    }
  });
}
