// `berth bootstrap debian:bookworm`: a real Debian base image without Docker Hub. debootstrap (--variant=minbase)
// installs the suite from the machine's own Debian mirror (apt's sources, see apt-sources.ts) into a temp dir under
// the data root; what is not reproducible is scrubbed (apt caches and lists, logs, machine-id, ldconfig's aux cache,
// /dev nodes, *-old backups, the host's hostname/resolv.conf copies); GNU tar packs it with sorted names, mtimes
// clamped to SOURCE_DATE_EPOCH (the suite's Release date, also given to debootstrap so maintainer scripts such as
// shadow's date their files by it), numeric owners as dpkg left them, and deterministic pax headers; importRootfs
// makes it an image configured like Docker's debian image (CMD ["bash"], PATH), created at the same epoch.
// Same mirror state → same layer diffID and image id.

import { spawn } from 'node:child_process';
import { access, chmod, constants, lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, invalidArgument, internal } from '../base/errors.ts';
import { run } from '../sys/exec.ts';
import { listMountPoints, unmount } from '../sys/mount.ts';
import { spawnOutput } from '../sys/spawn-output.ts';
import { discoverDebianMirror, type DebianMirror } from './apt-sources.ts';
import type { ImageService } from './image-service.ts';

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Suites berth can bootstrap, with the version tag Docker Hub gives the same image. */
export const DEBIAN_SUITES: Record<string, string> = { bookworm: '12' };

export interface DebianTarget {
  suite: string;
  /** Tags the image gets: debian:<suite> and debian:<version>. */
  tags: string[];
}

/** `debian:bookworm` or `debian:12` → the suite and both tags; undefined for anything else. */
export function parseDebianName(name: string): DebianTarget | undefined {
  const m = /^(?:docker\.io\/)?(?:library\/)?debian:([a-z0-9.-]+)$/.exec(name);
  if (!m) return undefined;
  for (const [suite, version] of Object.entries(DEBIAN_SUITES)) {
    if (m[1] === suite || m[1] === version) return { suite, tags: [`debian:${suite}`, `debian:${version}`] };
  }
  return undefined;
}

export interface DebianBootstrapOptions {
  suite: string;
  tags: string[];
  /** Parent of the temp dir (under the data root: debootstrap needs device nodes and exec, not a nodev tmpfs). */
  tmpRoot: string;
  signal?: AbortSignal;
  onProgress?: (m: { status: string }) => void;
  /** Tests: the apt configuration dir and where to look for debootstrap. */
  aptDir?: string;
  searchPath?: string[];
  mirror?: DebianMirror;
}

export interface DebianBootstrapResult {
  id: string;
  epoch: number;
  mirror: string;
}

/** `name` in PATH or the sbin dirs (the daemon's PATH may lack them), like `command -v`. */
export async function findProgram(name: string, dirsIn?: string[]): Promise<string | undefined> {
  const dirs = dirsIn ?? [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean);
  for (const d of dirs) {
    const p = join(d, name);
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

/** The suite's Release `Date:` in epoch seconds (the reproducibility epoch), or undefined if it cannot be read. */
export function parseReleaseDate(release: string): number | undefined {
  const m = /^Date:\s*(.+)$/m.exec(release);
  if (!m) return undefined;
  const t = Date.parse(m[1]!.trim().replace(/ UTC$/, ' GMT'));
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}

/** Fallback epoch when the Release file cannot be fetched: 2023-06-10, bookworm's release day. */
const FALLBACK_EPOCH = 1686355200;

async function releaseEpoch(mirror: string, suite: string, signal?: AbortSignal): Promise<number | undefined> {
  const url = `${mirror}/dists/${suite}/Release`;
  try {
    if (url.startsWith('file:')) return parseReleaseDate(await readFile(new URL(url), 'utf8'));
    const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000) });
    if (!res.ok) return undefined;
    return parseReleaseDate(await res.text());
  } catch (e) {
    if (signal?.aborted) throw e;
    return undefined;
  }
}

/** Runs debootstrap in its own process group, one progress line per output line; abort kills the whole group. */
function runDebootstrap(cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: { signal?: AbortSignal; onLine: (l: string) => void }): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const tail: string[] = [];
    let aborted: unknown;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {}
    };
    const onAbort = () => {
      aborted = opts.signal!.reason ?? new DOMException('The operation was aborted', 'AbortError');
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), 5000);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const lines = (stream: NodeJS.ReadableStream) => {
      let buf = '';
      stream.on('data', (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trimEnd();
          buf = buf.slice(i + 1);
          if (!line) continue;
          tail.push(line);
          if (tail.length > 20) tail.shift();
          opts.onLine(line);
        }
      });
    };
    lines(child.stdout!);
    lines(child.stderr!);
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(internal(`${cmd}: ${e.message}`, e));
    });
    child.on('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      // Helpers it started (dpkg in the chroot) must not outlive it.
      killGroup('SIGKILL');
      if (aborted !== undefined) return reject(aborted);
      if (code === 0) return resolve();
      reject(internal(`debootstrap failed (${code === null ? `killed by ${sig}` : `exit status ${code}`}): ${tail.slice(-8).join('\n')}`));
    });
  });
}

/** `dir` (relative to root) resolved without leaving root, or undefined when missing or pointing outside. */
async function inside(root: string, rel: string): Promise<string | undefined> {
  const p = join(root, rel);
  const real = await realpath(p).catch(() => undefined);
  if (!real || (real !== root && !real.startsWith(root + '/'))) return undefined;
  return real;
}

async function removeEntries(root: string, dirRel: string, keep: (name: string) => boolean = () => false): Promise<void> {
  const dir = await inside(root, dirRel);
  if (!dir) return;
  for (const name of await readdir(dir)) if (!keep(name)) await rm(join(dir, name), { recursive: true, force: true });
}

async function truncateFilesUnder(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await truncateFilesUnder(p);
    else if (e.isFile()) await truncate(p, 0);
  }
}

/** Removes what differs between two debootstraps of the same packages (see the file header). */
export async function scrubRootfs(rootIn: string): Promise<void> {
  const root = await realpath(rootIn);
  await rm(join(root, 'debootstrap'), { recursive: true, force: true });
  await removeEntries(root, 'var/cache/apt', (n) => !n.endsWith('.bin'));
  await removeEntries(root, 'var/cache/apt/archives', (n) => n === 'partial' || n === 'lock');
  await removeEntries(root, 'var/cache/apt/archives/partial');
  await removeEntries(root, 'var/lib/apt/lists', (n) => n === 'partial' || n === 'lock');
  await removeEntries(root, 'var/lib/apt/lists/partial');
  // Logs are emptied, not removed: their files and modes (btmp 0660 root:utmp, apt/) stay as packages made them.
  const log = await inside(root, 'var/log');
  if (log) await truncateFilesUnder(log);
  await removeEntries(root, 'var/cache/debconf', (n) => !n.endsWith('-old'));
  await removeEntries(root, 'var/lib/dpkg', (n) => !n.endsWith('-old'));
  await removeEntries(root, 'var/cache/ldconfig', (n) => n !== 'aux-cache');
  // The runtime provides /dev; debootstrap's nodes (console, null, ptmx, pts/, ...) are host-made.
  await removeEntries(root, 'dev');
  // Host copies (debootstrap copies the host's hostname and resolv.conf); the runtime mounts its own over them.
  const etc = await inside(root, 'etc');
  if (!etc) return;
  for (const f of ['machine-id', 'hostname', 'resolv.conf']) {
    const st = await lstat(join(etc, f)).catch(() => undefined);
    if (!st) continue;
    // Plain empty 0644 files (a symlink is replaced, never written through).
    await rm(join(etc, f));
    await writeFile(join(etc, f), '', { mode: 0o644 });
    await chmod(join(etc, f), 0o644);
  }
}

/** Unmounts whatever debootstrap left mounted under `dir` (proc, sys, devpts after a kill), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const points = (await listMountPoints()).filter((p) => p.startsWith(dir + '/')).sort((a, b) => b.length - a.length);
  for (const p of points) await unmount(p, { lazy: true }).catch(() => {});
}

/** Removes a bootstrap temp dir without crossing into anything still mounted in it. */
export async function removeBootstrapDir(dir: string): Promise<void> {
  const real = await realpath(dir).catch(() => undefined);
  if (!real) return;
  await unmountUnder(real);
  await run('rm', ['-rf', '--one-file-system', '--', real]);
}

/** Start-up sweep: temp dirs of bootstraps killed with the daemon. */
export async function sweepBootstrapTmp(tmpRoot: string): Promise<void> {
  const names = await readdir(tmpRoot).catch(() => [] as string[]);
  for (const n of names) await removeBootstrapDir(join(tmpRoot, n)).catch(() => {});
}

/** The reproducible layer tar of a scrubbed rootfs, as a stream. */
export async function rootfsTarStream(root: string, epoch: number, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
  const top = (await readdir(root)).sort();
  return spawnOutput('tar', [
    '-c', '--sort=name', `--mtime=@${epoch}`, '--clamp-mtime', '--numeric-owner',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '--format=posix',
    '-C', root, '--', ...top,
  ], { signal });
}

export async function bootstrapDebian(images: ImageService, opts: DebianBootstrapOptions): Promise<DebianBootstrapResult> {
  const say = (status: string) => opts.onProgress?.({ status });
  const debootstrap = await findProgram('debootstrap', opts.searchPath);
  if (!debootstrap) throw invalidArgument('debootstrap is not installed: apt-get install debootstrap');
  const mirror = opts.mirror ?? (await discoverDebianMirror(opts.suite, opts.aptDir));
  if (!mirror) {
    throw invalidArgument(`no Debian mirror configured: add a "deb" source for ${opts.suite} (main) to /etc/apt/sources.list or /etc/apt/sources.list.d`);
  }
  const found = await releaseEpoch(mirror.uri, opts.suite, opts.signal);
  const epoch = found ?? FALLBACK_EPOCH;
  say(`Bootstrapping debian ${opts.suite} (minbase) from the configured mirror, SOURCE_DATE_EPOCH=${epoch}${found ? ' (Release date)' : ' (fixed)'}`);

  await mkdir(opts.tmpRoot, { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(join(opts.tmpRoot, `debian-${opts.suite}-`));
  try {
    const rootfs = join(tmp, 'rootfs');
    const args = ['--variant=minbase', '--components=main'];
    if (mirror.keyring && (await access(mirror.keyring).then(() => true, () => false))) args.push(`--keyring=${mirror.keyring}`);
    args.push(opts.suite, rootfs, mirror.uri);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      SOURCE_DATE_EPOCH: String(epoch),
      DEBIAN_FRONTEND: 'noninteractive',
      LC_ALL: 'C',
      LANG: 'C',
    };
    await runDebootstrap(debootstrap, args, env, { signal: opts.signal, onLine: say });
    await unmountUnder(tmp);
    say('Removing non-reproducible files');
    await scrubRootfs(rootfs);
    say('Importing the root filesystem');
    const tar = await rootfsTarStream(rootfs, epoch, opts.signal);
    const [first, ...more] = opts.tags;
    const id = await images.importRootfs(tar, {
      repoTag: first,
      changes: ['CMD ["bash"]', `ENV ${PATH_ENV}`],
      message: `debian ${opts.suite} minbase (debootstrap, berth bootstrap)`,
      created: new Date(epoch * 1000),
      signal: opts.signal,
    });
    for (const t of more) await images.tag(id, t);
    return { id, epoch, mirror: mirror.uri };
  } catch (e) {
    if (e instanceof BerthError || opts.signal?.aborted) throw e;
    throw internal(`bootstrap debian:${opts.suite}: ${e instanceof Error ? e.message : String(e)}`, e);
  } finally {
    await removeBootstrapDir(tmp).catch(() => {});
  }
}
