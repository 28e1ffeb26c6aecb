// Berth's iptables rules, derived from state (pure). Everything lives in the daemon's OWN chains, named from its
// default bridge so two daemons side by side never collide:
//   filter  <P>-FWD    ← FORWARD (inserted first: must win over a DROP policy and br_netfilter)
//   nat     <P>-DNAT   ← PREROUTING and OUTPUT for local destinations (published ports, also 127.0.0.1)
//   nat     <P>-POST   ← POSTROUTING (outbound MASQUERADE, 127.0.0.1 → bridge, hairpin)
// The chains are rewritten as a whole by one `iptables-restore --noflush` (declaring a chain flushes it; nf_tables
// applies the file atomically), so rebuilding from state at start is idempotent and never leaves a gap.

export interface RuleNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

export interface RulePort {
  bridge: string;
  proto: string;
  /** '' or '0.0.0.0' = every local address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export interface ChainNames {
  fwd: string;
  dnat: string;
  post: string;
}

export function chainNames(defaultBridge: string): ChainNames {
  const p = `BERTH-${defaultBridge}`;
  return { fwd: `${p}-FWD`, dnat: `${p}-DNAT`, post: `${p}-POST` };
}

/** Jump rules from the built-in chains: [table, chain, rule args after the chain name]. */
export function jumpRules(c: ChainNames): { table: string; chain: string; args: string[]; insert: boolean }[] {
  return [
    { table: 'filter', chain: 'FORWARD', args: ['-j', c.fwd], insert: true },
    { table: 'nat', chain: 'PREROUTING', args: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.dnat], insert: false },
    { table: 'nat', chain: 'OUTPUT', args: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', c.dnat], insert: false },
    { table: 'nat', chain: 'POSTROUTING', args: ['-j', c.post], insert: false },
  ];
}

function proto(p: string): string {
  return `-p ${p} -m ${p}`;
}

export function renderRules(c: ChainNames, networks: RuleNetwork[], ports: RulePort[]): string {
  const f: string[] = ['*filter', `:${c.fwd} - [0:0]`];
  // Isolation first: nothing crosses from one of our bridges to another.
  for (const a of networks) for (const b of networks) if (a.bridge !== b.bridge) f.push(`-A ${c.fwd} -i ${a.bridge} -o ${b.bridge} -j DROP`);
  // New connections to published ports (after DNAT they are forwarded to the container).
  for (const p of ports) {
    f.push(`-A ${c.fwd} -d ${p.containerIp}/32 ! -i ${p.bridge} -o ${p.bridge} ${proto(p.proto)} --dport ${p.containerPort} -j ACCEPT`);
  }
  for (const n of networks) {
    f.push(`-A ${c.fwd} -o ${n.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    f.push(`-A ${c.fwd} -i ${n.bridge} -o ${n.bridge} -j ACCEPT`);
    if (n.internal) {
      f.push(`-A ${c.fwd} -i ${n.bridge} ! -o ${n.bridge} -j DROP`);
      f.push(`-A ${c.fwd} ! -i ${n.bridge} -o ${n.bridge} -j DROP`);
    } else {
      f.push(`-A ${c.fwd} -i ${n.bridge} ! -o ${n.bridge} -j ACCEPT`);
    }
  }
  f.push('COMMIT');
  const n: string[] = ['*nat', `:${c.dnat} - [0:0]`, `:${c.post} - [0:0]`];
  for (const p of ports) {
    const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `-d ${p.hostIp}/32 ` : '';
    n.push(`-A ${c.dnat} ${dst}${proto(p.proto)} --dport ${p.hostPort} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`);
  }
  for (const net of networks) {
    if (!net.internal) n.push(`-A ${c.post} -s ${net.subnet} ! -o ${net.bridge} -j MASQUERADE`);
    // 127.0.0.1:PORT → container (route_localnet on the bridge): the reply must come back through the host.
    n.push(`-A ${c.post} -s 127.0.0.0/8 -o ${net.bridge} -j MASQUERADE`);
  }
  for (const p of ports) {
    n.push(`-A ${c.post} -s ${p.containerIp}/32 -d ${p.containerIp}/32 ${proto(p.proto)} --dport ${p.containerPort} -j MASQUERADE`);
  }
  n.push('COMMIT');
  return [...f, ...n].join('\n') + '\n';
}
