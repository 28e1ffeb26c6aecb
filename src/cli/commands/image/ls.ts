// berth images / image ls.
import { listImages } from '../../../client/image-api.ts';
import type { ImageSummary } from '../../../spec/docker-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { formatterContext, renderFormat } from '../../format/table.ts';
import { createdAgo, goTimeString, humanSize as humanSize4 } from '../../format/units.ts';
import { humanSize3 as humanSize } from '../size-text.ts';
import { bindAction } from '../../run-action.ts';
import { parseFilters } from '../filters.ts';

interface ImagesFlags {
  all?: boolean;
  quiet?: boolean;
  trunc?: boolean;
  digests?: boolean;
  filter?: string[];
  format?: string;
}

export const IMAGE_HEADERS: Record<string, string> = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'SIZE',
};

/** One row per repo:tag (docker's image formatter); untagged images get <none>. */
export function imageRows(images: ImageSummary[], opts: { trunc: boolean; now?: Date }) {
  const rows = [];
  for (const img of images) {
    const id = opts.trunc ? img.Id.replace(/^sha256:/, '').slice(0, 12) : img.Id;
    const digestOf = (repo: string) => {
      const d = (img.RepoDigests ?? []).find((rd) => rd.startsWith(`${repo}@`));
      return d ? d.slice(d.indexOf('@') + 1) : '<none>';
    };
    const base = {
      ID: id,
      CreatedSince: createdAgo(img.Created, opts.now),
      CreatedAt: goTimeString(img.Created),
      Size: humanSize(img.Size),
      // docker: VirtualSize is go-units HumanSize (4 significant digits) of the size, unlike SIZE's 3.
      VirtualSize: humanSize4(img.Size),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize),
      UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize),
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
    };
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length === 0) {
      const digestRepo = (img.RepoDigests ?? [])[0];
      const repo = digestRepo ? digestRepo.slice(0, digestRepo.indexOf('@')) : '<none>';
      rows.push(formatterContext('*formatter.imageContext', { ...base, Repository: repo, Tag: '<none>', Digest: digestRepo ? digestOf(repo) : '<none>' }));
      continue;
    }
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = t.slice(0, colon);
      rows.push(formatterContext('*formatter.imageContext', { ...base, Repository: repo, Tag: t.slice(colon + 1), Digest: digestOf(repo) }));
    }
  }
  return rows;
}

export function imagesCommand(cli: Cli, name = 'images', aliases: string[] = []): BerthCommand {
  const cmd = newCommand({ name, usage: '[OPTIONS] [REPOSITORY[:TAG]]', description: 'List images', aliases })
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs') as BerthCommand;
  return bindAction<ImagesFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 1);
    const filters = parseFilters(f.filter) ?? {};
    if (args[0]) (filters.reference ??= []).push(args[0]);
    const images = await listImages(cli.client(), { all: f.all, digests: f.digests, filters });
    const rows = imageRows(images, { trunc: f.trunc !== false });
    if (f.quiet && !f.format) {
      const seen = new Set<string>();
      for (const r of rows) if (!seen.has(r.ID)) (seen.add(r.ID), cli.out(`${r.ID}\n`));
      return 0;
    }
    const defaultFormat = f.digests
      ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
      : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    cli.out(renderFormat({ format: f.format, defaultFormat, headers: IMAGE_HEADERS, rows, quiet: f.quiet }));
    return 0;
  });
}
