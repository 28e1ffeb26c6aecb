// berth import FILE|- [REPOSITORY[:TAG]]: streams a rootfs tarball to POST /images/create?fromSrc=-.
import { createReadStream } from 'node:fs';
import { importImageFromUrl } from '../../../client/container-fs-api.ts';
import { importImage } from '../../../client/image-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { splitRepoTag } from './tag.ts';

export function importCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'import', usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]', description: 'Import the contents from a tarball to create a filesystem image' })
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect)
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable') as BerthCommand;
  return bindAction<{ change?: string[]; message?: string; platform?: string }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 2);
    const src = args[0]!;
    const ref = args[1] ? splitRepoTag(args[1]) : undefined;
    if (/^https?:\/\//i.test(src)) {
      const messages = await importImageFromUrl(cli.client(), src, { repo: ref?.repo, tag: ref?.tag, changes: f.change, message: f.message, platform: f.platform });
      for (const m of messages) if (m.status) cli.out(`${m.status}\n`);
      return;
    }
    const tar = src === '-' ? cli.io.stdin : createReadStream(src);
    if (src !== '-') {
      await new Promise<void>((resolve, reject) => {
        tar.once('open', () => resolve());
        tar.once('error', (e: Error) => reject(new StatusError(1, `open ${src}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : e.message}`)));
      });
    }
    const messages = await importImage(cli.client(), tar, {
      repo: ref?.repo,
      tag: ref?.tag,
      changes: f.change,
      message: f.message,
      platform: f.platform,
    });
    // The daemon's last status line carries the new image id.
    for (const m of messages) if (m.status) cli.out(`${m.status}\n`);
  });
}
