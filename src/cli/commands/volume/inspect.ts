// berth volume inspect [-f FORMAT] VOLUME...
import { inspectVolume } from '../../../client/volume-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { bindAction } from '../../run-action.ts';
import { printInspect } from '../inspect-output.ts';

export function volumeInspectCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'inspect', usage: '[OPTIONS] VOLUME [VOLUME...]', description: 'Display detailed information on one or more volumes' })
    .option('-f, --format <string>', 'Format output using a custom template') as BerthCommand;
  return bindAction<{ format?: string }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1);
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of args) {
      try {
        found.push(await inspectVolume(cli.client(), name));
      } catch (e) {
        errors.push(daemonErrorText(e));
      }
    }
    errors.push(...printInspect(cli, found, f.format));
    if (errors.length) throw new StatusError(1, errors.join('\n'));
  });
}
