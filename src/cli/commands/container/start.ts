// berth start: plain start of each container, or with -a/-i attach to one and exit with its status.
import type { Duplex } from 'node:stream';
import {
  attachContainer,
  inspectContainer,
  killContainer,
  resizeContainer,
  startContainer,
  waitContainer,
} from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../options/value-parsers.ts';
import { bindAction } from '../../run-action.ts';
import { proxySignals } from '../../attach/signal-proxy.ts';
import { runStreamSession } from '../../attach/stream-session.ts';
import { monitorTtySize } from '../../attach/tty-size.ts';
import { forEachRef } from '../for-each-ref.ts';

interface StartFlags {
  attach?: boolean;
  interactive?: boolean;
  detachKeys?: string;
}

export function startCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'start', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Start one or more stopped containers' })
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-i, --interactive', "Attach container's STDIN") as BerthCommand;
  return bindAction<StartFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1);
    if (!f.attach && !f.interactive) {
      return forEachRef(cli, args, (ref) => startContainer(cli.client(), ref), {
        summary: (failed) => `Error: failed to start containers: ${failed.join(', ')}`,
      });
    }
    if (args.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
    return startAttached(cli, args[0]!, f);
  });
}

async function startAttached(cli: Cli, ref: string, f: StartFlags): Promise<number> {
  const client = cli.client();
  const info = await inspectContainer(client, ref);
  const tty = !!info.Config.Tty;
  const withStdin = !!f.interactive && !!info.Config.OpenStdin;
  let keys: number[];
  try {
    keys = parseDetachKeys(f.detachKeys ?? DEFAULT_DETACH_KEYS);
  } catch (e) {
    throw new StatusError(1, (e as Error).message);
  }
  const attached: { socket: Duplex; head: Buffer } = await attachContainer(client, info.Id, {
    stdin: withStdin,
    stdout: true,
    stderr: true,
    detachKeys: f.detachKeys,
  });
  const waiter = await waitContainer(client, info.Id, { condition: info.HostConfig.AutoRemove ? 'removed' : 'next-exit' });
  try {
    await startContainer(client, info.Id);
  } catch (e) {
    attached.socket.destroy();
    throw new StatusError(1, daemonErrorText(e));
  }
  const stopResize = tty && cli.io.stdout.isTTY ? monitorTtySize(cli.io, (s) => resizeContainer(client, info.Id, s)) : () => {};
  const stopSignals = !tty ? proxySignals(cli.io, (sig) => killContainer(client, info.Id, sig)) : () => {};
  try {
    const end = await runStreamSession(cli.io, { socket: attached.socket, head: attached.head, tty, stdin: withStdin, detachKeys: withStdin ? keys : undefined });
    if (end === 'detached') return 0;
    return (await waiter.result).StatusCode;
  } finally {
    stopResize();
    stopSignals();
  }
}
