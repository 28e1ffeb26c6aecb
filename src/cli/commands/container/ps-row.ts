// One `ps` row as docker's container formatter context shows it (field names are the --format names).
import type { ContainerSummary } from '../../../spec/docker-api.ts';
import { formatterContext } from '../../format/table.ts';
import { createdAgo, goTimeString } from '../../format/units.ts';
import { humanSize3 as humanSize } from '../size-text.ts';

type Port = ContainerSummary['Ports'][number];

/** docker's Ellipsis: cut to `max` characters, the last being "…". */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return chars.slice(0, max - 1).join('') + '…';
}

function comparePorts(a: Port, b: Port): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

const joinHostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The PORTS column: consecutive unpublished (or same-port) ports grouped into ranges, host mappings last. */
export function displayablePorts(ports: Port[]): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const mappings: string[] = [];
  const form = (key: string, first: number, last: number) => {
    const [a, b] = key.split('/') as [string, string | undefined];
    const ip = b === undefined ? '' : a;
    const type = b === undefined ? a : b;
    let g = first === last ? String(first) : `${first}-${last}`;
    if (ip) g = `${ip}:${g}->${g}`;
    return `${g}/${type}`;
  };
  for (const p of [...ports].sort(comparePorts)) {
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== p.PrivatePort) {
        mappings.push(`${joinHostPort(p.IP, p.PublicPort ?? 0)}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
      continue;
    }
    if (p.PrivatePort === g.last + 1) {
      g.last = p.PrivatePort;
      continue;
    }
    result.push(form(key, g.first, g.last));
    groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
  }
  for (const [key, g] of groups) result.push(form(key, g.first, g.last));
  return [...result, ...mappings].join(', ');
}

export function psRow(c: ContainerSummary, opts: { trunc: boolean; now?: Date }) {
  const now = opts.now ?? new Date();
  const names = (c.Names ?? []).map((n) => n.replace(/^\//, '')).filter((n) => !n.includes('/'));
  const labels = c.Labels ?? {};
  // docker's ContainerContext methods; Label takes an argument so `{{json .}}` leaves it out.
  return formatterContext('*formatter.ContainerContext', {
    ID: opts.trunc ? c.Id.slice(0, 12) : c.Id,
    Image: opts.trunc && c.Image.startsWith('sha256:') ? c.Image.slice(7, 19) : c.Image,
    Command: JSON.stringify(opts.trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTimeString(c.Created),
    RunningFor: createdAgo(c.Created, now),
    Ports: displayablePorts(c.Ports ?? []),
    State: c.State,
    Status: c.Status,
    // go-units HumanSizeWithPrecision(…, 3); the virtual size only when the daemon reported one.
    Size: (c.SizeRootFs ?? 0) > 0 ? `${humanSize(c.SizeRw ?? 0)} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : humanSize(c.SizeRw ?? 0),
    Names: names.join(','),
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    Label: (key: string) => labels[key] ?? '',
    Mounts: '',
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    LocalVolumes: '0',
    Platform: null,
  });
}
