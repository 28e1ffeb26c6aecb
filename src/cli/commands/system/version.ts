// berth version: Client and Server sections in docker's layout (values start at column 20).
import { platform, arch } from 'node:process';
import { serverVersion } from '../../../client/system-api.ts';
import { API_VERSION } from '../../../spec/docker-api.ts';
import type { VersionResponse } from '../../../spec/docker-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { daemonErrorText } from '../../daemon-error.ts';
import { compileTemplate } from '../../format/go-template.ts';
import { bindAction } from '../../run-action.ts';

const BERTH_VERSION = '0.1.0';
const goArch = (a: string) => (a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a);

const line = (indent: number, label: string, value: string | number | boolean | undefined) =>
  `${(' '.repeat(indent) + label + ':').padEnd(19)} ${value ?? ''}`.trimEnd() + '\n';

/** Go's time.ANSIC ("Mon Jan _2 15:04:05 2006") for an RFC 3339 time, in UTC. */
export function ansic(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

export function versionCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'version', usage: '[OPTIONS]', description: 'Show the Berth version information' })
    .option('-f, --format <string>', 'Format output using a custom template') as BerthCommand;
  return bindAction<{ format?: string }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 0);
    let server: VersionResponse | undefined;
    let apiVersion = API_VERSION;
    let failure: unknown;
    try {
      apiVersion = await cli.client().apiVersion();
      server = await serverVersion(cli.client());
    } catch (e) {
      failure = e;
    }
    const client = {
      Platform: { Name: '' },
      Version: BERTH_VERSION,
      ApiVersion: apiVersion,
      DefaultAPIVersion: API_VERSION,
      GitCommit: '',
      GoVersion: process.version,
      Os: platform,
      Arch: goArch(arch),
      BuildTime: '',
      Context: 'default',
    };
    if (f.format) {
      cli.out(`${compileTemplate(f.format)({ Client: client, Server: server ?? null })}\n`);
    } else {
      let text = 'Client:\n';
      text += line(1, 'Version', client.Version);
      text += line(1, 'API version', apiVersion === API_VERSION ? apiVersion : `${apiVersion} (downgraded from ${API_VERSION})`);
      text += line(1, 'Node version', client.GoVersion);
      text += line(1, 'OS/Arch', `${client.Os}/${client.Arch}`);
      text += line(1, 'Context', client.Context);
      if (server) text += '\n' + formatServer(server);
      cli.out(text);
    }
    if (failure) throw new StatusError(1, daemonErrorText(failure));
  });
}

export function formatServer(s: VersionResponse): string {
  let text = `Server:${s.Platform?.Name ? ` ${s.Platform.Name}` : ''}\n`;
  const components = s.Components?.length
    ? s.Components
    : [{ Name: 'Engine', Version: s.Version, Details: { ApiVersion: s.ApiVersion, MinAPIVersion: s.MinAPIVersion ?? '', GitCommit: s.GitCommit, GoVersion: s.GoVersion, Os: s.Os, Arch: s.Arch, BuildTime: s.BuildTime ?? '', Experimental: String(!!s.Experimental) } }];
  for (const comp of components) {
    const d = comp.Details ?? {};
    if (comp.Name === 'Engine') {
      text += ' Engine:\n';
      text += line(2, 'Version', comp.Version);
      text += line(2, 'API version', `${d.ApiVersion ?? s.ApiVersion} (minimum version ${d.MinAPIVersion ?? s.MinAPIVersion ?? ''})`);
      text += line(2, 'Go version', d.GoVersion ?? s.GoVersion);
      text += line(2, 'Git commit', d.GitCommit ?? s.GitCommit);
      text += line(2, 'Built', ansic(d.BuildTime ?? s.BuildTime));
      text += line(2, 'OS/Arch', `${d.Os ?? s.Os}/${d.Arch ?? s.Arch}`);
      text += line(2, 'Experimental', d.Experimental ?? 'false');
    } else {
      text += ` ${comp.Name}:\n`;
      text += line(2, 'Version', comp.Version);
      for (const [k, v] of Object.entries(d)) text += line(2, k, v);
    }
  }
  return text;
}
