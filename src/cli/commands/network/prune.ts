// berth network prune [-f] [--filter ...]: docker's prompt and report.
import { pruneNetworks } from '../../../client/network-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { confirm } from '../confirm.ts';
import { parseFilters } from '../filters.ts';

const WARNING = 'WARNING! This will remove all custom networks not used by at least one container.';

export function networkPruneCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'prune', usage: '[OPTIONS]', description: 'Remove all unused networks' })
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation') as BerthCommand;
  return bindAction<{ filter?: string[]; force?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    if (!f.force && !(await confirm(cli, `${WARNING}\nAre you sure you want to continue?`))) return 0;
    const res = await pruneNetworks(cli.client(), { filters: parseFilters(f.filter) });
    if (res.NetworksDeleted?.length) cli.out(`Deleted Networks:\n${res.NetworksDeleted.join('\n')}\n\n`);
    return 0;
  });
}
