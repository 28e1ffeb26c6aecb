// The build context of POST /build: the request body is a tar (plain, gzip, bzip2, xz or zstd), or, for
// `docker build - < Dockerfile`, the Dockerfile itself. It is unpacked (with the checks of safe-extract.ts: nothing
// outside the directory, no writes through symlinks) into DATA_ROOT/builder/tmp/<random>/context and removed after
// the build. The Dockerfile is looked up inside (the docker CLI puts a Dockerfile from outside the context into the
// tar under a random name and passes that name).

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { invalidArgument } from '../base/errors.ts';
import { maybeDecompress } from '../store/diff/decompress.ts';
import { safeExtract } from '../store/diff/safe-extract.ts';
import { createIgnoreMatcher, type IgnoreMatcher } from '../spec/dockerignore.ts';
import { mayBindContext, type ContextCache } from './context-cache.ts';

export interface BuildContext {
  dir: string;
  dockerfileName: string;
  dockerfileText: string;
  ignore?: IgnoreMatcher;
  /** A scratch directory for the build (downloads, extracted archives, mountpoints of COPY --from roots). */
  scratch: string;
  /** Content digests known without reading ("sha256:<hex>" by host path): files linked from the context cache. */
  digestOf?(hostPath: string): string | undefined;
  dispose(): Promise<void>;
}

function isTarHeader(b: Buffer): boolean {
  if (b.length < 512) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  const stored = Number.parseInt(b.toString('latin1', 148, 156).replace(/\0.*$/, '').trim(), 8);
  return stored === sum;
}

async function readHead(stream: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const chunks: Buffer[] = [];
  let have = 0;
  const it = stream[Symbol.asyncIterator]();
  let done = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
    chunks.push(c);
    have += c.length;
  }
  const head = Buffer.concat(chunks);
  const rest = new PassThrough();
  rest.write(head);
  if (done) rest.end();
  else {
    void (async () => {
      try {
        for (;;) {
          const r = await it.next();
          if (r.done) break;
          if (!rest.write(r.value)) await new Promise((res) => rest.once('drain', res));
        }
        rest.end();
      } catch (e) {
        rest.destroy(e as Error);
      }
    })();
  }
  return { head, rest };
}

export async function openBuildContext(
  body: NodeJS.ReadableStream,
  opts: { root: string; dockerfile?: string; signal?: AbortSignal; cache?: ContextCache },
): Promise<BuildContext> {
  const base = path.join(opts.root, randomBytes(8).toString('hex'));
  const dir = path.join(base, 'context');
  const scratch = path.join(base, 'scratch');
  await mkdir(base, { recursive: true, mode: 0o700 });
  // The context root is what `COPY . /dst` creates /dst from: 0755 like the docker CLI's tar (which has no "." entry).
  await mkdir(dir, { mode: 0o755 });
  await mkdir(scratch, { mode: 0o700 });
  const dispose = () => rm(base, { recursive: true, force: true }).catch(() => {});
  try {
    let digests: Map<string, string> | undefined;
    let dockerfileName = opts.dockerfile || 'Dockerfile';
    if (opts.cache) {
      // Berth's incremental context (context-cache.ts): a manifest plus the contents the daemon lacked.
      const manifest = await opts.cache.receive(body, opts.signal);
      const dfEntry = manifest.entries.find((e) => e.p === manifest.dockerfile && e.t === 'f');
      const dfText = dfEntry ? await readFile(path.join(opts.cache.dir, dfEntry.d!), 'utf8').catch(() => '') : '';
      digests = await opts.cache.materialize(manifest, dir, { copy: mayBindContext(dfText), signal: opts.signal });
      dockerfileName = opts.dockerfile || manifest.dockerfile || 'Dockerfile';
    } else {
      dockerfileName = await unpackClassic(body, dir, dockerfileName, opts.signal);
    }
    const rel = path.posix.normalize('/' + dockerfileName.replace(/\\/g, '/')).slice(1);
    let file = path.join(dir, rel);
    let st = await lstat(file).catch(() => undefined);
    if (!st && !opts.dockerfile) {
      file = path.join(dir, 'dockerfile');
      st = await lstat(file).catch(() => undefined);
    }
    if (!st || !st.isFile()) throw invalidArgument(`Cannot locate specified Dockerfile: ${dockerfileName}`);
    const dockerfileText = await readFile(file, 'utf8');
    const ignoreFile = (await readFile(path.join(dir, `${rel}.dockerignore`), 'utf8').catch(() => undefined)) ??
      (await readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => undefined));
    const ignore = ignoreFile !== undefined ? createIgnoreMatcher(ignoreFile) : undefined;
    const digestOf = digests ? (p: string) => digests.get(p) : undefined;
    return { dir, dockerfileName: rel, dockerfileText, ...(ignore ? { ignore } : {}), ...(digestOf ? { digestOf } : {}), scratch, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** The classic body: a tar (possibly compressed) unpacked into dir, or a bare Dockerfile. Returns the Dockerfile name. */
async function unpackClassic(body: NodeJS.ReadableStream, dir: string, name: string, signal?: AbortSignal): Promise<string> {
  let dockerfileName = name;
  {
    const opts = { signal };
    const { stream } = await maybeDecompress(body, { signal: opts.signal });
    const { head, rest } = await readHead(stream, 512);
    if (head.length === 0) throw invalidArgument('Cannot locate specified Dockerfile: ' + dockerfileName);
    if (isTarHeader(head)) {
      // The docker CLI's tar for a Dockerfile outside the context (ReplaceFileTarWrapper) ends without padding or
      // end-of-archive blocks; Go's reader accepts that, GNU tar does not: complete it.
      let total = 0;
      const completed = Readable.from((async function* () {
        for await (const c of rest) {
          total += (c as Buffer).length;
          yield c as Buffer;
        }
        yield Buffer.alloc((512 - (total % 512)) % 512 + 1024);
      })());
      await safeExtract(completed, dir, { signal: opts.signal });
    } else {
      // A bare Dockerfile (docker build - < Dockerfile).
      const chunks: Buffer[] = [];
      for await (const c of rest) chunks.push(c as Buffer);
      dockerfileName = 'Dockerfile';
      await writeFile(path.join(dir, dockerfileName), Buffer.concat(chunks));
    }
  }
  return dockerfileName;
}
