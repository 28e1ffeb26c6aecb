// berth network ls: docker's table, sorted by name.
import { listNetworks, type NetworkResource } from '../../../client/network-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { formatterContext, renderFormat } from '../../format/table.ts';
import { goTimeString } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';
import { parseFilters } from '../filters.ts';

const HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

export function networkRow(n: NetworkResource, trunc: boolean) {
  const labels = n.Labels ?? {};
  return formatterContext('*formatter.networkContext', {
    ID: trunc ? n.Id.slice(0, 12) : n.Id,
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(!!n.EnableIPv6),
    Internal: String(!!n.Internal),
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
    Label: (key: string) => labels[key] ?? '',
    CreatedAt: goTimeString(Math.floor(Date.parse(n.Created) / 1000)),
  });
}

export function networkLsCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'ls', usage: '[OPTIONS]', description: 'List networks', aliases: ['list'] })
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', collect)
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', 'Do not truncate the output')
    .option('-q, --quiet', 'Only display network IDs') as BerthCommand;
  return bindAction<{ filter?: string[]; format?: string; trunc?: boolean; quiet?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    const nets = await listNetworks(cli.client(), { filters: parseFilters(f.filter) });
    nets.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const rows = nets.map((n) => networkRow(n, f.trunc !== false));
    cli.out(renderFormat({ format: f.format, defaultFormat: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', headers: HEADERS, rows, quiet: f.quiet }));
    return 0;
  });
}
