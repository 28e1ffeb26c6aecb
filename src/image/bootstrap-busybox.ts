// The offline default image: no registry is reachable from these machines, so `busybox:latest` is built from the
// host's static busybox binary (Debian busybox-static). The rootfs tar is reproducible — same binary, same bytes:
// sorted entries, owner 0:0, every mtime clamped to the binary's own mtime — so the layer digest and (with `created`
// derived from the same mtime) the image id are stable across runs and machines with the same package.

import { chmod, copyFile, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalidArgument } from '../base/errors.ts';
import { run } from '../sys/exec.ts';
import type { ImageService } from './image-service.ts';

export const DEFAULT_BUSYBOX = '/bin/busybox';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;

const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
mail:x:12:
www-data:x:33:
operator:x:37:
staff:x:50:
users:x:100:
nogroup:x:65534:
`;

/** Directories of the rootfs with their modes (the runtime mounts /proc, /sys, /dev and the /etc/hosts family). */
const DIRS: [string, number][] = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['proc', 0o755],
  ['root', 0o700],
  ['sys', 0o755],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/sbin', 0o755],
  ['var', 0o755],
  ['var/spool', 0o755],
  ['var/spool/mail', 0o755],
  ['var/www', 0o755],
];

async function applets(busybox: string): Promise<string[]> {
  const { stdout } = await run(busybox, ['--list']);
  const names = stdout
    .toString()
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'busybox' && !s.includes('/'));
  if (!names.includes('sh')) throw invalidArgument(`${busybox} has no "sh" applet`);
  return [...new Set(names)].sort();
}

/** The binary's mtime in whole seconds: the fixed timestamp of every entry and of the image. */
export async function busyboxEpoch(busyboxPath = DEFAULT_BUSYBOX): Promise<number> {
  return Math.floor((await stat(busyboxPath)).mtimeMs / 1000);
}

/** A reproducible rootfs tar: /bin/busybox, one symlink per applet in /bin, /etc/passwd and /etc/group. */
export async function buildBusyboxRootfsTar(opts: { busyboxPath?: string; signal?: AbortSignal } = {}): Promise<Buffer> {
  const busybox = opts.busyboxPath ?? DEFAULT_BUSYBOX;
  const st = await stat(busybox).catch(() => {
    throw invalidArgument(`${busybox} not found: install busybox-static to bootstrap the busybox image`);
  });
  if (!st.isFile()) throw invalidArgument(`${busybox} is not a file`);
  const epoch = Math.floor(st.mtimeMs / 1000);
  const names = await applets(busybox);
  const stage = await mkdtemp(join(tmpdir(), 'berth-busybox-'));
  try {
    for (const [d, mode] of DIRS) {
      await mkdir(join(stage, d), { recursive: true });
      await chmod(join(stage, d), mode); // explicit: the daemon's umask must not change the layer
    }
    await copyFile(busybox, join(stage, 'bin/busybox'));
    await chmod(join(stage, 'bin/busybox'), 0o755);
    for (const n of names) await symlink('busybox', join(stage, 'bin', n));
    for (const [file, text] of [['etc/passwd', PASSWD], ['etc/group', GROUP]] as const) {
      await writeFile(join(stage, file), text);
      await chmod(join(stage, file), 0o644);
    }
    const top = [...new Set(DIRS.map(([d]) => d.split('/')[0]!))].sort();
    const { stdout } = await run(
      'tar',
      ['-c', '--sort=name', `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', '-C', stage, ...top],
      { signal: opts.signal },
    );
    return stdout;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Imports the busybox rootfs as `busybox:latest` (or `tag`). Idempotent: the same binary gives the same image id. */
export async function bootstrapBusybox(
  images: ImageService,
  opts: { tag?: string; busyboxPath?: string; signal?: AbortSignal } = {},
): Promise<string> {
  const busyboxPath = opts.busyboxPath ?? DEFAULT_BUSYBOX;
  const tar = await buildBusyboxRootfsTar({ busyboxPath, signal: opts.signal });
  return images.importRootfs(tar, {
    repoTag: opts.tag ?? 'busybox:latest',
    changes: ['CMD ["sh"]', `ENV ${PATH_ENV}`],
    message: 'busybox rootfs from busybox-static (berth bootstrap)',
    created: new Date((await busyboxEpoch(busyboxPath)) * 1000),
    signal: opts.signal,
  });
}
