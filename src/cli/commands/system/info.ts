// berth info / system info: the common fields of docker's human-readable info, or --format.
import { systemInfo } from '../../../client/system-api.ts';
import type { SystemInfo } from '../../../spec/docker-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import type { Cli } from '../../cli.ts';
import { compileTemplate } from '../../format/go-template.ts';
import { bytesSize } from '../../format/units.ts';
import { bindAction } from '../../run-action.ts';

export function formatInfo(i: SystemInfo): string {
  const out: string[] = [];
  const add = (indent: number, label: string, value: unknown) => out.push(`${' '.repeat(indent)}${label}: ${value ?? ''}`.trimEnd());
  out.push('Client:', ' Version:    0.1.0', ' Context:    default', ' Debug Mode: false', '', 'Server:');
  add(1, 'Containers', i.Containers);
  add(2, 'Running', i.ContainersRunning);
  add(2, 'Paused', i.ContainersPaused);
  add(2, 'Stopped', i.ContainersStopped);
  add(1, 'Images', i.Images);
  add(1, 'Server Version', i.ServerVersion);
  add(1, 'Storage Driver', i.Driver);
  for (const [k, v] of i.DriverStatus ?? []) add(2, k, v);
  add(1, 'Logging Driver', i.LoggingDriver);
  add(1, 'Cgroup Driver', i.CgroupDriver);
  if (i.CgroupVersion) add(1, 'Cgroup Version', i.CgroupVersion);
  if (i.Plugins) {
    out.push(' Plugins:');
    add(2, 'Volume', (i.Plugins.Volume ?? []).join(' '));
    add(2, 'Network', (i.Plugins.Network ?? []).join(' '));
    add(2, 'Log', (i.Plugins.Log ?? []).join(' '));
  }
  if (i.Runtimes) add(1, 'Runtimes', Object.keys(i.Runtimes).sort().join(' '));
  if (i.DefaultRuntime) add(1, 'Default Runtime', i.DefaultRuntime);
  if (i.InitBinary) add(1, 'Init Binary', i.InitBinary);
  if (i.SecurityOptions?.length) {
    out.push(' Security Options:');
    for (const o of i.SecurityOptions) {
      const parts = o.split(',');
      out.push(`  ${(parts[0] ?? '').replace(/^name=/, '')}`);
      for (const p of parts.slice(1)) {
        const [k, v] = p.split('=');
        out.push(`   ${k === 'profile' ? 'Profile' : k}: ${v ?? ''}`);
      }
    }
  }
  add(1, 'Kernel Version', i.KernelVersion);
  add(1, 'Operating System', i.OperatingSystem);
  add(1, 'OSType', i.OSType);
  add(1, 'Architecture', i.Architecture);
  add(1, 'CPUs', i.NCPU);
  add(1, 'Total Memory', bytesSize(i.MemTotal));
  add(1, 'Name', i.Name);
  add(1, 'ID', i.ID);
  add(1, 'Docker Root Dir', i.DockerRootDir);
  add(1, 'Debug Mode', !!i.Debug);
  add(1, 'Experimental', !!i.ExperimentalBuild);
  if (i.Labels?.length) {
    out.push(' Labels:');
    for (const l of i.Labels) out.push(`  ${l}`);
  }
  add(1, 'Live Restore Enabled', !!i.LiveRestoreEnabled);
  let text = out.join('\n') + '\n';
  if (i.Warnings?.length) text += '\n' + i.Warnings.join('\n') + '\n';
  return text;
}

export function infoCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'info', usage: '[OPTIONS]', description: 'Display system-wide information' })
    .option('-f, --format <string>', 'Format output using a custom template') as BerthCommand;
  return bindAction<{ format?: string }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    const info = await systemInfo(cli.client());
    if (f.format) cli.out(`${compileTemplate(f.format)(info)}\n`);
    else cli.out(formatInfo(info));
  });
}
