// berth commit [-a AUTHOR] [-m MESSAGE] [-c CHANGE]... [-p] CONTAINER [REPOSITORY[:TAG]]: prints the new image id.
import { commitContainer } from '../../../client/container-fs-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { splitRepoTag } from '../image/tag.ts';

export function commitCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'commit', usage: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]", description: "Create a new image from a container's changes" })
    .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause', 'Pause container during commit', true)
    .option('--no-pause', 'Do not pause the container during commit') as BerthCommand;
  return bindAction<{ author?: string; change?: string[]; message?: string; pause?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 2);
    const ref = args[1] ? splitRepoTag(args[1]) : undefined;
    const id = await commitContainer(cli.client(), args[0]!, {
      repo: ref?.repo,
      tag: ref?.tag,
      comment: f.message,
      author: f.author,
      pause: f.pause !== false,
      changes: f.change,
    });
    cli.out(`${id}\n`);
  });
}
