// berth system df [-v] [--format]: docker's summary (TYPE TOTAL ACTIVE SIZE RECLAIMABLE) and verbose listing,
// computed like the docker CLI's formatter/disk_usage.go from GET /system/df.
import { diskUsage } from '../../../client/stats-api.ts';
import type { DiskUsage } from '../../../spec/stats-api.ts';
import type { ContainerSummary } from '../../../spec/docker-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { formatterContext, renderFormat } from '../../format/table.ts';
import { createdAgo, humanSize } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';
import { psRow } from '../container/ps-row.ts';

const pct = (part: number, total: number): string => (total > 0 ? `${humanSize(part)} (${Math.trunc((part * 100) / total)}%)` : humanSize(part));

const ACTIVE_STATES = new Set(['running', 'paused', 'restarting']);

export function dfRows(du: DiskUsage) {
  const images = du.Images ?? [];
  const containers = (du.Containers ?? []) as unknown as (ContainerSummary & { SizeRw?: number })[];
  const volumes = du.Volumes ?? [];
  let used = 0;
  for (const i of images) if (i.Containers !== 0 && i.Size !== -1 && i.SharedSize !== -1) used += i.Size - i.SharedSize;
  const ctrUsed = containers.reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const ctrReclaim = containers.filter((c) => !ACTIVE_STATES.has(c.State)).reduce((a, c) => a + (c.SizeRw ?? 0), 0);
  const volSize = volumes.reduce((a, v) => a + (v.UsageData && v.UsageData.Size !== -1 ? v.UsageData.Size : 0), 0);
  const volReclaim = volumes.reduce((a, v) => a + (v.UsageData && v.UsageData.Size !== -1 && v.UsageData.RefCount === 0 ? v.UsageData.Size : 0), 0);
  const row = (Type: string, TotalCount: number, Active: number, Size: string, Reclaimable: string) =>
    formatterContext('*formatter.diskUsageContext', { Type, TotalCount: String(TotalCount), Active: String(Active), Size, Reclaimable });
  return [
    row('Images', images.length, images.filter((i) => i.Containers > 0).length, humanSize(du.LayersSize), pct(du.LayersSize - used, du.LayersSize)),
    row('Containers', containers.length, containers.filter((c) => ACTIVE_STATES.has(c.State)).length, humanSize(ctrUsed), pct(ctrReclaim, ctrUsed)),
    row('Local Volumes', volumes.length, volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, humanSize(volSize), pct(volReclaim, volSize)),
    row('Build Cache', 0, 0, humanSize(0), humanSize(0)),
  ];
}

const HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

function verbose(du: DiskUsage): string {
  const now = new Date();
  let out = 'Images space usage:\n\n';
  const imgRows = [];
  for (const i of du.Images ?? []) {
    const tags = i.RepoTags?.length ? i.RepoTags : ['<none>:<none>'];
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      imgRows.push({
        Repository: colon > 0 ? t.slice(0, colon) : t,
        Tag: colon > 0 ? t.slice(colon + 1) : '<none>',
        ID: i.Id.replace(/^sha256:/, '').slice(0, 12),
        CreatedSince: createdAgo(i.Created, now),
        Size: humanSize(i.Size),
        SharedSize: humanSize(i.SharedSize),
        UniqueSize: humanSize(i.Size - i.SharedSize),
        Containers: String(i.Containers),
      });
    }
  }
  out += renderFormat({
    defaultFormat: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}',
    headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' },
    rows: imgRows,
  });
  out += '\nContainers space usage:\n\n';
  const ctrs = (du.Containers ?? []) as unknown as (ContainerSummary & { SizeRw?: number })[];
  out += renderFormat({
    defaultFormat: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
    headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' },
    rows: ctrs.map((c) => {
      const r = psRow({ ...c, SizeRootFs: 0 }, { trunc: true, now }) as unknown as Record<string, unknown>;
      const vols = (c.Mounts ?? []).filter((m) => (m as { Type?: string }).Type === 'volume').length;
      return { ...r, LocalVolumes: String(vols), Size: humanSize(c.SizeRw ?? 0) };
    }),
  });
  out += '\nLocal Volumes space usage:\n\n';
  out += renderFormat({
    defaultFormat: 'table {{.Name}}\t{{.Links}}\t{{.Size}}',
    headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' },
    rows: (du.Volumes ?? []).map((v) => ({
      Name: v.Name,
      Links: String(v.UsageData?.RefCount ?? 0),
      Size: v.UsageData && v.UsageData.Size !== -1 ? humanSize(v.UsageData.Size) : 'N/A',
    })),
  });
  out += '\nBuild cache usage: 0B\n\n';
  out += renderFormat({
    defaultFormat: 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}',
    headers: { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' },
    rows: [],
  });
  return out;
}

export function dfCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'df', usage: '[OPTIONS]', description: 'Show docker disk usage' })
    .option('--format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Show detailed information on space usage') as BerthCommand;
  return bindAction<{ format?: string; verbose?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    const du = await diskUsage(cli.client());
    if (f.verbose && !f.format) {
      cli.out(verbose(du));
      return 0;
    }
    cli.out(renderFormat({
      format: f.format,
      defaultFormat: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
      headers: HEADERS,
      rows: dfRows(du),
    }));
    // Berth: the daemon's disk budget (--disk-budget), when one is set; not with --format (scripts parse that).
    const b = (du as DiskUsage & { BerthDiskBudget?: { Budget: number; Used: number } }).BerthDiskBudget;
    if (b && b.Budget > 0 && !f.format) cli.out(`\nDisk budget: ${humanSize(b.Used)} of ${humanSize(b.Budget)}\n`);
    return 0;
  });
}
