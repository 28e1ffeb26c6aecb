// berth tag SOURCE TARGET.
import { tagImage } from '../../../client/image-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

/** Splits "repo[:tag]" at the last colon after the last slash (a registry port is not a tag). */
export function splitRepoTag(ref: string): { repo: string; tag?: string } {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

export function tagCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'tag', usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE' });
  return bindAction(cmd, cli, async (args, _f, c) => {
    requireArgs(c, args, 2, 2);
    const { repo, tag } = splitRepoTag(args[1]!);
    await tagImage(cli.client(), args[0]!, repo, tag ?? 'latest');
  });
}
