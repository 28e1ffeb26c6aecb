// --sig-proxy: signals the CLI receives are sent to the container instead of ending the CLI (docker's ForwardAllSignals).
import type { CliIo } from '../cli-io.ts';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Installs the forwarders; returns the function that removes them. */
export function proxySignals(io: CliIo, send: (signal: NodeJS.Signals) => Promise<void>): () => void {
  const offs = FORWARDED.map((sig) => io.onSignal(sig, () => void send(sig).catch(() => {})));
  return () => {
    for (const off of offs) off();
  };
}
