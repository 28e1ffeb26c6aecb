// docker's formatter: `--format` values "", "table", "table TEMPLATE", "json" and raw templates, rendered row by
// row; table output goes through an exact port of Go's text/tabwriter semantics with docker's settings.
import { StatusError } from '../cli-errors.ts';
import { compileTemplate, GO_TYPE, type TemplateFunc } from './go-template.ts';

export interface RenderOptions {
  /** The user's --format; '' and 'table' select defaultFormat. */
  format?: string;
  /** e.g. 'table {{.ID}}\t{{.Image}}\t{{.Names}}'. */
  defaultFormat: string;
  /** Column titles by field name, e.g. { ID: 'CONTAINER ID' }; unknown fields show the field name upper-cased. */
  headers: Record<string, string>;
  rows: unknown[];
  /** -q: print quietFormat instead of the default table (an explicit --format still wins, as in docker). */
  quiet?: boolean;
  /** Defaults to '{{.ID}}'. */
  quietFormat?: string;
}

/** docker: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
const MIN_WIDTH = 10;
const PADDING = 3;

/** The header template functions return their first argument unchanged, so {{upper .Names}} heads "NAMES". */
const HEADER_FUNCS: Record<string, TemplateFunc> = Object.fromEntries(
  ['json', 'split', 'join', 'title', 'lower', 'upper', 'pad', 'truncate'].map((n) => [n, (v: unknown) => v]),
);

class HeaderRow {}

/** A row whose every field is its column title; fields are also callable so {{.Label "x"}} heads "LABEL". */
function headerRow(headers: Record<string, string>): object {
  return new Proxy(new HeaderRow(), {
    get(_target, key) {
      if (typeof key !== 'string') return undefined;
      const title = Object.hasOwn(headers, key) ? headers[key]! : key.toUpperCase();
      // docker heads {{.Label "com.example.some-key"}} with the key's last segment, "-" and "_" as spaces: "some key".
      if (key === 'Label') return (name: unknown) => (typeof name === 'string' ? name.split('.').at(-1)!.replace(/[-_]/g, ' ') : title);
      return () => title;
    },
  });
}

/**
 * Marks a row as one of docker's formatter contexts (a Go struct named goType): `{{json .}}` marshals it with sorted
 * keys and HTML escaping, and an unknown field is an execution error naming goType.
 */
export class FormatterContext {}

export function formatterContext<T extends object>(goType: string, fields: T): T {
  const ctx = Object.assign(new FormatterContext(), fields);
  Object.defineProperty(ctx, GO_TYPE, { value: goType, enumerable: false });
  return ctx;
}

/** docker's formatter.Context: parse and execution failures are both "template parsing error: …" (exit 1). */
export function templateError(e: unknown, prefix = 'template parsing error'): StatusError {
  return new StatusError(1, `${prefix}: ${e instanceof Error ? e.message : String(e)}`);
}

export function renderFormat(opts: RenderOptions): string {
  let format = opts.format ?? '';
  if (format === '' || format === 'table') format = opts.quiet ? (opts.quietFormat ?? '{{.ID}}') : opts.defaultFormat;
  const table = format.startsWith('table');
  if (table) format = format.slice('table'.length);
  else if (format === 'json') format = '{{json .}}';
  // docker trims spaces and turns the two-character sequences \t and \n into real tabs and newlines.
  format = format.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  let body: string;
  try {
    const tmpl = compileTemplate(format);
    body = opts.rows.map((row) => `${tmpl(row)}\n`).join('');
  } catch (e) {
    throw templateError(e);
  }
  if (!table) return body;
  const header = compileTemplate(format, { funcs: HEADER_FUNCS })(headerRow(opts.headers));
  return tabwrite(`${header}\n${body}`);
}

const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Go's text/tabwriter (no flags, space padding): a cell is text terminated by a tab; a line's last cell is not
 * part of any column. A column's width is fixed per block of consecutive lines that have that cell, as the widest
 * cell plus padding, at least minWidth; cells are padded to it.
 */
export function tabwrite(text: string, opts: { minWidth?: number; padding?: number } = {}): string {
  const minWidth = opts.minWidth ?? MIN_WIDTH;
  const padding = opts.padding ?? PADDING;
  const lines = text.split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let s = '';
      cells.forEach((cell, j) => {
        s += cell;
        if (j < widths.length && j < cells.length - 1) s += ' '.repeat(Math.max(0, widths[j]! - runeCount(cell)));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      // A block of lines that all have a cell in this column begins here.
      writeLines(start, i);
      let width = minWidth;
      const blockStart = i;
      for (; i < line1 && column < lines[i]!.length - 1; i++) {
        width = Math.max(width, runeCount(lines[i]![column]!) + padding);
      }
      widths.push(width);
      format(blockStart, i);
      widths.pop();
      start = i;
      i--; // the loop's i++ must revisit the line that ended the block
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}
