// berth inspect: each reference is tried as a container, then as an image (or only --type), like docker.
import { ApiError } from '../../../client/engine-client.ts';
import { inspectContainer } from '../../../client/container-api.ts';
import { inspectImage } from '../../../client/image-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { bindAction } from '../../run-action.ts';
import { printInspect } from '../inspect-output.ts';

type Kind = 'container' | 'image';

interface InspectFlags {
  format?: string;
  size?: boolean;
  type?: string;
}

export function inspectCommand(cli: Cli, opts: { name?: string; only?: Kind } = {}): BerthCommand {
  const noun = opts.only === 'image' ? 'IMAGE [IMAGE...]' : opts.only === 'container' ? 'CONTAINER [CONTAINER...]' : 'NAME|ID [NAME|ID...]';
  const cmd = newCommand({ name: opts.name ?? 'inspect', usage: `[OPTIONS] ${noun}`, description: 'Return low-level information on Docker objects' })
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-s, --size', 'Display total file sizes if the type is container') as BerthCommand;
  if (!opts.only) cmd.option('--type <string>', 'Only inspect objects of the given type');
  return bindAction<InspectFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1);
    const type = (opts.only ?? f.type) as Kind | undefined;
    if (type && type !== 'container' && type !== 'image') {
      throw new StatusError(1, `"${type}" is not a valid value for --type`);
    }
    const kinds: Kind[] = type ? [type] : ['container', 'image'];
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const ref of args) {
      let hit: unknown;
      let lastErr: unknown;
      let failure: string | undefined;
      for (const kind of kinds) {
        try {
          hit = kind === 'container' ? await inspectContainer(cli.client(), ref, { size: f.size }) : await inspectImage(cli.client(), ref);
          break;
        } catch (e) {
          // docker goes on to the next reference after any error (an ambiguous prefix, say), not only "not found".
          if (!(e instanceof ApiError) || e.status !== 404) {
            failure = daemonErrorText(e);
            break;
          }
          lastErr = e;
        }
      }
      if (failure !== undefined) errors.push(failure);
      else if (hit !== undefined) found.push(hit);
      // With a type docker passes the daemon's own answer through; without one it says "No such object".
      else if (type && lastErr !== undefined) errors.push(daemonErrorText(lastErr));
      else errors.push(`Error: No such object: ${ref}`);
    }
    errors.push(...printInspect(cli, found, f.format));
    if (errors.length) throw new StatusError(1, errors.join('\n'));
  });
}
