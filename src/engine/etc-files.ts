// /etc/hosts, /etc/hostname and /etc/resolv.conf for a container, written into its directory and bind-mounted.
// Written in place, not by rename: a rename would leave a running container's bind mount on the old inode, and
// the files are regenerated at every start, so a torn write after a crash is repaired by the next start.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface EtcFilesInput {
  dir: string;
  hostname: string;
  networkMode: string;
  extraHosts: string[];
  /** Ready-made hosts lines from the network subsystem ("IP\tname alias"). */
  extraHostsLines?: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** Container IP on its network, when it has one. */
  ip?: string;
}

export interface EtcFiles {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

/** Loopback resolvers on the host are unreachable from a container's own network namespace. */
export function filterResolvConf(text: string, hostNetwork: boolean): string {
  const lines = text.split('\n').filter((line) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m || hostNetwork) return true;
    const ns = m[1]!;
    return !(ns.startsWith('127.') || ns === '::1');
  });
  return lines.join('\n').replace(/\n*$/, '\n');
}

export function renderHosts(input: Pick<EtcFilesInput, 'hostname' | 'extraHosts' | 'ip' | 'extraHostsLines'>): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const entry of input.extraHosts) {
    // Docker's --add-host form is host:ip (ip may be IPv6, so split at the first ':').
    const idx = entry.indexOf(':');
    if (idx > 0) lines.push(`${entry.slice(idx + 1)}\t${entry.slice(0, idx)}`);
  }
  lines.push(...(input.extraHostsLines ?? []));
  if (input.ip) lines.push(`${input.ip}\t${input.hostname}`);
  return lines.join('\n') + '\n';
}

export async function writeEtcFiles(input: EtcFilesInput): Promise<EtcFiles> {
  const files: EtcFiles = {
    hosts: join(input.dir, 'hosts'),
    hostname: join(input.dir, 'hostname'),
    resolvConf: join(input.dir, 'resolv.conf'),
  };
  const hostNet = input.networkMode === 'host';
  const hostHosts = hostNet ? await readFile('/etc/hosts', 'utf8').catch(() => '') : '';
  await writeFile(files.hosts, hostNet && hostHosts ? hostHosts : renderHosts(input));
  await writeFile(files.hostname, input.hostname + '\n');
  let resolv = filterResolvConf(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''), hostNet);
  if (input.dns.length || input.dnsSearch.length || input.dnsOptions.length) {
    const keep = resolv.split('\n').filter((l) => {
      if (input.dns.length && /^\s*nameserver\b/.test(l)) return false;
      if (input.dnsSearch.length && /^\s*(search|domain)\b/.test(l)) return false;
      if (input.dnsOptions.length && /^\s*options\b/.test(l)) return false;
      return l.trim() !== '';
    });
    for (const ns of input.dns) keep.push(`nameserver ${ns}`);
    if (input.dnsSearch.length) keep.push(`search ${input.dnsSearch.join(' ')}`);
    if (input.dnsOptions.length) keep.push(`options ${input.dnsOptions.join(' ')}`);
    resolv = keep.join('\n') + '\n';
  }
  await writeFile(files.resolvConf, resolv);
  return files;
}
