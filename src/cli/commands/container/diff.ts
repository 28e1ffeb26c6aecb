// berth diff CONTAINER: the container's filesystem changes, one per line ("C /etc", "A /etc/x", "D /tmp/y").
import { containerChanges } from '../../../client/container-fs-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

const KIND = ['C', 'A', 'D'];

export function diffCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'diff', usage: 'CONTAINER', description: "Inspect changes to files or directories on a container's filesystem" });
  return bindAction(cmd, cli, async (args, _f, c) => {
    requireArgs(c, args, 1, 1);
    const changes = await containerChanges(cli.client(), args[0]!);
    let text = '';
    for (const ch of changes) text += `${KIND[ch.Kind] ?? '?'} ${ch.Path}\n`;
    cli.out(text);
  });
}
