// berth stop: SIGTERM (or the container's stop signal), then SIGKILL after the timeout.
import { Option } from 'commander';
import { stopContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { flagParser, newCommand, parseIntFlag, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function stopCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'stop', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Stop one or more running containers' })
    .option('-s, --signal <string>', 'Signal to send to the container')
    .option('-t, --time <int>', 'Seconds to wait before killing the container', flagParser('-t, --time', parseIntFlag))
    .addOption(new Option('--timeout <int>').hideHelp().argParser(flagParser('--timeout', parseIntFlag))) as BerthCommand;
  return bindAction<{ signal?: string; time?: number; timeout?: number }>(cmd, cli, (args, f, c) => {
    requireArgs(c, args, 1);
    const timeout = f.time ?? f.timeout;
    return forEachRef(cli, args, (ref) => stopContainer(cli.client(), ref, { timeout, signal: f.signal }));
  });
}
