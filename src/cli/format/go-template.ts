// The subset of Go's text/template that docker's `--format` flag exposes, with docker's extra functions
// (json, split, join, title, lower, upper, pad, truncate). Parse errors and execution errors are worded like Go's,
// because users paste these messages into searches. Data are plain objects (decoded API JSON, treated like Go maps)
// or "context" objects whose getters and methods compute columns (treated like Go structs with methods).
import { invalidArgument } from '../../base/errors.ts';

export type TemplateFunc = (...args: unknown[]) => unknown;

/**
 * A context object carrying this key under a Go type name (e.g. "*formatter.ContainerContext") behaves like that Go
 * struct: a field it does not have is an execution error ("can't evaluate field X in type T"), as in docker.
 */
export const GO_TYPE: unique symbol = Symbol.for('berth.template.goType');

export interface TemplateOptions {
  /** Replace or add functions, e.g. the table-header variants that return their first argument. */
  funcs?: Record<string, TemplateFunc>;
  /**
   * What a field missing from a plain object yields: 'zero' (Go's default; prints "<no value>") or 'error' (Go's
   * missingkey=error, which `docker inspect` uses: "map has no entry for key").
   */
  missingKey?: 'zero' | 'error';
}

// ---------------------------------------------------------------- lexer

type ItemType =
  | 'text' | 'left' | 'right' | 'space' | 'field' | 'var' | 'ident' | 'keyword' | 'bool' | 'nil' | 'dot'
  | 'string' | 'number' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'char' | 'eof' | 'error';

interface Item {
  typ: ItemType;
  val: string;
  pos: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[\p{L}\p{N}_]$/u.test(c);

function lex(src: string): Item[] {
  const items: Item[] = [];
  const push = (typ: ItemType, val: string, pos: number) => items.push({ typ, val, pos });
  let pos = 0;
  for (;;) {
    const open = src.indexOf('{{', pos);
    if (open < 0) {
      if (pos < src.length) push('text', src.slice(pos), pos);
      push('eof', '', src.length);
      return items;
    }
    let text = src.slice(pos, open);
    let p = open + 2;
    // "{{- " trims the whitespace before the action; "{{-3}}" is a number.
    if (src[p] === '-' && isSpace(src[p + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      p += 2;
    }
    if (text) push('text', text, pos);
    const atRight = (at: number): 0 | 2 | 4 => {
      if (isSpace(src[at]) && src[at + 1] === '-' && src.startsWith('}}', at + 2)) return 4;
      return src.startsWith('}}', at) ? 2 : 0;
    };
    const afterRight = (at: number, len: 2 | 4): number => {
      let q = at + len;
      if (len === 4) while (isSpace(src[q])) q++;
      return q;
    };
    if (src.startsWith('/*', p)) {
      const end = src.indexOf('*/', p + 2);
      if (end < 0) return [...items, { typ: 'error', val: 'unclosed comment', pos: p }];
      const r = atRight(end + 2);
      if (!r) return [...items, { typ: 'error', val: 'comment ends before closing delimiter', pos: end }];
      pos = afterRight(end + 2, r);
      continue;
    }
    push('left', '{{', open);
    let depth = 0;
    for (;;) {
      const r = atRight(p);
      if (r) {
        if (depth > 0) return [...items, { typ: 'error', val: 'unclosed left paren', pos: p }];
        push('right', '}}', p);
        p = afterRight(p, r);
        break;
      }
      const c = src[p];
      if (c === undefined) return [...items, { typ: 'error', val: 'unclosed action', pos: p }];
      const start = p;
      const bad = (msg: string) => [...items, { typ: 'error' as const, val: msg, pos: start }];
      // Identifiers, fields and variables must be followed by a terminator, as in Go.
      const terminated = (at: number) => {
        const t = src[at];
        return t === undefined || isSpace(t) || '.,|:()'.includes(t) || src.startsWith('}}', at);
      };
      if (isSpace(c)) {
        // A space directly before "-}}" belongs to the trim marker (seen at the top of the loop).
        while (isSpace(src[p]) && atRight(p) !== 4) p++;
        push('space', src.slice(start, p), start);
        continue;
      }
      if (c === '"') {
        p++;
        while (src[p] !== '"') {
          if (src[p] === undefined || src[p] === '\n') return bad('unterminated quoted string');
          if (src[p] === '\\') p++;
          p++;
        }
        p++;
        push('string', src.slice(start, p), start);
      } else if (c === '`') {
        const end = src.indexOf('`', p + 1);
        if (end < 0) return bad('unterminated raw quoted string');
        p = end + 1;
        push('string', src.slice(start, p), start);
      } else if (c === "'") {
        p++;
        while (src[p] !== "'") {
          if (src[p] === undefined || src[p] === '\n') return bad('unterminated character constant');
          if (src[p] === '\\') p++;
          p++;
        }
        p++;
        push('number', src.slice(start, p), start);
      } else if (c === '$' || (c === '.' && !/[0-9]/.test(src[p + 1] ?? ''))) {
        p++;
        while (isAlnum(src[p])) p++;
        if (!terminated(p)) return bad(`bad character ${goRune(src[p]!)}`);
        if (c === '$') push('var', src.slice(start, p), start);
        else push(p === start + 1 ? 'dot' : 'field', src.slice(start, p), start);
      } else if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
        const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bBoO][0-9_]*|[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)i?/.exec(
          src.slice(p),
        )!;
        p += m[0].length;
        if (!/[0-9]/.test(m[0]) || isAlnum(src[p])) {
          if (isAlnum(src[p])) p++;
          return bad(`bad number syntax: "${src.slice(start, p)}"`);
        }
        push('number', m[0], start);
      } else if (isAlnum(c)) {
        while (isAlnum(src[p])) p++;
        if (!terminated(p)) return bad(`bad character ${goRune(src[p]!)}`);
        const word = src.slice(start, p);
        push(
          KEYWORDS.has(word) ? 'keyword' : word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'ident',
          word,
          start,
        );
      } else if (c === ':') {
        if (src[p + 1] !== '=') return bad('expected :=');
        p += 2;
        push('declare', ':=', start);
      } else if (c === '=') {
        p++;
        push('assign', '=', start);
      } else if (c === '|') {
        p++;
        push('pipe', '|', start);
      } else if (c === '(') {
        p++;
        depth++;
        push('lparen', '(', start);
      } else if (c === ')') {
        p++;
        if (--depth < 0) return bad('unexpected right paren');
        push('rparen', ')', start);
      } else if (c.charCodeAt(0) < 0x7f && c.charCodeAt(0) >= 0x20) {
        p++;
        push('char', c, start);
      } else {
        return bad(`unrecognized character in action: ${goRune(c)}`);
      }
    }
    pos = p;
  }
}

function goRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

// ---------------------------------------------------------------- AST

type Arg =
  | { t: 'field'; names: string[]; pos: number; src: string }
  | { t: 'var'; name: string; names: string[]; pos: number; src: string }
  | { t: 'dot'; pos: number; src: string }
  | { t: 'nil'; pos: number; src: string }
  | { t: 'lit'; v: unknown; pos: number; src: string }
  | { t: 'fn'; name: string; pos: number; src: string }
  | { t: 'pipe'; pipe: Pipe; names: string[]; pos: number; src: string };

interface Cmd {
  args: Arg[];
  pos: number;
  src: string;
}

interface Pipe {
  decl: string[];
  isAssign: boolean;
  cmds: Cmd[];
  pos: number;
}

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | Control<'if'>
  | Control<'with'>
  | Control<'range'>
  | { t: 'break' | 'continue'; pos: number };

interface Control<T extends string> {
  t: T;
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | undefined;
}

type Terminator = { t: 'end' | 'else'; pos: number };

// ---------------------------------------------------------------- parser

class Parser {
  readonly items: Item[];
  readonly src: string;
  readonly funcs: Record<string, unknown>;
  i = 0;
  vars: string[] = ['$'];
  rangeDepth = 0;

  constructor(src: string, funcs: Record<string, unknown>) {
    this.src = src;
    this.items = lex(src);
    this.funcs = funcs;
  }

  fail(msg: string, pos: number): never {
    const line = 1 + (this.src.slice(0, pos).match(/\n/g)?.length ?? 0);
    throw invalidArgument(`template: :${line}: ${msg}`, 'template_parse');
  }

  next(): Item {
    const it = this.items[this.i++]!;
    if (it.typ === 'error') this.fail(it.val, it.pos);
    return it;
  }
  peek(): Item {
    const it = this.items[this.i]!;
    if (it.typ === 'error') this.fail(it.val, it.pos);
    return it;
  }
  nextNonSpace(): Item {
    let it = this.next();
    while (it.typ === 'space') it = this.next();
    return it;
  }
  peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.i--;
    return it;
  }

  unexpected(it: Item, context: string): never {
    this.fail(`unexpected ${describe(it)} in ${context}`, it.pos);
  }

  parse(): Node[] {
    const root: Node[] = [];
    while (this.peek().typ !== 'eof') {
      const n = this.textOrAction();
      if (n.t === 'end' || n.t === 'else') this.fail(`unexpected {{${n.t}}}`, (n as Terminator).pos);
      root.push(n as Node);
    }
    return root;
  }

  textOrAction(): Node | Terminator {
    const it = this.nextNonSpace();
    if (it.typ === 'text') return { t: 'text', text: it.val };
    if (it.typ === 'left') return this.action();
    this.unexpected(it, 'input');
  }

  action(): Node | Terminator {
    const it = this.nextNonSpace();
    if (it.typ === 'keyword') {
      switch (it.val) {
        case 'if':
        case 'with':
        case 'range':
          return this.control(it.val);
        case 'else': {
          const peek = this.peekNonSpace();
          // "{{else if x}}" is parsed as "{{else}}{{if x}}...{{end}}": leave the keyword pending.
          if (peek.typ === 'keyword' && (peek.val === 'if' || peek.val === 'with')) return { t: 'else', pos: it.pos };
          this.expect('right', 'else');
          return { t: 'else', pos: it.pos };
        }
        case 'end':
          this.expect('right', 'end');
          return { t: 'end', pos: it.pos };
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) this.fail(`{{${it.val}}} outside {{range}}`, it.pos);
          this.expect('right', it.val);
          return { t: it.val as 'break' | 'continue', pos: it.pos };
        default:
          this.fail(`{{${it.val}}} is not supported`, it.pos);
      }
    }
    this.i--;
    return { t: 'action', pipe: this.pipeline('command', 'right') };
  }

  expect(typ: ItemType, context: string): Item {
    const it = this.nextNonSpace();
    if (it.typ !== typ) this.unexpected(it, context);
    return it;
  }

  control(context: 'if' | 'with' | 'range'): Node {
    const mark = this.vars.length;
    const pipe = this.pipeline(context, 'right');
    if (context === 'range') this.rangeDepth++;
    const [list, next] = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (next.t === 'else') {
      const peek = this.peekNonSpace();
      if ((context === 'if' || context === 'with') && peek.typ === 'keyword' && peek.val === context) {
        this.nextNonSpace();
        elseList = [this.control(context)];
      } else {
        const [l, end] = this.itemList();
        if (end.t !== 'end') this.fail('expected end; found {{else}}', end.pos);
        elseList = l;
      }
    }
    this.vars.length = mark;
    return { t: context, pipe, list, elseList } as Node;
  }

  itemList(): [Node[], Terminator] {
    const list: Node[] = [];
    while (this.peekNonSpace().typ !== 'eof') {
      const n = this.textOrAction();
      if (n.t === 'end' || n.t === 'else') return [list, n as Terminator];
      list.push(n as Node);
    }
    this.fail('unexpected EOF', this.src.length);
  }

  pipeline(context: string, end: 'right' | 'rparen'): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { decl: [], isAssign: false, cmds: [], pos: start.pos };
    // Declarations: "$x :=", "$x =", and "$k, $v :=" in range.
    if (start.typ === 'var') {
      const save = this.i;
      this.nextNonSpace();
      const after = this.peekNonSpace();
      if (after.typ === 'declare' || after.typ === 'assign') {
        this.nextNonSpace();
        pipe.isAssign = after.typ === 'assign';
        pipe.decl.push(start.val);
      } else if (after.typ === 'char' && after.val === ',' && context === 'range') {
        this.nextNonSpace();
        const second = this.nextNonSpace();
        if (second.typ !== 'var') this.fail('range can only initialize variables', second.pos);
        const op = this.nextNonSpace();
        if (op.typ !== 'declare' && op.typ !== 'assign') this.unexpected(op, context);
        pipe.isAssign = op.typ === 'assign';
        pipe.decl.push(start.val, second.val);
      } else {
        this.i = save;
      }
    }
    for (;;) {
      const it = this.nextNonSpace();
      if (it.typ === end) {
        if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, it.pos);
        pipe.cmds.slice(1).forEach((c, k) => {
          const t = c.args[0]!.t;
          if (t === 'lit' || t === 'dot' || t === 'nil') {
            this.fail(`non executable command in pipeline stage ${k + 2}`, c.pos);
          }
        });
        this.vars.push(...pipe.decl);
        return pipe;
      }
      switch (it.typ) {
        case 'bool': case 'dot': case 'field': case 'ident': case 'number': case 'nil':
        case 'string': case 'var': case 'lparen':
          this.i--;
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(it, context);
      }
    }
  }

  command(): Cmd {
    const cmd: Cmd = { args: [], pos: this.peekNonSpace().pos, src: '' };
    for (;;) {
      this.peekNonSpace();
      const a = this.operand();
      if (a) cmd.args.push(a);
      const it = this.next();
      if (it.typ === 'space') continue;
      if (it.typ === 'right' || it.typ === 'rparen') this.i--;
      else if (it.typ !== 'pipe') this.unexpected(it, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command', cmd.pos);
    const last = cmd.args[cmd.args.length - 1]!;
    cmd.src = this.src.slice(cmd.pos, last.pos + last.src.length);
    return cmd;
  }

  operand(): Arg | undefined {
    const term = this.term();
    if (!term) return undefined;
    if (this.peek().typ !== 'field') return term;
    const names: string[] = [];
    let end = term.pos + term.src.length;
    // Go's parser places a chain (.State.Nope, $x.A, (pipe).B) at its first chained field; errors report that column.
    const chainPos = this.peek().pos;
    while (this.peek().typ === 'field') {
      const f = this.next();
      names.push(f.val.slice(1));
      end = f.pos + f.val.length;
    }
    const src = this.src.slice(term.pos, end);
    switch (term.t) {
      case 'field':
      case 'var':
      case 'pipe':
        return { ...term, pos: chainPos, names: [...term.names, ...names], src };
      default:
        this.fail(`unexpected . after term "${term.src}"`, term.pos);
    }
  }

  term(): Arg | undefined {
    const it = this.nextNonSpace();
    const pos = it.pos;
    const src = it.val;
    switch (it.typ) {
      case 'ident':
        if (!(it.val in this.funcs)) this.fail(`function "${it.val}" not defined`, pos);
        return { t: 'fn', name: it.val, pos, src };
      case 'dot':
        return { t: 'dot', pos, src };
      case 'nil':
        return { t: 'nil', pos, src };
      case 'var':
        if (!this.vars.includes(it.val)) this.fail(`undefined variable "${it.val}"`, pos);
        return { t: 'var', name: it.val, names: [], pos, src };
      case 'field':
        return { t: 'field', names: [it.val.slice(1)], pos, src };
      case 'bool':
        return { t: 'lit', v: it.val === 'true', pos, src };
      case 'number':
        return { t: 'lit', v: parseNumber(it.val, (m) => this.fail(m, pos)), pos, src };
      case 'string':
        return { t: 'lit', v: unquote(it.val, (m) => this.fail(m, pos)), pos, src };
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rparen');
        const close = this.items[this.i - 1]!;
        return { t: 'pipe', pipe, names: [], pos, src: this.src.slice(pos, close.pos + 1) };
      }
      default:
        this.i--;
        return undefined;
    }
  }
}

function describe(it: Item): string {
  switch (it.typ) {
    case 'eof':
      return 'EOF';
    case 'keyword':
    case 'dot': // Go's lexer counts . and nil among the keywords
    case 'nil':
      return `<${it.val}>`;
    case 'right':
      return '"}}"';
    default:
      return it.val.length > 10 ? `${JSON.stringify(it.val.slice(0, 10))}...` : JSON.stringify(it.val);
  }
}

function parseNumber(s: string, fail: (m: string) => never): number {
  if (s.startsWith("'")) {
    const v = unquote(`"${s.slice(1, -1).replace(/"/g, '\\"')}"`, fail);
    if ([...v].length !== 1) fail(`malformed character constant: ${s}`);
    return v.codePointAt(0)!;
  }
  if (s.endsWith('i')) fail(`complex numbers are not supported: ${s}`);
  const clean = s.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const body = clean.replace(/^[+-]/, '');
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB][01]+$/.test(body)) n = parseInt(body.slice(2), 2);
  else if (/^0[oO]?[0-7]+$/.test(body)) n = parseInt(body.replace(/^0[oO]?/, ''), 8);
  else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) n = Number(body);
  else fail(`bad number syntax: "${s}"`);
  return sign * n;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'",
};

/** Go's strconv.Unquote for "..." and `...` literals. */
function unquote(s: string, fail: (m: string) => never): string {
  if (s.startsWith('`')) return s.slice(1, -1).replace(/\r/g, '');
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e !== undefined && e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail(`invalid syntax: ${s}`);
      out += e === 'x' ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
      i += len;
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) fail(`invalid syntax: ${s}`);
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else {
      fail(`invalid syntax: ${s}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- values

const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

const BLOCKED = new Set([...Object.getOwnPropertyNames(Object.prototype), 'constructor', 'prototype']);

/** Field names a context object exposes: own enumerable properties, then getters up its class chain. */
function contextFields(obj: object): string[] {
  const names = new Set(Object.keys(obj));
  for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (d.get && !BLOCKED.has(name)) names.add(name);
    }
  }
  return [...names];
}

const sortedKeys = (o: object): string[] => Object.keys(o).sort();

function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (isPlainObject(v) || v instanceof Map) return 'map[string]interface {}';
  const declared = (v as { [GO_TYPE]?: unknown })[GO_TYPE];
  if (typeof declared === 'string') return declared;
  return typeof v === 'function' ? 'func' : (v.constructor?.name ?? 'struct');
}

function fmtNumber(n: number): string {
  if (Object.is(n, -0)) return '0';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Go's %v. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return fmtNumber(v);
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'function':
      return '<func>';
    case 'symbol':
      return v.toString();
  }
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (v instanceof Map) {
    const keys = [...v.keys()].map(String).sort();
    return `map[${keys.map((k) => `${k}:${formatValue(v.get(k))}`).join(' ')}]`;
  }
  if (isPlainObject(v)) return `map[${sortedKeys(v).map((k) => `${k}:${formatValue(v[k])}`).join(' ')}]`;
  // A class with its own toString is a Go Stringer.
  if ((v as object).toString !== Object.prototype.toString) return String(v);
  const o = v as Record<string, unknown>;
  return `{${contextFields(o).map((k) => formatValue(o[k])).join(' ')}}`;
}

/** What Go's fmt prints for the top-level result of an action: a nil interface is "<no value>". */
const printable = (v: unknown): string => (v === undefined || v === null ? '<no value>' : formatValue(v));

function quoteJson(s: string, html: boolean): string {
  // Go escapes U+2028/U+2029 unconditionally and replaces invalid UTF-16 (lone surrogates) with U+FFFD.
  let q = JSON.stringify(s)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
    .replace(/(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g, '$1\ufffd');
  if (html) q = q.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return q;
}

function encodeJson(v: unknown, html: boolean): string {
  if (v === undefined || v === null || typeof v === 'function' || typeof v === 'symbol') return 'null';
  if (typeof v === 'string') return quoteJson(v, html);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((e) => encodeJson(e, html)).join(',')}]`;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return encodeJson((v as { toJSON: () => unknown }).toJSON(), html);
  }
  const member = (k: string, x: unknown, h: boolean) => `${quoteJson(k, h)}:${encodeJson(x, h)}`;
  if (v instanceof Map) {
    const keys = [...v.keys()].map(String).sort();
    return `{${keys.map((k) => member(k, v.get(k), html)).join(',')}}`;
  }
  const o = v as Record<string, unknown>;
  if (isPlainObject(o)) {
    // Plain objects keep their order: decoded API JSON already has Go's order (struct fields as declared, map
    // keys sorted). Like JSON.stringify, undefined and function members are left out.
    const keys = Object.keys(o).filter((k) => o[k] !== undefined && typeof o[k] !== 'function');
    return `{${keys.map((k) => member(k, o[k], html)).join(',')}}`;
  }
  // Context objects marshal like docker's formatter contexts: a map of their columns, keys sorted, produced by
  // json.Marshal and therefore HTML-escaped ("0.0.0.0:80-\u003e80/tcp").
  const keys = contextFields(o).filter((k) => typeof o[k] !== 'function').sort();
  return `{${keys.map((k) => member(k, o[k], true)).join(',')}}`;
}

/** Go's encoding/json as docker's `json` template function uses it (no HTML escaping of plain data). */
export const goJson = (v: unknown): string => encodeJson(v, false);

function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true; // a struct
}

/** Go's strconv.Quote. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch) || ch === ' ') out += ch;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------- printf

/** Go's fmt.Sprintf for the verbs templates use: %v %s %d %q %f %e %g %x %X %t %c %%, flags, width, precision. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  const re = /%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.?)/gsy;
  let last = 0;
  for (let i = format.indexOf('%'); i >= 0; i = format.indexOf('%', last)) {
    out += format.slice(last, i);
    re.lastIndex = i;
    const m = re.exec(format)!;
    last = re.lastIndex;
    const flags = m[1]!;
    // A number, "*" (taken from the arguments), or absent; an empty precision ("%.f") means zero.
    const star = (spec: string | undefined): number | undefined => {
      if (spec === undefined) return undefined;
      if (spec !== '*') return Number(spec || '0');
      const a = args[argi++];
      return typeof a === 'number' ? Math.trunc(a) : undefined;
    };
    let width = star(m[2]);
    const prec = m[3] === undefined ? undefined : star(m[3]);
    const verb = m[4]!;
    if (verb === '') {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    let minus = flags.includes('-');
    if (width !== undefined && width < 0) {
      minus = true;
      width = -width;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argi++];
    const badVerb = () => (a === null || a === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${goTypeName(a)}=${formatValue(a)})`);
    let s: string;
    let numeric = false;
    switch (verb) {
      case 'v':
        s = formatValue(a);
        break;
      case 's':
        s = typeof a === 'string' || (typeof a === 'object' && a !== null) ? formatValue(a) : badVerb();
        if (prec !== undefined && typeof a === 'string') s = [...s].slice(0, prec).join('');
        break;
      case 'q':
        if (typeof a === 'string') s = goQuote(a);
        else if (typeof a === 'number' && Number.isInteger(a)) s = `'${String.fromCodePoint(a)}'`;
        else s = badVerb();
        break;
      case 'd':
        numeric = typeof a === 'number' && Number.isInteger(a);
        s = numeric ? fmtNumber(a as number) : typeof a === 'bigint' ? String(a) : badVerb();
        if (flags.includes('+') && numeric && (a as number) >= 0) s = `+${s}`;
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'g':
        numeric = typeof a === 'number';
        if (!numeric) s = badVerb();
        else if (verb === 'e') s = (a as number).toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
        else if (verb === 'g') s = prec === undefined ? fmtNumber(a as number) : String(Number((a as number).toPrecision(prec || 1)));
        else s = (a as number).toFixed(prec ?? 6);
        break;
      case 'x':
      case 'X': {
        if (typeof a === 'number' && Number.isInteger(a)) s = a.toString(16);
        else if (typeof a === 'string') {
          s = [...new TextEncoder().encode(a)].map((b) => b.toString(16).padStart(2, '0')).join('');
        }
        else s = badVerb();
        if (verb === 'X') s = s.toUpperCase();
        numeric = typeof a === 'number';
        break;
      }
      case 't':
        s = typeof a === 'boolean' ? String(a) : badVerb();
        break;
      case 'c':
        s = typeof a === 'number' ? String.fromCodePoint(a) : badVerb();
        break;
      default:
        s = badVerb();
    }
    const len = [...s].length;
    if (width !== undefined && len < width) {
      const pad = width - len;
      if (minus) s += ' '.repeat(pad);
      else if (flags.includes('0') && numeric) s = s.startsWith('-') ? `-${'0'.repeat(pad)}${s.slice(1)}` : '0'.repeat(pad) + s;
      else s = ' '.repeat(pad) + s;
    }
    out += s;
  }
  out += format.slice(last);
  if (argi < args.length) {
    const extra = args.slice(argi).map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

// ---------------------------------------------------------------- functions

class FuncError extends Error {}

const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : formatValue(v));
const int = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new FuncError(`${what} must be an integer, got ${goTypeName(v)}`);
  return v;
};

/** strings.Title: upper-case the first letter of each word (words split at anything but letters, digits, '_'). */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = !/[\p{L}\p{N}_]/u.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

type Kind = 'nil' | 'bool' | 'number' | 'string' | 'other';
const kindOf = (v: unknown): Kind =>
  v === undefined || v === null
    ? 'nil'
    : typeof v === 'boolean'
      ? 'bool'
      : typeof v === 'number' || typeof v === 'bigint'
        ? 'number'
        : typeof v === 'string'
          ? 'string'
          : 'other';

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new FuncError('missing argument for comparison');
  const ka = kindOf(a);
  for (const b of bs) {
    const kb = kindOf(b);
    if (ka !== kb) {
      if (ka !== 'nil' && kb !== 'nil') throw new FuncError('incompatible types for comparison');
      continue;
    }
    if (ka === 'other') {
      if (a === b) return true;
      throw new FuncError('non-comparable type');
    }
    // eslint-disable-next-line eqeqeq -- number == bigint compares values
    if (a == b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'nil' || kb === 'nil' || ka === 'other' || kb === 'other' || ka === 'bool') {
    throw new FuncError('invalid type for comparison');
  }
  if (ka !== kb) throw new FuncError('incompatible types for comparison');
  return (a as number) < (b as number);
}

function length(v: unknown): number {
  if (v === undefined || v === null) throw new FuncError('len of nil pointer');
  if (typeof v === 'string') return new TextEncoder().encode(v).length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (isPlainObject(v)) return Object.keys(v).length;
  throw new FuncError(`len of type ${goTypeName(v)}`);
}

function indexOne(item: unknown, key: unknown): unknown {
  if (item === undefined || item === null) {
    // A nil map yields the zero value; in docker that is "" for the usual map[string]string (labels, options).
    if (typeof key === 'string') return '';
    throw new FuncError('index of untyped nil');
  }
  if (Array.isArray(item) || typeof item === 'string') {
    const i = int(key, 'index');
    if (i < 0 || i >= item.length) throw new FuncError(`index out of range: ${i}`);
    return typeof item === 'string' ? item.charCodeAt(i) : item[i];
  }
  if (item instanceof Map) return item.get(key);
  if (typeof item === 'object') {
    const o = item as Record<string, unknown>;
    const k = String(key);
    if (isPlainObject(o)) {
      if (Object.hasOwn(o, k)) return o[k];
      // Missing key of a string-valued map: Go's zero value for string, which docker prints as an empty string.
      return Object.values(o).every((x) => typeof x === 'string') ? '' : undefined;
    }
    return BLOCKED.has(k) ? undefined : o[k];
  }
  throw new FuncError(`can't index item of type ${goTypeName(item)}`);
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (typeof item !== 'string' && !Array.isArray(item)) throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
  if (idx.length > 3) throw new FuncError(`too many slice indexes: ${idx.length}`);
  const i = idx.length > 0 ? int(idx[0], 'slice index') : 0;
  const j = idx.length > 1 ? int(idx[1], 'slice index') : item.length;
  if (i < 0 || j < i || j > item.length) throw new FuncError(`index out of range: ${j < i ? i : j}`);
  return item.slice(i, j);
}

const sprint = (args: unknown[]): string => {
  let out = '';
  args.forEach((a, i) => {
    // Sprint puts a space between operands when neither is a string.
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
};

interface FuncSpec {
  fn: TemplateFunc;
  min: number;
  max: number;
}

const f = (fn: TemplateFunc, min: number, max = min): FuncSpec => ({ fn, min, max });

const BUILTINS: Record<string, FuncSpec> = {
  // and/or are evaluated lazily by the executor; these entries only declare the names.
  and: f(() => undefined, 1, Infinity),
  or: f(() => undefined, 1, Infinity),
  not: f((v) => !truth(v), 1),
  len: f(length, 1),
  index: f((item, ...keys) => keys.reduce(indexOne, item), 1, Infinity),
  slice: f(slice as TemplateFunc, 1, 4),
  print: f((...a) => sprint(a), 0, Infinity),
  println: f((...a) => `${a.map(formatValue).join(' ')}\n`, 0, Infinity),
  printf: f((fmt, ...a) => sprintf(str(fmt), a), 1, Infinity),
  eq: f(eq as TemplateFunc, 1, Infinity),
  ne: f((a, b) => !eq(a, b), 2),
  lt: f((a, b) => lt(a, b), 2),
  le: f((a, b) => lt(a, b) || eq(a, b), 2),
  gt: f((a, b) => !lt(a, b) && !eq(a, b), 2),
  ge: f((a, b) => !lt(a, b), 2),
  // docker's additions (cli/templates)
  json: f((v) => goJson(v), 1),
  split: f((s, sep) => (str(sep) === '' ? [...str(s)] : str(s).split(str(sep))), 2),
  join: f((l, sep) => (Array.isArray(l) ? l.map(str).join(str(sep)) : str(l)), 2),
  title: f((s) => title(str(s)), 1),
  lower: f((s) => str(s).toLowerCase(), 1),
  upper: f((s) => str(s).toUpperCase(), 1),
  pad: f((s, l, r) => (str(s) === '' ? '' : ' '.repeat(int(l, 'pad')) + str(s) + ' '.repeat(int(r, 'pad'))), 3),
  truncate: f((s, n) => {
    const chars = [...str(s)];
    return chars.length < int(n, 'length') ? str(s) : chars.slice(0, n as number).join('');
  }, 2),
};

// ---------------------------------------------------------------- executor

class Break {}
class Continue {}

class Exec {
  readonly src: string;
  readonly funcs: Record<string, FuncSpec>;
  readonly missingKeyError: boolean;
  vars: { name: string; value: unknown }[] = [];
  out = '';

  constructor(src: string, funcs: Record<string, FuncSpec>, missingKeyError: boolean) {
    this.src = src;
    this.funcs = funcs;
    this.missingKeyError = missingKeyError;
  }

  fail(node: { pos: number; src: string }, msg: string): never {
    const before = this.src.slice(0, node.pos);
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = node.pos - (before.lastIndexOf('\n') + 1);
    throw invalidArgument(`template: :${line}:${col}: executing "" at <${node.src}>: ${msg}`, 'template_exec');
  }

  walk(dot: unknown, nodes: Node[]): void {
    const mark = this.vars.length;
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          this.out += n.text;
          break;
        case 'action': {
          const v = this.pipeline(dot, n.pipe);
          if (n.pipe.decl.length === 0) this.out += printable(v);
          break;
        }
        case 'if':
        case 'with': {
          const m = this.vars.length;
          const v = this.pipeline(dot, n.pipe);
          if (truth(v)) this.walk(n.t === 'with' ? v : dot, n.list);
          else if (n.elseList) this.walk(dot, n.elseList);
          this.vars.length = m;
          break;
        }
        case 'range':
          this.range(dot, n);
          break;
        case 'break':
          throw new Break();
        case 'continue':
          throw new Continue();
      }
    }
    this.vars.length = mark;
  }

  range(dot: unknown, n: Control<'range'>): void {
    const m = this.vars.length;
    const v = this.pipeline(dot, n.pipe);
    const entries: [unknown, unknown][] = [];
    if (Array.isArray(v)) v.forEach((e, i) => entries.push([i, e]));
    else if (v instanceof Map) for (const k of [...v.keys()].sort()) entries.push([k, v.get(k)]);
    else if (isPlainObject(v)) for (const k of sortedKeys(v)) entries.push([k, v[k]]);
    else if (typeof v === 'number' && Number.isInteger(v)) for (let i = 0; i < v; i++) entries.push([i, i]);
    else if (v !== undefined && v !== null) {
      const c = n.pipe.cmds[0]!;
      this.fail(c.args[0]!, `range can't iterate over ${formatValue(v)}`);
    }
    if (entries.length === 0) {
      if (n.elseList) this.walk(dot, n.elseList);
      this.vars.length = m;
      return;
    }
    const decl = n.pipe.decl;
    for (const [k, e] of entries) {
      const at = n.pipe.cmds[0]!;
      if (decl.length === 1) this.setVar(decl[0]!, e, at);
      if (decl.length === 2) {
        this.setVar(decl[0]!, k, at);
        this.setVar(decl[1]!, e, at);
      }
      try {
        this.walk(e, n.list);
      } catch (err) {
        if (err instanceof Break) break;
        if (!(err instanceof Continue)) throw err;
      }
    }
    this.vars.length = m;
  }

  /** Updates the innermost binding (range declarations were already pushed by pipeline()). */
  setVar(name: string, value: unknown, at: { pos: number; src: string }): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.fail(at, `undefined variable: ${name}`);
  }

  lookupVar(arg: Arg & { name: string }): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === arg.name) return this.vars[i]!.value;
    this.fail(arg, `undefined variable: ${arg.name}`);
  }

  pipeline(dot: unknown, pipe: Pipe): unknown {
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) value = this.command(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value, pipe.cmds[pipe.cmds.length - 1]!);
      else this.vars.push({ name, value });
    }
    return value;
  }

  command(dot: unknown, cmd: Cmd, final: Final): unknown {
    const [first, ...rest] = cmd.args as [Arg, ...Arg[]];
    switch (first.t) {
      case 'field':
        return this.fieldChain(dot, dot, first, { names: first.names, args: rest, final });
      case 'var':
        if (first.names.length) {
          return this.fieldChain(dot, this.lookupVar(first), first, { names: first.names, args: rest, final });
        }
        this.notAFunction(first, rest, final);
        return this.lookupVar(first);
      case 'pipe':
        if (first.names.length) {
          return this.fieldChain(dot, this.pipeline(dot, first.pipe), first, { names: first.names, args: rest, final });
        }
        this.notAFunction(first, rest, final);
        return this.pipeline(dot, first.pipe);
      case 'fn':
        return this.call(dot, first, rest, { final, at: cmd });
      case 'nil':
        this.fail(first, 'nil is not a command');
      case 'dot':
        this.notAFunction(first, rest, final);
        return dot;
      case 'lit':
        this.notAFunction(first, rest, final);
        return first.v;
    }
  }

  notAFunction(first: Arg, rest: Arg[], final: Final): void {
    if (rest.length > 0 || final !== MISSING) this.fail(first, `can't give argument to non-function ${first.src}`);
  }

  arg(dot: unknown, a: Arg): unknown {
    switch (a.t) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'lit':
        return a.v;
      case 'fn':
        return this.call(dot, a, [], { final: MISSING, at: a });
      default:
        return this.command(dot, { args: [a], pos: a.pos, src: a.src }, MISSING);
    }
  }

  fieldChain(
    dot: unknown,
    receiver: unknown,
    node: Arg,
    opts: { names: string[]; args: Arg[]; final: Final },
  ): unknown {
    let v = receiver;
    opts.names.forEach((name, i) => {
      const last = i === opts.names.length - 1;
      v = this.field(dot, v, node, { name, args: last ? opts.args : [], final: last ? opts.final : MISSING });
    });
    return v;
  }

  field(dot: unknown, receiver: unknown, node: Arg, opts: { name: string; args: Arg[]; final: Final }): unknown {
    const { name, args, final } = opts;
    const hasArgs = args.length > 0 || final !== MISSING;
    if (receiver === undefined || receiver === null) {
      if (hasArgs) this.fail(node, `nil pointer evaluating ${name}`);
      return undefined;
    }
    if (typeof receiver !== 'object' && typeof receiver !== 'function') {
      this.fail(node, `can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    }
    if (Array.isArray(receiver)) this.fail(node, `can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    let value: unknown;
    if (receiver instanceof Map) value = receiver.get(name);
    else if (isPlainObject(receiver)) {
      if (Object.hasOwn(receiver, name)) value = receiver[name];
      else if (this.missingKeyError) this.fail(node, `map has no entry for key "${name}"`);
    }
    else {
      if (typeof (receiver as { [GO_TYPE]?: unknown })[GO_TYPE] === 'string' && (BLOCKED.has(name) || !(name in receiver))) {
        this.fail(node, `can't evaluate field ${name} in type ${goTypeName(receiver)}`);
      }
      value = BLOCKED.has(name) ? undefined : (receiver as Record<string, unknown>)[name];
    }
    if (typeof value === 'function') {
      // A method, like docker's {{.Label "com.example.key"}} on a context.
      const argv = args.map((a) => this.arg(dot, a));
      if (final !== MISSING) argv.push(final);
      try {
        return (value as TemplateFunc).apply(receiver, argv);
      } catch (e) {
        this.fail(node, `error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (hasArgs) this.fail(node, `${name} is not a method but has arguments`);
    return value;
  }

  call(
    dot: unknown,
    fn: Arg & { name: string },
    args: Arg[],
    opts: { final: Final; at: { pos: number; src: string } },
  ): unknown {
    const { final, at } = opts;
    const spec = this.funcs[fn.name]!;
    const n = args.length + (final === MISSING ? 0 : 1);
    if (n < spec.min || n > spec.max) {
      const want = spec.min === spec.max ? `${spec.min}` : `at least ${spec.min}`;
      this.fail(at, `wrong number of args for ${fn.name}: want ${want} got ${n}`);
    }
    if (fn.name === 'and' || fn.name === 'or') {
      // Short-circuit: stop at the first falsy (and) or truthy (or) argument and return it.
      let v: unknown;
      for (let i = 0; i < n; i++) {
        v = i < args.length ? this.arg(dot, args[i]!) : final;
        if (truth(v) === (fn.name === 'or')) return v;
      }
      return v;
    }
    const argv = args.map((a) => this.arg(dot, a));
    if (final !== MISSING) argv.push(final);
    try {
      return spec.fn(...argv);
    } catch (e) {
      if (e instanceof FuncError || !(e instanceof Error && 'category' in e)) {
        this.fail(at, `error calling ${fn.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
      throw e;
    }
  }
}

/**
 * Compiles a Go text/template as docker's --format uses it. Throws invalid_argument on bad syntax; the returned
 * function throws invalid_argument when execution fails (wrong types, bad index, unknown function arity).
 */
export function compileTemplate(src: string, opts: TemplateOptions = {}): (data: unknown) => string {
  const funcs: Record<string, FuncSpec> = { ...BUILTINS };
  for (const [name, fn] of Object.entries(opts.funcs ?? {})) funcs[name] = f(fn, 0, Infinity);
  const tree = new Parser(src, funcs).parse();
  return (data: unknown) => {
    const ex = new Exec(src, funcs, opts.missingKey === 'error');
    ex.vars.push({ name: '$', value: data });
    ex.walk(data, tree);
    return ex.out;
  };
}
