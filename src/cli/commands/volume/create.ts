// berth volume create [--name] [-d DRIVER] [-o KEY=VALUE] [--label KEY=VALUE] [VOLUME]: prints the volume's name.
import { createVolume } from '../../../client/volume-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { bindAction } from '../../run-action.ts';
import { parseKeyValues } from '../../options/value-parsers.ts';

interface CreateFlags {
  name?: string;
  driver?: string;
  opt?: string[];
  label?: string[];
}

export function volumeCreateCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'create', usage: '[OPTIONS] [VOLUME]', description: 'Create a volume' })
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect)
    .option('--name <string>', 'Specify volume name')
    .option('-o, --opt <map>', 'Set driver specific options', collect) as BerthCommand;
  return bindAction<CreateFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 1);
    if (args[0] && f.name && args[0] !== f.name) {
      throw new StatusError(1, 'conflicting options: cannot specify a volume-name through both --name and as a positional arg');
    }
    let opts: Record<string, string>;
    let labels: Record<string, string>;
    try {
      opts = parseKeyValues(f.opt ?? [], 'opt');
      labels = parseKeyValues(f.label ?? [], 'label', '');
    } catch (e) {
      throw new StatusError(125, `${(e as Error).message}\nSee 'docker volume create --help'.`);
    }
    const v = await createVolume(cli.client(), { Name: args[0] ?? f.name ?? '', Driver: f.driver, DriverOpts: opts, Labels: labels });
    cli.out(`${v.Name}\n`);
  });
}
