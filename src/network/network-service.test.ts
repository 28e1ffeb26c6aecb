import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingNetExec } from '../sys/net-exec.ts';
import { NetworkService, type ContainerInfo } from './network-service.ts';

const log = { info() {}, warn() {}, error() {} };

function ctr(id: string, name: string, hc: ContainerInfo['HostConfig'] = {}, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  return { Id: id.padEnd(64, '0'), Name: name, State: { Running: false }, Config: {}, HostConfig: { NetworkMode: 'default', ...hc }, ...extra };
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'berth-net-'));
  const exec = new RecordingNetExec();
  exec.responder = (_cmd, args) => (args.includes('-C') ? { code: 1 } : undefined); // no jump rules yet
  const all: ContainerInfo[] = [];
  const make = () => {
    const svc = new NetworkService({ dataRoot: dir, exec, log, bridgeName: 'bt0', bip: '10.213.7.1/24', defaultPool: '10.214.7.0/24', dns: false });
    svc.setContainers({
      get: (r) => {
        const c = all.find((c) => c.Id === r || c.Name === r || c.Id.startsWith(r));
        if (!c) throw Object.assign(new Error(`No such container: ${r}`), {});
        return c;
      },
      all: () => all,
    });
    return svc;
  };
  const svc = make();
  await svc.init();
  return { dir, exec, all, svc, make, done: () => rm(dir, { recursive: true, force: true }) };
}

test('default bridge: netns, veth, address, DNAT from state; released on disconnect', async () => {
  const t = await setup();
  try {
    const a = ctr('aaaa', 'web', { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] } }, { Config: { ExposedPorts: { '80/tcp': {} } } });
    t.all.push(a);
    t.svc.validate(a);
    const join1 = await t.svc.connect(a);
    a.State.Running = true;
    assert.equal(join1.netns, `/run/netns/berth-${a.Id.slice(0, 12)}`);
    assert.equal(join1.ip, '10.213.7.2');
    assert.deepEqual(join1.dns, []);
    assert.ok(join1.hostsEntries!.includes('10.213.7.1\thost.docker.internal'));
    assert.ok(t.exec.calls.includes('ip link add bt0 type bridge'));
    assert.ok(t.exec.calls.includes('ip addr add 10.213.7.1/24 dev bt0'));
    assert.equal(t.exec.sysctls['net.ipv4.conf.bt0.route_localnet'], '1');
    assert.equal(t.exec.sysctls['net.ipv4.ip_forward'], '1');
    assert.ok(t.exec.calls.some((c) => c.startsWith('iptables -t filter -I FORWARD 1 -j BERTH-bt0-FWD')));
    const rules = t.exec.restores.at(-1)!;
    assert.match(rules, /-A BERTH-bt0-DNAT -d 127\.0\.0\.1\/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10\.213\.7\.2:80/);
    assert.match(rules, /-A BERTH-bt0-POST -s 10\.213\.7\.2\/32 -d 10\.213\.7\.2\/32 -p tcp -m tcp --dport 80 -j MASQUERADE/);
    assert.deepEqual(t.svc.ports(a), [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]);
    const s = t.svc.settings(a) as { Ports: unknown; IPAddress: string; Networks: Record<string, { IPAddress: string }> };
    assert.deepEqual(s.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
    assert.equal(s.Networks.bridge!.IPAddress, '10.213.7.2');

    // The same host port for another container: Docker's error, nothing created for it.
    const b = ctr('bbbb', 'dup', { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } });
    t.all.push(b);
    await assert.rejects(t.svc.connect(b), /Bind for 0\.0\.0\.0:8080 failed: port is already allocated/);
    // A host socket on the port: same error.
    t.exec.busyPorts.add('tcp/9090');
    const c = ctr('cccc', 'busy', { PortBindings: { '80/tcp': [{ HostPort: '9090' }] } });
    t.all.push(c);
    await assert.rejects(t.svc.connect(c), /port is already allocated/);

    // Addresses are never handed out twice; the next container gets the next one.
    const d = ctr('dddd', 'd');
    t.all.push(d);
    assert.equal((await t.svc.connect(d)).ip, '10.213.7.3');

    const veth = JSON.stringify(t.exec.calls).match(/link add (vb[0-9a-f]+) type veth/)![1]!;
    a.State.Running = false;
    await t.svc.disconnect(a);
    assert.ok(t.exec.calls.includes(`ip link del ${veth}`));
    assert.ok(t.exec.calls.includes(`ip netns del berth-${a.Id.slice(0, 12)}`));
    assert.doesNotMatch(t.exec.restores.at(-1)!, /DNAT --to/);
    assert.deepEqual(t.svc.ports(a), []);
  } finally {
    await t.done();
  }
});

test('user networks: create, aliases, isolation rules, restore keeps running sandboxes and frees dead ones', async () => {
  const t = await setup();
  try {
    const n1 = await t.svc.create({ Name: 'n1', IPAM: { Config: [{ Subnet: '10.215.7.0/24' }] } });
    await t.svc.create({ Name: 'n2' });
    await assert.rejects(t.svc.create({ Name: 'n1' }), /network with name n1 already exists/);
    await assert.rejects(t.svc.create({ Name: 'n3', IPAM: { Config: [{ Subnet: '10.215.7.128/25' }] } }), /Pool overlaps/);
    const n2 = t.svc.inspect('n2') as { IPAM: { Config: { Subnet: string }[] } };
    assert.equal(n2.IPAM.Config[0]!.Subnet, '10.214.7.0/28');
    const br1 = `br-${n1.Id.slice(0, 12)}`;
    assert.match(t.exec.restores.at(-1)!, new RegExp(`-i ${br1} -o br-[0-9a-f]{12} -j DROP`));

    const web = ctr('eeee', 'web', { NetworkMode: 'n1' }, { NetworkingConfig: { EndpointsConfig: { n1: { Aliases: ['www'] } } } });
    const idle = ctr('ffff', 'idle', { NetworkMode: 'n1' });
    t.all.push(web, idle);
    assert.throws(() => t.svc.validate(ctr('9999', 'x', { NetworkMode: 'nope' })), /network nope not found/);
    assert.throws(
      () => t.svc.validate(ctr('9999', 'x', {}, { NetworkingConfig: { EndpointsConfig: { default: { Aliases: ['a'] } } } })),
      /only for containers in user defined networks/,
    );
    const j = await t.svc.connect(web);
    web.State.Running = true;
    assert.equal(j.ip, '10.215.7.2');
    assert.deepEqual(j.dns, []); // dns off in this test; with it, [gateway]
    await t.svc.connect(idle);
    assert.deepEqual(t.svc.resolveName(n1.Id, 'www'), ['10.215.7.2']);
    assert.deepEqual(t.svc.resolveName(n1.Id, 'web'), ['10.215.7.2']);
    assert.deepEqual(t.svc.resolveName(n1.Id, web.Id.slice(0, 12)), ['10.215.7.2']);
    assert.equal(t.svc.resolveName(n1.Id, 'other'), undefined);
    await assert.rejects(t.svc.remove('n1'), /has active endpoints/);
    await assert.rejects(t.svc.remove('bridge'), /pre-defined network/);

    // A new daemon (state from disk): web still runs, idle died while we were away.
    t.exec.calls.length = 0;
    const svc2 = t.make();
    await svc2.init();
    await svc2.restore([web, idle]);
    assert.ok(t.exec.calls.includes(`ip netns del berth-${idle.Id.slice(0, 12)}`));
    assert.ok(!t.exec.calls.includes(`ip netns del berth-${web.Id.slice(0, 12)}`));
    assert.match(t.exec.restores.at(-1)!, new RegExp(`-A BERTH-bt0-FWD -i ${br1} -o ${br1} -j ACCEPT`));
    assert.deepEqual(svc2.resolveName(n1.Id, 'www'), ['10.215.7.2']);
    // The dead one's address is free again, the live one's is not.
    const late = ctr('1111', 'late', { NetworkMode: 'n1' });
    t.all.push(late);
    assert.equal((await svc2.connect(late)).ip, '10.215.7.3');
  } finally {
    await t.done();
  }
});

test('start cost: two ip batches per container, no iptables-restore without ports, one teardown batch', async () => {
  const t = await setup();
  try {
    const first = ctr('a1a1', 'first');
    t.all.push(first);
    await t.svc.connect(first); // brings the bridge and chains up
    const restores = t.exec.restores.length;
    t.exec.calls.length = 0;
    const c = ctr('b2b2', 'plain');
    t.all.push(c);
    await t.svc.connect(c);
    const ns = `berth-${c.Id.slice(0, 12)}`;
    assert.equal(t.exec.restores.length, restores, 'no iptables-restore for a container without ports');
    assert.ok(!t.exec.calls.includes('iptables-restore'));
    assert.equal(t.exec.calls[0], `ip netns add ${ns}`);
    assert.match(t.exec.calls[1]!, new RegExp(`^ip link add vb[0-9a-f]{11} type veth peer name eth0 address 02:42:0a:d5:07:03 netns ${ns}$`));
    assert.deepEqual(t.exec.calls.filter((x) => x.startsWith(`ip -n ${ns} `)), [
      `ip -n ${ns} link set lo up`,
      `ip -n ${ns} addr add 10.213.7.3/24 dev eth0`,
      `ip -n ${ns} link set eth0 up`,
      `ip -n ${ns} route add default via 10.213.7.1 dev eth0`,
    ]);
    const p = ctr('c3c3', 'pub', { PortBindings: { '80/tcp': [{ HostPort: '8081' }] } });
    t.all.push(p);
    await t.svc.connect(p);
    assert.equal(t.exec.restores.length, restores + 1, 'ports change the rules');
    t.exec.calls.length = 0;
    await t.svc.disconnect(c);
    assert.deepEqual(t.exec.calls.filter((x) => x.startsWith('ip ')).map((x) => x.replace(/vb[0-9a-f]+/, 'VETH')), ['ip link del VETH', `ip netns del ${ns}`]);
    assert.equal(t.exec.restores.length, restores + 1);
  } finally {
    await t.done();
  }
});

test('bad input: Docker messages for IPAM and port bindings, nothing created', async () => {
  const t = await setup();
  try {
    await t.svc.create({ Name: 'n1', IPAM: { Config: [{ Subnet: '10.215.7.0/24' }] } });
    const calls = t.exec.calls.length;
    await assert.rejects(t.svc.create({ Name: 'x', IPAM: { Config: [{ Subnet: '10.215.7.0/25' }] } }), /Pool overlaps with other one/);
    await assert.rejects(t.svc.create({ Name: 'x', IPAM: { Config: [{ Subnet: '10.1.0.0/33' }] } }), { message: 'invalid network config:\ninvalid subnet 10.1.0.0/33: invalid CIDR block notation' });
    await assert.rejects(t.svc.create({ Name: 'x', IPAM: { Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.2.0.1' }] } }), {
      message: "invalid network config:\ninvalid gateway 10.2.0.1: parent subnet 10.1.0.0/24 doesn't contain this address",
    });
    await assert.rejects(t.svc.create({ Name: 'x', IPAM: { Config: [{ Subnet: '10.1.0.1/24' }] } }), /it should be 10\.1\.0\.0\/24/);
    assert.equal(t.exec.calls.length, calls, 'no kernel call for a refused create');
    assert.equal(t.svc.list().length, 4);
    assert.throws(() => t.svc.validate(ctr('d4d4', 'p', { PortBindings: { '80/tcp': [{ HostPort: '70000' }] } })), { message: 'invalid port specification: "70000"' });
    assert.throws(() => t.svc.validate(ctr('d4d4', 'p', { PortBindings: { '0/tcp': [{ HostPort: '80' }] } })), { message: 'invalid port specification: "0"' });
  } finally {
    await t.done();
  }
});
