// berth pull [-q] [--platform] [-a] NAME[:TAG|@DIGEST]: POST /images/create with the stored credentials; prints
// docker's non-terminal progress (one line per state change) and then the image name.
import { pullWithAuth } from '../../../client/distribution-api.ts';
import type { JsonMessage } from '../../../spec/docker-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { encodeRegistryAuth, getAuth, registryOfImage } from '../../docker-config.ts';
import { bindAction } from '../../run-action.ts';
import { parseImageRef } from '../image-ref.ts';

/** docker's plain (non-tty) rendering of progress messages: state changes only. */
export function progressPrinter(write: (s: string) => void): (m: JsonMessage) => void {
  return (m) => {
    if (!m.status || (m.progressDetail && m.progress)) return;
    write(m.id ? `${m.id}: ${m.status}\n` : `${m.status}\n`);
  };
}

export function pullCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'pull', usage: '[OPTIONS] NAME[:TAG|@DIGEST]', description: 'Download an image from a registry' })
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output') as BerthCommand;
  return bindAction<{ allTags?: boolean; platform?: string; quiet?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    const ref = parseImageRef(args[0]!);
    if (!args[0]!.includes(':') && !args[0]!.includes('@') && !f.quiet) cli.out('Using default tag: latest\n');
    const auth = encodeRegistryAuth(getAuth(registryOfImage(args[0]!), cli.io.env));
    await pullWithAuth(cli.client(), { fromImage: ref.repository, tag: ref.digest ?? ref.tag, platform: f.platform }, {
      auth,
      onMessage: f.quiet ? undefined : progressPrinter((s) => cli.out(s)),
    });
    cli.out(`${ref.repository.startsWith('docker.io/') ? ref.familiar : args[0]!.includes(':') || args[0]!.includes('@') ? args[0]! : `${args[0]}:latest`}\n`);
  });
}
