// Write-behind for a file written front to back (pull downloads and the blobs they produce): write() queues the chunk
// and returns at once while fewer than `limit` bytes are pending; one writev at a time drains the queue, so small
// network chunks cost one syscall and one threadpool round trip per batch instead of one each, and the producer never
// waits for the disk between chunks. Chunks must not be modified after write(). A failed write fails the next call.

import type { FileHandle } from 'node:fs/promises';

export class WriteBehind {
  private readonly fh: FileHandle;
  private readonly limit: number;
  private queue: Buffer[] = [];
  private pending = 0;
  private writing = false;
  private error: unknown;
  private readonly waiters: (() => void)[] = [];

  constructor(fh: FileHandle, limit = 4 << 20) {
    this.fh = fh;
    this.limit = limit;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.error !== undefined) throw this.error;
    this.queue.push(chunk);
    this.pending += chunk.length;
    this.pump();
    if (this.pending > this.limit) await this.settle(this.limit);
  }

  /** Waits until everything queued is written (or throws the write error). */
  flush(): Promise<void> {
    return this.settle(0);
  }

  private pump(): void {
    if (this.writing || this.queue.length === 0 || this.error !== undefined) return;
    const batch = this.queue;
    this.queue = [];
    let n = 0;
    for (const b of batch) n += b.length;
    this.writing = true;
    const done = batch.length === 1 ? this.fh.write(batch[0]!) : this.fh.writev(batch);
    done.then(
      () => {
        this.pending -= n;
        this.writing = false;
        this.pump();
        this.wake();
      },
      (e: unknown) => {
        this.error = e;
        this.writing = false;
        this.wake();
      },
    );
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async settle(limit: number): Promise<void> {
    while (this.pending > limit && this.error === undefined) await new Promise<void>((r) => this.waiters.push(r));
    if (this.error !== undefined) throw this.error;
  }
}
