// berth logs: raw bytes for a tty container, demultiplexed stdout/stderr otherwise (Config.Tty decides, as in docker).
import { containerLogs, inspectContainer } from '../../../client/container-api.ts';
import { demuxTo, waitDrain } from '../../../client/stdcopy.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { StatusError } from '../../cli-errors.ts';
import { bindAction } from '../../run-action.ts';

interface LogsFlags {
  follow?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
}

export function logsCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'logs', usage: '[OPTIONS] CONTAINER', description: 'Fetch the logs of a container' })
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)') as BerthCommand;
  return bindAction<LogsFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    const client = cli.client();
    const info = await inspectContainer(client, args[0]!);
    const res = await containerLogs(client, args[0]!, {
      follow: f.follow,
      since: f.since ? apiTimeFlag('since', f.since) : undefined,
      until: f.until ? apiTimeFlag('until', f.until) : undefined,
      timestamps: f.timestamps,
      tail: f.tail,
      details: f.details,
    });
    if (info.Config.Tty) {
      for await (const chunk of res) if (!cli.io.stdout.write(chunk as Buffer)) await waitDrain(cli.io.stdout);
    } else {
      await demuxTo(res, cli.io.stdout, cli.io.stderr);
    }
  });
}

/** docker's GetTimestamp: relative durations ("42m") become a unix time; everything else goes as given. */
export function toApiTime(value: string, now = Date.now()): string {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  if (/^(\d+(?:\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(re)) ms += Number(m[1]) * units[m[2]!]!;
    const t = (now - ms) / 1000;
    return t.toFixed(9);
  }
  const parsed = Date.parse(value);
  if (!/^\d+(\.\d+)?$/.test(value) && !Number.isNaN(parsed)) return (parsed / 1000).toFixed(9);
  return value;
}

/** docker's client rejects what is neither a duration, a date nor a unix timestamp before asking the daemon. */
function apiTimeFlag(name: string, value: string): string {
  const t = toApiTime(value);
  if (t === value && !/^\d+(\.\d+)?$/.test(value)) {
    throw new StatusError(1, `invalid value for "${name}": failed to parse value as time or duration: "${value}"`);
  }
  return t;
}
