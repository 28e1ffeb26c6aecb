// The build context as the classic POST /build wants it: a tar of the context directory with .dockerignore applied
// (the Dockerfile and .dockerignore are always sent), regular files, directories and symlinks.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

interface Pattern {
  re: RegExp;
  negate: boolean;
  /** The pattern's directory prefix, to know whether an excluded directory may still hold exceptions. */
  raw: string;
}

function globToRegExp(p: string): RegExp {
  let re = '^';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${p.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < p.length) re += `\\${p[++i]}`;
    else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  // A pattern matching a directory matches everything inside it too.
  return new RegExp(`${re}(?:/.*)?$`);
}

export function parseDockerignore(text: string): Pattern[] {
  const out: Pattern[] = [];
  for (let line of text.split(/\r?\n/)) {
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1).trim();
    }
    line = line.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\/\.\//g, '/').replace(/^\.\//, '');
    if (!line || line === '.') continue;
    out.push({ re: globToRegExp(line), negate, raw: line });
  }
  return out;
}

export function isExcluded(rel: string, patterns: Pattern[]): boolean {
  let excluded = false;
  for (const p of patterns) if (p.re.test(rel)) excluded = !p.negate;
  return excluded;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, o: { size: number; mode: number; type: string; linkname?: string; mtime: number }): Buffer[] {
  const out: Buffer[] = [];
  let hname = name;
  let prefix = '';
  const needsPax = Buffer.byteLength(name) > 100 || Buffer.byteLength(o.linkname ?? '') > 100;
  if (needsPax) {
    const recs = [`path=${name}`, ...(o.linkname ? [`linkpath=${o.linkname}`] : [])].map((r) => {
      let len = Buffer.byteLength(r) + 3;
      for (;;) {
        const line = `${len} ${r}\n`;
        if (Buffer.byteLength(line) === len) return line;
        len = Buffer.byteLength(line);
      }
    });
    const data = Buffer.from(recs.join(''));
    out.push(...header('PaxHeader', { size: data.length, mode: 0o644, type: 'x', mtime: o.mtime }), data, pad(data.length));
    hname = name.slice(-100);
  } else if (name.length > 100) {
    const i = name.lastIndexOf('/', name.length - 1);
    prefix = name.slice(0, i);
    hname = name.slice(i + 1);
  }
  const h = Buffer.alloc(512);
  h.write(hname, 0, 100);
  h.write(octal(o.mode & 0o7777, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(o.size, 12), 124);
  h.write(octal(Math.floor(o.mtime), 12), 136);
  h.write('        ', 148);
  h.write(o.type, 156);
  if (o.linkname) h.write(o.linkname.slice(0, 100), 157, 100);
  h.write('ustar\x0000', 257);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  out.unshift(h);
  // The pax record (when any) must precede its entry's header.
  if (needsPax) out.push(out.shift()!);
  return out;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** Tars `dir`, skipping what .dockerignore excludes (never `keep`: the Dockerfile and .dockerignore). */
export function contextTar(dir: string, keep: string[] = []): Buffer {
  let patterns: Pattern[] = [];
  try {
    patterns = parseDockerignore(readFileSync(join(dir, '.dockerignore'), 'utf8'));
  } catch {
    // No .dockerignore.
  }
  const hasExceptions = patterns.some((p) => p.negate);
  const parts: Buffer[] = [];
  const walk = (rel: string) => {
    const entries = readdirSync(join(dir, rel)).sort();
    for (const e of entries) {
      const r = rel ? `${rel}/${e}` : e;
      const abs = join(dir, r);
      const st = lstatSync(abs);
      const excluded = !keep.includes(r) && isExcluded(r, patterns);
      if (st.isDirectory()) {
        if (excluded && !hasExceptions) continue;
        if (!excluded) parts.push(...header(`${r}/`, { size: 0, mode: st.mode, type: '5', mtime: st.mtimeMs / 1000 }));
        walk(r);
      } else if (excluded) {
        continue;
      } else if (st.isSymbolicLink()) {
        parts.push(...header(r, { size: 0, mode: st.mode, type: '2', linkname: readlinkSync(abs), mtime: st.mtimeMs / 1000 }));
      } else if (st.isFile()) {
        const data = readFileSync(abs);
        parts.push(...header(r, { size: data.length, mode: st.mode, type: '0', mtime: st.mtimeMs / 1000 }), data, pad(data.length));
      }
    }
  };
  walk('');
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
