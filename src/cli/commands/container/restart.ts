// berth restart.
import { restartContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { flagParser, newCommand, parseIntFlag, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function restartCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'restart', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Restart one or more containers' })
    .option('-s, --signal <string>', 'Signal to send to the container')
    .option('-t, --time <int>', 'Seconds to wait before killing the container', flagParser('-t, --time', parseIntFlag)) as BerthCommand;
  return bindAction<{ signal?: string; time?: number }>(cmd, cli, (args, f, c) => {
    requireArgs(c, args, 1);
    return forEachRef(cli, args, (ref) => restartContainer(cli.client(), ref, { timeout: f.time, signal: f.signal }));
  });
}
