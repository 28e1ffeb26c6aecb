// berth save [-o FILE] IMAGE...: GET /images/get into a file (atomically: temp file + rename) or a non-terminal stdout.
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { saveImages } from '../../../client/image-archive-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

export function saveCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'save', usage: '[OPTIONS] IMAGE [IMAGE...]', description: 'Save one or more images to a tar archive (streamed to STDOUT by default)' })
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT') as BerthCommand;
  return bindAction<{ output?: string }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1);
    if (!f.output && cli.io.stdout.isTTY) {
      throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    let target: string | undefined;
    if (f.output) {
      target = resolve(f.output);
      const dir = await stat(dirname(target)).catch(() => undefined);
      if (!dir?.isDirectory()) throw new StatusError(1, `failed to save image: invalid output path: directory "${dirname(target)}" does not exist`);
    }
    const res = await saveImages(cli.client(), args);
    if (!target) {
      await pipeline(res, cli.io.stdout, { end: false });
      return;
    }
    const tmp = join(dirname(target), `.${basename(target)}.berth-tmp-${process.pid}`);
    try {
      await pipeline(res, createWriteStream(tmp, { mode: 0o644 }));
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  });
}
