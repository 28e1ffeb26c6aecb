// berth export [-o FILE] CONTAINER: the container's filesystem as a tar archive (refuses to write to a terminal).
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { exportContainer } from '../../../client/container-fs-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

export function exportCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'export', usage: '[OPTIONS] CONTAINER', description: "Export a container's filesystem as a tar archive" })
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT') as BerthCommand;
  return bindAction<{ output?: string }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    if (!f.output && cli.io.stdout.isTTY) {
      throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    const res = await exportContainer(cli.client(), args[0]!);
    if (f.output) {
      // Written beside the target and renamed, so a failed export leaves no truncated file under the name.
      const tmp = `${f.output}.berth-tmp-${process.pid}`;
      const { rename, rm } = await import('node:fs/promises');
      try {
        await pipeline(res, createWriteStream(tmp));
        await rename(tmp, f.output);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    } else {
      await pipeline(res, cli.io.stdout, { end: false });
    }
  });
}
