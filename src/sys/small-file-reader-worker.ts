// Worker thread behind small-file-reader.ts: reads cgroup and /proc files with pread on cached descriptors.
// Synchronous calls are fine here: this thread does nothing else, and the daemon's event loop never waits on it.
import { closeSync, openSync, readSync } from 'node:fs'; // sync-ok: dedicated worker thread, off the event loop
import { parentPort } from 'node:worker_threads';

const fds = new Map<string, { fd: number; used: number }>();
const buf = Buffer.allocUnsafe(1 << 16);
let tick = 0;

function readOne(path: string): string | null {
  let entry = fds.get(path);
  try {
    if (!entry) {
      entry = { fd: openSync(path, 'r'), used: tick }; // sync-ok: worker thread
      fds.set(path, entry);
    }
    entry.used = tick;
    // Files here are seq_files: reading at offset 0 regenerates them, so one descriptor serves every tick.
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const n = readSync(entry.fd, buf, 0, buf.length, pos); // sync-ok: worker thread
      if (n <= 0) break;
      parts.push(Buffer.from(buf.subarray(0, n)));
      pos += n;
      if (n < buf.length) break;
    }
    return Buffer.concat(parts).toString('utf8');
  } catch {
    // The cgroup or process went away: forget the descriptor so a new container at this path reopens.
    if (entry) {
      try {
        closeSync(entry.fd); // sync-ok: worker thread
      } catch {}
      fds.delete(path);
    }
    return null;
  }
}

parentPort!.on('message', (msg: { id: number; paths: string[] }) => {
  tick++;
  const results = msg.paths.map(readOne);
  // Descriptors unused for a while belong to containers nobody watches any more.
  if (tick % 64 === 0) {
    for (const [p, e] of fds) {
      if (tick - e.used > 64) {
        try {
          closeSync(e.fd); // sync-ok: worker thread
        } catch {}
        fds.delete(p);
      }
    }
  }
  parentPort!.postMessage({ id: msg.id, results });
});
