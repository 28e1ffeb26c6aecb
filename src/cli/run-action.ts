// Binds a command's handler: positional args and parsed options in, exit status out (recorded on the Cli).
import type { BerthCommand } from './berth-command.ts';

export type Handler<O> = (args: string[], opts: O, cmd: BerthCommand) => Promise<number | void> | number | void;

export interface ExitSink {
  exitCode: number;
}

export function bindAction<O>(cmd: BerthCommand, sink: ExitSink, handler: Handler<O>): BerthCommand {
  cmd.action(async (args: string[] | undefined) => {
    const code = await handler(args ?? [], cmd.opts() as O, cmd);
    sink.exitCode = code ?? 0;
  });
  return cmd;
}
