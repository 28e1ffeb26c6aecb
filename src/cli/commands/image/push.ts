// berth push [-a] [-q] NAME[:TAG]: POST /images/{name}/push with the stored credentials.
import { pushImage } from '../../../client/distribution-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { encodeRegistryAuth, getAuth, registryOfImage } from '../../docker-config.ts';
import { bindAction } from '../../run-action.ts';
import { splitRepoTag } from './tag.ts';
import { progressPrinter } from './pull.ts';

export function pushCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'push', usage: '[OPTIONS] NAME[:TAG]', description: 'Upload an image to a registry' })
    .option('-a, --all-tags', 'Push all tags of an image to the repository')
    .option('-q, --quiet', 'Suppress verbose output') as BerthCommand;
  return bindAction<{ allTags?: boolean; quiet?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    const { repo, tag } = splitRepoTag(args[0]!);
    if (!tag && !f.allTags && !f.quiet) cli.out('Using default tag: latest\n');
    const auth = encodeRegistryAuth(getAuth(registryOfImage(repo), cli.io.env));
    await pushImage(cli.client(), repo, {
      tag: f.allTags ? undefined : (tag ?? 'latest'),
      auth,
      onMessage: f.quiet ? undefined : progressPrinter((s) => cli.out(s)),
    });
    if (f.quiet) cli.out(`${args[0]}\n`);
  });
}
