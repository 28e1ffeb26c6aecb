// berth bootstrap IMAGE: build an offline base image inside the daemon: busybox from Debian's busybox-static, or
// debian:bookworm (debian:12) by debootstrap from the machine's own Debian mirror. Progress lines go to stderr
// (unless -q), the image id to stdout.
// Berth's own command: docker has no equivalent, because Docker users pull base images from a registry.
import { consumeJsonMessages } from '../../../client/json-messages.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

export function bootstrapCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'bootstrap', usage: '[OPTIONS] IMAGE', description: 'Build a base image offline (supported: busybox, debian:bookworm)' })
    .option('-q, --quiet', 'Suppress progress output') as BerthCommand;
  return bindAction<{ quiet?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    const res = await cli.client().stream('POST', '/berth/bootstrap', { query: { name: args[0]! } });
    let id = '';
    await consumeJsonMessages(res, (m) => {
      const last = m as { Id?: string; status?: string };
      if (typeof last.Id === 'string') id = last.Id;
      else if (last.status && !f.quiet) cli.io.stderr.write(last.status + '\n');
    });
    if (!id) throw new Error('bootstrap: the daemon sent no image id');
    cli.io.stdout.write(id + '\n');
  });
}
