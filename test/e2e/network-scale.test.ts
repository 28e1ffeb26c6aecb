// Networking under load: 50 containers on the default bridge and 10 on a user network, created and started through
// the API 10 at a time (a fifth of them publishing a random 127.0.0.1 port), then all removed at once. No address or
// host port is handed out twice, and afterwards nothing is left: no veth, no netns, no DNAT/FWD rule for a container,
// no IPAM allocation in the state files. Traffic: none beyond the daemon's socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, isRoot, runCmd } from './harness.ts';

const ON_BRIDGE = 50;
const ON_USER = 10;
const CONCURRENCY = 10;

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface Sandbox {
  Netns: string;
  Endpoints: Record<string, { IPAddress: string; Veth: string }>;
  Ports: { hostPort: number }[];
}

describe('networking at scale', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  async function sandboxes(): Promise<Sandbox[]> {
    const dir = join(d.dataRoot, 'network', 'containers');
    const out: Sandbox[] = [];
    for (const f of await readdir(dir)) {
      if (!f.endsWith('.json')) continue;
      const st = JSON.parse(await readFile(join(dir, f), 'utf8')) as { Sandbox?: Sandbox };
      if (st.Sandbox) out.push(st.Sandbox);
    }
    return out;
  }

  test(`${ON_BRIDGE} + ${ON_USER} containers started ${CONCURRENCY} at a time, removed all at once: unique IPs, nothing left`, async () => {
    const octet = d.bip.split('.')[2];
    const net = await d.api('POST', '/networks/create', { Name: 'scalenet', IPAM: { Config: [{ Subnet: `10.217.${octet}.0/24` }] } });
    assert.equal(net.status, 201, net.text);
    const bridges = await d.bridgesOwned();
    assert.equal(bridges.length, 2);
    const netnsBefore = (await runCmd('ip', ['netns', 'list'])).stdout;

    const specs = [
      ...Array.from({ length: ON_BRIDGE }, (_, i) => ({ name: `sb${i}`, network: 'bridge', publish: i % 5 === 0 })),
      ...Array.from({ length: ON_USER }, (_, i) => ({ name: `su${i}`, network: 'scalenet', publish: false })),
    ];
    const t0 = Date.now();
    const ids = await pool(specs, CONCURRENCY, async (s) => {
      const c = await d.api('POST', `/containers/create?name=${s.name}`, {
        Image: 'busybox',
        Cmd: ['sleep', '60'],
        ExposedPorts: s.publish ? { '80/tcp': {} } : undefined,
        HostConfig: {
          NetworkMode: s.network,
          PortBindings: s.publish ? { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } : undefined,
        },
      });
      assert.equal(c.status, 201, c.text);
      const st = await d.api('POST', `/containers/${c.body.Id}/start`);
      assert.equal(st.status, 204, st.text);
      return c.body.Id as string;
    });
    const startMs = Date.now() - t0;

    // Addresses from inspect: one per container, inside its network, never twice.
    const seen = new Map<string, string>();
    const hostPorts = new Set<string>();
    for (const [i, id] of ids.entries()) {
      const s = specs[i]!;
      const r = await d.api('GET', `/containers/${id}/json`);
      assert.equal(r.body.State.Running, true, s.name);
      const ip = r.body.NetworkSettings.Networks[s.network].IPAddress as string;
      const want = s.network === 'bridge' ? d.bip.split('.').slice(0, 3).join('.') : `10.217.${octet}`;
      assert.ok(ip.startsWith(`${want}.`), `${s.name}: ${ip}`);
      assert.ok(!seen.has(ip), `${ip} given to ${seen.get(ip)} and ${s.name}`);
      seen.set(ip, s.name);
      if (s.publish) {
        const hp = r.body.NetworkSettings.Ports['80/tcp'][0].HostPort as string;
        assert.ok(!hostPorts.has(hp), `host port ${hp} twice`);
        hostPorts.add(hp);
      }
    }
    assert.equal(seen.size, ON_BRIDGE + ON_USER);
    assert.equal(hostPorts.size, ON_BRIDGE / 5);
    // The state files agree (the IPAM allocations), one veth per container on our bridges, one DNAT per port.
    const sbs = await sandboxes();
    assert.equal(sbs.length, ON_BRIDGE + ON_USER);
    assert.equal(new Set(sbs.flatMap((sb) => Object.values(sb.Endpoints).map((e) => e.IPAddress))).size, ON_BRIDGE + ON_USER);
    assert.equal(new Set(sbs.map((sb) => sb.Netns)).size, ON_BRIDGE + ON_USER);
    assert.equal((await d.linksLeft(bridges)).length, bridges.length + ON_BRIDGE + ON_USER);
    assert.equal((await d.rulesLeft()).filter((l) => l.includes('DNAT --to')).length, ON_BRIDGE / 5);

    const t1 = Date.now();
    const removed = await Promise.all(ids.map((id) => d.api('DELETE', `/containers/${id}?force=1`)));
    const removeMs = Date.now() - t1;
    for (const r of removed) assert.equal(r.status, 204, r.text);
    process.stderr.write(`# started ${ids.length} in ${startMs} ms (${CONCURRENCY} at a time), removed in ${removeMs} ms\n`);

    assert.deepEqual((await d.linksLeft(bridges)).sort(), [...bridges].sort(), 'veths left');
    const netnsAfter = (await runCmd('ip', ['netns', 'list'])).stdout;
    for (const id of ids) assert.ok(!netnsAfter.includes(`berth-${id.slice(0, 12)}`), `netns of ${id} left`);
    assert.equal(netnsAfter.split('\n').length, netnsBefore.split('\n').length);
    const rules = await d.rulesLeft();
    assert.ok(!rules.some((l) => l.includes('DNAT --to') || / -d \S+\/32 .*--dport 80 -j ACCEPT/.test(l)), rules.join('\n'));
    assert.deepEqual(await readdir(join(d.dataRoot, 'network', 'containers')), [], 'container network state left');
    const inspect = await d.api('GET', '/networks/scalenet');
    assert.deepEqual(inspect.body.Containers, {});
    const rm = await d.api('DELETE', '/networks/scalenet');
    assert.equal(rm.status, 204, rm.text);
    assert.deepEqual(await d.linksLeft(bridges), [d.bridgeName]);
    assert.deepEqual(await d.conmonPids(), []);
  });
});
