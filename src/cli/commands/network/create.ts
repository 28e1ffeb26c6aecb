// berth network create: docker's flags; prints the new network's id.
import { createNetwork } from '../../../client/network-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { collect, newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { StatusError } from '../../cli-errors.ts';
import { bindAction } from '../../run-action.ts';

interface CreateFlags {
  driver?: string;
  subnet?: string[];
  gateway?: string[];
  ipRange?: string[];
  internal?: boolean;
  attachable?: boolean;
  opt?: string[];
  label?: string[];
  ipamDriver?: string;
  ipamOpt?: string[];
}

function keyValues(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i < 0) out[kv] = '';
    else out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function networkCreateCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'create', usage: '[OPTIONS] NETWORK', description: 'Create a network' })
    .option('--attachable', 'Enable manual container attachment')
    .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
    .option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', collect)
    .option('--internal', 'Restrict external access to the network')
    .option('--ip-range <strings>', 'Allocate container ip from a sub-range', collect)
    .option('--ipam-driver <string>', 'IP Address Management Driver', 'default')
    .option('--ipam-opt <map>', 'Set IPAM driver specific options', collect)
    .option('--label <list>', 'Set metadata on a network', collect)
    .option('-o, --opt <map>', 'Set driver specific options', collect)
    .option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', collect) as BerthCommand;
  return bindAction<CreateFlags>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 1, 1);
    const subnets = f.subnet ?? [];
    if ((f.gateway?.length ?? 0) > subnets.length || (f.ipRange?.length ?? 0) > subnets.length) {
      throw new StatusError(1, 'every ip-range or gateway must have a corresponding subnet');
    }
    const config = subnets.map((s, i) => ({
      Subnet: s,
      ...(f.gateway?.[i] ? { Gateway: f.gateway[i] } : {}),
      ...(f.ipRange?.[i] ? { IPRange: f.ipRange[i] } : {}),
    }));
    const res = await createNetwork(cli.client(), {
      Name: args[0]!,
      Driver: f.driver,
      Internal: !!f.internal,
      Attachable: !!f.attachable,
      IPAM: { Driver: f.ipamDriver, Config: config, Options: keyValues(f.ipamOpt) },
      Options: keyValues(f.opt),
      Labels: keyValues(f.label),
    });
    cli.out(`${res.Id}\n`);
    return 0;
  });
}
