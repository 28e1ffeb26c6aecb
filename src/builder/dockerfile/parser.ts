// Dockerfile text → syntax tree, following BuildKit's frontend/dockerfile/parser: parser directives at the top
// (`# syntax=`, `# escape=`, `# check=`), comments, line continuations with the escape token (comment lines and empty
// lines inside a continuation are skipped), builder flags (`--name=value`) before the arguments, JSON (exec) form
// vs shell form, heredocs for RUN/COPY/ADD. Arguments are split per instruction the way BuildKit's dispatch table
// does; typing and validation of each instruction happen in instructions.ts.

import { DetailError, DockerfileError, fail, type Position, type SourceRange } from './dockerfile-error.ts';
import { ShellLex } from './expand.ts';

export type { Position, SourceRange } from './dockerfile-error.ts';

export interface Flag {
  /** Name without the leading `--`. */
  name: string;
  /** undefined for a bare `--link`. */
  value: string | undefined;
  /** The flag as written after quote processing, e.g. `--mount=type=cache,target=/x`. */
  raw: string;
  position: Position;
}

export interface Heredoc {
  /** The delimiter word with quotes removed (also the file name for COPY/ADD heredoc sources). */
  name: string;
  /** Content lines, each ending in "\n"; leading tabs removed for `<<-`. */
  content: string;
  /** false when any part of the delimiter was quoted: the content is then taken literally. */
  expand: boolean;
  /** `<<-`: leading tabs stripped. */
  chomp: boolean;
  /** The `N` in `N<<EOF`, 0 when absent. */
  fileDescriptor: number;
  /** From the first content line to the terminator line. */
  range: SourceRange;
}

export interface KeyValue {
  /** Raw (unprocessed) key and value: quotes and escapes are still in them; expansion removes them. */
  key: string;
  value: string;
  /** '=' for `k=v`, ' ' for the legacy `ENV k v` form. */
  separator: '=' | ' ';
}

export interface Node {
  /** Upper-case instruction keyword as written (unknown keywords too). */
  keyword: string;
  /** The logical line: continuations joined, escape tokens at line ends removed. */
  original: string;
  /** start = the keyword; end = the end of the last physical line (including heredoc bodies). */
  range: SourceRange;
  flags: Flag[];
  /** Text after the flags, trimmed. */
  args: string;
  argsPosition: Position;
  /** Arguments were a JSON string array (exec form). */
  json: boolean;
  /**
   * Arguments as BuildKit's dispatch table splits them: JSON array items; or the whole shell-form string
   * (RUN/CMD/ENTRYPOINT/SHELL, USER/WORKDIR/STOPSIGNAL/MAINTAINER); whitespace-split words (FROM/EXPOSE, shell-form
   * COPY/ADD/VOLUME); quote-aware words (ARG); HEALTHCHECK: [type, ...command].
   */
  words: string[];
  /** ENV and LABEL pairs. */
  keyValues?: KeyValue[];
  heredocs: Heredoc[];
  /** Comment lines immediately before the instruction. */
  comments: string[];
  /** ONBUILD's trigger instruction. */
  trigger?: Node;
}

export interface Directives {
  escape: '\\' | '`';
  syntax?: string;
  check?: string;
}

export interface ParseWarning {
  message: string;
  position: Position;
}

export interface DockerfileAST {
  file: string;
  directives: Directives;
  instructions: Node[];
  warnings: ParseWarning[];
}

export interface ParseOptions {
  /** Name used in error messages; default "Dockerfile". */
  file?: string;
}

type ArgParser = 'maybeJSON' | 'maybeJSONToList' | 'whitespace' | 'nameOrNameVal' | 'env' | 'label' | 'string' | 'healthcheck' | 'onbuild';

const DISPATCH: Record<string, ArgParser> = {
  ADD: 'maybeJSONToList',
  ARG: 'nameOrNameVal',
  CMD: 'maybeJSON',
  COPY: 'maybeJSONToList',
  ENTRYPOINT: 'maybeJSON',
  ENV: 'env',
  EXPOSE: 'whitespace',
  FROM: 'whitespace',
  HEALTHCHECK: 'healthcheck',
  LABEL: 'label',
  MAINTAINER: 'string',
  ONBUILD: 'onbuild',
  RUN: 'maybeJSON',
  SHELL: 'maybeJSON',
  STOPSIGNAL: 'string',
  USER: 'string',
  VOLUME: 'maybeJSONToList',
  WORKDIR: 'string',
};

/** Instruction keywords BuildKit knows. */
export const INSTRUCTION_NAMES: readonly string[] = Object.keys(DISPATCH);

const RE_WHITESPACE = /[\t\v\f\r ]+/;
const RE_DIRECTIVE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const RE_HEREDOC = /^(\d*)<<(-?)([^<]*)$/;
const isUnicodeSpace = (c: string) => /\s/u.test(c);

function trimLeft(s: string): string {
  return s.replace(/^\s+/u, '');
}

function isComment(line: string): boolean {
  return trimLeft(line).startsWith('#');
}

/** Maps an index in a joined logical line back to a source position. */
class PositionMap {
  readonly segments: { offset: number; line: number; column: number }[] = [];
  add(offset: number, line: number, column: number) {
    this.segments.push({ offset, line, column });
  }
  at(index: number): Position {
    let seg = this.segments[0]!;
    for (const s of this.segments) {
      if (s.offset <= index) seg = s;
      else break;
    }
    return { line: seg.line, column: seg.column + (index - seg.offset) };
  }
  shifted(by: number): PositionMap {
    const m = new PositionMap();
    for (const s of this.segments) {
      if (s.offset - by <= 0) m.segments[0] = { offset: 0, line: s.line, column: s.column + (by - s.offset) };
      else m.add(s.offset - by, s.line, s.column);
    }
    return m;
  }
}

class DirectiveParser {
  done = false;
  seen = new Set<string>();
  readonly directives: Directives = { escape: '\\' };
  line(text: string): void {
    if (this.done) return;
    const m = RE_DIRECTIVE.exec(text);
    if (!m) {
      this.done = true;
      return;
    }
    const key = m[1]!.toLowerCase();
    if (key !== 'syntax' && key !== 'escape' && key !== 'check') {
      this.done = true;
      return;
    }
    if (this.seen.has(key)) fail(`only one ${key} parser directive can be used`);
    this.seen.add(key);
    const value = m[2]!;
    if (key === 'escape') {
      if (value !== '`' && value !== '\\') fail(`invalid escape token '${value}' does not match \` or \\`);
      this.directives.escape = value as '\\' | '`';
    } else if (key === 'syntax') this.directives.syntax = value;
    else this.directives.check = value;
  }
}

/** Parse a whole Dockerfile. Throws DockerfileError (invalid_argument). */
export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileAST {
  const file = options.file ?? 'Dockerfile';
  const dp = new DirectiveParser();
  const warnings: ParseWarning[] = [];
  const instructions: Node[] = [];
  const rawLines = text.split('\n');
  const hadNewline = rawLines.map((_, i) => i < rawLines.length - 1);
  if (rawLines.length > 0 && rawLines[rawLines.length - 1] === '') {
    rawLines.pop();
    hadNewline.pop();
  }
  if (rawLines.length > 0) rawLines[0] = rawLines[0]!.replace(/^\uFEFF/, '');
  let comments: string[] = [];
  let i = 0;
  const trimNewline = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);

  // processLine: strip the newline (and leading whitespace on first lines), feed the directive parser, drop comments.
  const processLine = (lineNo: number, raw: string, stripLeft: boolean): { text: string; column: number } => {
    let t = trimNewline(raw);
    let column = 1;
    if (stripLeft) {
      const trimmed = trimLeft(t);
      column += t.length - trimmed.length;
      t = trimmed;
    }
    try {
      dp.line(t);
    } catch (e) {
      if (e instanceof DetailError) throw new DockerfileError(file, { line: lineNo, column }, e.message);
      throw e;
    }
    if (t.startsWith('#')) t = '';
    return { text: t, column };
  };
  const escape = () => dp.directives.escape;
  const trimContinuation = (line: string): [string, boolean] => {
    const re = escape() === '`' ? /`[ \t]*$/ : /\\[ \t]*$/;
    if (re.test(line)) return [line.replace(re, ''), false];
    return [line, true];
  };

  while (i < rawLines.length) {
    const raw = rawLines[i]!;
    i++;
    const lineNo = i;
    if (isComment(raw)) {
      const c = trimLeft(trimNewline(raw)).slice(1).trim();
      if (c === '') comments = [];
      else comments.push(c);
    }
    const first = processLine(lineNo, raw, true);
    let [line, eol] = trimContinuation(first.text);
    if (eol && line === '') continue;
    const pm = new PositionMap();
    pm.add(0, lineNo, first.column);
    let hasEmptyContinuation = false;
    let endLine = lineNo;
    let endColumn = trimNewline(raw).length + 1;
    while (!eol && i < rawLines.length) {
      const r = rawLines[i]!;
      i++;
      const p = processLine(i, r, false);
      if (isComment(r)) continue;
      if (trimLeft(p.text).length === 0) {
        hasEmptyContinuation = true;
        continue;
      }
      pm.add(line.length, i, 1);
      endLine = i;
      endColumn = trimNewline(r).length + 1;
      const [cont, e] = trimContinuation(p.text);
      line += cont;
      eol = e;
    }
    if (hasEmptyContinuation) {
      warnings.push({ message: `Empty continuation line found in: ${line}`, position: pm.at(0) });
    }
    const node = nodeFromLine(line, pm, { file, escape: escape() }, comments);
    comments = [];
    if ((node.keyword === 'RUN' || node.keyword === 'COPY' || node.keyword === 'ADD') && !node.json && line.includes('<<')) {
      for (const hd of heredocsFromLine(line)) {
        let content = '';
        let terminated = false;
        const startLine = i + 1;
        while (i < rawLines.length) {
          const r = rawLines[i]!;
          i++;
          let candidate = trimNewline(r);
          if (hd.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === hd.name) {
            terminated = true;
            break;
          }
          content += r + (hadNewline[i - 1] ? '\n' : '');
        }
        if (!terminated) throw new DockerfileError(file, node.range.start, 'unterminated heredoc');
        if (hd.chomp) content = content.replace(/^\t+/gm, '');
        endLine = i;
        endColumn = trimNewline(rawLines[i - 1]!).length + 1;
        node.heredocs.push({
          ...hd,
          content,
          range: { start: { line: startLine, column: 1 }, end: { line: i, column: endColumn } },
        });
      }
    }
    node.range.end = { line: endLine, column: endColumn };
    if (node.trigger) node.trigger.range.end = node.range.end;
    instructions.push(node);
  }
  if (instructions.length === 0) throw new DockerfileError(file, { line: 1, column: 1 }, 'file with no instructions');
  return { file, directives: { ...dp.directives }, instructions, warnings };
}

/** Parse one instruction line (e.g. an ONBUILD trigger stored in an image config). */
export function parseInstructionLine(line: string, options: ParseOptions & { escape?: '\\' | '`' } = {}): Node {
  const pm = new PositionMap();
  pm.add(0, 1, 1);
  return nodeFromLine(line, pm, { file: options.file ?? 'Dockerfile', escape: options.escape ?? '\\' }, []);
}

interface Ctx {
  file: string;
  escape: string;
}

function nodeFromLine(line: string, pm: PositionMap, ctx: Ctx, comments: string[]): Node {
  const lead = line.length - trimLeft(line).length;
  const trimmed = line.trim();
  const m = /[\t\v\f\r ]+/.exec(trimmed);
  const cmd = m ? trimmed.slice(0, m.index) : trimmed;
  const keyword = cmd.toUpperCase();
  const start = pm.at(lead);
  const node: Node = {
    keyword,
    original: line,
    range: { start, end: start },
    flags: [],
    args: '',
    argsPosition: pm.at(lead + cmd.length),
    json: false,
    words: [],
    heredocs: [],
    comments,
  };
  if (!m) return node;
  const afterCmd = lead + m.index + m[0].length;
  const ex = extractBuilderFlags(line.slice(afterCmd));
  node.flags = ex.flags.map((f) => {
    const body = f.word.slice(2);
    const eq = body.indexOf('=');
    return {
      name: eq < 0 ? body : body.slice(0, eq),
      value: eq < 0 ? undefined : body.slice(eq + 1),
      raw: f.word,
      position: pm.at(afterCmd + f.start),
    };
  });
  const restStartRaw = afterCmd + ex.restOffset;
  const restLead = line.slice(restStartRaw).length - trimLeft(line.slice(restStartRaw)).length;
  const restStart = restStartRaw + restLead;
  const rest = line.slice(restStart).trim();
  node.args = rest;
  node.argsPosition = pm.at(rest === '' ? line.trimEnd().length : restStart);
  const kind = DISPATCH[keyword];
  if (kind === undefined) return node;
  try {
    parseArgs(node, kind, rest, ctx, pm.shifted(restStart));
  } catch (e) {
    if (e instanceof DetailError) throw new DockerfileError(ctx.file, node.argsPosition, e.message);
    throw e;
  }
  return node;
}

function parseArgs(node: Node, kind: ArgParser, rest: string, ctx: Ctx, pm: PositionMap): void {
  switch (kind) {
    case 'maybeJSON': {
      const j = rest.startsWith('[') ? parseJSONArray(rest) : undefined;
      if (j) {
        node.json = true;
        node.words = j;
      } else node.words = rest === '' ? [] : [rest];
      return;
    }
    case 'maybeJSONToList': {
      const j = rest.startsWith('[') ? parseJSONArray(rest) : undefined;
      if (j) {
        node.json = true;
        node.words = j;
      } else node.words = splitWhitespace(rest);
      return;
    }
    case 'whitespace':
      node.words = splitWhitespace(rest);
      return;
    case 'string':
      node.words = rest === '' ? [] : [rest];
      return;
    case 'nameOrNameVal':
      node.words = parseWords(rest, ctx.escape);
      return;
    case 'env':
    case 'label':
      node.keyValues = parseNameVal(rest, kind === 'env' ? 'ENV' : 'LABEL', ctx.escape);
      node.words = node.keyValues.map((kv) => kv.key + kv.separator + kv.value);
      return;
    case 'healthcheck': {
      let sep = 0;
      while (sep < rest.length && !isUnicodeSpace(rest[sep]!)) sep++;
      let next = sep;
      while (next < rest.length && isUnicodeSpace(rest[next]!)) next++;
      if (sep === 0) return;
      const cmdText = rest.slice(next);
      const j = cmdText.startsWith('[') ? parseJSONArray(cmdText) : undefined;
      node.json = !!j;
      node.words = [rest.slice(0, sep), ...(j ?? (cmdText === '' ? [] : [cmdText]))];
      return;
    }
    case 'onbuild':
      if (rest === '') return;
      node.trigger = nodeFromLine(rest, pm, ctx, []);
      return;
  }
}

function splitWhitespace(rest: string): string[] {
  return rest === '' ? [] : rest.split(RE_WHITESPACE);
}

/** A JSON array of strings, or undefined (then the arguments are in shell form). */
function parseJSONArray(rest: string): string[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(rest);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return undefined;
  return v as string[];
}

/** BuildKit's extractBuilderFlags: leading `--flag[=value]` words; quotes and `\` processed inside them. */
function extractBuilderFlags(line: string): { flags: { word: string; start: number }[]; restOffset: number } {
  const flags: { word: string; start: number }[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let wordStart = 0;
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos]! : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isUnicodeSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { flags, restOffset: pos };
      phase = 'word';
      wordStart = pos;
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) flags.push({ word, start: wordStart });
      break;
    }
    if (phase === 'word') {
      if (isUnicodeSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return { flags, restOffset: pos };
        if (blankOK || word.length > 0) flags.push({ word, start: wordStart });
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      let c = ch;
      if (c === '\\') {
        if (pos + 1 === line.length) continue;
        pos++;
        c = line[pos]!;
      }
      word += c;
      continue;
    }
    // quote
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    let c = ch;
    if (c === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      c = line[pos]!;
    }
    word += c;
  }
  return { flags, restOffset: line.length };
}

/** BuildKit's parseWords: split on whitespace outside quotes, keeping quotes and escapes in the words. */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  const chars = [...rest];
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos]! : '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isUnicodeSpace(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isUnicodeSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        pos++;
        ch = chars[pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos]!;
    }
    word += ch;
  }
  return words;
}

/** ENV/LABEL: `KEY name value` (legacy, one pair) or `KEY a=b c=d`. */
function parseNameVal(rest: string, key: string, escape: string): KeyValue[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const parts = splitN(rest, RE_WHITESPACE, 2);
    if (parts.length < 2) fail(`${key} must have two arguments`);
    return [{ key: parts[0]!, value: parts[1]!, separator: ' ' }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) fail(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1), separator: '=' as const };
  });
}

function splitN(s: string, re: RegExp, n: number): string[] {
  const m = re.exec(s);
  if (n < 2 || !m) return [s];
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
}

interface HeredocHead {
  name: string;
  expand: boolean;
  chomp: boolean;
  fileDescriptor: number;
}

/** Heredoc words (`<<EOF`, `<<-"EOF"`, `3<<EOF`) in an instruction line, in order. */
export function heredocsFromLine(line: string): HeredocHead[] {
  let words: string[];
  try {
    words = new ShellLex({ rawQuotes: true, rawEscapes: true }).processWords(line, () => undefined);
  } catch {
    return [];
  }
  const out: HeredocHead[] = [];
  for (const w of words) {
    const h = parseHeredoc(w);
    if (h) out.push(h);
  }
  return out;
}

/** One word as a heredoc marker, or undefined. */
export function parseHeredoc(word: string): HeredocHead | undefined {
  const m = RE_HEREDOC.exec(word);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest.length === 0) return undefined;
  const noEnv = () => undefined;
  const words = new ShellLex({ skipUnsetEnv: true }).processWords(rest, noEnv);
  if (words.length !== 1) return undefined;
  const raw = new ShellLex({ skipUnsetEnv: true, rawQuotes: true }).processWords(rest, noEnv);
  if (raw.length !== 1) fail(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
  return {
    name: words[0]!,
    expand: quotes(words[0]!) === quotes(raw[0]!),
    chomp: m[2] === '-',
    fileDescriptor: m[1] ? Number.parseInt(m[1], 10) : 0,
  };
}
