// berth container prune.
import { pruneContainers } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { humanSize } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';
import { parseFilters } from '../filters.ts';
import { confirm } from '../confirm.ts';

export function pruneCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'prune', usage: '[OPTIONS]', description: 'Remove all stopped containers' })
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation') as BerthCommand;
  return bindAction<{ filter?: string[]; force?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    if (!f.force && !(await confirm(cli, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?'))) {
      return 0;
    }
    const res = await pruneContainers(cli.client(), { filters: parseFilters(f.filter) });
    let text = '';
    if (res.ContainersDeleted?.length) text += `Deleted Containers:\n${res.ContainersDeleted.join('\n')}\n\n`;
    text += `Total reclaimed space: ${humanSize(res.SpaceReclaimed ?? 0)}\n`;
    cli.out(text);
  });
}
