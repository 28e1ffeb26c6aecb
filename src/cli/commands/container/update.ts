// berth update: docker's flags, one POST /containers/{id}/update per container, the reference echoed on success.
import { updateContainer } from '../../../client/stats-api.ts';
import type { ContainerUpdateBody } from '../../../spec/stats-api.ts';
import type { RestartPolicy } from '../../../spec/docker-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { flagParser, newCommand, parseFloatFlag, parseIntFlag, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { ramInBytes } from '../../format/units.ts';
import { parseRestartPolicy } from '../../options/value-parsers.ts';
import { bindAction } from '../../run-action.ts';
import { forEachRef } from '../for-each-ref.ts';

interface UpdateFlags {
  blkioWeight?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpuShares?: number;
  cpus?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: number;
  memoryReservation?: number;
  memorySwap?: number;
  pidsLimit?: number;
  restart?: RestartPolicy;
}

const memoryOr = (flags: string) => flagParser(flags, (v: string) => (v === '-1' ? -1 : ramInBytes(v)));

export function updateCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'update', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Update configuration of one or more containers' })
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', flagParser('--blkio-weight', parseIntFlag))
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period', flagParser('--cpu-period', parseIntFlag))
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota', flagParser('--cpu-quota', parseIntFlag))
    .option('--cpu-rt-period <int>', 'Limit the CPU real-time period in microseconds', flagParser('--cpu-rt-period', parseIntFlag))
    .option('--cpu-rt-runtime <int>', 'Limit the CPU real-time runtime in microseconds', flagParser('--cpu-rt-runtime', parseIntFlag))
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', flagParser('-c, --cpu-shares', parseIntFlag))
    .option('--cpus <decimal>', 'Number of CPUs', flagParser('--cpus', parseFloatFlag))
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('-m, --memory <bytes>', 'Memory limit', memoryOr('-m, --memory'))
    .option('--memory-reservation <bytes>', 'Memory soft limit', memoryOr('--memory-reservation'))
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: -1 to enable unlimited swap", memoryOr('--memory-swap'))
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', flagParser('--pids-limit', parseIntFlag))
    .option('--restart <string>', 'Restart policy to apply when a container exits', flagParser('--restart', parseRestartPolicy)) as BerthCommand;
  return bindAction<UpdateFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1);
    const body: ContainerUpdateBody = {
      BlkioWeight: f.blkioWeight ?? 0,
      CpuPeriod: f.cpuPeriod ?? 0,
      CpuQuota: f.cpuQuota ?? 0,
      CpuRealtimePeriod: f.cpuRtPeriod ?? 0,
      CpuRealtimeRuntime: f.cpuRtRuntime ?? 0,
      CpuShares: f.cpuShares ?? 0,
      CpusetCpus: f.cpusetCpus ?? '',
      CpusetMems: f.cpusetMems ?? '',
      Memory: f.memory ?? 0,
      MemoryReservation: f.memoryReservation ?? 0,
      MemorySwap: f.memorySwap ?? 0,
      NanoCpus: f.cpus !== undefined ? Math.round(f.cpus * 1e9) : 0,
    };
    if (f.pidsLimit !== undefined) body.PidsLimit = f.pidsLimit;
    if (f.restart) body.RestartPolicy = f.restart;
    const anySet = Object.entries(f).some(([, v]) => v !== undefined);
    if (!anySet) throw new StatusError(1, 'you must provide one or more flags when using this command');
    const warnings: string[] = [];
    const code = await forEachRef(cli, args, async (ref) => {
      const r = await updateContainer(cli.client(), ref, body);
      warnings.push(...(r.Warnings ?? []));
    });
    for (const w of warnings) cli.err(`${w}\n`);
    return code;
  });
}
