// berth ps / container ls.
import { listContainers } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, flagParser, newCommand, parseIntFlag, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { compileTemplate } from '../../format/go-template.ts';
import { renderFormat, templateError } from '../../format/table.ts';
import type { ContainerSummary } from '../../../spec/docker-api.ts';
import { bindAction } from '../../run-action.ts';
import { parseFilters } from '../filters.ts';
import { psRow } from './ps-row.ts';

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  last?: number;
  latest?: boolean;
  noTrunc?: boolean;
  size?: boolean;
  filter?: string[];
  format?: string;
}

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  CreatedSince: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
};

export function psCommand(cli: Cli, name = 'ps', aliases: string[] = []): BerthCommand {
  const cmd = newCommand({ name, usage: '[OPTIONS]', description: 'List containers', aliases })
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', "Filter output based on conditions provided", collect)
    .option('--format <string>', 'Format output using a custom template')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)', flagParser('-n, --last', parseIntFlag))
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs')
    .option('-s, --size', 'Display total file sizes') as BerthCommand;
  return bindAction<PsFlags & { trunc?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    if (f.format) validatePsFormat(f.format);
    const limit = f.latest ? 1 : f.last !== undefined && f.last > 0 ? f.last : undefined;
    // docker requests sizes when the template reads .Size, which {{json .}} (and --format json) does.
    const fmt = f.format ?? '';
    const wantSize = !!f.size || /\.Size\b/.test(fmt) || fmt.trim() === 'json' || /\{\{-?\s*json\s+\.\s*-?\}\}/.test(fmt);
    const list = await listContainers(cli.client(), {
      all: f.all || limit !== undefined,
      limit,
      size: wantSize,
      filters: parseFilters(f.filter),
    });
    const rows = list.map((x) => psRow(x, { trunc: f.trunc !== false }));
    if (f.quiet && !f.format) {
      for (const r of rows) cli.out(`${r.ID}\n`);
      return 0;
    }
    let defaultFormat = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
    if (f.size) defaultFormat += '\t{{.Size}}';
    cli.out(renderFormat({ format: f.format, defaultFormat, headers: PS_HEADERS, rows, quiet: f.quiet }));
    return 0;
  });
}

/** docker ps checks --format up front, even with no containers: parsed, then run against an empty context. */
function validatePsFormat(format: string): void {
  let tmpl;
  try {
    tmpl = compileTemplate(format);
  } catch (e) {
    throw templateError(e, 'failed to parse template');
  }
  const empty = { Id: '', Names: [], Image: '', Command: '', Created: 0, State: '', Status: '', Ports: [], Labels: {} };
  try {
    tmpl(psRow(empty as unknown as ContainerSummary, { trunc: true }));
  } catch (e) {
    throw templateError(e, 'failed to execute template');
  }
}
