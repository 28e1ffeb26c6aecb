// Per-invocation state shared by commands: the streams, and one lazily-made Engine client for the chosen host.
import { EngineClient } from '../client/engine-client.ts';
import type { CliIo } from './cli-io.ts';

export class Cli {
  readonly io: CliIo;
  /** -H/--host from the command line; read when the client is first needed. */
  hostFlag: () => string | undefined;
  /** The status main() exits with; set by the command's action. */
  exitCode = 0;
  private engine?: EngineClient;

  constructor(io: CliIo, hostFlag: () => string | undefined = () => undefined) {
    this.io = io;
    this.hostFlag = hostFlag;
  }

  client(): EngineClient {
    this.engine ??= new EngineClient({ host: this.hostFlag(), env: this.io.env });
    return this.engine;
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  close(): void {
    this.engine?.close();
  }
}
