// berth stats: docker's table (CONTAINER ID  NAME  CPU %  MEM USAGE / LIMIT  MEM %  NET I/O  BLOCK I/O  PIDS), every
// figure computed exactly as the docker CLI does (cli/command/container/stats_helpers.go, formatter_stats.go).
import { listContainers } from '../../../client/container-api.ts';
import { containerStatsOnce, containerStatsStream } from '../../../client/stats-api.ts';
import type { StatsResponse } from '../../../spec/stats-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { formatterContext, renderFormat } from '../../format/table.ts';
import { bytesSize } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';
import { humanSize3 } from '../size-text.ts';

export interface StatsEntry {
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  invalid: boolean;
}

export function cpuPercentUnix(v: StatsResponse): number {
  const cpuDelta = v.cpu_stats.cpu_usage.total_usage - (v.precpu_stats.cpu_usage.total_usage ?? 0);
  const systemDelta = (v.cpu_stats.system_cpu_usage ?? 0) - (v.precpu_stats.system_cpu_usage ?? 0);
  let online = v.cpu_stats.online_cpus ?? 0;
  if (online === 0) online = v.cpu_stats.cpu_usage.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Memory without the page cache that can be dropped: total_inactive_file on v1, inactive_file on v2. */
export function memUsageNoCache(m: StatsResponse['memory_stats']): number {
  const usage = m.usage ?? 0;
  const stats = m.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

export function statsEntry(container: string, v: StatsResponse): StatsEntry {
  let blockRead = 0;
  let blockWrite = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const c = e.op[0];
    if (c === 'r' || c === 'R') blockRead += e.value;
    else if (c === 'w' || c === 'W') blockWrite += e.value;
  }
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  const memory = memUsageNoCache(v.memory_stats ?? {});
  const memoryLimit = v.memory_stats?.limit ?? 0;
  return {
    container,
    name: v.name,
    id: v.id,
    cpuPercentage: cpuPercentUnix(v),
    memory,
    memoryLimit,
    memoryPercentage: memoryLimit !== 0 ? (memory / memoryLimit) * 100 : 0,
    networkRx: rx,
    networkTx: tx,
    blockRead,
    blockWrite,
    pidsCurrent: v.pids_stats?.current ?? 0,
    invalid: false,
  };
}

const HEADERS: Record<string, string> = {
  Container: 'CONTAINER',
  Name: 'NAME',
  ID: 'CONTAINER ID',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export function statsRow(e: StatsEntry, trunc: boolean) {
  const name = e.name.length > 1 ? e.name.replace(/^\//, '') : '--';
  return formatterContext('*container.statsContext', {
    Container: e.container,
    Name: e.invalid && !e.name ? '--' : name,
    ID: trunc ? e.id.slice(0, 12) : e.id,
    CPUPerc: e.invalid ? '--' : `${e.cpuPercentage.toFixed(2)}%`,
    MemUsage: e.invalid ? '-- / --' : `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    MemPerc: e.invalid ? '--' : `${e.memoryPercentage.toFixed(2)}%`,
    NetIO: e.invalid ? '--' : `${humanSize3(e.networkRx)} / ${humanSize3(e.networkTx)}`,
    BlockIO: e.invalid ? '--' : `${humanSize3(e.blockRead)} / ${humanSize3(e.blockWrite)}`,
    PIDs: e.invalid ? '--' : String(e.pidsCurrent),
  });
}

interface StatsFlags {
  all?: boolean;
  format?: string;
  stream?: boolean;
  trunc?: boolean;
}

export function statsCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'stats', usage: '[OPTIONS] [CONTAINER...]', description: 'Display a live stream of container(s) resource usage statistics' })
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', "Do not truncate output") as BerthCommand;
  return bindAction<StatsFlags>(cmd, cli, async (args, f) => {
    const trunc = f.trunc !== false;
    const named = args.length > 0;
    const targets = async (): Promise<string[]> =>
      named ? args : (await listContainers(cli.client(), { all: !!f.all })).map((c) => c.Id);
    const render = (entries: StatsEntry[]) =>
      renderFormat({ format: f.format, defaultFormat: DEFAULT_FORMAT, headers: HEADERS, rows: entries.map((e) => statsRow(e, trunc)) });

    if (f.stream === false) {
      const errors: string[] = [];
      const refs = await targets();
      const entries = await Promise.all(refs.map(async (ref) => {
        try {
          return statsEntry(ref, await containerStatsOnce(cli.client(), ref));
        } catch (e) {
          errors.push(daemonErrorText(e));
          return null;
        }
      }));
      if (named && errors.length) throw new StatusError(1, errors.join('\n'));
      cli.out(render(entries.filter((e): e is StatsEntry => e !== null)));
      return 0;
    }

    // Streaming: one stats stream per container, the table redrawn every second.
    const latest = new Map<string, StatsEntry>();
    const streams = new Map<string, AbortController>();
    const open = async (ref: string) => {
      if (streams.has(ref)) return;
      const ac = new AbortController();
      streams.set(ref, ac);
      try {
        const res = await containerStatsStream(cli.client(), ref, ac.signal);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) latest.set(ref, statsEntry(ref, JSON.parse(line) as StatsResponse));
          }
        });
        res.on('end', () => streams.delete(ref));
        res.on('error', () => streams.delete(ref));
      } catch (e) {
        streams.delete(ref);
        if (named) throw e;
      }
    };
    try {
      for (const ref of await targets()) await open(ref);
    } catch (e) {
      for (const ac of streams.values()) ac.abort();
      throw new StatusError(1, daemonErrorText(e));
    }
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!named) {
        const now = new Set(await targets().catch(() => [...streams.keys()]));
        for (const ref of now) await open(ref);
        for (const [ref, ac] of streams) if (!now.has(ref)) {
          ac.abort();
          streams.delete(ref);
          latest.delete(ref);
        }
      }
      const order = named ? args : [...streams.keys()];
      cli.out('\x1b[2J\x1b[H' + render(order.map((r) => latest.get(r)).filter((e): e is StatsEntry => !!e)));
    }
  });
}
