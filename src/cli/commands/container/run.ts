// berth run: create (pulling if needed), attach, wait, start, stream, exit with the container's status.
import type { Duplex } from 'node:stream';
import {
  attachContainer,
  killContainer,
  resizeContainer,
  startContainer,
  waitContainer,
} from '../../../client/container-api.ts';
import type { ContainerWaitResponse } from '../../../spec/docker-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand } from '../../berth-command.ts';
import { ArgCountError, StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { addContainerFlags, buildCreateRequest } from '../../options/container-flags.ts';
import type { ContainerFlags } from '../../options/container-flags.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../options/value-parsers.ts';
import { bindAction } from '../../run-action.ts';
import { proxySignals } from '../../attach/signal-proxy.ts';
import { runStreamSession } from '../../attach/stream-session.ts';
import { monitorTtySize, terminalSize } from '../../attach/tty-size.ts';
import { createWithPull, parsePullPolicy } from './create-with-pull.ts';

/** docker's "docker: <msg>\n\nRun 'docker run --help' for more information" with a status. */
export function runStyleError(cmd: BerthCommand, message: string, code: number): StatusError {
  return new StatusError(code, `berth: ${message}\n\nRun '${cmd.commandPath()} --help' for more information`);
}

/** docker's runStartContainerErr: a missing executable is 127, a permission problem 126, the rest 125. */
export function startErrorStatus(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

export function runCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({
    name: 'run',
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create and run a new container from an image',
    interspersed: false,
  });
  addContainerFlags(cmd, { run: true });
  return bindAction<ContainerFlags>(cmd, cli, (args, f, c) => runContainer(cli, c, args, f));
}

export async function runContainer(cli: Cli, cmd: BerthCommand, args: string[], f: ContainerFlags): Promise<number> {
  if (args.length < 1) throw new ArgCountError(`'${cmd.commandPath()}' requires at least 1 argument`, 'See');
  const [image, ...command] = args as [string, ...string[]];
  if (f.detach && f.attach?.length) throw new StatusError(125, 'conflicting options: cannot specify both --attach and --detach');

  const client = cli.client();
  let req;
  let detachKeys: number[];
  let pull;
  try {
    detachKeys = parseDetachKeys(f.detachKeys ?? DEFAULT_DETACH_KEYS);
    pull = parsePullPolicy(f.pull);
    const size = f.tty ? terminalSize(cli.io) : undefined;
    req = buildCreateRequest(f, image, command, {
      env: cli.io.env,
      consoleSize: size ? [size.h, size.w] : undefined,
    });
  } catch (e) {
    throw runStyleError(cmd, e instanceof Error ? e.message : String(e), 125);
  }
  const body = req.body;
  if (f.detach) {
    body.AttachStdin = body.AttachStdout = body.AttachStderr = false;
    body.StdinOnce = false;
  } else {
    body.StdinOnce = !!(body.OpenStdin && body.AttachStdin);
    if (body.Tty && body.AttachStdin && !cli.io.stdin.isTTY) {
      throw new StatusError(1, 'the input device is not a TTY');
    }
  }

  let id: string;
  try {
    id = await createWithPull(cli, req, { pull, quiet: f.quiet, cidfile: f.cidfile });
  } catch (e) {
    throw runStyleError(cmd, daemonErrorText(e), 125);
  }

  if (f.detach) {
    try {
      await startContainer(client, id);
    } catch (e) {
      const text = daemonErrorText(e);
      throw runStyleError(cmd, text, startErrorStatus(text));
    }
    cli.out(`${id}\n`);
    return 0;
  }

  const tty = !!body.Tty;
  let attached: { socket: Duplex; head: Buffer } | undefined;
  let waiter: { result: Promise<ContainerWaitResponse> };
  try {
    if (body.AttachStdin || body.AttachStdout || body.AttachStderr) {
      attached = await attachContainer(client, id, {
        stream: true,
        stdin: body.AttachStdin,
        stdout: body.AttachStdout,
        stderr: body.AttachStderr,
        detachKeys: f.detachKeys,
      });
    }
    // Registered before start so a fast exit cannot be missed; condition=removed lets --rm finish first.
    waiter = await waitContainer(client, id, { condition: f.rm ? 'removed' : 'next-exit' });
  } catch (e) {
    attached?.socket.destroy();
    throw runStyleError(cmd, daemonErrorText(e), 125);
  }

  try {
    await startContainer(client, id);
  } catch (e) {
    attached?.socket.destroy();
    const text = daemonErrorText(e);
    throw runStyleError(cmd, text, startErrorStatus(text));
  }

  const stopResize = tty && cli.io.stdout.isTTY ? monitorTtySize(cli.io, (s) => resizeContainer(client, id, s)) : () => {};
  // docker run proxies signals with a tty too: `run -t` (no -i) leaves the terminal cooked, so Ctrl-C is our SIGINT.
  const stopSignals = f.sigProxy !== false ? proxySignals(cli.io, (sig) => killContainer(client, id, sig)) : () => {};
  try {
    if (attached) {
      const end = await runStreamSession(cli.io, {
        socket: attached.socket,
        head: attached.head,
        tty,
        stdin: !!body.AttachStdin,
        detachKeys: body.AttachStdin ? detachKeys : undefined,
      });
      if (end === 'detached') return 0;
    }
    let status: ContainerWaitResponse;
    try {
      status = await waiter.result;
    } catch (e) {
      cli.err(`${daemonErrorText(e)}\n`);
      return 125;
    }
    return status.StatusCode;
  } finally {
    stopResize();
    stopSignals();
  }
}
