// A container's changes, read from its overlay upper dir against the read-only lower layers, in two forms:
//   - Docker's change list (GET /containers/{id}/changes): Kind 0 modified, 1 added, 2 deleted;
//   - the entries of a layer tar (commit): the upper dir's files, with overlay whiteouts turned back into OCI form
//     (char 0/0 device NAME → empty file ".wh.NAME"; trusted.overlay.opaque=y on DIR → "DIR/.wh..wh..opq").
// trusted.overlay.* xattrs are overlay's bookkeeping and never go into a layer.
//
// The runtime creates mountpoints in the writable layer when the image lacks them (empty /etc/hosts, /etc/hostname,
// /etc/resolv.conf, /proc, /sys, /dev ...). Docker keeps those in a separate init layer; here they are recognised as
// empty placeholders that the lower layers do not have, and left out of both forms, as Docker's output never shows
// them.

import { lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../sys/exec.ts';

export const CHANGE_MODIFY = 0;
export const CHANGE_ADD = 1;
export const CHANGE_DELETE = 2;

export interface Change {
  /** Absolute container path. */
  Path: string;
  Kind: 0 | 1 | 2;
}

export interface LayerEntry {
  /** Relative path in the layer (no leading "/"). */
  path: string;
  /** Absolute host path of the source in the upper dir; absent for synthesized whiteouts. */
  source?: string;
  stat?: Stats;
  /** '.wh.NAME' file or '.wh..wh..opq' marker (path is then the marker's path). */
  whiteout?: boolean;
  xattrs?: Record<string, Buffer>;
}

export interface OverlayDiff {
  changes: Change[];
  entries: LayerEntry[];
}

const PLACEHOLDER_FILES = new Set(['etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv', 'etc/mtab']);
const PLACEHOLDER_DIRS = new Set(['proc', 'sys', 'dev', 'dev/pts', 'dev/shm', 'dev/mqueue', 'etc']);

const isWhiteoutDevice = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

/** Unescapes getfattr's quoting of file names (octal escapes like \012, and \\). */
function unescapeGetfattr(s: string): string {
  return s.replace(/\\([0-7]{3}|\\)/g, (_m, g: string) => (g === '\\' ? '\\' : String.fromCharCode(parseInt(g, 8))));
}

/** Parses `getfattr -d -e base64 -m - --absolute-names` output into path → name → value. */
export function parseGetfattr(text: string): Map<string, Record<string, Buffer>> {
  const out = new Map<string, Record<string, Buffer>>();
  let current: Record<string, Buffer> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = {};
      out.set(unescapeGetfattr(line.slice('# file: '.length)), current);
      continue;
    }
    if (!current || !line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const name = line.slice(0, eq);
    let raw = line.slice(eq + 1);
    let value: Buffer;
    if (raw.startsWith('0s')) value = Buffer.from(raw.slice(2), 'base64');
    else if (raw.startsWith('0x')) value = Buffer.from(raw.slice(2), 'hex');
    else {
      if (raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
      value = Buffer.from(raw);
    }
    current[name] = value;
  }
  return out;
}

/** Every xattr under `dir` (symlinks not followed), one getfattr run for the whole tree. */
export async function readXattrsTree(dir: string, opts: { signal?: AbortSignal } = {}): Promise<Map<string, Record<string, Buffer>>> {
  // Exit status 1 means some file had none readable (e.g. a whiteout device); the output is still complete.
  const r = await run('getfattr', ['-R', '-P', '-d', '-m', '-', '-e', 'base64', '--absolute-names', dir], { signal: opts.signal, allowExit: [1] });
  return parseGetfattr(r.stdout.toString('utf8'));
}

/** Whether a directory carries overlay's opaque marker (one getfattr run; only asked for dirs made opaque above). */
export async function isOpaqueDir(layer: string, rel: string): Promise<boolean> {
  const r = await run('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', '--', join(layer, rel)], { allowExit: [1] }).catch(() => undefined);
  return !!r && r.code === 0 && r.stdout.toString() === 'y';
}

interface LowerLookup {
  /** lstat of the path as the merged lower layers show it, or undefined if absent there. */
  stat(rel: string): Promise<Stats | undefined>;
  /** Names visible in the merged lower view of directory `rel`. */
  list(rel: string): Promise<string[]>;
}

/** The merged view of read-only overlay lowers (top-most first), honouring their whiteouts and opaque dirs. */
export function lowerLookup(lowers: readonly string[], opaque: (layer: string, rel: string) => Promise<boolean>): LowerLookup {
  const statIn = async (dir: string, rel: string) => lstat(join(dir, rel)).catch(() => undefined);
  return {
    async stat(rel) {
      for (const l of lowers) {
        const st = await statIn(l, rel);
        if (st) return isWhiteoutDevice(st) ? undefined : st;
      }
      return undefined;
    },
    async list(rel) {
      const seen = new Map<string, boolean>();
      for (const l of lowers) {
        const st = await statIn(l, rel);
        if (!st) continue;
        if (!st.isDirectory()) break;
        for (const name of await readdir(join(l, rel)).catch(() => [] as string[])) {
          if (seen.has(name)) continue;
          const c = await statIn(l, join(rel, name));
          seen.set(name, !!c && !isWhiteoutDevice(c));
        }
        if (await opaque(l, rel)) break;
      }
      return [...seen].filter(([, visible]) => visible).map(([n]) => n);
    },
  };
}

const sameDirMeta = (a: Stats, b: Stats) => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;

/**
 * Walks `upper` against `lowers` (top-most first). `xattrs` maps absolute upper paths to their xattrs (from
 * readXattrsTree); `lowerXattrs` the same for the lowers (only trusted.overlay.opaque is consulted there).
 */
export async function overlayDiff(
  upper: string,
  lowers: readonly string[],
  opts: { xattrs?: Map<string, Record<string, Buffer>>; lowerOpaque?: (layer: string, rel: string) => Promise<boolean>; signal?: AbortSignal } = {},
): Promise<OverlayDiff> {
  const xattrs = opts.xattrs ?? (await readXattrsTree(upper, opts));
  const lower = lowerLookup(lowers, opts.lowerOpaque ?? isOpaqueDir);
  const changes: Change[] = [];
  const entries: LayerEntry[] = [];
  const changedDirs = new Set<string>();
  const isOpaque = (abs: string) => xattrs.get(abs)?.['trusted.overlay.opaque']?.toString() === 'y';
  const layerXattrs = (abs: string): Record<string, Buffer> | undefined => {
    const all = xattrs.get(abs);
    if (!all) return undefined;
    const kept = Object.entries(all).filter(([k]) => !k.startsWith('trusted.overlay.'));
    return kept.length ? Object.fromEntries(kept) : undefined;
  };
  const record = (rel: string, kind: 0 | 1 | 2) => {
    if (kind !== CHANGE_MODIFY) {
      const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
      if (parent && !changedDirs.has(parent)) {
        changedDirs.add(parent);
        changes.push({ Path: '/' + parent, Kind: CHANGE_MODIFY });
      }
    }
    if (kind === CHANGE_MODIFY && changedDirs.has(rel)) return;
    if (kind !== CHANGE_DELETE) changedDirs.add(rel);
    changes.push({ Path: '/' + rel, Kind: kind });
  };

  /** Returns true when the directory kept anything (so a placeholder parent with nothing else is dropped). */
  const walk = async (rel: string, hidden: boolean): Promise<boolean> => {
    opts.signal?.throwIfAborted();
    const abs = rel ? join(upper, rel) : upper;
    const names = (await readdir(abs)).sort();
    let kept = false;
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = join(abs, name);
      const st = await lstat(childAbs);
      if (isWhiteoutDevice(st)) {
        entries.push({ path: rel ? `${rel}/.wh.${name}` : `.wh.${name}`, whiteout: true });
        if (!hidden && (await lower.stat(childRel))) record(childRel, CHANGE_DELETE);
        kept = true;
        continue;
      }
      const below = hidden ? undefined : await lower.stat(childRel);
      if (!below && st.size === 0 && st.isFile() && PLACEHOLDER_FILES.has(childRel)) continue;
      if (st.isDirectory()) {
        const opaque = isOpaque(childAbs);
        const entryIndex = entries.length;
        const changeIndex = changes.length;
        entries.push({ path: childRel, source: childAbs, stat: st, xattrs: layerXattrs(childAbs) });
        if (opaque) entries.push({ path: `${childRel}/.wh..wh..opq`, whiteout: true });
        if (!below) record(childRel, CHANGE_ADD);
        else if (opaque || !below.isDirectory() || !sameDirMeta(st, below)) record(childRel, CHANGE_MODIFY);
        if (opaque && below?.isDirectory()) {
          const inUpper = new Set(await readdir(childAbs));
          for (const n of (await lower.list(childRel)).sort()) {
            if (!inUpper.has(n)) record(`${childRel}/${n}`, CHANGE_DELETE);
          }
        }
        const childKept = await walk(childRel, hidden || opaque);
        const placeholder = !below && PLACEHOLDER_DIRS.has(childRel);
        const untouched = !!below?.isDirectory() && sameDirMeta(st, below);
        if (!childKept && !opaque && (placeholder || untouched)) {
          // An empty mountpoint the runtime made, or a directory only copied up for one: not a change.
          entries.splice(entryIndex);
          changes.splice(changeIndex);
          changedDirs.delete(childRel);
          continue;
        }
        kept = true;
        continue;
      }
      entries.push({ path: childRel, source: childAbs, stat: st, xattrs: layerXattrs(childAbs) });
      record(childRel, below ? CHANGE_MODIFY : CHANGE_ADD);
      kept = true;
    }
    return kept;
  };
  await walk('', false);
  changes.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
  return { changes, entries };
}
