// berth attach: connect our stdio to a running container's.
import {
  attachContainer,
  inspectContainer,
  killContainer,
  resizeContainer,
  waitContainer,
} from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../options/value-parsers.ts';
import { bindAction } from '../../run-action.ts';
import { proxySignals } from '../../attach/signal-proxy.ts';
import { runStreamSession } from '../../attach/stream-session.ts';
import { monitorTtySize } from '../../attach/tty-size.ts';

interface AttachFlags {
  stdin?: boolean;
  sigProxy?: boolean;
  detachKeys?: string;
}

export function attachCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'attach', usage: '[OPTIONS] CONTAINER', description: "Attach local standard input, output, and error streams to a running container" })
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy', 'Proxy all received signals to the process', true)
    .option('--no-sig-proxy', 'Do not proxy signals') as BerthCommand;
  return bindAction<AttachFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    const client = cli.client();
    const info = await inspectContainer(client, args[0]!);
    if (!info.State.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
    if (info.State.Paused) throw new StatusError(1, 'You cannot attach to a paused container, unpause it first');
    if (info.State.Restarting) throw new StatusError(1, 'You cannot attach to a restarting container, wait until it is running');
    const tty = !!info.Config.Tty;
    const withStdin = f.stdin !== false && !!info.Config.OpenStdin;
    if (tty && withStdin && !cli.io.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    let keys: number[];
    try {
      keys = parseDetachKeys(f.detachKeys ?? DEFAULT_DETACH_KEYS);
    } catch (e) {
      throw new StatusError(1, (e as Error).message);
    }
    const { socket, head } = await attachContainer(client, info.Id, {
      stdin: withStdin,
      stdout: true,
      stderr: true,
      detachKeys: f.detachKeys,
    });
    const stopResize = tty && cli.io.stdout.isTTY ? monitorTtySize(cli.io, (s) => resizeContainer(client, info.Id, s)) : () => {};
    const stopSignals = f.sigProxy !== false && !tty ? proxySignals(cli.io, (sig) => killContainer(client, info.Id, sig)) : () => {};
    try {
      const end = await runStreamSession(cli.io, { socket, head, tty, stdin: withStdin, detachKeys: withStdin ? keys : undefined });
      // docker 28's attach reports the detach as an error: "read escape sequence", status 1.
      if (end === 'detached') throw new StatusError(1, 'read escape sequence');
      const w = await waitContainer(client, info.Id, { condition: 'not-running' });
      return (await w.result).StatusCode;
    } finally {
      stopResize();
      stopSignals();
    }
  });
}
