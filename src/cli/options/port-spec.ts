// -p/--publish and --expose parsing into ExposedPorts + PortBindings, as docker's nat.ParsePortSpecs does.
import type { PortBinding } from '../../spec/docker-api.ts';

export interface PortMappings {
  exposed: Record<string, object>;
  bindings: Record<string, PortBinding[]>;
}

function parseRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new Error(`invalid ${what}: ${s}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) throw new Error(`invalid ${what}: ${s}`);
  return [start, end];
}

/** Splits "[ip:][hostPort:]containerPort[/proto]", allowing a bracketed IPv6 address. */
function splitSpec(spec: string): { ip: string; host: string; container: string; proto: string } {
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
  }
  let ip = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new Error(`invalid ip address: ${rest}`);
    ip = rest.slice(1, close);
    rest = rest.slice(close + 2);
    const parts = rest.split(':');
    return parts.length === 1
      ? { ip, host: '', container: parts[0]!, proto }
      : { ip, host: parts[0]!, container: parts.slice(1).join(':'), proto };
  }
  const parts = rest.split(':');
  if (parts.length === 1) return { ip, host: '', container: parts[0]!, proto };
  if (parts.length === 2) return { ip, host: parts[0]!, container: parts[1]!, proto };
  const container = parts.pop()!;
  const host = parts.pop()!;
  return { ip: parts.join(':'), host, container, proto };
}

export function parsePortSpecs(publish: string[], expose: string[] = []): PortMappings {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const e of expose) {
    const { container, proto } = splitSpec(e.includes(':') ? `${e}` : e);
    const [a, b] = parseRange(container, 'range format for --expose specification');
    for (let p = a; p <= b; p++) exposed[`${p}/${proto}`] = {};
  }
  for (const spec of publish) {
    const { ip, host, container, proto } = splitSpec(spec);
    if (!container) throw new Error(`no port specified: ${spec}<empty>`);
    const [cStart, cEnd] = parseRange(container, 'containerPort');
    let hStart = 0;
    let hEnd = 0;
    if (host) [hStart, hEnd] = parseRange(host, 'hostPort');
    if (host && hEnd - hStart !== 0 && hEnd - hStart !== cEnd - cStart) {
      throw new Error(`invalid ranges specified for container and host Ports: ${container} and ${host}`);
    }
    for (let i = 0; i <= cEnd - cStart; i++) {
      const key = `${cStart + i}/${proto}`;
      let hostPort = '';
      if (host) hostPort = hEnd === hStart ? (cEnd === cStart ? String(hStart) : `${hStart}-${hEnd}`) : String(hStart + i);
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  return { exposed, bindings };
}
