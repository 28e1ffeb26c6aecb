// berth exec: create an exec, start it hijacked (or detached), exit with its ExitCode.
import { inspectContainer } from '../../../client/container-api.ts';
import { createExec, inspectExec, resizeExec, startExecAttached, startExecDetached } from '../../../client/exec-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { DEFAULT_DETACH_KEYS, parseDetachKeys, readLinesFile, resolveEnv } from '../../options/value-parsers.ts';
import { bindAction } from '../../run-action.ts';
import { runStreamSession } from '../../attach/stream-session.ts';
import { monitorTtySize, terminalSize } from '../../attach/tty-size.ts';

interface ExecFlags {
  detach?: boolean;
  detachKeys?: string;
  env?: string[];
  envFile?: string[];
  interactive?: boolean;
  privileged?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
}

export function execCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({
    name: 'exec',
    usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    interspersed: false,
  })
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-e, --env <list>', 'Set environment variables', collect)
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container') as BerthCommand;
  return bindAction<ExecFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 2);
    const [ref, ...command] = args as [string, ...string[]];
    const client = cli.client();
    let keys: number[];
    let env: string[];
    try {
      keys = parseDetachKeys(f.detachKeys ?? DEFAULT_DETACH_KEYS);
      env = resolveEnv([...(f.envFile ?? []).flatMap(readLinesFile), ...(f.env ?? [])], cli.io.env);
    } catch (e) {
      throw new StatusError(1, (e as Error).message);
    }
    const tty = !!f.tty;
    const attachStdin = !!f.interactive && !f.detach;
    if (tty && attachStdin && !cli.io.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    // docker checks the container first so "No such container" comes before any exec error.
    await inspectContainer(client, ref);
    const size = tty ? terminalSize(cli.io) : undefined;
    const { Id: execId } = await createExec(client, ref, {
      User: f.user ?? '',
      Privileged: !!f.privileged,
      Tty: tty,
      ConsoleSize: size ? [size.h, size.w] : null,
      AttachStdin: attachStdin,
      AttachStderr: !f.detach,
      AttachStdout: !f.detach,
      DetachKeys: f.detachKeys ?? '',
      Env: env.length ? env : null,
      WorkingDir: f.workdir ?? '',
      Cmd: command,
    });
    if (f.detach) {
      await startExecDetached(client, execId, { tty });
      return 0;
    }
    const { socket, head } = await startExecAttached(client, execId, { tty, consoleSize: size ? [size.h, size.w] : undefined });
    const stopResize = tty && cli.io.stdout.isTTY ? monitorTtySize(cli.io, (s) => resizeExec(client, execId, s)) : () => {};
    try {
      const end = await runStreamSession(cli.io, { socket, head, tty, stdin: attachStdin, detachKeys: attachStdin ? keys : undefined });
      if (end === 'detached') return 0;
    } finally {
      stopResize();
    }
    const info = await inspectExec(client, execId);
    return info.ExitCode ?? 0;
  });
}
