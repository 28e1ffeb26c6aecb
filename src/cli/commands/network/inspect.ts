// berth network inspect NETWORK...: JSON array or --format per network; missing ones reported after the rest.
import { inspectNetwork } from '../../../client/network-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { StatusError } from '../../cli-errors.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { bindAction } from '../../run-action.ts';
import { printInspect } from '../inspect-output.ts';

export function networkInspectCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'inspect', usage: '[OPTIONS] NETWORK [NETWORK...]', description: 'Display detailed information on one or more networks' })
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Verbose output for diagnostics') as BerthCommand;
  return bindAction<{ format?: string }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1);
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const ref of args) {
      try {
        found.push(await inspectNetwork(cli.client(), ref));
      } catch (e) {
        errors.push(daemonErrorText(e));
      }
    }
    errors.push(...printInspect(cli, found, f.format));
    if (errors.length) throw new StatusError(1, errors.join('\n'));
    return 0;
  });
}
