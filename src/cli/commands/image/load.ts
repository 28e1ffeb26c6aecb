// berth load [-i FILE] [-q]: POST /images/load with a file or stdin; prints the daemon's "Loaded image: ..." lines.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { loadImages } from '../../../client/image-archive-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

export function loadCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'load', usage: '[OPTIONS]', description: 'Load an image from a tar archive or STDIN' })
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output') as BerthCommand;
  return bindAction<{ input?: string; quiet?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    let tar: Readable;
    if (f.input) {
      const file = createReadStream(f.input);
      await new Promise<void>((resolve, reject) => {
        file.once('open', () => resolve());
        file.once('error', (e: NodeJS.ErrnoException) =>
          reject(new StatusError(1, `open ${f.input}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`)));
      });
      tar = file;
    } else {
      if (cli.io.stdin.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
      tar = cli.io.stdin;
    }
    await loadImages(cli.client(), tar, {
      quiet: f.quiet,
      onMessage: (m) => {
        if (m.stream) cli.out(m.stream);
        else if (m.status && !f.quiet) cli.out(`${m.status}\n`);
      },
    });
  });
}
