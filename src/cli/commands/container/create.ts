// berth create: like run without starting; prints the new container's id.
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand } from '../../berth-command.ts';
import { ArgCountError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { addContainerFlags, buildCreateRequest } from '../../options/container-flags.ts';
import type { ContainerFlags } from '../../options/container-flags.ts';
import { bindAction } from '../../run-action.ts';
import { terminalSize } from '../../attach/tty-size.ts';
import { createWithPull, parsePullPolicy } from './create-with-pull.ts';
import { runStyleError } from './run.ts';

export function createCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({
    name: 'create',
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create a new container',
    interspersed: false,
  });
  addContainerFlags(cmd, { run: false });
  return bindAction<ContainerFlags>(cmd, cli, async (args, f, c) => {
    if (args.length < 1) throw new ArgCountError(`'${c.commandPath()}' requires at least 1 argument`, 'See');
    const [image, ...command] = args as [string, ...string[]];
    let req;
    let pull;
    try {
      pull = parsePullPolicy(f.pull);
      const size = f.tty ? terminalSize(cli.io) : undefined;
      req = buildCreateRequest(f, image, command, { env: cli.io.env, consoleSize: size ? [size.h, size.w] : undefined });
    } catch (e) {
      throw runStyleError(c, e instanceof Error ? e.message : String(e), 125);
    }
    try {
      const id = await createWithPull(cli, req, { pull, quiet: f.quiet, cidfile: f.cidfile });
      cli.out(`${id}\n`);
      return 0;
    } catch (e) {
      throw runStyleError(c, daemonErrorText(e), 125);
    }
  });
}
