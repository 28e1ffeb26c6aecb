// Bridge networking with Docker's semantics: the predefined networks (bridge, host, none), user-defined bridge
// networks, one netns per container with a veth into each of its networks, daemon-side IPAM, published ports by
// kernel DNAT in Berth's own chains, and an embedded DNS on each user network's gateway address.
//
// Ownership: every bridge, veth, netns, address and rule is named in a record (network-store.ts) before it is
// created and removed with it; at daemon start `restore` rebuilds what running containers and live networks need
// and removes what the rest held. The iptables chains are a function of the records (iptables-rules.ts).
import { randomBytes } from 'node:crypto';
import { labelMatches, parseFilters } from '../spec/filters.ts';
import { BerthError, conflict, errorMessage, forbidden, invalidArgument, isBerthError, notFound } from '../base/errors.ts';
import { newId, resolveByIdOrName } from '../base/ids.ts';
import { KeyedMutex } from '../base/keyed-mutex.ts';
import type { ContainerSummary, PortBinding } from '../spec/docker-api.ts';
import type { NetExec } from '../sys/net-exec.ts';
import { DnsServer, upstreamsOf } from './dns-server.ts';
import { chainNames, jumpRules, renderRules, type ChainNames, type RuleNetwork, type RulePort } from './iptables-rules.ts';
import { allocate, carveSubnet, poolOf, reserve, type Pool, type PoolConfig } from './ipam.ts';
import { formatCidr, formatIp, isIp, macForIp, overlaps, parseCidr, parseIpPrefix } from './ipv4.ts';
import {
  NetworkStore,
  type ContainerNetState,
  type EndpointConfig,
  type EndpointState,
  type NetworkRecord,
  type PortMapping,
} from './network-store.ts';

/** What the network subsystem needs to know of a container (the engine's record satisfies it). */
export interface ContainerInfo {
  Id: string;
  Name: string;
  State: { Running: boolean; Status?: string };
  Config: { Hostname?: string; ExposedPorts?: Record<string, object> | null };
  HostConfig: {
    NetworkMode?: string;
    PortBindings?: Record<string, PortBinding[] | null> | null;
    PublishAllPorts?: boolean;
    ExtraHosts?: string[] | null;
  };
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> } | null;
}

export interface ContainerLookup {
  /** By id, name or id prefix; throws not_found. */
  get(ref: string): ContainerInfo;
  all(): ContainerInfo[];
}

export interface NetworkLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface NetworkServiceOptions {
  dataRoot: string;
  exec: NetExec;
  log: NetworkLogger;
  /** Linux bridge of the default `bridge` network (also names this daemon's iptables chains). */
  bridgeName: string;
  /** Gateway address and prefix of the default bridge, e.g. 172.29.0.1/16. */
  bip: string;
  /** Pool user-defined networks without a subnet are carved from. */
  defaultPool: string;
  /** Host ports for -P and ports published without a host port. */
  portRange?: [number, number];
  /** Start the embedded DNS servers (off in unit tests). */
  dns?: boolean;
  /** Port for the embedded DNS (53; tests without privileges may move it). */
  dnsPort?: number;
}

export interface NetworkJoinResult {
  netns: string;
  ip?: string;
  hostsEntries?: string[];
  dns?: string[];
  dnsSearch?: string[];
}

export interface NetworkCreateBody {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  CheckDuplicate?: boolean;
  IPAM?: { Driver?: string; Config?: PoolConfig[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface EndpointConfigBody {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
}

const NETNS_DIR = '/run/netns';
const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** "80/tcp" → port and protocol. */
function parsePortKey(key: string): { port: number; proto: 'tcp' | 'udp' | 'sctp' } {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(key);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw invalidArgument(`invalid port specification: "${key.split('/')[0]}"`, 'invalid_port');
  return { port: Number(m[1]), proto: (m[2]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp' | 'sctp' };
}

function parseHostPort(s: string | undefined): [number, number] | undefined {
  if (!s) return undefined;
  // Docker's daemon-side check (the CLI rejects these itself as "invalid hostPort"; raw API calls get this).
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw invalidArgument(`invalid port specification: "${s}"`, 'invalid_port');
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a) throw invalidArgument(`invalid port specification: "${s}"`, 'invalid_port');
  return a === 0 && b === 0 ? undefined : [a, b];
}

export class NetworkService {
  private readonly o: NetworkServiceOptions;
  private readonly store: NetworkStore;
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly states = new Map<string, ContainerNetState>();
  private readonly dnsServers = new Map<string, DnsServer>();
  /** Bridges known to exist in the kernel (created or adopted by this process). */
  private readonly liveBridges = new Set<string>();
  private readonly lock = new KeyedMutex();
  private readonly chains: ChainNames;
  private lookup: ContainerLookup | null = null;
  private jumpsReady = false;
  /** The chains' text last applied by this process (a start with no published ports changes nothing). */
  private appliedRules: string | undefined;
  private ipForwardSet = false;
  /** Rotation pointer per network (Docker hands out addresses round-robin, not the one just released). */
  private readonly lastIp = new Map<string, string>();
  /** Host ports being reserved by a connect in flight. */
  private readonly pendingPorts = new Set<string>();
  private upstreams: string[] = [];

  constructor(o: NetworkServiceOptions) {
    this.o = o;
    this.store = new NetworkStore(o.dataRoot);
    this.chains = chainNames(o.bridgeName);
  }

  /** The container side is wired after construction (the engine needs us first). */
  setContainers(lookup: ContainerLookup): void {
    this.lookup = lookup;
  }

  private containers(): ContainerLookup {
    if (!this.lookup) throw new BerthError('internal', 'not_ready', 'network service has no container lookup');
    return this.lookup;
  }

  private tryContainer(id: string): ContainerInfo | undefined {
    try {
      return this.containers().get(id);
    } catch {
      return undefined;
    }
  }

  // ---- start-up ----------------------------------------------------------------------------------------------

  async init(): Promise<void> {
    await this.store.init();
    for (const n of await this.store.loadNetworks()) this.networks.set(n.Id, n);
    for (const c of await this.store.loadContainers()) this.states.set(c.Id, c);
    this.upstreams = upstreamsOf(await this.o.exec.hostResolvConf());
    // The predefined networks. The default bridge follows the daemon's flags (they may change between runs).
    const builtin = (name: string, driver: string, extra: Partial<NetworkRecord>) => {
      const existing = [...this.networks.values()].find((n) => n.Builtin && n.Name === name);
      const rec: NetworkRecord = {
        Id: existing?.Id ?? newId(),
        Name: name,
        Created: existing?.Created ?? new Date().toISOString(),
        Driver: driver,
        Internal: false,
        Attachable: false,
        IPAM: { Driver: 'default', Options: null, Config: [] },
        Options: {},
        Labels: {},
        Builtin: true,
        ...extra,
      };
      return { rec, changed: JSON.stringify(existing) !== JSON.stringify(rec) };
    };
    const { ip, prefix } = parseIpPrefix(this.o.bip);
    const subnet = formatCidr(parseCidr(this.o.bip));
    const defs = [
      builtin('bridge', 'bridge', {
        BridgeName: this.o.bridgeName,
        IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: subnet, Gateway: formatIp(ip) }] },
        Options: {
          'com.docker.network.bridge.default_bridge': 'true',
          'com.docker.network.bridge.enable_icc': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'true',
          'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
          [BRIDGE_NAME_OPT]: this.o.bridgeName,
          'com.docker.network.driver.mtu': '1500',
        },
      }),
      builtin('host', 'host', {}),
      builtin('none', 'null', {}),
    ];
    if (prefix > 30) throw invalidArgument(`invalid --bip ${this.o.bip}`);
    for (const { rec, changed } of defs) {
      if (changed) await this.store.saveNetwork(rec);
      this.networks.set(rec.Id, rec);
    }
  }

  get defaultBridge(): NetworkRecord {
    return [...this.networks.values()].find((n) => n.Builtin && n.Name === 'bridge')!;
  }

  // ---- network records ------------------------------------------------------------------------------------------

  private allNetworks(): NetworkRecord[] {
    return [...this.networks.values()].filter((n) => !n.Removing);
  }

  /** By full id, name, then unique id prefix (Docker's order); Docker's message when missing. */
  findNetwork(ref: string): NetworkRecord {
    try {
      return resolveByIdOrName(this.allNetworks().map((n) => ({ id: n.Id, name: n.Name, n })), ref, 'network').n;
    } catch (e) {
      if (isBerthError(e, 'not_found')) throw notFound(`network ${ref} not found`, 'network_not_found');
      throw e;
    }
  }

  private pool(n: NetworkRecord): Pool {
    return poolOf(n.IPAM.Config[0]!);
  }

  private activeEndpoints(netId: string): { c: ContainerNetState; ep: EndpointState }[] {
    const out = [];
    for (const c of this.states.values()) {
      const ep = c.Sandbox?.Endpoints[netId];
      if (ep) out.push({ c, ep });
    }
    return out;
  }

  private usedIps(netId: string): Set<string> {
    const used = new Set<string>();
    for (const { ep } of this.activeEndpoints(netId)) used.add(ep.IPAddress);
    return used;
  }

  // ---- container network config ---------------------------------------------------------------------------------

  /** The container's networks (by id) with their endpoint settings: from the state file or from its create body. */
  private configured(rec: ContainerInfo): { net: NetworkRecord; cfg: EndpointConfig }[] {
    const st = this.states.get(rec.Id);
    if (st) {
      return Object.entries(st.Networks)
        .map(([id, cfg]) => ({ net: this.networks.get(id), cfg }))
        .filter((x): x is { net: NetworkRecord; cfg: EndpointConfig } => !!x.net && !x.net.Removing);
    }
    return this.fromCreate(rec);
  }

  private fromCreate(rec: ContainerInfo): { net: NetworkRecord; cfg: EndpointConfig }[] {
    const mode = rec.HostConfig.NetworkMode || 'default';
    if (mode.startsWith('container:')) return [];
    const primary = this.findNetwork(mode === 'default' ? 'bridge' : mode);
    const eps = (rec.NetworkingConfig?.EndpointsConfig ?? {}) as Record<string, EndpointConfigBody | null>;
    const cfgOf = (body: EndpointConfigBody | null | undefined): EndpointConfig => {
      const out: EndpointConfig = {};
      if (body?.Aliases?.length) out.Aliases = [...body.Aliases];
      if (body?.IPAMConfig?.IPv4Address) out.IPv4Address = body.IPAMConfig.IPv4Address;
      return out;
    };
    const out = [{ net: primary, cfg: cfgOf(eps[mode] ?? eps[primary.Name] ?? eps[primary.Id]) }];
    for (const [name, body] of Object.entries(eps)) {
      if (name === mode || name === 'default') continue;
      const net = this.findNetwork(name);
      if (out.some((o) => o.net.Id === net.Id)) continue;
      out.push({ net, cfg: cfgOf(body) });
    }
    return out;
  }

  private validateEndpoint(net: NetworkRecord, cfg: EndpointConfig): void {
    const userNet = net.Driver === 'bridge' && !net.Builtin;
    if (cfg.Aliases?.length && !userNet) {
      throw invalidArgument('network-scoped alias is supported only for containers in user defined networks', 'alias_unsupported');
    }
    if (cfg.IPv4Address) {
      if (!userNet) throw invalidArgument('user specified IP address is supported on user defined networks only', 'ip_unsupported');
      if (!net.IPAM.Config.some((c) => c.Subnet)) throw invalidArgument('user specified IP address is supported only when connecting to networks with user configured subnets');
      if (!isIp(cfg.IPv4Address)) throw invalidArgument(`invalid IPv4 address: ${cfg.IPv4Address}`);
    }
  }

  /** Port bindings and exposed ports of a container, parsed. */
  private portSpecs(rec: ContainerInfo): { proto: 'tcp' | 'udp' | 'sctp'; containerPort: number; hostIp: string; range?: [number, number] }[] {
    const out = [];
    for (const [key, list] of Object.entries(rec.HostConfig.PortBindings ?? {})) {
      const { port, proto } = parsePortKey(key);
      for (const b of list ?? [{}]) {
        const hostIp = b.HostIp ?? '';
        if (hostIp && hostIp !== '0.0.0.0' && !isIp(hostIp)) {
          if (hostIp.includes(':')) continue; // IPv6 bindings: not served (IPv4 only)
          throw invalidArgument(`invalid host IP address: ${hostIp}`);
        }
        out.push({ proto, containerPort: port, hostIp, range: parseHostPort(b.HostPort) });
      }
    }
    if (rec.HostConfig.PublishAllPorts) {
      for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) {
        const { port, proto } = parsePortKey(key);
        if (!out.some((p) => p.containerPort === port && p.proto === proto)) out.push({ proto, containerPort: port, hostIp: '', range: undefined });
      }
    }
    return out;
  }

  // ---- NetworkAttacher -------------------------------------------------------------------------------------------

  validate(rec: ContainerInfo): void {
    const mode = rec.HostConfig.NetworkMode || 'default';
    const hasPorts = Object.keys(rec.HostConfig.PortBindings ?? {}).length > 0;
    if (mode.startsWith('container:')) {
      const target = mode.slice('container:'.length);
      if (!target) throw invalidArgument('invalid network mode: container: with an empty name');
      this.containers().get(target);
      if (hasPorts || rec.HostConfig.PublishAllPorts) {
        throw invalidArgument('conflicting options: port publishing and the container type network mode', 'conflicting_options');
      }
      return;
    }
    for (const { net, cfg } of this.fromCreate(rec)) this.validateEndpoint(net, cfg);
    this.portSpecs(rec);
    for (const h of rec.HostConfig.ExtraHosts ?? []) {
      const i = h.indexOf(':');
      const ip = h.slice(i + 1);
      if (i <= 0 || (ip !== 'host-gateway' && !isIp(ip) && !ip.includes(':'))) throw invalidArgument(`invalid IP address in add-host: "${ip}"`);
    }
  }

  connect(rec: ContainerInfo): Promise<NetworkJoinResult> {
    return this.lock.run('net', () => this.connectLocked(rec));
  }

  private async connectLocked(rec: ContainerInfo): Promise<NetworkJoinResult> {
    const mode = rec.HostConfig.NetworkMode || 'default';
    if (mode.startsWith('container:')) {
      const target = this.containers().get(mode.slice('container:'.length));
      if (!target.State.Running) throw conflict(`cannot join network namespace of a non running container: ${target.Id}`, 'container_not_running');
      if ((target.HostConfig.NetworkMode || '') === 'host') return { netns: 'host' };
      const sb = this.states.get(target.Id)?.Sandbox;
      if (!sb) return { netns: 'none' };
      const ep = Object.values(sb.Endpoints)[0];
      return { netns: `${NETNS_DIR}/${sb.Netns}`, ip: ep?.IPAddress, hostsEntries: this.hostsEntries(target, ep?.Gateway) };
    }
    const nets = this.configured(rec);
    const primary = nets[0]?.net;
    if (!primary || primary.Driver === 'host') return { netns: 'host', hostsEntries: this.hostsEntries(rec, undefined) };
    if (primary.Driver === 'null') return { netns: 'none', hostsEntries: this.hostsEntries(rec, undefined) };
    // A sandbox left from a run that ended while we were not looking: release it before building a fresh one.
    if (this.states.get(rec.Id)?.Sandbox) await this.teardown(rec.Id);
    const st: ContainerNetState = this.states.get(rec.Id) ?? {
      Id: rec.Id,
      Networks: Object.fromEntries(nets.map(({ net, cfg }) => [net.Id, cfg])),
    };
    const bridgeNets = nets.filter(({ net }) => net.Driver === 'bridge');
    for (const { net, cfg } of bridgeNets) this.validateEndpoint(net, cfg);
    // 1. Allocate addresses and host ports, and record them (with the netns and veth names) before touching the kernel.
    const endpoints: Record<string, EndpointState> = {};
    bridgeNets.forEach(({ net, cfg }, i) => {
      const pool = this.pool(net);
      const used = this.usedIps(net.Id);
      for (const ep of Object.values(endpoints)) used.add(ep.IPAddress);
      const ip = cfg.IPv4Address ? reserve(pool, used, cfg.IPv4Address) : allocate(pool, used, this.lastIp.get(net.Id));
      endpoints[net.Id] = {
        NetworkID: net.Id,
        EndpointID: newId(),
        IPAddress: ip,
        IPPrefixLen: pool.subnet.prefix,
        Gateway: formatIp(pool.gateway),
        MacAddress: macForIp(parseIpPrefix(`${ip}/32`).ip),
        Veth: `vb${randomBytes(6).toString('hex').slice(0, 11)}`,
        IfName: `eth${i}`,
      };
    });
    const ports = await this.allocatePorts(rec, primary);
    st.Sandbox = { Netns: `berth-${rec.Id.slice(0, 12)}`, Endpoints: endpoints, Ports: ports };
    this.states.set(rec.Id, st);
    try {
      // Not fsynced: a sandbox names kernel objects, which do not outlive a reboot; the rename alone keeps the file
      // whole across a daemon crash, and the container's config is rebuilt from its create body if need be.
      await this.store.saveContainer(st, { durable: false });
      // 2. The kernel side: the netns and every veth in two `ip` runs whatever the number of networks.
      for (const { net } of bridgeNets) await this.ensureBridge(net);
      let routed = false;
      const plugs = bridgeNets.map(({ net }) => {
        const p = { net, ep: endpoints[net.Id]!, defaultRoute: !routed && !net.Internal };
        if (!net.Internal) routed = true;
        return p;
      });
      await this.plug(st.Sandbox.Netns, plugs, true);
      // Only a container that publishes ports changes the rules (the per-bridge chains are already in place).
      await this.syncRules();
      for (const { net, cfg } of bridgeNets) if (!cfg.IPv4Address) this.lastIp.set(net.Id, endpoints[net.Id]!.IPAddress);
    } catch (e) {
      await this.teardown(rec.Id).catch(() => {});
      throw e;
    } finally {
      for (const p of ports) this.pendingPorts.delete(portKey(p));
    }
    const pep = endpoints[primary.Id];
    const userNet = !primary.Builtin;
    return {
      netns: `${NETNS_DIR}/${st.Sandbox.Netns}`,
      ip: pep?.IPAddress,
      hostsEntries: this.hostsEntries(rec, pep?.Gateway),
      dns: userNet && pep && this.o.dns !== false ? [pep.Gateway] : [],
    };
  }

  /** --add-host lines (host-gateway resolved) and host.docker.internal. */
  private hostsEntries(rec: ContainerInfo, gateway: string | undefined): string[] {
    const gw = gateway ?? formatIp(this.pool(this.defaultBridge).gateway);
    const out: string[] = [];
    let hasHdi = false;
    for (const h of rec.HostConfig.ExtraHosts ?? []) {
      const i = h.indexOf(':');
      if (i <= 0) continue;
      const name = h.slice(0, i);
      const ip = h.slice(i + 1) === 'host-gateway' ? gw : h.slice(i + 1);
      if (name === 'host.docker.internal') hasHdi = true;
      out.push(`${ip}\t${name}`);
    }
    if (!hasHdi && (rec.HostConfig.NetworkMode || '') !== 'host') out.push(`${gw}\thost.docker.internal`);
    return out;
  }

  private async allocatePorts(rec: ContainerInfo, primary: NetworkRecord): Promise<PortMapping[]> {
    const specs = this.portSpecs(rec);
    if (!specs.length) return [];
    const taken = new Set<string>(this.pendingPorts);
    for (const c of this.states.values()) for (const p of c.Sandbox?.Ports ?? []) taken.add(portKey(p));
    const out: PortMapping[] = [];
    const [lo, hi] = this.o.portRange ?? [32768, 60999];
    try {
      for (const s of specs) {
        const candidates: number[] = [];
        if (s.range) for (let p = s.range[0]; p <= s.range[1]; p++) candidates.push(p);
        else {
          const start = lo + Math.floor(Math.random() * (hi - lo + 1));
          for (let i = 0; i <= hi - lo; i++) candidates.push(lo + ((start - lo + i) % (hi - lo + 1)));
        }
        let chosen: PortMapping | undefined;
        for (const hp of candidates) {
          const m: PortMapping = { proto: s.proto, hostIp: s.hostIp, hostPort: hp, containerPort: s.containerPort, networkId: primary.Id };
          if (clashes(taken, m)) continue;
          taken.add(portKey(m));
          this.pendingPorts.add(portKey(m));
          if (await this.o.exec.portFree(s.proto, s.hostIp || '0.0.0.0', hp)) {
            chosen = m;
            break;
          }
          this.pendingPorts.delete(portKey(m));
          if (s.range && s.range[0] === s.range[1]) break;
        }
        if (!chosen) {
          const ip = s.hostIp || '0.0.0.0';
          const what = s.range ? (s.range[0] === s.range[1] ? `${ip}:${s.range[0]}` : `${ip}:${s.range[0]}-${s.range[1]}`) : `${ip} (no free port in ${lo}-${hi})`;
          throw new BerthError(
            'internal',
            'port_allocated',
            `driver failed programming external connectivity on endpoint ${rec.Name} (${rec.Id.slice(0, 64)}): Bind for ${what} failed: port is already allocated`,
          );
        }
        out.push(chosen);
      }
    } catch (e) {
      for (const m of out) this.pendingPorts.delete(portKey(m));
      throw e;
    }
    return out;
  }

  disconnect(rec: ContainerInfo): Promise<void> {
    return this.lock.run('net', async () => {
      if (this.states.get(rec.Id)?.Sandbox) {
        await this.teardown(rec.Id);
        await this.syncRules();
      }
      // A removed container's config goes with it (the engine marks it 'removing' before it calls us).
      if (rec.State.Status === 'removing' || !this.tryContainer(rec.Id)) await this.forget(rec.Id);
    });
  }

  /** Drops a removed container's network config. */
  private async forget(id: string): Promise<void> {
    this.states.delete(id);
    await this.store.removeContainer(id);
  }

  /** Removes a container's veths and netns and releases its addresses and ports (rules: caller syncs). */
  private async teardown(id: string): Promise<void> {
    const st = this.states.get(id);
    const sb = st?.Sandbox;
    if (!st || !sb) return;
    // One `ip -force -batch` (goes on past names already gone). The veths go first and explicitly: `netns del`
    // while a process still holds the netns would leave them for a while.
    const lines = [...Object.values(sb.Endpoints).map((ep) => `link del ${ep.Veth}`), `netns del ${sb.Netns}`];
    await this.o.exec.ip(['-force', '-batch', '-'], { allowFail: true, input: lines.join('\n') + '\n' });
    delete st.Sandbox;
    await this.store.saveContainer(st, { durable: false });
  }

  // ---- kernel plumbing --------------------------------------------------------------------------------------------

  private async ensureForwarding(): Promise<void> {
    if (this.ipForwardSet) return;
    await this.o.exec.sysctl('net.ipv4.ip_forward', '1');
    this.ipForwardSet = true;
  }

  /** The network's bridge with its gateway address, up; route_localnet for 127.0.0.1 publishing; its DNS. */
  private async ensureBridge(net: NetworkRecord): Promise<void> {
    const br = net.BridgeName!;
    if (!this.liveBridges.has(br)) {
      await this.ensureForwarding();
      const pool = this.pool(net);
      const add = await this.o.exec.ip(['link', 'add', br, 'type', 'bridge'], { allowFail: true });
      if (add.code !== 0 && !/exists/i.test(add.stderr)) throw new BerthError('internal', 'bridge_failed', `creating bridge ${br}: ${add.stderr.trim()}`);
      const addr = await this.o.exec.ip(['addr', 'add', `${formatIp(pool.gateway)}/${pool.subnet.prefix}`, 'dev', br], { allowFail: true });
      if (addr.code !== 0 && !/exists|already assigned/i.test(addr.stderr)) throw new BerthError('internal', 'bridge_failed', `address on ${br}: ${addr.stderr.trim()}`);
      await this.o.exec.ip(['link', 'set', br, 'up']);
      await this.o.exec.sysctl(`net.ipv4.conf.${br}.route_localnet`, '1');
      this.liveBridges.add(br);
    }
    await this.ensureDns(net);
  }

  private async ensureDns(net: NetworkRecord): Promise<void> {
    if (this.o.dns === false || net.Builtin || net.Driver !== 'bridge' || this.dnsServers.has(net.Id)) return;
    const srv = new DnsServer({
      address: formatIp(this.pool(net).gateway),
      port: this.o.dnsPort ?? 53,
      lookup: (name, from) => this.resolveName(net.Id, name, from),
      upstreams: () => this.upstreams,
      onError: (e) => this.o.log.warn('dns server error', { network: net.Name, error: e.message }),
    });
    try {
      await srv.listen();
      this.dnsServers.set(net.Id, srv);
    } catch (e) {
      this.o.log.error('embedded DNS failed to listen', { network: net.Name, error: errorMessage(e) });
    }
  }

  /**
   * Name lookup for a query that arrived on network `netId` from address `from`: Docker answers from every user
   * network the asking container is on (its address on that network), in the order of its networks.
   */
  resolveName(netId: string, name: string, from?: string): string[] | undefined {
    const asker = from ? this.activeEndpoints(netId).find(({ ep }) => ep.IPAddress === from)?.c : undefined;
    const nets = asker ? [netId, ...Object.keys(asker.Sandbox?.Endpoints ?? {}).filter((id) => id !== netId)] : [netId];
    for (const id of nets) {
      const n = this.networks.get(id);
      if (!n || n.Builtin) continue;
      const ips = this.resolveOn(id, name);
      if (ips) return ips;
    }
    return undefined;
  }

  private resolveOn(netId: string, name: string): string[] | undefined {
    const ips: string[] = [];
    for (const { c, ep } of this.activeEndpoints(netId)) {
      const info = this.tryContainer(c.Id);
      if (!info) continue;
      const names = [info.Name, c.Id.slice(0, 12), ...(c.Networks[netId]?.Aliases ?? [])].map((n) => n.toLowerCase());
      if (names.includes(name)) ips.push(ep.IPAddress);
    }
    return ips.length ? ips : undefined;
  }

  /**
   * Wires endpoints into a netns with two `ip -batch` runs: on the host (`netns add` when `create`, each veth pair
   * with its peer straight into the netns, onto its bridge, hairpin on), then inside the netns (addresses, links up,
   * the default route). `ip -batch` cannot switch netns per line, hence two.
   */
  private async plug(netns: string, plugs: { net: NetworkRecord; ep: EndpointState; defaultRoute: boolean }[], create: boolean): Promise<void> {
    const host = create ? [`netns add ${netns}`] : [];
    const inside = create ? ['link set lo up'] : [];
    for (const { net, ep, defaultRoute } of plugs) {
      host.push(
        `link add ${ep.Veth} type veth peer name ${ep.IfName} address ${ep.MacAddress} netns ${netns}`,
        `link set ${ep.Veth} master ${net.BridgeName!} up`,
        `link set ${ep.Veth} type bridge_slave hairpin on`,
      );
      inside.push(`addr add ${ep.IPAddress}/${ep.IPPrefixLen} dev ${ep.IfName}`, `link set ${ep.IfName} up`);
      if (defaultRoute) inside.push(`route add default via ${ep.Gateway} dev ${ep.IfName}`);
    }
    let r = await this.o.exec.ip(['-batch', '-'], { allowFail: true, input: host.join('\n') + '\n' });
    if (r.code !== 0 && create && /exists/i.test(r.stderr)) {
      // A netns (or veth) of this name left over: ours by name (berth-<id12>, random veth names); clear and retry.
      const stale = [...plugs.map(({ ep }) => `link del ${ep.Veth}`), `netns del ${netns}`];
      await this.o.exec.ip(['-force', '-batch', '-'], { allowFail: true, input: stale.join('\n') + '\n' });
      r = await this.o.exec.ip(['-batch', '-'], { allowFail: true, input: host.join('\n') + '\n' });
    }
    if (r.code !== 0) {
      const what = create ? `creating netns ${netns} and its veths` : `adding a veth to netns ${netns}`;
      throw new BerthError('internal', 'netns_failed', `${what}: ${r.stderr.trim()}`);
    }
    await this.o.exec.ip(['-n', netns, '-batch', '-'], { input: inside.join('\n') + '\n' });
  }

  private async ensureJumps(): Promise<void> {
    if (this.jumpsReady) return;
    // Chains must exist before a jump to them can be added.
    await this.o.exec.iptablesRestore(`*filter\n:${this.chains.fwd} - [0:0]\nCOMMIT\n*nat\n:${this.chains.dnat} - [0:0]\n:${this.chains.post} - [0:0]\nCOMMIT\n`);
    for (const j of jumpRules(this.chains)) {
      const has = await this.o.exec.iptables(['-t', j.table, '-C', j.chain, ...j.args], { allowFail: true });
      if (has.code === 0) continue;
      if (j.insert) await this.o.exec.iptables(['-t', j.table, '-I', j.chain, '1', ...j.args]);
      else await this.o.exec.iptables(['-t', j.table, '-A', j.chain, ...j.args]);
    }
    this.jumpsReady = true;
  }

  /** Rewrites this daemon's chains from the records (one atomic iptables-restore). */
  private async syncRules(): Promise<void> {
    const nets = this.allNetworks().filter((n) => n.Driver === 'bridge' && this.liveBridges.has(n.BridgeName!));
    if (!nets.length && !this.jumpsReady) return;
    await this.ensureJumps();
    const ruleNets: RuleNetwork[] = nets.map((n) => ({ bridge: n.BridgeName!, subnet: n.IPAM.Config[0]!.Subnet, internal: n.Internal }));
    const ports: RulePort[] = [];
    for (const c of this.states.values()) {
      for (const p of c.Sandbox?.Ports ?? []) {
        const net = this.networks.get(p.networkId);
        const ep = c.Sandbox!.Endpoints[p.networkId];
        if (!net || !ep) continue;
        ports.push({ bridge: net.BridgeName!, proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: ep.IPAddress, containerPort: p.containerPort });
      }
    }
    const text = renderRules(this.chains, ruleNets, ports);
    if (text === this.appliedRules) return;
    this.appliedRules = undefined;
    await this.o.exec.iptablesRestore(text);
    this.appliedRules = text;
  }

  // ---- restore -------------------------------------------------------------------------------------------------

  restore(records: ContainerInfo[]): Promise<void> {
    return this.lock.run('net', async () => {
      this.appliedRules = undefined; // rewrite the chains once whatever they hold
      const byId = new Map(records.map((r) => [r.Id, r]));
      // Networks whose removal a crash interrupted.
      for (const n of [...this.networks.values()].filter((n) => n.Removing)) await this.finishRemove(n);
      // Containers: keep the sandboxes of running ones, release the rest, forget removed containers.
      const existingNetns = new Set(await this.o.exec.listNetns());
      for (const st of [...this.states.values()]) {
        const rec = byId.get(st.Id);
        if (st.Sandbox && !(rec?.State.Running && existingNetns.has(st.Sandbox.Netns))) await this.teardown(st.Id);
        if (!rec) await this.forget(st.Id);
      }
      // Bridges of user networks always exist (Docker creates them with the network); the default one once used.
      const needed = this.allNetworks().filter((n) => n.Driver === 'bridge' && (!n.Builtin || this.activeEndpoints(n.Id).length > 0));
      const defaultExists = (await this.o.exec.ip(['link', 'show', this.o.bridgeName], { allowFail: true })).code === 0;
      if (defaultExists && !needed.includes(this.defaultBridge)) needed.push(this.defaultBridge);
      for (const n of needed) {
        const existed = (await this.o.exec.ip(['link', 'show', n.BridgeName!], { allowFail: true })).code === 0;
        try {
          await this.ensureBridge(n);
        } catch (e) {
          this.o.log.error('restoring network failed', { network: n.Name, error: errorMessage(e) });
          continue;
        }
        if (!existed) {
          // The bridge was gone (e.g. deleted by hand): re-attach surviving containers' veths.
          for (const { ep } of this.activeEndpoints(n.Id)) {
            await this.o.exec.ip(['link', 'set', ep.Veth, 'master', n.BridgeName!, 'up'], { allowFail: true });
          }
        }
      }
      await this.syncRules();
    });
  }

  // ---- /networks API -----------------------------------------------------------------------------------------

  private containersOn(n: NetworkRecord): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const { c, ep } of this.activeEndpoints(n.Id)) {
      out[c.Id] = {
        Name: this.tryContainer(c.Id)?.Name ?? '',
        EndpointID: ep.EndpointID,
        MacAddress: ep.MacAddress,
        IPv4Address: `${ep.IPAddress}/${ep.IPPrefixLen}`,
        IPv6Address: '',
      };
    }
    return out;
  }

  private view(n: NetworkRecord, withContainers: boolean): Record<string, unknown> {
    return {
      Name: n.Name,
      Id: n.Id,
      Created: n.Created,
      Scope: 'local',
      Driver: n.Driver,
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: n.IPAM.Driver, Options: n.IPAM.Options, Config: n.IPAM.Config },
      Internal: n.Internal,
      Attachable: n.Attachable,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: withContainers ? this.containersOn(n) : {},
      Options: n.Options,
      Labels: n.Labels,
    };
  }

  list(filters?: string): Record<string, unknown>[] {
    const f = parseFilters(filters);
    for (const k of Object.keys(f)) {
      if (!['name', 'id', 'driver', 'label', 'type', 'scope', 'dangling'].includes(k)) throw invalidArgument(`invalid filter '${k}'`, 'invalid_filter');
    }
    const nets = this.allNetworks().filter((n) => {
      if (f.name && !f.name.some((v) => n.Name.includes(v))) return false;
      if (f.id && !f.id.some((v) => n.Id.startsWith(v))) return false;
      if (f.driver && !f.driver.includes(n.Driver)) return false;
      if (f.scope && !f.scope.includes('local')) return false;
      if (f.label && !f.label.every((l) => labelMatches(n.Labels, l))) return false;
      if (f.type) {
        for (const t of f.type) if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
        if (!f.type.includes(n.Builtin ? 'builtin' : 'custom')) return false;
      }
      if (f.dangling) {
        const dangling = f.dangling.some((d) => d === 'true' || d === '1');
        const unused = !n.Builtin && this.activeEndpoints(n.Id).length === 0;
        if (dangling !== unused) return false;
      }
      return true;
    });
    return nets.map((n) => this.view(n, true));
  }

  inspect(ref: string): Record<string, unknown> {
    return this.view(this.findNetwork(ref), true);
  }

  create(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
    return this.lock.run('net', () => this.createLocked(body));
  }

  private async createLocked(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
    const name = body?.Name ?? '';
    if (!name) throw invalidArgument('network name is required', 'invalid_name');
    if (!NAME_RE.test(name)) throw invalidArgument(`invalid network name "${name}": must match [a-zA-Z0-9][a-zA-Z0-9_.-]`);
    const driver = body.Driver || 'bridge';
    if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`, 'plugin_not_found');
    if (this.allNetworks().some((n) => n.Name === name)) throw conflict(`network with name ${name} already exists`, 'network_exists');
    if (body.EnableIPv6) throw notImplemented('IPv6 networks are not supported');
    const ipamCfg = (body.IPAM?.Config ?? []).filter((c) => c && (c.Subnet || c.Gateway || c.IPRange));
    validateIpam(ipamCfg);
    if (ipamCfg.length > 1) throw notImplemented('only one IPv4 pool per network is supported');
    const others = this.allNetworks().filter((n) => n.Driver === 'bridge' && n.IPAM.Config[0]?.Subnet).map((n) => parseCidr(n.IPAM.Config[0]!.Subnet));
    let pool: PoolConfig;
    if (ipamCfg[0]?.Subnet) {
      const c = ipamCfg[0];
      const subnet = parseCidr(c.Subnet);
      if (others.some((o) => overlaps(o, subnet))) throw forbidden('invalid pool request: Pool overlaps with other one on this address space', 'pool_overlaps');
      pool = { Subnet: formatCidr(subnet), ...(c.IPRange ? { IPRange: c.IPRange } : {}), Gateway: c.Gateway || formatIp(subnet.base + 1) };
    } else {
      if (ipamCfg[0]) throw invalidArgument('a gateway or IP range requires a subnet');
      const base = parseCidr(this.o.defaultPool);
      const childPrefix = base.prefix <= 16 ? 24 : Math.min(28, Math.max(base.prefix, base.prefix + 4));
      const routes = await this.hostRoutes();
      const c = carveSubnet(base, childPrefix, [...others, ...routes]);
      if (!c) throw forbidden('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', 'pool_exhausted');
      pool = { Subnet: formatCidr(c), Gateway: formatIp(c.base + 1) };
    }
    poolOf(pool); // validates gateway and range
    const id = newId();
    const options = { ...(body.Options ?? {}) };
    const bridgeName = options[BRIDGE_NAME_OPT] || `br-${id.slice(0, 12)}`;
    if (bridgeName.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridgeName)) throw invalidArgument(`invalid bridge name ${bridgeName}`);
    if (this.allNetworks().some((n) => n.BridgeName === bridgeName)) throw conflict(`bridge name ${bridgeName} is in use by another network`);
    const rec: NetworkRecord = {
      Id: id,
      Name: name,
      Created: new Date().toISOString(),
      Driver: 'bridge',
      Internal: !!body.Internal,
      Attachable: !!body.Attachable,
      IPAM: { Driver: body.IPAM?.Driver || 'default', Options: body.IPAM?.Options ?? {}, Config: [pool] },
      Options: options,
      Labels: { ...(body.Labels ?? {}) },
      BridgeName: bridgeName,
    };
    await this.store.saveNetwork(rec);
    this.networks.set(id, rec);
    try {
      await this.ensureBridge(rec);
      await this.syncRules();
    } catch (e) {
      await this.finishRemove(rec).catch(() => {});
      throw e;
    }
    this.o.log.info('network created', { id, name, subnet: pool.Subnet, bridge: bridgeName });
    return { Id: id, Warning: '' };
  }

  private async hostRoutes(): Promise<ReturnType<typeof parseCidr>[]> {
    const r = await this.o.exec.ip(['-4', 'route', 'show'], { allowFail: true });
    const out = [];
    for (const line of r.stdout.split('\n')) {
      const dst = line.split(' ')[0] ?? '';
      if (/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(dst)) out.push(parseCidr(dst));
    }
    return out;
  }

  remove(ref: string): Promise<void> {
    return this.lock.run('net', async () => {
      const n = this.findNetwork(ref);
      if (n.Builtin) throw forbidden(`${n.Name} is a pre-defined network and cannot be removed`, 'predefined_network');
      if (this.activeEndpoints(n.Id).length) {
        throw forbidden(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`, 'network_in_use');
      }
      n.Removing = true;
      await this.store.saveNetwork(n);
      await this.finishRemove(n);
    });
  }

  private async finishRemove(n: NetworkRecord): Promise<void> {
    await this.dnsServers.get(n.Id)?.close();
    this.dnsServers.delete(n.Id);
    this.networks.delete(n.Id);
    this.liveBridges.delete(n.BridgeName!);
    await this.syncRules();
    await this.o.exec.ip(['link', 'del', n.BridgeName!], { allowFail: true });
    for (const st of this.states.values()) {
      if (st.Networks[n.Id]) {
        delete st.Networks[n.Id];
        await this.store.saveContainer(st);
      }
    }
    await this.store.removeNetwork(n.Id);
    this.o.log.info('network removed', { id: n.Id, name: n.Name });
  }

  async prune(filters?: string): Promise<{ NetworksDeleted: string[] | null }> {
    const f = parseFilters(filters);
    const until = f.until?.[0];
    const cutoff = until ? untilToMs(until) : undefined;
    const deleted: string[] = [];
    for (const n of this.allNetworks()) {
      if (n.Builtin || this.activeEndpoints(n.Id).length) continue;
      if (f.label && !f.label.every((l) => labelMatches(n.Labels, l))) continue;
      if (f['label!'] && f['label!'].some((l) => labelMatches(n.Labels, l))) continue;
      if (cutoff !== undefined && Date.parse(n.Created) >= cutoff) continue;
      try {
        await this.remove(n.Id);
        deleted.push(n.Name);
      } catch (e) {
        this.o.log.warn('network prune: remove failed', { name: n.Name, error: errorMessage(e) });
      }
    }
    return { NetworksDeleted: deleted.length ? deleted : null };
  }

  /** POST /networks/{id}/connect: add to the container's config, and plug it in now if it runs. */
  connectContainer(ref: string, body: { Container?: string; EndpointConfig?: EndpointConfigBody | null }): Promise<void> {
    return this.lock.run('net', async () => {
      const n = this.findNetwork(ref);
      const rec = this.containers().get(body?.Container ?? '');
      const mode = rec.HostConfig.NetworkMode || 'default';
      if (mode === 'host' || n.Driver === 'host') throw forbidden('container cannot be disconnected from host network or connected to host network');
      if (mode === 'none' || mode.startsWith('container:') || n.Driver === 'null') {
        throw forbidden(`container sharing network namespace with another container or host cannot be connected to any other network`);
      }
      const cfg: EndpointConfig = {};
      if (body.EndpointConfig?.Aliases?.length) cfg.Aliases = [...body.EndpointConfig.Aliases];
      if (body.EndpointConfig?.IPAMConfig?.IPv4Address) cfg.IPv4Address = body.EndpointConfig.IPAMConfig.IPv4Address;
      this.validateEndpoint(n, cfg);
      const st = this.states.get(rec.Id) ?? { Id: rec.Id, Networks: Object.fromEntries(this.fromCreate(rec).map(({ net, cfg }) => [net.Id, cfg])) };
      if (st.Networks[n.Id]) throw forbidden(`endpoint with name ${rec.Name} already exists in network ${n.Name}`, 'endpoint_exists');
      st.Networks[n.Id] = cfg;
      this.states.set(rec.Id, st);
      if (!rec.State.Running || !st.Sandbox) {
        await this.store.saveContainer(st);
        return;
      }
      const sb = st.Sandbox;
      const pool = this.pool(n);
      const used = this.usedIps(n.Id);
      const ip = cfg.IPv4Address ? reserve(pool, used, cfg.IPv4Address) : allocate(pool, used, this.lastIp.get(n.Id));
      if (!cfg.IPv4Address) this.lastIp.set(n.Id, ip);
      const taken = new Set(Object.values(sb.Endpoints).map((e) => e.IfName));
      let ifIdx = 0;
      while (taken.has(`eth${ifIdx}`)) ifIdx++;
      const ep: EndpointState = {
        NetworkID: n.Id,
        EndpointID: newId(),
        IPAddress: ip,
        IPPrefixLen: pool.subnet.prefix,
        Gateway: formatIp(pool.gateway),
        MacAddress: macForIp(parseIpPrefix(`${ip}/32`).ip),
        Veth: `vb${randomBytes(6).toString('hex').slice(0, 11)}`,
        IfName: `eth${ifIdx}`,
      };
      sb.Endpoints[n.Id] = ep;
      await this.store.saveContainer(st);
      try {
        await this.ensureBridge(n);
        const routed = Object.values(sb.Endpoints).some((e) => e !== ep && !this.networks.get(e.NetworkID)?.Internal);
        await this.plug(sb.Netns, [{ net: n, ep, defaultRoute: !routed && !n.Internal }], false);
        await this.syncRules();
      } catch (e) {
        delete sb.Endpoints[n.Id];
        delete st.Networks[n.Id];
        await this.o.exec.ip(['link', 'del', ep.Veth], { allowFail: true });
        await this.store.saveContainer(st);
        throw e;
      }
    });
  }

  disconnectContainer(ref: string, body: { Container?: string; Force?: boolean }): Promise<void> {
    return this.lock.run('net', async () => {
      const n = this.findNetwork(ref);
      const rec = this.containers().get(body?.Container ?? '');
      if (n.Driver === 'host' || (rec.HostConfig.NetworkMode || '') === 'host') {
        throw forbidden('container cannot be disconnected from host network or connected to host network');
      }
      const st = this.states.get(rec.Id) ?? { Id: rec.Id, Networks: Object.fromEntries(this.fromCreate(rec).map(({ net, cfg }) => [net.Id, cfg])) };
      if (!st.Networks[n.Id]) throw forbidden(`container ${rec.Id} is not connected to network ${n.Name}`, 'not_connected');
      delete st.Networks[n.Id];
      this.states.set(rec.Id, st);
      const ep = st.Sandbox?.Endpoints[n.Id];
      if (ep && st.Sandbox) {
        await this.o.exec.ip(['link', 'del', ep.Veth], { allowFail: true });
        delete st.Sandbox.Endpoints[n.Id];
        st.Sandbox.Ports = st.Sandbox.Ports.filter((p) => p.networkId !== n.Id);
      }
      await this.store.saveContainer(st);
      await this.syncRules();
    });
  }

  // ---- container views -----------------------------------------------------------------------------------------

  private endpointView(net: NetworkRecord, cfg: EndpointConfig, ep: EndpointState | undefined, rec: ContainerInfo): Record<string, unknown> {
    const userNet = !net.Builtin && net.Driver === 'bridge';
    return {
      IPAMConfig: cfg.IPv4Address ? { IPv4Address: cfg.IPv4Address } : null,
      Links: null,
      Aliases: cfg.Aliases?.length ? cfg.Aliases : null,
      MacAddress: ep?.MacAddress ?? '',
      DriverOpts: null,
      GwPriority: 0,
      NetworkID: net.Id,
      EndpointID: ep?.EndpointID ?? '',
      Gateway: ep?.Gateway ?? '',
      IPAddress: ep?.IPAddress ?? '',
      IPPrefixLen: ep?.IPPrefixLen ?? 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DNSNames: userNet && ep ? [rec.Name, rec.Id.slice(0, 12), ...(cfg.Aliases ?? [])] : null,
    };
  }

  private networksView(rec: ContainerInfo): Record<string, unknown> {
    const mode = rec.HostConfig.NetworkMode || 'default';
    if (mode.startsWith('container:')) return {};
    const sb = this.states.get(rec.Id)?.Sandbox;
    const out: Record<string, unknown> = {};
    let nets: { net: NetworkRecord; cfg: EndpointConfig }[];
    try {
      nets = this.configured(rec);
    } catch {
      nets = [];
    }
    for (const { net, cfg } of nets) out[net.Name] = this.endpointView(net, cfg, sb?.Endpoints[net.Id], rec);
    return out;
  }

  settings(rec: ContainerInfo): Record<string, unknown> {
    const st = this.states.get(rec.Id);
    const sb = rec.State.Running ? st?.Sandbox : undefined;
    const def = sb?.Endpoints[this.defaultBridge.Id];
    const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
    if (sb) {
      for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) ports[key.includes('/') ? key : `${key}/tcp`] = null;
      for (const p of sb.Ports) {
        const key = `${p.containerPort}/${p.proto}`;
        (ports[key] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
      }
    }
    return {
      Bridge: '',
      SandboxID: sb ? rec.Id : '',
      SandboxKey: sb ? `${NETNS_DIR}/${sb.Netns}` : '',
      Ports: ports,
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: def?.EndpointID ?? '',
      Gateway: def?.Gateway ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: def?.IPAddress ?? '',
      IPPrefixLen: def?.IPPrefixLen ?? 0,
      IPv6Gateway: '',
      MacAddress: def?.MacAddress ?? '',
      Networks: this.networksView(rec),
    };
  }

  ports(rec: ContainerInfo): ContainerSummary['Ports'] {
    const sb = rec.State.Running ? this.states.get(rec.Id)?.Sandbox : undefined;
    if (!sb) return [];
    const out: ContainerSummary['Ports'] = [];
    for (const p of sb.Ports) out.push({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
    for (const key of Object.keys(rec.Config.ExposedPorts ?? {})) {
      const { port, proto } = parsePortKey(key);
      if (!sb.Ports.some((p) => p.containerPort === port && p.proto === proto)) out.push({ PrivatePort: port, Type: proto });
    }
    return out;
  }

  summary(rec: ContainerInfo): { NetworkMode: string; Networks: Record<string, unknown> } {
    return { NetworkMode: rec.HostConfig.NetworkMode || 'default', Networks: this.networksView(rec) };
  }

  async close(): Promise<void> {
    for (const s of this.dnsServers.values()) await s.close();
    this.dnsServers.clear();
  }

  /** This daemon's chain names (for diagnostics and tests). */
  get chainNames(): ChainNames {
    return this.chains;
  }
}

function portKey(p: { proto: string; hostIp: string; hostPort: number }): string {
  return `${p.proto}/${p.hostIp || '0.0.0.0'}:${p.hostPort}`;
}

/** A binding on 0.0.0.0 clashes with any address on the same port, and the other way round. */
function clashes(taken: Set<string>, m: PortMapping): boolean {
  const ip = m.hostIp || '0.0.0.0';
  if (taken.has(portKey(m))) return true;
  for (const k of taken) {
    const [proto, rest] = k.split('/') as [string, string];
    const i = rest.lastIndexOf(':');
    if (proto !== m.proto || Number(rest.slice(i + 1)) !== m.hostPort) continue;
    const kip = rest.slice(0, i);
    if (kip === '0.0.0.0' || ip === '0.0.0.0') return true;
  }
  return false;
}

/** Docker's ValidateIPAM (IPv4): every problem of every pool, before anything is allocated or created. */
function validateIpam(cfgs: PoolConfig[]): void {
  const errs: string[] = [];
  const prefixOf = (s: string) => {
    try {
      return { ...parseIpPrefix(s), cidr: parseCidr(s) };
    } catch {
      return undefined;
    }
  };
  for (const c of cfgs) {
    if (!c.Subnet) continue; // "a gateway or IP range requires a subnet" below
    const sub = prefixOf(c.Subnet);
    if (!sub) {
      errs.push(`invalid subnet ${c.Subnet}: invalid CIDR block notation`);
      continue;
    }
    if (sub.ip !== sub.cidr.base) errs.push(`invalid subnet ${c.Subnet}: it should be ${formatCidr(sub.cidr)}`);
    if (c.IPRange) {
      const r = prefixOf(c.IPRange);
      if (!r) errs.push(`invalid ip-range ${c.IPRange}: invalid CIDR block notation`);
      else {
        if (r.prefix < sub.prefix) errs.push(`invalid ip-range ${c.IPRange}: CIDR block is bigger than its parent subnet ${formatCidr(sub.cidr)}`);
        if (r.ip !== r.cidr.base) errs.push(`invalid ip-range ${c.IPRange}: it should be ${formatCidr(r.cidr)}`);
        if (!overlaps(sub.cidr, r.cidr)) errs.push(`invalid ip-range ${c.IPRange}: parent subnet ${formatCidr(sub.cidr)} doesn't contain ip-range`);
      }
    }
    if (c.Gateway) {
      if (!isIp(c.Gateway)) errs.push(`invalid gateway ${c.Gateway}: invalid address`);
      else if (!overlaps(sub.cidr, { base: parseIpPrefix(`${c.Gateway}/32`).ip, prefix: 32 })) {
        errs.push(`invalid gateway ${c.Gateway}: parent subnet ${formatCidr(sub.cidr)} doesn't contain this address`);
      }
    }
  }
  if (!errs.length) return;
  throw invalidArgument(`invalid network config:\n${errs.length === 1 ? errs[0] : errs.map((e) => `* ${e}`).join('\n')}`, 'invalid_ipam');
}

function notImplemented(msg: string): BerthError {
  return new BerthError('not_implemented', 'not_implemented', msg);
}

function untilToMs(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+)(s|m|h)$/.exec(v);
  if (d) return Date.now() - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}
