// berth volume prune [-a] [-f] [--filter]: unused anonymous volumes (all unused ones with -a), docker's report.
import { pruneVolumes } from '../../../client/volume-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { humanSize } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';
import { confirm } from '../confirm.ts';
import { parseFilters } from '../filters.ts';

const WARN_ANON = 'WARNING! This will remove anonymous local volumes not used by at least one container.';
const WARN_ALL = 'WARNING! This will remove all local volumes not used by at least one container.';

export function volumePruneCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'prune', usage: '[OPTIONS]', description: 'Remove unused local volumes' })
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation') as BerthCommand;
  return bindAction<{ all?: boolean; filter?: string[]; force?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    const filters = parseFilters(f.filter) ?? {};
    if (f.all) filters.all = ['true'];
    const all = (filters.all ?? []).some((a) => a === 'true' || a === '1');
    if (!f.force && !(await confirm(cli, `${all ? WARN_ALL : WARN_ANON}\nAre you sure you want to continue?`))) return 0;
    const res = await pruneVolumes(cli.client(), { filters });
    let text = '';
    if (res.VolumesDeleted?.length) text += `Deleted Volumes:\n${res.VolumesDeleted.join('\n')}\n\n`;
    text += `Total reclaimed space: ${humanSize(res.SpaceReclaimed ?? 0)}\n`;
    cli.out(text);
  });
}
