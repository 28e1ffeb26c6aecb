// Resolves a Docker user spec ('', 'name', 'uid', 'name:group', 'uid:gid') against the container's own
// /etc/passwd and /etc/group, with the semantics runc's libcontainer/user gives Docker.
import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../base/errors.ts';
import { resolveScoped } from '../sys/scoped-path.ts';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Primary gid first, then groups the user is listed in (implicit form only), then groupAdd; no duplicates. */
  additionalGids: number[];
  /** Home from the passwd entry; '/' when there is none. */
  home: string;
  /** The matched passwd name, if any. */
  name?: string;
}

const MAX_ID = 2 ** 31 - 1;

function lines(text: string): string[][] {
  const out: string[][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(line.split(':'));
  }
  return out;
}

const toInt = (s: string | undefined): number => {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
};

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((f) => ({
    name: f[0] ?? '',
    uid: toInt(f[2]),
    gid: toInt(f[3]),
    gecos: f[4] ?? '',
    home: f[5] ?? '',
    shell: f[6] ?? '',
  }));
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).map((f) => ({
    name: f[0] ?? '',
    gid: toInt(f[2]),
    members: (f[3] ?? '').split(',').filter((m) => m !== ''),
  }));
}

/** A decimal id, or undefined when `s` is not numeric. Out-of-range numbers are an error, as in runc. */
function numericId(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n < 0 || n > MAX_ID) throw invalidArgument(`user/group id out of range: ${s}`, 'invalid_user');
  return n;
}

/**
 * Maps `p` (absolute, as seen inside the container) to a host path under `root`, following symlinks as if `root`
 * were '/', so an image's `/etc/passwd -> /host/file` or `../../x` cannot point outside the rootfs.
 */
export async function resolveInRoot(root: string, p: string): Promise<string> {
  return (await resolveScoped(root, p, { followLast: true })).hostPath;
}

async function readOptional(root: string, file: string): Promise<string | undefined> {
  try {
    return await readFile(await resolveInRoot(root, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw e;
  }
}

export interface ResolveUserOptions {
  groupAdd?: readonly string[];
}

/** Resolves against in-memory file contents; undefined content means the file does not exist. */
export function resolveUserFrom(
  files: { passwd?: string; group?: string },
  userSpec: string,
  opts: ResolveUserOptions = {},
): ResolvedUser {
  const colon = userSpec.indexOf(':');
  const userArg = colon < 0 ? userSpec : userSpec.slice(0, colon);
  const groupArg = colon < 0 ? '' : userSpec.slice(colon + 1);
  const uidArg = numericId(userArg);
  const gidArg = numericId(groupArg);
  const passwd = files.passwd === undefined ? undefined : parsePasswd(files.passwd);
  const group = files.group === undefined ? undefined : parseGroup(files.group);

  let uid = 0;
  let gid = 0;
  let home = '/';
  let matchedName: string | undefined;

  const match = passwd?.find((u) => {
    if (userArg === '') return u.uid === 0;
    if (uidArg !== undefined) return u.uid === uidArg;
    return u.name === userArg;
  });
  if (match) {
    matchedName = match.name;
    uid = match.uid;
    gid = match.gid;
    home = match.home || '/';
  } else if (userArg !== '') {
    if (uidArg === undefined) {
      throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`, 'user_not_found');
    }
    uid = uidArg;
  }

  const sgids: number[] = [];
  if (groupArg !== '') {
    const g = group?.find((e) => (gidArg !== undefined ? e.gid === gidArg : e.name === groupArg));
    if (g) gid = g.gid;
    else if (gidArg !== undefined) gid = gidArg;
    else throw invalidArgument(`unable to find group ${groupArg}: no matching entries in group file`, 'group_not_found');
  } else if (matchedName !== undefined && group) {
    for (const g of group) if (g.members.includes(matchedName)) sgids.push(g.gid);
  }

  const added: number[] = [];
  for (const ag of opts.groupAdd ?? []) {
    const g = group?.find((e) => e.name === ag || String(e.gid) === ag);
    if (g) {
      added.push(g.gid);
      continue;
    }
    const n = numericId(ag);
    if (n === undefined) {
      throw invalidArgument(`Unable to find group ${ag}: no matching entries in group file`, 'group_not_found');
    }
    added.push(n);
  }

  const additionalGids = [...new Set([gid, ...sgids, ...added])];
  return { uid, gid, additionalGids, home, ...(matchedName !== undefined ? { name: matchedName } : {}) };
}

/** Reads `rootfs`/etc/passwd and /etc/group (either may be missing) and resolves `userSpec`. */
export async function resolveUser(rootfs: string, userSpec: string, opts: ResolveUserOptions = {}): Promise<ResolvedUser> {
  const [passwd, group] = await Promise.all([
    readOptional(rootfs, '/etc/passwd'),
    readOptional(rootfs, '/etc/group'),
  ]);
  return resolveUserFrom({ ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) }, userSpec, opts);
}
