// Wakes a follower when a directory changes, or after a poll interval anyway: fs.watch can miss
// events (and is unavailable on some filesystems), so the timer is the safety net, not the watch.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';

export class ChangeWaiter {
  #watcher: FSWatcher | undefined;
  #wake: (() => void) | undefined;
  // Set by events that arrive while nobody waits, so a change during a read is not slept through.
  #dirty = false;
  #pollMs: number;
  #signal: AbortSignal | undefined;

  constructor(dir: string, opts: { pollMs: number; signal?: AbortSignal }) {
    this.#pollMs = opts.pollMs;
    this.#signal = opts.signal;
    try {
      this.#watcher = watch(dir, { persistent: false }, () => this.#poke());
      this.#watcher.on('error', () => this.#closeWatcher());
    } catch {
      this.#watcher = undefined; // polling alone still works
    }
  }

  #poke(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  #closeWatcher(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /** Resolves on the next change, after the poll interval, or on abort; never rejects. */
  wait(): Promise<void> {
    if (this.#dirty || this.#signal?.aborted) {
      this.#dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const signal = this.#signal;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#wake = undefined;
        this.#dirty = false;
        resolve();
      };
      const timer = setTimeout(done, this.#pollMs);
      signal?.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  close(): void {
    this.#closeWatcher();
    this.#wake?.();
  }
}
