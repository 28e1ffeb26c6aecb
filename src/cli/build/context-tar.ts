// The build context as a tar stream, produced while walking the directory (no temp file): .dockerignore applied
// client-side with Docker's rules (src/spec/dockerignore.ts), the Dockerfile and .dockerignore always included (the
// daemon needs them), owners 0:0 like the docker CLI, symlinks kept as links, a Dockerfile from outside the context
// added under a random name. ustar headers, with PAX records for long names.

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { createIgnoreMatcher, type IgnoreMatcher } from '../../spec/dockerignore.ts';

const BLOCK = 512;

function octal(buf: Buffer, off: number, width: number, v: number): void {
  const s = Math.max(0, Math.floor(v)).toString(8);
  buf.write((s.length > width - 1 ? '0' : s.padStart(width - 1, '0')) + '\0', off, width, 'latin1');
}

function rawHeader(name: string, type: string, mode: number, size: number, mtime: number, link = ''): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8');
  octal(b, 100, 8, mode);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, size);
  octal(b, 136, 12, mtime);
  b.write('        ', 148, 8, 'latin1');
  b.write(type, 156, 1, 'latin1');
  b.write(link, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 8, 'latin1');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** Header block(s) for one entry (PAX first when a name or link does not fit ustar). */
export function entryHeader(name: string, type: '0' | '2' | '5', mode: number, size: number, mtime: number, link = ''): Buffer {
  const long = (s: string) => Buffer.byteLength(s) > 99 || !/^[\x20-\x7e]*$/.test(s);
  const recs: Buffer[] = [];
  if (long(name)) recs.push(paxRecord('path', name));
  if (long(link)) recs.push(paxRecord('linkpath', link));
  const main = rawHeader(long(name) ? name.slice(0, 99) : name, type, mode, size, mtime, long(link) ? '' : link);
  if (!recs.length) return main;
  const data = Buffer.concat(recs);
  return Buffer.concat([rawHeader('PaxHeader', 'x', 0o644, data.length, mtime), data, pad(data.length), main]);
}

export interface ContextTarOptions {
  dir: string;
  /** Path of the Dockerfile as given with -f (relative to cwd), or undefined for <dir>/Dockerfile. */
  dockerfile?: string;
  /** The Dockerfile's text when it came from stdin (-f -). */
  dockerfileText?: string;
  onBytes?(n: number): void;
}

export interface ContextTar {
  /** The name the daemon should use (`dockerfile` query parameter). */
  dockerfileName: string;
  chunks: AsyncGenerator<Buffer>;
}

/** One entry of a context walk (.dockerignore applied). */
export interface ContextWalkEntry {
  rel: string;
  type: 'd' | 'l' | 'f';
  mode: number;
  /** Seconds. */
  mtime: number;
  size: number;
  link?: string;
  /** Files on disk. */
  host?: string;
  /** Generated files (a Dockerfile from stdin or from outside the context). */
  data?: Buffer;
  stat?: import('node:fs').Stats;
}

/** Walks a context directory: the Dockerfile name to send and the entries, in tar order. */
export async function contextEntries(o: Omit<ContextTarOptions, 'onBytes'>): Promise<{ root: string; dockerfileName: string; entries: AsyncGenerator<ContextWalkEntry> }> {
  const root = path.resolve(o.dir);
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`unable to prepare context: path "${o.dir}" not found`);
  let dockerfileName = 'Dockerfile';
  let extra: { name: string; data: Buffer } | undefined;
  if (o.dockerfileText !== undefined) {
    dockerfileName = `.dockerfile.${randomBytes(10).toString('hex')}`;
    extra = { name: dockerfileName, data: Buffer.from(o.dockerfileText) };
  } else if (o.dockerfile) {
    const abs = path.resolve(o.dockerfile);
    const rel = path.relative(root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      dockerfileName = `.dockerfile.${randomBytes(10).toString('hex')}`;
      extra = { name: dockerfileName, data: await readFile(abs) };
    } else dockerfileName = rel.split(path.sep).join('/');
  }
  if (!extra) {
    const df = await lstat(path.join(root, dockerfileName)).catch(() => undefined);
    if (!df) {
      const alt = o.dockerfile ? undefined : await lstat(path.join(root, 'dockerfile')).catch(() => undefined);
      if (!alt) throw new Error(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${path.join(root, dockerfileName)}: no such file or directory`);
      dockerfileName = 'dockerfile';
    }
  }
  const ignoreText = (await readFile(path.join(root, `${dockerfileName}.dockerignore`), 'utf8').catch(() => undefined)) ??
    (await readFile(path.join(root, '.dockerignore'), 'utf8').catch(() => undefined));
  const matcher: IgnoreMatcher | undefined = ignoreText !== undefined ? createIgnoreMatcher(ignoreText) : undefined;
  const always = new Set([dockerfileName, '.dockerignore']);
  async function* walk(rel: string): AsyncGenerator<ContextWalkEntry> {
    const names = (await readdir(rel ? path.join(root, rel) : root)).sort();
    for (const n of names) {
      const p = rel ? `${rel}/${n}` : n;
      const s = await lstat(path.join(root, p));
      const excluded = !always.has(p) && !!matcher?.(p, s.isDirectory());
      if (excluded) {
        if (s.isDirectory() && matcher!.hasExclusions && matcher!.mayIncludeUnder(p)) yield* walk(p);
        continue;
      }
      const mtime = Math.floor(s.mtimeMs / 1000);
      if (s.isDirectory()) {
        yield { rel: p, type: 'd', mode: s.mode & 0o7777, mtime, size: 0, stat: s };
        yield* walk(p);
      } else if (s.isSymbolicLink()) {
        yield { rel: p, type: 'l', mode: 0o777, mtime, size: 0, link: await readlink(path.join(root, p)), stat: s };
      } else if (s.isFile()) {
        yield { rel: p, type: 'f', mode: s.mode & 0o7777, mtime, size: s.size, host: path.join(root, p), stat: s };
      }
    }
  }
  async function* all(): AsyncGenerator<ContextWalkEntry> {
    yield* walk('');
    if (extra) yield { rel: extra.name, type: 'f', mode: 0o644, mtime: Math.floor(Date.now() / 1000), size: extra.data.length, data: extra.data };
  }
  return { root, dockerfileName, entries: all() };
}

/** Prepares the tar of a context directory. Throws when the directory or the Dockerfile is missing. */
export async function contextTar(o: ContextTarOptions): Promise<ContextTar> {
  const { dockerfileName, entries } = await contextEntries(o);
  const count = (b: Buffer) => {
    o.onBytes?.(b.length);
    return b;
  };
  async function* all(): AsyncGenerator<Buffer> {
    for await (const e of entries) {
      if (e.type === 'd') yield count(entryHeader(`${e.rel}/`, '5', e.mode, 0, e.mtime));
      else if (e.type === 'l') yield count(entryHeader(e.rel, '2', 0o777, 0, e.mtime, e.link));
      else if (e.data) {
        yield count(entryHeader(e.rel, '0', e.mode, e.data.length, e.mtime));
        yield count(e.data);
        yield count(pad(e.data.length));
      } else {
        yield count(entryHeader(e.rel, '0', e.mode, e.size, e.mtime));
        let sent = 0;
        if (e.size > 0) {
          for await (const c of createReadStream(e.host!, { end: e.size - 1 }) as AsyncIterable<Buffer>) {
            const take = c.subarray(0, Math.min(c.length, e.size - sent));
            sent += take.length;
            yield count(take);
          }
        }
        if (sent < e.size) yield count(Buffer.alloc(e.size - sent));
        yield count(pad(e.size));
      }
    }
    yield count(Buffer.alloc(BLOCK * 2));
  }
  return { dockerfileName, chunks: all() };
}
