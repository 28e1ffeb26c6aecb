// How inspect prints: the whole list as a JSON array with 4-space indent, or one template rendering per object.
import type { Cli } from '../cli.ts';
import { compileTemplate } from '../format/go-template.ts';
import { StatusError } from '../cli-errors.ts';

export function printInspect(cli: Cli, items: unknown[], format: string | undefined): void {
  if (!format) {
    cli.out(`${items.length ? JSON.stringify(items, null, 4) : '[]'}\n`);
    return;
  }
  if (format === 'json') {
    for (const item of items) cli.out(`${JSON.stringify(item)}\n`);
    return;
  }
  let tpl: (data: unknown) => string;
  try {
    tpl = compileTemplate(format);
  } catch (e) {
    throw new StatusError(1, `template parsing error: ${(e as Error).message}`);
  }
  // docker's TemplateInspector flushes a lone newline when nothing was rendered.
  if (items.length === 0) cli.out('\n');
  for (const item of items) cli.out(`${tpl(item)}\n`);
}
