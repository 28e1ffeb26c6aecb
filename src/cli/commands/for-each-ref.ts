// docker's pattern for commands taking several objects (stop, kill, rm, ...): act on each, echo the reference on
// success, report failures on stderr after the others, and exit 1 if any failed.
import type { Cli } from '../cli.ts';
import { StatusError } from '../cli-errors.ts';
import { daemonErrorText } from '../daemon-error.ts';

export async function forEachRef(
  cli: Cli,
  refs: string[],
  act: (ref: string) => Promise<void>,
  opts: { echo?: boolean; summary?: (failed: string[]) => string } = {},
): Promise<number> {
  const failures: string[] = [];
  const failed: string[] = [];
  for (const ref of refs) {
    try {
      await act(ref);
      if (opts.echo ?? true) cli.out(`${ref}\n`);
    } catch (e) {
      failures.push(daemonErrorText(e));
      failed.push(ref);
    }
  }
  if (failures.length === 0) return 0;
  let text = failures.join('\n');
  if (opts.summary) text += `\n${opts.summary(failed)}`;
  throw new StatusError(1, text);
}
