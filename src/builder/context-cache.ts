// Berth's incremental build context: the `berth` CLI sends a manifest of the context (paths, types, modes, mtimes,
// content sha256) and only the file contents the daemon lacks; the daemon keeps received contents in a
// content-addressed cache (DATA_ROOT/builder/context-cache/<hex>, bounded, least recently linked evicted first) and
// materializes each build's context directory from it with hard links. The docker CLI keeps the classic tar.
//
// Wire format of the POST /build body (Content-Type CONTEXT_MEDIA_TYPE):
//   "BCX1" · uint32 BE manifest length · manifest JSON · then per blob: 32 bytes raw sha256 · uint64 BE size · data
// Manifest: { dockerfile, entries: [{ p: "dir/file", t: "f"|"d"|"l", m: mode, mt: mtime (s), d?: hex, l?: target }] }
//
// Safety: paths are checked (relative, no "."/".." components, no entry below a symlink or file entry), blobs are
// verified against their digest before they enter the cache, and a build whose Dockerfile may bind-mount the context
// read-write gets copies instead of links (so no step can alter the cache). A content linked with another mode gets
// its own variant file (<hex>.<mode>) so concurrent builds never chmod each other's files; mtimes of a shared inode
// are set at materialization (they only reach layer tars, never cache keys).

import { createHash, randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { chmod, copyFile, link, lstat, lutimes, mkdir, readdir, rename, rm, stat, symlink, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { invalidArgument } from '../base/errors.ts';

import { BERTH_CONTEXT_MAGIC as MAGIC, type ContextEntry, type ContextManifest } from '../spec/build-context.ts';

const MAX_MANIFEST = 256 * 1024 * 1024;
const HEX = /^[0-9a-f]{64}$/;

/** Reads exact byte counts from a stream. */
class ByteReader {
  private readonly it: AsyncIterator<Buffer | string>;
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  constructor(s: NodeJS.ReadableStream) {
    this.it = (s as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  }
  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const c = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    return true;
  }
  /** Exactly n bytes, or undefined at a clean end (nothing buffered). */
  async exact(n: number): Promise<Buffer | undefined> {
    while (this.buf.length < n) {
      if (!(await this.fill())) {
        if (this.buf.length === 0) return undefined;
        throw invalidArgument('unexpected EOF in build context');
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  /** Passes n bytes to fn in chunks. */
  async forward(n: number, fn: (c: Buffer) => Promise<void> | void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!this.buf.length && !(await this.fill())) throw invalidArgument('unexpected EOF in build context');
      const take = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(take.length);
      left -= take.length;
      await fn(take);
    }
  }
}

function checkManifest(m: ContextManifest): void {
  if (!m || typeof m.dockerfile !== 'string' || !Array.isArray(m.entries)) throw invalidArgument('invalid build context manifest');
  const kinds = new Map<string, ContextEntry['t']>();
  for (const e of m.entries) {
    if (typeof e.p !== 'string' || !e.p || e.p.startsWith('/') || e.p.includes('\0') || e.p.split('/').some((c) => c === '' || c === '.' || c === '..')) {
      throw invalidArgument(`invalid path in build context manifest: ${JSON.stringify(e.p)}`);
    }
    if (!['f', 'd', 'l'].includes(e.t) || !Number.isInteger(e.m) || e.m < 0 || e.m > 0o7777 || !Number.isFinite(e.mt)) throw invalidArgument(`invalid entry in build context manifest: ${e.p}`);
    if (e.t === 'f' && !HEX.test(e.d ?? '')) throw invalidArgument(`invalid digest in build context manifest: ${e.p}`);
    if (e.t === 'l' && (typeof e.l !== 'string' || e.l.includes('\0'))) throw invalidArgument(`invalid link in build context manifest: ${e.p}`);
    if (kinds.has(e.p)) throw invalidArgument(`duplicate path in build context manifest: ${e.p}`);
    kinds.set(e.p, e.t);
  }
  for (const e of m.entries) {
    const parts = e.p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const k = kinds.get(parts.slice(0, i).join('/'));
      if (k !== undefined && k !== 'd') throw invalidArgument(`invalid build context manifest: ${e.p} is below a non-directory`);
    }
  }
}

export class ContextCache {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly tmp: string;

  private constructor(dir: string, maxBytes: number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.tmp = path.join(dir, 'tmp');
  }

  static async open(dir: string, maxBytes = 2 * 1024 ** 3): Promise<ContextCache> {
    const c = new ContextCache(dir, maxBytes);
    await rm(c.tmp, { recursive: true, force: true }).catch(() => {});
    await mkdir(c.tmp, { recursive: true, mode: 0o700 });
    return c;
  }

  /** The digests (hex) of the list the cache does not hold. */
  async missing(hexes: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const h of new Set(hexes)) {
      if (!HEX.test(h)) throw invalidArgument(`invalid digest: ${h}`);
      if (!(await lstat(path.join(this.dir, h)).then((s) => s.isFile(), () => false))) out.push(h);
    }
    return out;
  }

  /** Reads the body: the manifest, then stores every blob after verifying it. */
  async receive(body: NodeJS.ReadableStream, signal?: AbortSignal): Promise<ContextManifest> {
    const r = new ByteReader(body);
    const head = await r.exact(8);
    if (!head || head.toString('latin1', 0, 4) !== MAGIC) throw invalidArgument('invalid build context: not a Berth context stream');
    const len = head.readUInt32BE(4);
    if (len > MAX_MANIFEST) throw invalidArgument('build context manifest too large');
    const mbuf = await r.exact(len);
    let manifest: ContextManifest;
    try {
      manifest = JSON.parse(mbuf?.toString('utf8') ?? '') as ContextManifest;
    } catch {
      throw invalidArgument('invalid build context manifest');
    }
    checkManifest(manifest);
    for (;;) {
      signal?.throwIfAborted();
      const bh = await r.exact(40);
      if (!bh) break;
      const hex = bh.subarray(0, 32).toString('hex');
      const size = bh.readUInt32BE(32) * 2 ** 32 + bh.readUInt32BE(36);
      const tmp = path.join(this.tmp, `${hex}-${randomBytes(6).toString('hex')}`);
      const h = createHash('sha256');
      const ws = createWriteStream(tmp, { mode: 0o644 });
      const done = new Promise<void>((res, rej) => {
        ws.once('finish', res);
        ws.once('error', rej);
      });
      try {
        await r.forward(size, async (c) => {
          h.update(c);
          if (!ws.write(c)) await new Promise<void>((res) => ws.once('drain', () => res()));
        });
        ws.end();
        await done;
        if (h.digest('hex') !== hex) throw invalidArgument(`build context content does not match its digest sha256:${hex}`);
        await rename(tmp, path.join(this.dir, hex));
      } catch (e) {
        ws.destroy();
        await unlink(tmp).catch(() => {});
        throw e;
      }
    }
    return manifest;
  }

  /**
   * Creates the context in `into` (an empty directory). `copy`: files are copies, not links to the cache.
   * Returns host path → "sha256:<hex>" for the linked files (their content cannot differ from the digest).
   */
  async materialize(m: ContextManifest, into: string, opts: { copy: boolean; signal?: AbortSignal }): Promise<Map<string, string>> {
    const digests = new Map<string, string>();
    const dirs: ContextEntry[] = [];
    const made = new Set<string>();
    const ensureParent = async (p: string) => {
      const parent = path.posix.dirname(p);
      if (parent === '.' || made.has(parent)) return;
      await mkdir(path.join(into, parent), { recursive: true, mode: 0o755 });
      made.add(parent);
    };
    for (const e of [...m.entries].sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0))) {
      opts.signal?.throwIfAborted();
      const dest = path.join(into, e.p);
      await ensureParent(e.p);
      if (e.t === 'd') {
        if (!made.has(e.p)) await mkdir(dest, { mode: 0o755 });
        made.add(e.p);
        dirs.push(e);
      } else if (e.t === 'l') {
        await symlink(e.l!, dest);
        await utimesLink(dest, e.mt);
      } else {
        const blob = path.join(this.dir, e.d!);
        if (opts.copy) {
          await copyFile(blob, dest, constants.COPYFILE_FICLONE).catch((err) => {
            throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? invalidArgument(`build context content sha256:${e.d} is not in the daemon's cache; retry the build`) : err;
          });
          await chmod(dest, e.m);
          await utimes(dest, e.mt, e.mt);
          continue;
        }
        const variant = (e.m & 0o7777) === 0o644 ? blob : `${blob}.${e.m.toString(8)}`;
        if (variant !== blob && !(await lstat(variant).then(() => true, () => false))) {
          const t = path.join(this.tmp, `v-${randomBytes(6).toString('hex')}`);
          await copyFile(blob, t, constants.COPYFILE_FICLONE).catch((err) => {
            throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? invalidArgument(`build context content sha256:${e.d} is not in the daemon's cache; retry the build`) : err;
          });
          await chmod(t, e.m);
          await rename(t, variant);
        }
        try {
          await link(variant, dest);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw invalidArgument(`build context content sha256:${e.d} is not in the daemon's cache; retry the build`);
          throw err;
        }
        await utimes(dest, e.mt, e.mt);
        digests.set(dest, `sha256:${e.d}`);
      }
    }
    // Directory modes and times last (files created inside would change the times; a 0555 dir would refuse them).
    for (const e of dirs.reverse()) {
      const dest = path.join(into, e.p);
      await chmod(dest, e.m);
      await utimes(dest, e.mt, e.mt);
    }
    return digests;
  }

  /** Evicts least recently linked contents (a link updates ctime) until the cache fits; skips those in use. */
  async prune(minAgeMs = 10 * 60_000): Promise<void> {
    const files: { f: string; size: number; ctime: number; nlink: number }[] = [];
    let total = 0;
    for (const name of await readdir(this.dir)) {
      if (name === 'tmp') continue;
      const st = await stat(path.join(this.dir, name)).catch(() => undefined);
      if (!st?.isFile()) continue;
      files.push({ f: name, size: st.size, ctime: st.ctimeMs, nlink: st.nlink });
      total += st.size;
    }
    if (total <= this.maxBytes) return;
    const now = Date.now();
    for (const x of files.sort((a, b) => a.ctime - b.ctime)) {
      if (total <= this.maxBytes) break;
      if (x.nlink > 1 || now - x.ctime < minAgeMs) continue;
      await unlink(path.join(this.dir, x.f)).catch(() => {});
      total -= x.size;
    }
  }
}

async function utimesLink(p: string, t: number): Promise<void> {
  await lutimes(p, t, t).catch(() => {});
}

/** True when the Dockerfile may bind-mount the context into a RUN step (then the context must not share inodes). */
export function mayBindContext(dockerfileText: string): boolean {
  return /type=bind/i.test(dockerfileText);
}
