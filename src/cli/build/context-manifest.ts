// Berth's incremental build context, client side (format: src/builder/context-cache.ts): the context is walked as for
// the tar (.dockerignore applied), every file's sha256 is taken — from a per-context digest cache keyed by
// (size, mtime, ctime, inode) when the file has not changed, so an unchanged 50 MB file is not re-read — the daemon is
// asked which contents it lacks, and the body carries the manifest plus only those contents.
//
// Digest cache: ${XDG_CACHE_HOME:-~/.cache}/berth/context-digests/<sha256(abs context dir)>.json, rewritten after each
// walk with the files seen (so it stays the size of the context). Files modified in the last 2 s are not recorded
// (a write in the same clock tick could otherwise keep a stale digest).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { BERTH_CONTEXT_MAGIC, type ContextEntry, type ContextManifest } from '../../spec/build-context.ts';
import { contextEntries, type ContextTarOptions } from './context-tar.ts';

type CacheRecord = [size: number, mtimeMs: number, ctimeMs: number, ino: number, hex: string];

export interface PreparedContext {
  dockerfileName: string;
  manifest: ContextManifest;
  /** hex → where its bytes are (first file with that content). */
  sources: Map<string, { host?: string; data?: Buffer; size: number }>;
  /** Files hashed (not taken from the digest cache). */
  hashed: number;
}

function cacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache');
  return path.join(base, 'berth', 'context-digests');
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

export async function prepareContext(o: Omit<ContextTarOptions, 'onBytes'> & { env: NodeJS.ProcessEnv }): Promise<PreparedContext> {
  const { root, dockerfileName, entries } = await contextEntries(o);
  const cacheFile = path.join(cacheDir(o.env), `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`);
  let old: Record<string, CacheRecord> = {};
  try {
    old = JSON.parse(await readFile(cacheFile, 'utf8')).files ?? {};
  } catch {}
  const fresh: Record<string, CacheRecord> = {};
  const out: ContextEntry[] = [];
  const sources = new Map<string, { host?: string; data?: Buffer; size: number }>();
  let hashed = 0;
  const now = Date.now();
  for await (const e of entries) {
    if (e.type === 'd') out.push({ p: e.rel, t: 'd', m: e.mode, mt: e.mtime });
    else if (e.type === 'l') out.push({ p: e.rel, t: 'l', m: 0o777, mt: e.mtime, l: e.link! });
    else {
      let hex: string;
      if (e.data) hex = createHash('sha256').update(e.data).digest('hex');
      else {
        const s = e.stat!;
        const rec = old[e.rel];
        if (rec && rec[0] === s.size && rec[1] === s.mtimeMs && rec[2] === s.ctimeMs && rec[3] === s.ino) hex = rec[4];
        else {
          hex = await sha256File(e.host!);
          hashed++;
        }
        if (now - s.mtimeMs > 2000 && now - s.ctimeMs > 2000) fresh[e.rel] = [s.size, s.mtimeMs, s.ctimeMs, s.ino, hex];
      }
      out.push({ p: e.rel, t: 'f', m: e.mode, mt: e.mtime, d: hex });
      if (!sources.has(hex)) sources.set(hex, { ...(e.host ? { host: e.host } : {}), ...(e.data ? { data: e.data } : {}), size: e.size });
    }
  }
  try {
    await mkdir(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ root, files: fresh }));
    await rename(tmp, cacheFile);
  } catch {
    // a read-only home: the next build hashes again
  }
  return { dockerfileName, manifest: { dockerfile: dockerfileName, entries: out }, sources, hashed };
}

/** The request body: header, manifest, then the contents of `send` (hex digests). */
export async function* contextBody(c: PreparedContext, send: readonly string[], onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  const count = (b: Buffer) => {
    onBytes?.(b.length);
    return b;
  };
  const json = Buffer.from(JSON.stringify(c.manifest));
  const head = Buffer.alloc(8);
  head.write(BERTH_CONTEXT_MAGIC, 0, 4, 'latin1');
  head.writeUInt32BE(json.length, 4);
  yield count(head);
  yield count(json);
  for (const hex of send) {
    const src = c.sources.get(hex);
    if (!src) continue;
    const bh = Buffer.alloc(40);
    Buffer.from(hex, 'hex').copy(bh, 0);
    bh.writeUInt32BE(Math.floor(src.size / 2 ** 32), 32);
    bh.writeUInt32BE(src.size % 2 ** 32, 36);
    yield count(bh);
    if (src.data) {
      yield count(src.data);
      continue;
    }
    let sent = 0;
    if (src.size > 0) {
      for await (const chunk of createReadStream(src.host!, { end: src.size - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        const take = chunk.subarray(0, Math.min(chunk.length, src.size - sent));
        sent += take.length;
        yield count(take);
      }
    }
    // A file that shrank meanwhile: padded, so the daemon's digest check fails the build instead of the stream.
    if (sent < src.size) yield count(Buffer.alloc(src.size - sent));
  }
}
