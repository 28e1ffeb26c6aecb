// The berth CLI entry: builds the command tree (docker's management commands plus top-level aliases), runs it, and
// turns every failure into docker's wording and exit status.
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { BerthCommand, newGroup } from './berth-command.ts';
import { ArgCountError, FlagError, StatusError } from './cli-errors.ts';
import type { CliIo } from './cli-io.ts';
import { processIo } from './cli-io.ts';
import { Cli } from './cli.ts';
import { daemonErrorText } from './daemon-error.ts';
import { commandTable } from './command-table.ts';

export const BERTH_VERSION = '0.1.0';

/** Tracks the deepest command whose options are being parsed, so flag errors can name it. */
class RootCommand extends BerthCommand {
  active: BerthCommand = this;
}

function buildProgram(cli: Cli): RootCommand {
  const program = new RootCommand('berth');
  program.dockerUsage = '[OPTIONS] COMMAND';
  program
    .description('A self-sufficient runtime for containers')
    .usage('[OPTIONS] COMMAND')
    .helpOption('--help', 'Print usage')
    .option('-H, --host <host>', 'Daemon socket to connect to')
    .version(`Berth version ${BERTH_VERSION}`, '-v, --version', 'Print version information and quit')
    .enablePositionalOptions();
  cli.hostFlag = () => program.opts<{ host?: string }>().host;

  const table = commandTable(cli);
  for (const group of table.groups) {
    const g = newGroup(group.name, group.description);
    for (const make of group.commands) g.addCommand(make());
    program.addCommand(g);
  }
  for (const make of table.topLevel) program.addCommand(make());

  const configure = (c: Command) => {
    c.configureOutput({
      writeOut: (s) => cli.io.stdout.write(s),
      writeErr: (s) => cli.io.stderr.write(s),
      outputError: () => {},
    });
    c.exitOverride();
    if (c instanceof BerthCommand) {
      const orig = c.parseOptions.bind(c);
      c.parseOptions = (args: string[]) => {
        program.active = c;
        return orig(args);
      };
    }
    for (const sub of c.commands) configure(sub);
  };
  configure(program);
  return program;
}

function usageFooter(cmd: BerthCommand, verb: 'See' | 'Run'): string {
  return `\n\n${cmd.usageLine()}\n\n${verb} '${cmd.commandPath()} --help' for more information\n`;
}

/** docker's pflag wording for commander's parse errors. */
function flagErrorText(err: CommanderError, argv: string[]): string {
  const m = /unknown option '([^']+)'/.exec(err.message);
  if (m) {
    const flag = m[1]!;
    return flag.startsWith('--') ? `unknown flag: ${flag}` : `unknown shorthand flag: '${flag[1]}' in ${flag}`;
  }
  const miss = /option '([^']+)' argument missing/.exec(err.message);
  if (miss) {
    // A value can only be missing at the end of the line; pflag names the flag as it was typed there.
    const last = argv.at(-1) ?? '';
    if (/^-[^-]/.test(last)) return `flag needs an argument: '${last.at(-1)}' in -${last.at(-1)}`;
    const long = /--[\w-]+/.exec(miss[1]!)?.[0];
    return `flag needs an argument: ${long ?? miss[1]}`;
  }
  return err.message.replace(/^error: /, '');
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const cli = new Cli(io);
  const program = buildProgram(cli);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (e) {
    const cmd = program.active;
    if (e instanceof CommanderError) {
      switch (e.code) {
        case 'commander.helpDisplayed':
        case 'commander.help':
        case 'commander.version':
          return 0;
        case 'commander.executeSubCommandAsync':
          return e.exitCode;
        case 'commander.unknownCommand': {
          const name = /unknown command '([^']+)'/.exec(e.message)?.[1] ?? '';
          io.stderr.write(`berth: unknown command: ${cmd.commandPath()} ${name}\n\nRun '${cmd.commandPath()} --help' for more information\n`);
          return 1;
        }
        default:
          io.stderr.write(flagErrorText(e, argv) + usageFooter(cmd, 'Run'));
          return 125;
      }
    }
    if (e instanceof FlagError) {
      io.stderr.write(e.message + usageFooter(cmd, 'Run'));
      return 125;
    }
    if (e instanceof ArgCountError) {
      io.stderr.write(`berth: ${e.message}${usageFooter(cmd, e.footerVerb)}`);
      return 1;
    }
    if (e instanceof StatusError) {
      if (e.message) io.stderr.write(`${e.message}\n`);
      return e.code;
    }
    io.stderr.write(`${daemonErrorText(e)}\n`);
    return 1;
  } finally {
    cli.close();
  }
}
