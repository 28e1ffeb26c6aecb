// berth top: the daemon runs ps; we align its columns like docker (tabwriter, min width 20, padding 3).
import { topContainer } from '../../../client/container-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';

export function alignColumns(rows: string[][], minWidth: number, padding: number): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? minWidth, cell.length + padding, minWidth);
    });
  }
  return rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('') + '\n').join('');
}

export function topCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'top', usage: 'CONTAINER [ps OPTIONS]', description: 'Display the running processes of a container', interspersed: false });
  return bindAction(cmd, cli, async (args, _f, c) => {
    requireArgs(c, args, 1);
    const [ref, ...psArgs] = args as [string, ...string[]];
    const top = await topContainer(cli.client(), ref, psArgs.length ? psArgs.join(' ') : undefined);
    cli.out(alignColumns([top.Titles, ...top.Processes], 20, 3));
  });
}
