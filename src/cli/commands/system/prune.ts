// berth system prune [-a] [--volumes] [-f] [--filter until=...]: docker's prompt, then container, network, volume
// and image prune through the API, each printing its report, then the total.
import { pruneBuildCache } from '../../../client/build-api.ts';
import { prune } from '../../../client/stats-api.ts';
import { ApiError } from '../../../client/engine-client.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { humanSize } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';
import { confirm } from '../confirm.ts';
import { parseFilters } from '../filters.ts';

interface Flags {
  all?: boolean;
  volumes?: boolean;
  force?: boolean;
  filter?: string[];
}

export function systemPruneWarning(f: Flags): string {
  const lines = ['WARNING! This will remove:', '  - all stopped containers', '  - all networks not used by at least one container'];
  if (f.volumes) lines.push('  - all anonymous volumes not used by at least one container');
  lines.push(f.all ? '  - all images without at least one container associated to them' : '  - all dangling images');
  lines.push(f.all ? '  - all build cache' : '  - unused build cache');
  return lines.join('\n') + '\n\nAre you sure you want to continue?';
}

/** A prune endpoint this daemon does not serve (404/501) counts as nothing pruned. */
async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 501)) return null;
    throw e;
  }
}

export function systemPruneCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'prune', usage: '[OPTIONS]', description: 'Remove unused data' })
    .option('-a, --all', 'Remove all unused images not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect)
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--volumes', 'Prune anonymous volumes') as BerthCommand;
  return bindAction<Flags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    const filters = parseFilters(f.filter) ?? {};
    if (!f.force && !(await confirm(cli, systemPruneWarning(f)))) return 0;
    let total = 0;
    const client = cli.client();

    const ctr = await prune<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>(client, 'containers', filters);
    total += ctr.SpaceReclaimed ?? 0;
    if (ctr.ContainersDeleted?.length) cli.out(`Deleted Containers:\n${ctr.ContainersDeleted.join('\n')}\n\n`);

    const net = await optional(prune<{ NetworksDeleted: string[] | null }>(client, 'networks', filters));
    if (net?.NetworksDeleted?.length) cli.out(`Deleted Networks:\n${net.NetworksDeleted.join('\n')}\n\n`);

    if (f.volumes) {
      const volFilters = Object.fromEntries(Object.entries(filters).filter(([k]) => k.startsWith('label')));
      const vol = await optional(prune<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>(client, 'volumes', volFilters));
      total += vol?.SpaceReclaimed ?? 0;
      if (vol?.VolumesDeleted?.length) cli.out(`Deleted Volumes:\n${vol.VolumesDeleted.join('\n')}\n\n`);
    }

    const imgFilters: Record<string, string[]> = { ...filters, dangling: [f.all ? 'false' : 'true'] };
    const img = await optional(prune<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }>(client, 'images', imgFilters));
    total += img?.SpaceReclaimed ?? 0;
    if (img?.ImagesDeleted?.length) {
      let text = 'Deleted Images:\n';
      for (const item of img.ImagesDeleted) text += item.Untagged ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted}\n`;
      cli.out(text + '\n');
    }
    const cache = await optional(pruneBuildCache(client, { all: f.all }));
    total += cache?.SpaceReclaimed ?? 0;
    if (cache?.CachesDeleted?.length) cli.out(`Deleted build cache objects:\n${cache.CachesDeleted.join('\n')}\n\n`);
    cli.out(`Total reclaimed space: ${humanSize(total)}\n`);
    return 0;
  });
}
