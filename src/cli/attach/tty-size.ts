// Keeps the container's (or exec's) tty the size of ours: once after start, then on every terminal resize.
import type { CliIo } from '../cli-io.ts';

export function terminalSize(io: CliIo): { h: number; w: number } | undefined {
  const out = io.stdout;
  if (!out.isTTY || !out.rows || !out.columns) return undefined;
  return { h: out.rows, w: out.columns };
}

/** Sends the current size now and on each 'resize' of stdout; returns the stopper. */
export function monitorTtySize(io: CliIo, resize: (size: { h: number; w: number }) => Promise<void>): () => void {
  const send = () => {
    const size = terminalSize(io);
    if (size) void resize(size).catch(() => {});
  };
  send();
  io.stdout.on('resize', send);
  return () => {
    io.stdout.off('resize', send);
  };
}
