// berth volume ls [-q] [--filter] [--format]: docker's `DRIVER    VOLUME NAME` table.
import { listVolumes, type VolumeInfo } from '../../../client/volume-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { formatterContext, renderFormat } from '../../format/table.ts';
import { bindAction } from '../../run-action.ts';
import { parseFilters } from '../filters.ts';

const HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
};

/** docker's volumeContext (cli/command/formatter/volume.go). */
export function volumeRow(v: VolumeInfo) {
  const labels = v.Labels ?? {};
  return formatterContext('*formatter.volumeContext', {
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: Object.entries(labels).map(([k, val]) => `${k}=${val}`).join(','),
    Links: 'N/A',
    Size: 'N/A',
    Label: (key: string) => labels[key] ?? '',
  });
}

export function volumeLsCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'ls', usage: '[OPTIONS]', description: 'List volumes', aliases: ['list'] })
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')", collect)
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only display volume names') as BerthCommand;
  return bindAction<{ filter?: string[]; format?: string; quiet?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    const res = await listVolumes(cli.client(), { filters: parseFilters(f.filter) });
    const vols = [...(res.Volumes ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    cli.out(
      renderFormat({
        format: f.format,
        defaultFormat: 'table {{.Driver}}\t{{.Name}}',
        headers: HEADERS,
        rows: vols.map(volumeRow),
        quiet: f.quiet,
        quietFormat: '{{.Name}}',
      }),
    );
    for (const w of res.Warnings ?? []) cli.err(`${w}\n`);
  });
}
