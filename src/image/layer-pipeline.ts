// One pass over a pulled layer: the compressed bytes go in as they arrive (after the caller wrote and hashed them for
// the resumable partial), are decompressed (gzip/zstd in node:zlib on the libuv threadpool, xz/bzip2 through their
// CLIs; detected by magic bytes) and the uncompressed stream is teed into
//   (a) the snapshotter's stageLayer: GNU tar unpacks it into a private staging dir while the same bytes are hashed
//       (the diffID) and scanned for whiteouts;
//   (b) a content-store blob writer: the uncompressed tar `docker save` needs byte-identical, committed under the
//       diffID once it is verified.
// finish() checks the diffID against the image config and commits the blob; the staged layer becomes visible only
// when the caller commits it (in layer order). Any failure or abort kills tar and removes both the staged dir and the
// blob file: nothing of a failed layer is left.

import type { Readable, Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { invalidArgument } from '../base/errors.ts';
import type { BlobFileWriter, ContentStore } from '../store/content/content-store.ts';
import { decompressor, detectCompression } from '../store/diff/decompress.ts';
import type { Snapshotter, StagedLayer } from '../store/snapshot/snapshotter.ts';

/** Enough for every magic number decompress.ts knows. */
const MAGIC_BYTES = 6;

export class LayerPipeline {
  /** Compressed bytes taken so far. */
  fed = 0;
  /** Uncompressed bytes produced so far. */
  produced = 0;
  private head: Buffer[] = [];
  private headLength = 0;
  private input: PassThrough | undefined;
  private output: Readable | undefined;
  private consumer: Promise<void> | undefined;
  private readonly toTar = new PassThrough({ highWaterMark: 1 << 20 });
  private readonly staging: Promise<StagedLayer>;
  private readonly blob: BlobFileWriter;
  private readonly kill = new AbortController();
  private failure: unknown;
  private readonly wakers = new Set<() => void>();
  private readonly outer: AbortSignal | undefined;
  private readonly onOuterAbort = () => this.fail(this.outer!.reason ?? new Error('aborted'));
  private finished = false;

  private constructor(snapshotter: Snapshotter, blob: BlobFileWriter, signal: AbortSignal | undefined) {
    this.blob = blob;
    this.outer = signal;
    signal?.addEventListener('abort', this.onOuterAbort, { once: true });
    this.staging = snapshotter.stageLayer({ tar: this.toTar, signal: this.kill.signal });
    this.staging.catch((e: unknown) => this.fail(e));
  }

  static async start(o: { snapshotter: Snapshotter; content: ContentStore; signal?: AbortSignal }): Promise<LayerPipeline> {
    o.signal?.throwIfAborted();
    return new LayerPipeline(o.snapshotter, await o.content.writer(), o.signal);
  }

  /** The next compressed bytes, in order. Resolves when they are taken (backpressure); rejects once anything failed. */
  async write(chunk: Buffer): Promise<void> {
    this.check();
    this.fed += chunk.length;
    if (!this.input) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength < MAGIC_BYTES) return;
      chunk = this.open();
    }
    if (!this.input!.write(chunk)) await this.drained(this.input!);
    this.check();
  }

  /**
   * End of the compressed stream: waits for tar, checks the diffID (`expectedDiffId`), commits the uncompressed blob
   * and returns the staged layer (for snapshotter.commitStaged). On failure everything is removed.
   */
  async finish(expectedDiffId: string): Promise<StagedLayer> {
    try {
      this.check();
      if (this.input) this.input.end();
      else {
        const first = this.open();
        this.input!.end(first);
      }
      await this.consumer;
      const staged = await this.staging;
      this.check();
      if (staged.diffId !== expectedDiffId) {
        throw invalidArgument(`digest mismatch: got ${staged.diffId}, expected ${expectedDiffId}`, 'digest_mismatch');
      }
      await this.blob.commit({ digest: staged.diffId, size: staged.tarSize });
      this.finished = true;
      this.outer?.removeEventListener('abort', this.onOuterAbort);
      return staged;
    } catch (e) {
      await this.abort(e);
      throw this.failure ?? e;
    }
  }

  /** Stops everything and removes what was written (staged dir, blob file). Idempotent. */
  async abort(reason?: unknown): Promise<void> {
    if (this.finished) return;
    this.fail(reason ?? new Error('layer pipeline aborted'));
    this.outer?.removeEventListener('abort', this.onOuterAbort);
    await this.consumer?.catch(() => {});
    await this.staging.then((s) => s.discard(), () => {});
    await this.blob.abort();
  }

  /** Detects the compression from the first bytes and starts the decompressor and the tee; returns those bytes. */
  private open(): Buffer {
    const first = Buffer.concat(this.head);
    this.head = [];
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    this.input = input;
    const out = decompressor(detectCompression(first), input, { signal: this.kill.signal });
    this.output = out;
    this.consumer = this.tee(out);
    this.consumer.catch((e: unknown) => this.fail(e));
    return first;
  }

  private async tee(out: Readable): Promise<void> {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      this.check();
      this.produced += chunk.length;
      const written = this.blob.write(chunk);
      written.catch(() => {});
      if (!this.toTar.write(chunk)) await this.drained(this.toTar);
      await written;
    }
    this.check();
    this.toTar.end();
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private fail(e: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = e ?? new Error('layer pipeline failed');
    this.kill.abort(this.failure);
    this.input?.destroy();
    this.output?.destroy();
    this.toTar.destroy();
    for (const w of this.wakers) w();
  }

  /** Waits for 'drain' (or the end of the stream, or a failure anywhere in the pipeline). */
  private drained(s: Writable): Promise<void> {
    if (this.failure !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        this.wakers.delete(done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
      this.wakers.add(done);
    });
  }
}
