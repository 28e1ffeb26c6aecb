// berth bootstrap IMAGE: build an offline base image inside the daemon (busybox from Debian's busybox-static).
// Berth's own command: docker has no equivalent, because Docker users pull base images from a registry.
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

export function bootstrapCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'bootstrap', usage: 'IMAGE', description: 'Build a base image offline (supported: busybox)' });
  return bindAction(cmd, cli, async (args, _f, c) => {
    requireArgs(c, args, 1, 1);
    const res = await cli.client().request<{ Id: string }>('POST', '/berth/bootstrap', { query: { name: args[0]! } });
    cli.io.stdout.write(res.body.Id + '\n');
  });
}
