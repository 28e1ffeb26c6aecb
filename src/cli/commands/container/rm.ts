// berth rm / container rm.
import { removeContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

export function rmCommand(cli: Cli, name = 'rm', aliases: string[] = []): BerthCommand {
  const cmd = newCommand({ name, usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Remove one or more containers', aliases })
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-l, --link', 'Remove the specified link')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container') as BerthCommand;
  return bindAction<{ force?: boolean; link?: boolean; volumes?: boolean }>(cmd, cli, (args, f, c) => {
    requireArgs(c, args, 1);
    return forEachRef(cli, args, (ref) => removeContainer(cli.client(), ref, { force: f.force, volumes: f.volumes, link: f.link }));
  });
}
