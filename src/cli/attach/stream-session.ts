// Pumps a hijacked attach/exec connection: output to our stdout/stderr (raw for a tty, demultiplexed otherwise),
// our stdin to the socket (half-closing at EOF), watching for the detach key sequence in tty mode.
import { spawnSync } from 'node:child_process';
import type { Duplex, Readable } from 'node:stream';
import { demuxTo, waitDrain } from '../../client/stdcopy.ts';
import type { CliIo } from '../cli-io.ts';

export interface StreamSessionOptions {
  socket: Duplex;
  /** Bytes the HTTP parser read past the 101 response. */
  head?: Buffer;
  tty: boolean;
  /** Pipe our stdin into the container. */
  stdin: boolean;
  /** Detach sequence to watch for on stdin (tty or not, as docker's escape proxy does). */
  detachKeys?: number[];
}

export type SessionEnd = 'closed' | 'detached';

/** Resolves when the daemon closes the output side (process exited) or the user typed the detach keys. */
export async function runStreamSession(io: CliIo, o: StreamSessionOptions): Promise<SessionEnd> {
  const { socket } = o;
  let detached = false;
  let stopInput = () => {};

  const restoreTerminal = o.tty && o.stdin ? enterRawMode(io) : () => {};
  const detachPromise = new Promise<SessionEnd>((resolve) => {
    if (!o.stdin) {
      // Nothing to send: half-close at once so the daemon sees stdin EOF (docker does the same).
      socket.end();
      return;
    }
    stopInput = pumpInput(io.stdin, socket, o.detachKeys ?? [], () => {
      detached = true;
      resolve('detached');
    });
  });

  const output = (async (): Promise<SessionEnd> => {
    const source = withHead(o.head, socket);
    if (o.tty) {
      for await (const chunk of source) {
        if (!io.stdout.write(chunk)) await waitDrain(io.stdout);
      }
    } else {
      await demuxTo(source, io.stdout, io.stderr);
    }
    return 'closed';
  })();

  try {
    const end = await Promise.race([output, detachPromise]);
    return detached ? 'detached' : end;
  } finally {
    stopInput();
    restoreTerminal();
    if (detached) socket.destroy();
  }
}

async function* withHead(head: Buffer | undefined, socket: Duplex): AsyncGenerator<Buffer> {
  if (head && head.length) yield head;
  try {
    for await (const chunk of socket) yield chunk as Buffer;
  } catch (e) {
    // The daemon may reset the connection right after the last frame; what we have read is complete.
    if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
  }
}

function enterRawMode(io: CliIo): () => void {
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) return () => {};
  stdin.setRawMode(true);
  // libuv's raw mode keeps output post-processing (ONLCR), so the container's "\r\n" would reach the terminal as
  // "\r\r\n" and a bare "\n" from a full-screen program would also return the cursor. docker's raw mode is
  // cfmakeraw's; finish the job with stty. setRawMode(false) restores the termios libuv saved, OPOST included.
  const fd = (stdin as { fd?: unknown }).fd;
  if (typeof fd === 'number') {
    spawnSync('stty', ['-opost', '-inlcr', '-igncr', '-ignbrk', '-parmrk', '-echonl'], { stdio: [fd, 'ignore', 'ignore'] });
  }
  return () => {
    stdin.setRawMode?.(false);
  };
}

/** Copies stdin to the socket; returns a stopper. Calls onDetach (and stops) when the key sequence is seen. */
function pumpInput(stdin: Readable, socket: Duplex, keys: number[], onDetach: () => void): () => void {
  let matched = 0;
  let held: number[] = [];
  const onData = (chunk: Buffer | string) => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (keys.length === 0) {
      if (!socket.write(buf)) stdin.pause();
      return;
    }
    // Hold back a partial match of the detach sequence; flush it if the next byte breaks the match.
    const out: number[] = [];
    for (const byte of buf) {
      if (byte === keys[matched]) {
        held.push(byte);
        matched++;
        if (matched === keys.length) {
          if (out.length) socket.write(Buffer.from(out));
          stop();
          onDetach();
          return;
        }
        continue;
      }
      if (held.length) out.push(...held);
      held = [];
      matched = 0;
      if (byte === keys[0]) {
        held.push(byte);
        matched = 1;
      } else out.push(byte);
    }
    if (out.length && !socket.write(Buffer.from(out))) stdin.pause();
  };
  const onDrain = () => stdin.resume();
  const onEnd = () => {
    if (held.length) socket.write(Buffer.from(held));
    socket.end();
  };
  const stop = () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    socket.off('drain', onDrain);
    stdin.pause();
  };
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  socket.on('drain', onDrain);
  stdin.resume();
  return stop;
}
