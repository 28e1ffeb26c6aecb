// berth builder prune [-a] [-f]: docker's prompt and report over POST /build/prune.
import { pruneBuildCache } from '../../../client/build-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { humanSize } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';
import { confirm } from '../confirm.ts';

export function builderPruneCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'prune', usage: '[OPTIONS]', description: 'Remove build cache' })
    .option('-a, --all', 'Remove all unused build cache, not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation') as BerthCommand;
  return bindAction<{ all?: boolean; force?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    const warn = f.all ? 'WARNING! This will remove all build cache.' : 'WARNING! This will remove all dangling build cache.';
    if (!f.force && !(await confirm(cli, `${warn}\nAre you sure you want to continue?`))) return 0;
    const res = await pruneBuildCache(cli.client(), { all: f.all });
    let text = '';
    if (res.CachesDeleted?.length) text += `Deleted build cache objects:\n${res.CachesDeleted.join('\n')}\n\n`;
    text += `Total reclaimed space: ${humanSize(res.SpaceReclaimed ?? 0)}\n`;
    cli.out(text);
    return 0;
  });
}
