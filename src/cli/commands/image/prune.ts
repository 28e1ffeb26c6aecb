// berth image prune [-a] [-f] [--filter ...]: docker's prompt and report.
import { pruneImages } from '../../../client/image-archive-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { humanSize } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';
import { confirm } from '../confirm.ts';
import { parseFilters } from '../filters.ts';

const WARN_DANGLING = 'WARNING! This will remove all dangling images.';
const WARN_ALL = 'WARNING! This will remove all images without at least one container associated to them.';

export function imagePruneCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'prune', usage: '[OPTIONS]', description: 'Remove unused images' })
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation') as BerthCommand;
  return bindAction<{ all?: boolean; filter?: string[]; force?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    const filters = parseFilters(f.filter) ?? {};
    if (f.all) filters.dangling = ['false'];
    else if (!filters.dangling) filters.dangling = ['true'];
    const all = filters.dangling.some((d) => d === 'false' || d === '0');
    if (!f.force && !(await confirm(cli, `${all ? WARN_ALL : WARN_DANGLING}\nAre you sure you want to continue?`))) return 0;
    const res = await pruneImages(cli.client(), { filters });
    let text = '';
    if (res.ImagesDeleted?.length) {
      text += 'Deleted Images:\n';
      for (const item of res.ImagesDeleted) text += item.Untagged ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted}\n`;
      text += '\n';
    }
    text += `Total reclaimed space: ${humanSize(res.SpaceReclaimed ?? 0)}\n`;
    cli.out(text);
  });
}
