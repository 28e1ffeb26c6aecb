// How inspect prints: the whole list as a JSON array with 4-space indent, or one template rendering per object.
import type { Cli } from '../cli.ts';
import { compileTemplate } from '../format/go-template.ts';
import { StatusError } from '../cli-errors.ts';

/** Prints what it can; returns the per-object execution errors, which docker reports after the output. */
export function printInspect(cli: Cli, items: unknown[], format: string | undefined): string[] {
  if (!format) {
    cli.out(`${items.length ? JSON.stringify(items, null, 4) : '[]'}\n`);
    return [];
  }
  if (format === 'json') {
    // docker's JSON inspector: the whole list, compact.
    cli.out(`${JSON.stringify(items)}\n`);
    return [];
  }
  let tpl: (data: unknown) => string;
  try {
    // docker inspect runs templates with missingkey=error.
    tpl = compileTemplate(format, { missingKey: 'error' });
  } catch (e) {
    throw new StatusError(64, `template parsing error: ${(e as Error).message}`); // docker inspect exits 64 here
  }
  const errors: string[] = [];
  let out = '';
  for (const item of items) {
    try {
      out += `${tpl(item)}\n`;
    } catch (e) {
      errors.push(`template parsing error: ${(e as Error).message}`);
    }
  }
  // docker's TemplateInspector flushes a lone newline when nothing was rendered.
  cli.out(out || '\n');
  return errors;
}
