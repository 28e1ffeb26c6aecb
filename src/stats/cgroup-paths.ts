// Where a process's cgroup files are: /proc/<pid>/cgroup gives the path per hierarchy, the mount table gives where
// each hierarchy is mounted. Hosts differ (findings §0): v1 with cpu and cpuacct mounted separately, v1 with
// "cpu,cpuacct" together, hybrid (v1 + an empty unified), or pure v2; this file hides that.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CgroupMount {
  /** Mount point, e.g. /sys/fs/cgroup/cpuacct. */
  mountPoint: string;
  /** The cgroup path the mount shows as its root (usually "/"). */
  root: string;
  /** v1 controllers (cpu, cpuacct, memory, name=systemd ...) or [] for the unified hierarchy. */
  controllers: string[];
  v2: boolean;
}

export interface CgroupDirs {
  /** v1 directory per controller that has one (cpu, cpuacct, memory, pids, blkio ...). */
  v1: Record<string, string>;
  /** The unified (v2) directory, if the unified hierarchy is mounted. */
  v2: string | null;
  /** Read v2 files: no v1 memory controller, so the host is pure (or v2-first) cgroup v2. */
  mode: 'v1' | 'v2';
}

/** /proc/self/mountinfo → the cgroup mounts. Fields: id parent maj:min root mountpoint opts... - fstype source superopts. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const pre = line.slice(0, dash).split(' ');
    const post = line.slice(dash + 3).split(' ');
    const fstype = post[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const root = unescapeMount(pre[3] ?? '/');
    const mountPoint = unescapeMount(pre[4] ?? '');
    const v2 = fstype === 'cgroup2';
    const controllers = v2
      ? []
      : (post[2] ?? '').split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent') && o !== 'clone_children' && !o.startsWith('xattr') && o !== 'noprefix');
    out.push({ mountPoint, root, controllers, v2 });
  }
  return out;
}

const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/<pid>/cgroup → { controller: path } plus '' for the unified line ("0::/path"). */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const ctrls = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (ctrls === '') out.set('', path);
    else for (const c of ctrls.split(',')) out.set(c, path);
  }
  return out;
}

function under(m: CgroupMount, path: string): string | null {
  // A mount of a sub-tree (root "/a") only shows paths inside it.
  if (m.root === '/') return join(m.mountPoint, path);
  if (path === m.root) return m.mountPoint;
  if (path.startsWith(m.root + '/')) return join(m.mountPoint, path.slice(m.root.length));
  return null;
}

export function resolveCgroupDirs(mounts: CgroupMount[], procCgroup: Map<string, string>): CgroupDirs {
  const v1: Record<string, string> = {};
  let v2: string | null = null;
  for (const m of mounts) {
    if (m.v2) {
      const p = procCgroup.get('');
      if (p !== undefined && v2 === null) v2 = under(m, p);
      continue;
    }
    for (const c of m.controllers) {
      const p = procCgroup.get(c);
      if (p === undefined || v1[c]) continue;
      const dir = under(m, p);
      if (dir) v1[c] = dir;
    }
  }
  return { v1, v2, mode: v1.memory || v1.cpuacct ? 'v1' : 'v2' };
}

export interface ProcRoots {
  /** /proc (tests point it at a fake tree). */
  proc: string;
}

/** Mount table, read once per reader (cgroup mounts do not move under a running daemon). */
export class CgroupLocator {
  private readonly roots: ProcRoots;
  private mounts: Promise<CgroupMount[]> | null = null;

  constructor(roots: ProcRoots = { proc: '/proc' }) {
    this.roots = roots;
  }

  get procRoot(): string {
    return this.roots.proc;
  }

  private cgroupMounts(): Promise<CgroupMount[]> {
    this.mounts ??= readFile(join(this.roots.proc, 'self/mountinfo'), 'utf8').then(parseCgroupMounts, () => []);
    return this.mounts;
  }

  async dirsOf(pid: number): Promise<CgroupDirs> {
    const text = await readFile(join(this.roots.proc, String(pid), 'cgroup'), 'utf8');
    return resolveCgroupDirs(await this.cgroupMounts(), parseProcCgroup(text));
  }
}
