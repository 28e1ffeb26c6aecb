// .dockerignore with Docker's exact rules (moby/patternmatcher + ignorefile): lines starting with `#` are comments,
// whitespace is trimmed, patterns are cleaned like Go's filepath.Clean and lose a leading `/`; `*` and `?` never match
// `/`, `**` matches any number of directories, `[...]` classes and `\` escapes as in Go's filepath.Match; `!pattern`
// re-includes; the last matching pattern wins; a pattern matching a parent directory matches everything inside.
// A directory that is excluded is still walked when an exception could re-include something inside it.

import path from 'node:path';
import { invalidArgument } from '../base/errors.ts';

export interface IgnorePattern {
  /** Cleaned pattern, without the `!`. */
  pattern: string;
  exclusion: boolean;
}

export interface IgnoreMatcher {
  /** True when `relPath` (slash-separated, relative to the context root) is excluded. */
  (relPath: string, isDir?: boolean): boolean;
  readonly patterns: readonly IgnorePattern[];
  /** Any `!` patterns. */
  readonly hasExclusions: boolean;
  /** Whether an exception could re-include something under the (excluded) directory `dir`. */
  mayIncludeUnder(dir: string): boolean;
}

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const r = (rooted ? '/' : '') + out.join('/');
  return r === '' ? '.' : r;
}

/** Patterns from a .dockerignore file (ignorefile.ReadAll). */
export function readIgnorePatterns(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let line of lines) {
    line = line.replace(/\r$/, '');
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? '!' + p : p);
  }
  return out;
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface Compiled extends IgnorePattern {
  type: MatchType;
  re?: RegExp;
  dirs: string[];
}

const SHOULD_ESCAPE = '.+()|{}$';

/** Throws if Go's filepath.Match would reject the pattern. */
function validatePattern(p: string): void {
  const bad = () => {
    throw invalidArgument(`syntax error in pattern: ${p}`);
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (i + 1 >= p.length) bad();
      i++;
    } else if (c === '[') {
      i++;
      if (p[i] === '^') i++;
      let first = true;
      for (;;) {
        if (i >= p.length) bad();
        if (p[i] === ']' && !first) break;
        first = false;
        const esc = () => {
          if (p[i] === '-' || p[i] === ']') bad();
          if (p[i] === '\\') i++;
          if (i >= p.length) bad();
          i++;
        };
        esc();
        if (p[i] === '-') {
          i++;
          esc();
        }
      }
    }
  }
}

function compile(pattern: string, exclusion: boolean): Compiled {
  validatePattern(pattern);
  let re = '^';
  let type: MatchType = 'exact';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        const atStart = i === 0;
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (atStart) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (SHOULD_ESCAPE.includes(ch)) {
      re += '\\' + ch;
    } else if (ch === '\\') {
      if (i + 1 < chars.length) re += '\\' + chars[++i];
      else re += '\\\\';
      type = 'regexp'; // an escaped character never compares literally with its backslash
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else re += ch;
  }
  const c: Compiled = { pattern, exclusion, type, dirs: pattern.split('/') };
  if (type === 'regexp') c.re = new RegExp(re + '$', 's');
  return c;
}

function matchOne(p: Compiled, file: string): boolean {
  switch (p.type) {
    case 'exact':
      return file === p.pattern;
    case 'prefix':
      return file.startsWith(p.pattern.slice(0, -2));
    case 'suffix': {
      const suffix = p.pattern.slice(2);
      if (file.endsWith(suffix)) return true;
      return suffix.startsWith('/') && file === suffix.slice(1);
    }
    case 'regexp':
      return p.re!.test(file);
  }
}

/** Component glob (`*`, `?`, classes) for prefix checks while walking. */
function componentMatches(pat: string, name: string): boolean {
  if (pat.includes('**')) return true;
  try {
    const c = compile(pat, false);
    return matchOne(c, name);
  } catch {
    return false;
  }
}

/** patternmatcher.New + MatchesOrParentMatches, over a pattern list (e.g. from readIgnorePatterns). */
export function createPatternMatcher(patterns: readonly string[]): IgnoreMatcher {
  const compiled: Compiled[] = [];
  for (let p of patterns) {
    p = p.trim();
    if (p === '') continue;
    p = cleanPath(p);
    let exclusion = false;
    if (p.startsWith('!')) {
      if (p.length === 1) throw invalidArgument('illegal exclusion pattern: "!"');
      exclusion = true;
      p = p.slice(1);
    }
    compiled.push(compile(p, exclusion));
  }
  const hasExclusions = compiled.some((c) => c.exclusion);
  const matches = (relPath: string): boolean => {
    const file = relPath;
    const parent = path.posix.dirname(file);
    const parentDirs = parent.split('/');
    let matched = false;
    for (const p of compiled) {
      if (p.exclusion !== matched) continue;
      let m = matchOne(p, file);
      if (!m && parent !== '.') {
        for (let i = 0; i < parentDirs.length; i++) {
          if (matchOne(p, parentDirs.slice(0, i + 1).join('/'))) {
            m = true;
            break;
          }
        }
      }
      if (m) matched = !p.exclusion;
    }
    return matched;
  };
  const mayIncludeUnder = (dir: string): boolean => {
    const parts = dir.split('/');
    return compiled.some((p) => {
      if (!p.exclusion) return false;
      if ((p.pattern + '/').startsWith(dir + '/')) return true;
      for (let i = 0; i < parts.length; i++) {
        const pd = p.dirs[i];
        if (pd === undefined) return false;
        if (pd.includes('**')) return true;
        if (!componentMatches(pd, parts[i]!)) return false;
      }
      return p.dirs.length > parts.length;
    });
  };
  const fn = (relPath: string, _isDir?: boolean) => matches(relPath);
  return Object.assign(fn, { patterns: compiled.map(({ pattern, exclusion }) => ({ pattern, exclusion })), hasExclusions, mayIncludeUnder });
}

/** createIgnoreMatcher(.dockerignore text) → (relPath, isDir) → excluded? */
export function createIgnoreMatcher(text: string): IgnoreMatcher {
  return createPatternMatcher(readIgnorePatterns(text));
}

