// berth search [--limit] [--filter] [--no-trunc] [--format] TERM: docker 28's NAME DESCRIPTION STARS OFFICIAL table.
import { searchImages, type SearchResult } from '../../../client/distribution-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, parseIntFlag, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { encodeRegistryAuth, getAuth, registryOfImage } from '../../docker-config.ts';
import { formatterContext, renderFormat } from '../../format/table.ts';
import { bindAction } from '../../run-action.ts';
import { parseFilters } from '../filters.ts';

const HEADERS: Record<string, string> = {
  Name: 'NAME',
  Description: 'DESCRIPTION',
  StarCount: 'STARS',
  IsOfficial: 'OFFICIAL',
  IsAutomated: 'AUTOMATED',
};

/** docker's searchContext (cli/command/formatter/search.go). */
export function searchRow(r: SearchResult, trunc: boolean) {
  let desc = r.description.replace(/\n/g, ' ').replace(/\r/g, ' ');
  if (trunc && [...desc].length > 45) desc = [...desc].slice(0, 44).join('') + '…';
  return formatterContext('*formatter.searchContext', {
    Name: r.name,
    Description: desc,
    StarCount: String(r.star_count),
    IsOfficial: r.is_official ? '[OK]' : '',
    IsAutomated: r.is_automated ? '[OK]' : '',
  });
}

export function searchCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'search', usage: '[OPTIONS] TERM', description: 'Search for images' })
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', 'Pretty-print search using a Go template')
    .option('--limit <int>', 'Max number of search results', parseIntFlag)
    .option('--no-trunc', "Don't truncate output") as BerthCommand;
  return bindAction<{ filter?: string[]; format?: string; limit?: number; trunc?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    const auth = encodeRegistryAuth(getAuth(registryOfImage(args[0]!), cli.io.env));
    const results = await searchImages(cli.client(), args[0]!, { limit: f.limit, filters: parseFilters(f.filter), auth });
    cli.out(
      renderFormat({
        format: f.format,
        defaultFormat: 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}',
        headers: HEADERS,
        rows: results.map((r) => searchRow(r, f.trunc !== false)),
      }),
    );
  });
}
