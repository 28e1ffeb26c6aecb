// berth cp [-a] [-L] CONTAINER:SRC_PATH DEST_PATH|-   and   berth cp [-a] [-L] SRC_PATH|- CONTAINER:DEST_PATH
// Docker's rules: a directory is copied as itself, or its contents with a trailing "/."; a destination that does not
// exist takes the source's place under the new name; "-" is a tar stream on stdin/stdout. The host side is archived
// and extracted with GNU tar (renaming the top entry with --transform, as docker's CLI rebases archive entries).
import { spawn } from 'node:child_process';
import { lstat, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  getContainerArchive,
  isDirMode,
  isSymlinkMode,
  putContainerArchive,
  statContainerPath,
} from '../../../client/container-fs-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

interface CpArg {
  container?: string;
  path: string;
}

/** docker's splitCpArg: absolute or dot-led paths are local; otherwise "NAME:PATH" names a container. */
export function splitCpArg(arg: string): CpArg {
  if (isAbsolute(arg) || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

/** The top name of a copied path: "." for "dir/." (contents), else its base name. */
function sourceBase(p: string): string {
  if (p === '.' || p.endsWith('/.')) return '.';
  const trimmed = p.replace(/\/+$/, '');
  return trimmed === '' ? '/' : basename(trimmed);
}

function escapeRegex(s: string): string {
  return s.replace(/[\\.^$*[\],]/g, (c) => `\\${c}`);
}

/** GNU tar --transform renaming a top entry (and everything under it) from `from` to `to`. */
export function rebaseTransform(from: string, to: string): string[] {
  if (from === to) return [];
  return [`--transform=s,^${escapeRegex(from)}\\(/\\|$\\),${to.replace(/[\\&,]/g, (c) => `\\${c}`)}\\1,rSh`];
}

function runTar(args: string[], input?: Readable): { stdout: Readable | null; done: Promise<void> } {
  const child = spawn('tar', args, { stdio: [input ? 'pipe' : 'ignore', input ? 'ignore' : 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  if (input) {
    child.stdin!.on('error', () => {});
    input.pipe(child.stdin!);
  }
  const done = new Promise<void>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res() : rej(new StatusError(1, `tar: ${err.trim() || `exit status ${code}`}`))));
  });
  return { stdout: child.stdout, done };
}

async function copyFromContainer(cli: Cli, src: Required<CpArg>, dst: string, follow: boolean): Promise<void> {
  const c = cli.client();
  let srcPath = src.path;
  if (follow) {
    const st = await statContainerPath(c, src.container, srcPath);
    if (st?.linkTarget) srcPath = st.linkTarget;
  }
  const { stat: st, stream } = await getContainerArchive(c, src.container, srcPath);
  if (dst === '-') {
    await pipeline(stream, cli.io.stdout, { end: false });
    return;
  }
  const srcIsDir = st ? isDirMode(st.mode) : false;
  const srcName = st?.name ?? sourceBase(srcPath);
  const dstSt = await stat(dst).catch(() => undefined);
  let dir: string;
  let transform: string[] = [];
  if (dstSt?.isDirectory()) {
    dir = dst;
  } else if (dstSt) {
    if (srcIsDir) throw new StatusError(1, `cannot copy directory`);
    dir = dirname(resolve(dst));
    transform = rebaseTransform(srcName, basename(dst));
  } else {
    if (dst.endsWith('/') && !srcIsDir) throw new StatusError(1, `no such directory`);
    dir = dirname(resolve(dst));
    const parent = await stat(dir).catch(() => undefined);
    if (!parent?.isDirectory()) throw new StatusError(1, `lstat ${dir}: no such file or directory`);
    transform = rebaseTransform(srcName, basename(resolve(dst)));
  }
  const tar = runTar(['-x', '-f', '-', '-p', '--no-same-owner', '-C', dir, ...transform], stream);
  await tar.done;
}

async function copyToContainer(cli: Cli, src: string, dst: Required<CpArg>, opts: { follow: boolean; archive: boolean }): Promise<void> {
  const c = cli.client();
  let dstPath = dst.path;
  let dstSt = await statContainerPath(c, dst.container, dstPath);
  if (dstSt && isSymlinkMode(dstSt.mode) && dstSt.linkTarget) {
    dstPath = dstSt.linkTarget;
    dstSt = await statContainerPath(c, dst.container, dstPath);
  }
  const put = (tar: Readable, path: string) =>
    putContainerArchive(c, dst.container, path, tar, { noOverwriteDirNonDir: true, copyUIDGID: opts.archive });
  if (src === '-') {
    if (!dstSt || !isDirMode(dstSt.mode)) throw new StatusError(1, `destination "${dst.container}:${dst.path}" must be a directory`);
    await put(cli.io.stdin, dstPath);
    return;
  }
  const srcSt = await (opts.follow ? stat(src) : lstat(src)).catch(() => undefined);
  if (!srcSt) throw new StatusError(1, `lstat ${resolve(src)}: no such file or directory`);
  const srcIsDir = srcSt.isDirectory();
  const name = sourceBase(src);
  let tarDir: string;
  let member: string;
  let transform: string[] = [];
  if (name === '.') {
    tarDir = resolve(src);
    member = '.';
  } else {
    tarDir = dirname(resolve(src));
    member = basename(resolve(src));
    if (opts.follow && (await lstat(src)).isSymbolicLink()) {
      // -L: archive what the link points to, under the link's name.
      const { realpath } = await import('node:fs/promises');
      const real = await realpath(src);
      tarDir = dirname(real);
      member = basename(real);
      transform = rebaseTransform(member, name);
    }
  }
  let target: string;
  const topName = transform.length ? name : member;
  if (dstSt && isDirMode(dstSt.mode)) {
    target = dstPath;
  } else {
    if (dstSt && srcIsDir) throw new StatusError(1, `cannot copy directory`);
    if (!dstSt && dstPath.endsWith('/') && !srcIsDir) throw new StatusError(1, `no such directory`);
    target = dirname(dstPath.replace(/\/+$/, '') || '/');
    transform = [...transform, ...rebaseTransform(topName, basename(dstPath.replace(/\/+$/, '')))];
  }
  const tar = runTar(['-c', '-f', '-', '--numeric-owner', '-C', tarDir, ...transform, '--', member]);
  await Promise.all([put(tar.stdout!, target), tar.done]);
}

export function cpCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({
    name: 'cp',
    usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: 'Copy files/folders between a container and the local filesystem',
  })
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy') as BerthCommand;
  return bindAction<{ archive?: boolean; followLink?: boolean; quiet?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 2, 2);
    const src = splitCpArg(args[0]!);
    const dst = splitCpArg(args[1]!);
    if (src.container && dst.container) throw new StatusError(1, 'copying between containers is not supported');
    if (!src.container && !dst.container) throw new StatusError(1, 'must specify at least one container source');
    if (src.container) {
      if (!src.path) throw new StatusError(1, "filepath must not be empty");
      return copyFromContainer(cli, { container: src.container, path: src.path }, dst.path, !!f.followLink);
    }
    if (!dst.path) throw new StatusError(1, 'filepath must not be empty');
    return copyToContainer(cli, src.path, { container: dst.container!, path: dst.path }, { follow: !!f.followLink, archive: !!f.archive });
  });
}
