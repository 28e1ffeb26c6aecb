// The machine's own Debian mirror, read from apt's configuration: /etc/apt/sources.list and sources.list.d/*.list
// (one-line format) and sources.list.d/*.sources (deb822). `berth bootstrap debian:*` points debootstrap at it, so no
// mirror host is ever named in Berth itself.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AptSource {
  /** "deb" and/or "deb-src". */
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** Signed-By / [signed-by=...]: a keyring file (or inline key, which is not a path). */
  signedBy?: string;
  enabled: boolean;
}

export interface DebianMirror {
  uri: string;
  /** Keyring file to verify the Release file with, when the source names one. */
  keyring?: string;
}

/** One-line format: `deb [opt=val ...] URI SUITE [COMPONENT...]`; `#` starts a comment. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const type = line.split(/\s+/, 1)[0]!;
    if (type !== 'deb' && type !== 'deb-src') continue;
    line = line.slice(type.length).trim();
    const opts: Record<string, string> = {};
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      if (end < 0) continue;
      for (const o of line.slice(1, end).trim().split(/\s+/)) {
        const eq = o.indexOf('=');
        if (eq > 0) opts[o.slice(0, eq).toLowerCase()] = o.slice(eq + 1);
      }
      line = line.slice(end + 1).trim();
    }
    const [uri, suite, ...components] = line.split(/\s+/);
    if (!uri || !suite) continue;
    out.push({
      types: [type],
      uris: [uri],
      suites: [suite],
      components,
      signedBy: opts['signed-by'],
      enabled: opts['enabled'] === undefined || opts['enabled'] !== 'no',
    });
  }
  return out;
}

/** deb822 format: paragraphs of `Field: value` separated by blank lines; continuation lines start with a space. */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  const paragraphs: Record<string, string>[] = [];
  let cur: Record<string, string> = {};
  let last: string | undefined;
  const flush = () => {
    if (Object.keys(cur).length) paragraphs.push(cur);
    cur = {};
    last = undefined;
  };
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) continue;
    if (!raw.trim()) {
      flush();
      continue;
    }
    if (/^[ \t]/.test(raw)) {
      if (last !== undefined) cur[last] += '\n' + raw.trim();
      continue;
    }
    const colon = raw.indexOf(':');
    if (colon <= 0) continue;
    last = raw.slice(0, colon).trim().toLowerCase();
    cur[last] = raw.slice(colon + 1).trim();
  }
  flush();
  const words = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
  for (const p of paragraphs) {
    const types = words(p['types']);
    const uris = words(p['uris']);
    const suites = words(p['suites']);
    if (!types.length || !uris.length || !suites.length) continue;
    const signedBy = p['signed-by'];
    out.push({
      types,
      uris,
      suites,
      components: words(p['components']),
      // A multi-line value is an inline key block, not a path.
      signedBy: signedBy && !signedBy.includes('\n') ? signedBy : undefined,
      enabled: (p['enabled'] ?? 'yes').toLowerCase() !== 'no',
    });
  }
  return out;
}

const DEBIAN_RELEASES = new Set([
  'buster', 'bullseye', 'bookworm', 'trixie', 'forky', 'duke', 'sid',
  'oldoldstable', 'oldstable', 'stable', 'testing', 'unstable',
]);

/**
 * The mirror to debootstrap `suite` from: the first enabled `deb` source (http, https or file) listing that suite
 * with `main`, else the first one listing another Debian release (not -updates/-security/-backports): a Debian mirror
 * serves every release. Third-party repositories (their own suite names) are never chosen.
 */
export function chooseDebianMirror(sources: AptSource[], suite: string): DebianMirror | undefined {
  const usable = sources.filter(
    (s) => s.enabled && s.types.includes('deb') && (s.components.length === 0 || s.components.includes('main')),
  );
  const pick = (s: AptSource): DebianMirror | undefined => {
    const uri = s.uris.find((u) => /^(https?|file):\//i.test(u));
    if (!uri) return undefined;
    return { uri: uri.replace(/\/+$/, ''), keyring: s.signedBy?.startsWith('/') ? s.signedBy : undefined };
  };
  for (const s of usable) if (s.suites.includes(suite)) {
    const m = pick(s);
    if (m) return m;
  }
  for (const s of usable) if (s.suites.some((x) => DEBIAN_RELEASES.has(x))) {
    const m = pick(s);
    if (m) return m;
  }
  return undefined;
}

/** Every source apt would read under `aptDir` (default /etc/apt), in apt's order: sources.list, then parts by name. */
export async function readAptSources(aptDir = '/etc/apt'): Promise<AptSource[]> {
  const out: AptSource[] = [];
  const text = await readFile(join(aptDir, 'sources.list'), 'utf8').catch(() => '');
  out.push(...parseOneLineSources(text));
  const parts = await readdir(join(aptDir, 'sources.list.d')).catch(() => [] as string[]);
  for (const name of parts.sort()) {
    // apt ignores anything else (.save, .disabled, ...).
    if (!/^[A-Za-z0-9_.-]+\.(list|sources)$/.test(name)) continue;
    const body = await readFile(join(aptDir, 'sources.list.d', name), 'utf8').catch(() => '');
    out.push(...(name.endsWith('.sources') ? parseDeb822Sources(body) : parseOneLineSources(body)));
  }
  return out;
}

export async function discoverDebianMirror(suite: string, aptDir = '/etc/apt'): Promise<DebianMirror | undefined> {
  return chooseDebianMirror(await readAptSources(aptDir), suite);
}
