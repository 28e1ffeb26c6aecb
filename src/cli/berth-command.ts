// commander, adjusted to behave like docker's cobra/pflag front end: `--help` only (so `-h` can be --hostname),
// `--flag=true|false` for booleans, docker-worded flag errors, and usage lines in docker's shape.
import { Command, InvalidArgumentError } from 'commander';
import type { Option } from 'commander';
import { ArgCountError, FlagError } from './cli-errors.ts';

export class BerthCommand extends Command {
  /** Docker-style usage tail, e.g. "[OPTIONS] CONTAINER [CONTAINER...]". */
  dockerUsage = '';

  override createCommand(name?: string): BerthCommand {
    return new BerthCommand(name);
  }

  /** The command as the user typed it, e.g. "berth container run". */
  commandPath(): string {
    const names: string[] = [];
    for (let c: Command | null = this; c; c = c.parent) names.unshift(c.name());
    return names.join(' ');
  }

  usageLine(): string {
    return `Usage:  ${this.commandPath()} ${this.dockerUsage || '[OPTIONS]'}`.trimEnd();
  }

  override parseOptions(args: string[]): { operands: string[]; unknown: string[] } {
    return super.parseOptions(this.normalizeBooleans(args));
  }

  /** Rewrites `--bool=true` to `--bool` and `--bool=false` to `--no-bool` (or drops it), up to the first operand. */
  private normalizeBooleans(args: string[]): string[] {
    const out = [...args];
    const passThrough = (this as unknown as { _passThroughOptions: boolean })._passThroughOptions;
    for (let i = 0; i < out.length; i++) {
      const arg = out[i]!;
      if (arg === '--') break;
      const m = /^(--[^=]+)=(true|false|1|0)$/i.exec(arg);
      if (m) {
        const opt = this.findOpt(m[1]!);
        if (opt && !opt.required && !opt.optional) {
          const on = /^(true|1)$/i.test(m[2]!);
          if (on) out[i] = m[1]!;
          else if (this.findOpt(`--no-${m[1]!.slice(2)}`)) out[i] = `--no-${m[1]!.slice(2)}`;
          else out.splice(i--, 1);
          continue;
        }
      }
      if (arg.startsWith('--')) {
        const opt = this.findOpt(arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg);
        if (opt?.required && !arg.includes('=')) i++;
        continue;
      }
      if (arg.startsWith('-') && arg.length > 1) {
        // A short group: the first value-taking letter takes the rest, or the next argument when it is last.
        for (let j = 1; j < arg.length; j++) {
          const opt = this.findOpt(`-${arg[j]}`);
          if (opt?.required) {
            if (j === arg.length - 1) i++;
            break;
          }
        }
        continue;
      }
      if (passThrough || this.commands.length > 0) break;
    }
    return out;
  }

  private findOpt(flag: string): Option | undefined {
    return this.options.find((o) => o.long === flag || o.short === flag);
  }
}

export interface CommandSpec {
  name: string;
  usage: string;
  description: string;
  aliases?: string[];
  /** Stop option parsing at the first positional (run, exec, top): the rest belongs to the container's command. */
  interspersed?: boolean;
}

/** A leaf command that takes any positionals; the action validates their count the way docker words it. */
export function newCommand(spec: CommandSpec): BerthCommand {
  const cmd = new BerthCommand(spec.name);
  cmd.dockerUsage = spec.usage;
  cmd
    .description(spec.description)
    .usage(spec.usage)
    .helpOption('--help', 'Print usage')
    .argument('[args...]')
    .allowExcessArguments(true);
  for (const a of spec.aliases ?? []) cmd.alias(a);
  if (spec.interspersed === false) cmd.passThroughOptions();
  return cmd;
}

/** A command group such as `container` or `image`. */
export function newGroup(name: string, description: string): BerthCommand {
  const cmd = new BerthCommand(name);
  cmd.dockerUsage = 'COMMAND';
  cmd.description(description).usage('COMMAND').helpOption('--help', 'Print usage').enablePositionalOptions();
  return cmd;
}

export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Wraps a value parser so its failure reads like pflag's: invalid argument "x" for "-m, --memory" flag: ... */
export function flagParser<T>(flags: string, parse: (v: string) => T): (v: string) => T {
  return (v: string) => {
    try {
      return parse(v);
    } catch (e) {
      throw new FlagError(`invalid argument "${v}" for "${flags}" flag: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

export function parseIntFlag(v: string): number {
  if (!/^[+-]?\d+$/.test(v.trim())) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number.parseInt(v, 10);
}

export function parseFloatFlag(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || Number.isNaN(n)) throw new Error(`strconv.ParseFloat: parsing "${v}": invalid syntax`);
  return n;
}

/** docker's cobra arg checks: exact, minimum, or a range. */
export function requireArgs(cmd: BerthCommand, args: string[], min: number, max = Number.POSITIVE_INFINITY): void {
  const path = cmd.commandPath();
  const plural = (n: number) => (n === 1 ? 'argument' : 'arguments');
  if (min === max && args.length !== min) {
    throw new ArgCountError(`'${path}' requires ${min} ${plural(min)}`);
  }
  if (args.length < min) throw new ArgCountError(`'${path}' requires at least ${min} ${plural(min)}`, 'See');
  if (args.length > max) {
    throw new ArgCountError(max === 0 ? `'${path}' accepts no arguments` : `'${path}' requires at most ${max} ${plural(max)}`);
  }
}

export { InvalidArgumentError };
