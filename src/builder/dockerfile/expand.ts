// Variable expansion with BuildKit's ShellLex rules (frontend/dockerfile/shell/lex.go): `$VAR`, `${VAR}`,
// `${VAR:-w}` `${VAR-w}` `${VAR:+w}` `${VAR+w}` `${VAR:?w}` `${VAR?w}`, `${VAR#p}` `${VAR##p}` `${VAR%p}` `${VAR%%p}`,
// `${VAR/p/r}` `${VAR//p/r}`; single quotes are literal, double quotes allow `$` and escape only `"`, `$` and the
// escape token; the escape token (`\` or `` ` ``) escapes any character outside quotes.
// ProcessWord keeps whitespace (one word, quotes removed); ProcessWords splits into words the way the shell would,
// with unquoted expansions split on whitespace.

import { DetailError, fail } from './dockerfile-error.ts';

/** Looks a variable up; undefined = unset. */
export type EnvLookup = (name: string) => string | undefined;

export interface ShellLexOptions {
  escapeToken?: string;
  /** Keep quote characters in the output (used to find heredoc words). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the output. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
}

export interface ProcessResult {
  result: string;
  words: string[];
  /** Variables referenced that were set. */
  matched: Set<string>;
  /** Variables referenced that were unset. */
  unmatched: Set<string>;
}

const EOF = '';

export class ShellLex {
  readonly escapeToken: string;
  readonly options: ShellLexOptions;
  constructor(options: ShellLexOptions = {}) {
    this.escapeToken = options.escapeToken ?? '\\';
    this.options = options;
  }

  /** One word: quotes processed, variables expanded, whitespace kept. Throws DetailError on syntax errors. */
  processWord(word: string, env: EnvLookup): string {
    return this.process(word, env).result;
  }

  /** Shell-like word splitting plus expansion. */
  processWords(word: string, env: EnvLookup): string[] {
    return this.process(word, env).words;
  }

  process(word: string, env: EnvLookup): ProcessResult {
    const sw = new ShellWord(word, env, this.escapeToken, this.options);
    try {
      const { result, words } = sw.processStopOn(EOF, !!this.options.rawEscapes);
      return { result, words, matched: sw.matched, unmatched: sw.unmatched };
    } catch (e) {
      if (e instanceof DetailError) fail(`failed to process "${word}": ${e.message}`);
      throw e;
    }
  }
}

class Words {
  word = '';
  words: string[] = [];
  inWord = false;
  addChar(ch: string) {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else this.addRawChar(ch);
  }
  addRawChar(ch: string) {
    this.word += ch;
    this.inWord = true;
  }
  addString(s: string) {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string) {
    this.word += s;
    this.inWord = true;
  }
  get(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

export const isSpace = (ch: string) => /^\s$/u.test(ch);
const isDigit = (ch: string) => /^\p{Nd}$/u.test(ch);
const isLetter = (ch: string) => /^\p{L}$/u.test(ch);
const isSpecialParam = (ch: string) => '@*#?-$!0'.includes(ch) && ch !== '';

class ShellWord {
  readonly chars: string[];
  pos = 0;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  rawEscapes: boolean;
  readonly env: EnvLookup;
  readonly esc: string;
  readonly opts: ShellLexOptions;
  constructor(input: string, env: EnvLookup, esc: string, opts: ShellLexOptions) {
    this.chars = [...input];
    this.env = env;
    this.esc = esc;
    this.opts = opts;
    this.rawEscapes = !!opts.rawEscapes;
  }
  peek(): string {
    return this.pos < this.chars.length ? this.chars[this.pos]! : EOF;
  }
  next(): string {
    return this.pos < this.chars.length ? this.chars[this.pos++]! : EOF;
  }
  getEnv(name: string): [string, boolean] {
    const v = this.env(name);
    if (v === undefined) {
      this.unmatched.add(name);
      return ['', false];
    }
    this.matched.add(name);
    return [v, true];
  }

  processStopOn(stop: string, rawEscapes: boolean): { result: string; words: string[] } {
    return this.processStopOnAny(stop === EOF ? [] : [stop], rawEscapes);
  }

  processStopOnAny(stops: string[], rawEscapes: boolean): { result: string; words: string[]; stoppedOn?: string } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new Words();
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stops.includes(ch)) {
          this.next();
          return { result, words: words.get(), stoppedOn: ch };
        }
        if (ch === '$') {
          const tmp = this.processDollar();
          result += tmp;
          words.addString(tmp);
        } else if (!this.opts.skipProcessQuotes && (ch === "'" || ch === '"')) {
          const tmp = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += tmp;
          words.addRawString(tmp);
        } else {
          let c = this.next();
          if (c === this.esc) {
            if (this.rawEscapes) {
              words.addRawChar(c);
              result += c;
            }
            c = this.next();
            if (c === EOF) break;
            words.addRawChar(c);
          } else {
            words.addChar(c);
          }
          result += c;
        }
      }
      if (stops.length > 0) fail(`unexpected end of statement while looking for matching ${stops.join('')}`);
      return { result, words: words.get() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  processSingleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.opts.rawQuotes) result += ch;
    for (;;) {
      ch = this.next();
      if (ch === EOF) fail('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  processDoubleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.opts.rawQuotes) result += ch;
    for (;;) {
      if (this.peek() === EOF) fail('unexpected end of statement while looking for matching double-quote');
      ch = this.peek();
      if (ch === '"') {
        this.next();
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      if (ch === '$') {
        result += this.processDollar();
        continue;
      }
      ch = this.next();
      if (ch === this.esc) {
        const p = this.peek();
        if (p === EOF) continue;
        if (p === '"' || p === '$' || p === this.esc) {
          if (this.rawEscapes) result += ch;
          ch = this.next();
        }
      }
      result += ch;
    }
  }

  processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  processDollar(): string {
    this.next(); // $
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const [value, set] = this.getEnv(name);
      if (!set && this.opts.skipUnsetEnv) return '$' + name;
      return value;
    }
    this.next(); // {
    const p = this.peek();
    if (p === EOF) fail("syntax error: missing '}'");
    if (p === '{' || p === '}' || p === ':') fail('syntax error: bad substitution');
    const name = this.processName();
    const ch = this.next();
    switch (ch) {
      case '}': {
        const [value, set] = this.getEnv(name);
        if (!set && this.opts.skipUnsetEnv) return `\${${name}}`;
        return value;
      }
      case ':': {
        const modifier = this.next();
        const word = this.stopOnBrace(false);
        const [value, set] = this.getEnv(name);
        if (this.opts.skipUnsetEnv && !set) return `\${${name}:${modifier}${word}}`;
        switch (modifier) {
          case '+':
            return value !== '' ? word : '';
          case '-':
            return value === '' ? word : value;
          case '?':
            if (!set) fail(`${name}: ${word || 'is not allowed to be unset'}`);
            if (value === '') fail(`${name}: ${word || 'is not allowed to be empty'}`);
            return value;
          default:
            return fail(`unsupported modifier (${modifier}) in substitution`);
        }
      }
      case '+':
      case '-':
      case '?':
      case '#':
      case '%': {
        const raw = ch === '#' || ch === '%';
        const word = this.stopOnBrace(raw);
        const [value, set] = this.getEnv(name);
        if (this.opts.skipUnsetEnv && !set) return `\${${name}${ch}${word}}`;
        switch (ch) {
          case '-':
            return set ? value : word;
          case '+':
            return set ? word : '';
          case '?':
            if (!set) fail(`${name}: ${word || 'is not allowed to be unset'}`);
            return value;
          case '#':
            if (word.startsWith('#')) return trimPrefix(value, word.slice(1), true);
            return trimPrefix(value, word, false);
          default:
            if (word.startsWith('%')) return trimSuffix(value, word.slice(1), true);
            return trimSuffix(value, word, false);
        }
      }
      case '/': {
        let all = false;
        if (this.peek() === '/') {
          this.next();
          all = true;
        }
        const r1 = this.processStopOnAny(['/', '}'], true);
        let repl = '';
        if (r1.stoppedOn === '/') repl = this.stopOnBrace(false);
        const [value, set] = this.getEnv(name);
        if (this.opts.skipUnsetEnv && !set) return `\${${name}/${all ? '/' : ''}${r1.result}${r1.stoppedOn === '/' ? '/' + repl : ''}}`;
        return replaceGlob(value, r1.result, repl, all);
      }
      default:
        return fail(`unsupported modifier (${ch}) in substitution`);
    }
  }

  stopOnBrace(raw: boolean): string {
    try {
      return this.processStopOn('}', raw).result;
    } catch (e) {
      if (this.peek() === EOF) fail("syntax error: missing '}'");
      throw e;
    }
  }
}

/** Shell glob (`*`, `?`, `[...]`, escapes) to a regex source. */
function globSource(pattern: string, greedy: boolean): string {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '*') re += greedy ? '[\\s\\S]*' : '[\\s\\S]*?';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += '[' + cls.replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += escapeRe(c);
  }
  return re;
}
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function trimPrefix(value: string, pattern: string, longest: boolean): string {
  const m = new RegExp('^' + globSource(pattern, longest)).exec(value);
  return m ? value.slice(m[0].length) : value;
}

function trimSuffix(value: string, pattern: string, longest: boolean): string {
  const re = new RegExp('^(?:' + globSource(pattern, true) + ')$');
  if (longest) {
    for (let i = 0; i <= value.length; i++) if (re.test(value.slice(i))) return value.slice(0, i);
  } else {
    for (let i = value.length; i >= 0; i--) if (re.test(value.slice(i))) return value.slice(0, i);
  }
  return value;
}

function replaceGlob(value: string, pattern: string, repl: string, all: boolean): string {
  if (pattern === '') return value;
  const re = new RegExp(globSource(pattern, true), all ? 'g' : '');
  return value.replace(re, () => repl);
}

/** An EnvLookup over `KEY=VALUE` pairs (later entries win) or a record. */
export function envLookup(env: readonly string[] | Readonly<Record<string, string>> | Map<string, string>): EnvLookup {
  if (env instanceof Map) return (k) => env.get(k);
  if (Array.isArray(env)) {
    const m = new Map<string, string>();
    for (const kv of env as readonly string[]) {
      const i = kv.indexOf('=');
      if (i < 0) m.set(kv, '');
      else m.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return (k) => m.get(k);
  }
  const rec = env as Readonly<Record<string, string>>;
  return (k) => (Object.hasOwn(rec, k) ? rec[k] : undefined);
}
