// A writer-preferring async read/write lock: registry writes (manifest put, blob link) share it; online GC's
// mark-and-sweep takes it exclusively, so nothing gets linked to a blob between being judged garbage and deleted.
export class RwLock {
  private readers = 0;
  private writer = false;
  private waitingWriters: (() => void)[] = [];
  private waitingReaders: (() => void)[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.waitingWriters.length > 0) {
      await new Promise<void>((r) => this.waitingReaders.push(r));
    } else {
      this.readers++;
    }
    try {
      return await fn();
    } finally {
      this.readers--;
      this.wake();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writer || this.readers > 0) {
      await new Promise<void>((r) => this.waitingWriters.push(r));
    } else {
      this.writer = true;
    }
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.wake();
    }
  }

  private wake(): void {
    if (this.writer || this.readers > 0) return;
    const w = this.waitingWriters.shift();
    if (w !== undefined) {
      this.writer = true;
      w();
      return;
    }
    const rs = this.waitingReaders.splice(0);
    this.readers += rs.length;
    for (const r of rs) r();
  }
}
