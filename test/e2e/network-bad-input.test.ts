// Bad network input gets Docker's message and status and creates nothing: overlapping, malformed and inconsistent
// IPAM on `network create`, host ports a host socket holds, out-of-range ports (refused by the docker CLI itself, and
// by the daemon when sent raw), and removing a network in use. Traffic: loopback only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, isRoot, runCmd } from './harness.ts';

describe('network bad input', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  let octet = '';
  before(async () => {
    d = await Daemon.start();
    octet = d.bip.split('.')[2]!;
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  /** What a failed request must not change: networks, bridges, links on them, netns, rules, containers. */
  async function snapshot() {
    const nets = (await d.api('GET', '/networks')).body as { Name: string }[];
    const ctrs = (await d.api('GET', '/containers/json?all=1')).body as { Id: string }[];
    const links = (await runCmd('ip', ['-o', 'link', 'show'])).stdout.split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '');
    return {
      networks: nets.map((n) => n.Name).sort(),
      records: (await readdir(join(d.dataRoot, 'network', 'networks'))).sort(),
      bridges: links.filter((l) => l.startsWith('br-') || l === d.bridgeName).sort(),
      ours: (await d.linksLeft()).sort(),
      netns: (await runCmd('ip', ['netns', 'list'])).stdout.split('\n').sort(),
      rules: (await d.rulesLeft()).sort(),
      containers: ctrs.map((c) => c.Id).sort(),
    };
  }

  test('network create: overlapping subnet, invalid CIDR, gateway outside the subnet', async () => {
    let r = await d.docker(['network', 'create', '--subnet', `10.217.${octet}.0/24`, 'n1']);
    assert.equal(r.code, 0, r.stderr);
    const before = await snapshot();

    const overlap = await d.docker(['network', 'create', '--subnet', `10.217.${octet}.128/25`, 'n2']);
    assert.notEqual(overlap.code, 0);
    assert.match(overlap.stderr, /Error response from daemon: invalid pool request: Pool overlaps with other one on this address space/);
    const overDefault = await d.api('POST', '/networks/create', { Name: 'n2', IPAM: { Config: [{ Subnet: d.bip.replace(/\.1\/24$/, '.0/25') }] } });
    assert.equal(overDefault.status, 403);
    assert.match(overDefault.body.message, /Pool overlaps/);

    const cidr = await d.docker(['network', 'create', '--subnet', '10.218.0.0/33', 'n3']);
    assert.notEqual(cidr.code, 0);
    assert.match(cidr.stderr, /invalid network config:\ninvalid subnet 10\.218\.0\.0\/33: invalid CIDR block notation/);
    const garbage = await d.api('POST', '/networks/create', { Name: 'n3', IPAM: { Config: [{ Subnet: 'foo' }] } });
    assert.equal(garbage.status, 400);
    assert.match(garbage.body.message, /invalid subnet foo: invalid CIDR block notation/);
    const hostBits = await d.api('POST', '/networks/create', { Name: 'n3', IPAM: { Config: [{ Subnet: '10.218.0.5/24' }] } });
    assert.equal(hostBits.status, 400);
    assert.match(hostBits.body.message, /invalid subnet 10\.218\.0\.5\/24: it should be 10\.218\.0\.0\/24/);

    // The docker CLI refuses a gateway outside the subnet itself; the daemon does too when sent raw.
    const gwCli = await d.docker(['network', 'create', '--subnet', '10.218.0.0/24', '--gateway', '10.219.0.1', 'n4']);
    assert.notEqual(gwCli.code, 0);
    assert.match(gwCli.stderr, /no matching subnet for gateway 10\.219\.0\.1/);
    const gw = await d.api('POST', '/networks/create', { Name: 'n4', IPAM: { Config: [{ Subnet: '10.218.0.0/24', Gateway: '10.219.0.1' }] } });
    assert.equal(gw.status, 400);
    assert.equal(gw.body.message, "invalid network config:\ninvalid gateway 10.219.0.1: parent subnet 10.218.0.0/24 doesn't contain this address");
    const two = await d.api('POST', '/networks/create', { Name: 'n4', IPAM: { Config: [{ Subnet: '10.218.0.0/24', Gateway: 'x', IPRange: '10.219.0.0/25' }] } });
    assert.equal(two.status, 400);
    assert.match(two.body.message, /^invalid network config:\n\* invalid ip-range 10\.219\.0\.0\/25: parent subnet 10\.218\.0\.0\/24 doesn't contain ip-range\n\* invalid gateway x: invalid address$/);

    assert.deepEqual(await snapshot(), before, 'a refused create left something');
  });

  test('run -p: a port a host socket holds, ports 0 and 70000, bad bindings sent raw', async () => {
    // The default bridge comes up with its first container (and stays): bring it up before taking the snapshot.
    assert.equal((await d.docker(['run', '--rm', 'busybox', 'true'])).code, 0);
    const holder = createServer();
    await new Promise<void>((res) => holder.listen(0, '127.0.0.1', () => res()));
    const hp = (holder.address() as { port: number }).port;
    const before = await snapshot();
    try {
      const busy = await d.docker(['run', '-d', '--name', 'busy', '-p', `127.0.0.1:${hp}:80`, 'busybox', 'sleep', '30']);
      assert.equal(busy.code, 125);
      assert.match(busy.stderr, new RegExp(`driver failed programming external connectivity on endpoint busy \\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${hp} failed: port is already allocated`));
    } finally {
      holder.close();
    }
    // Like Docker: the container stays, Created, with the error; nothing of its network does.
    const st = await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.NetworkSettings.SandboxKey}}', 'busy']);
    assert.equal(st.stdout.trim(), 'created false');
    const id = (await d.docker(['inspect', '-f', '{{.Id}}', 'busy'])).stdout.trim();
    const state = await readFile(join(d.dataRoot, 'network', 'containers', `${id}.json`), 'utf8').catch(() => '{}');
    assert.equal(JSON.parse(state).Sandbox, undefined, 'a sandbox recorded');
    const after = await snapshot();
    assert.equal(after.containers.length, before.containers.length + 1);
    assert.deepEqual({ ...after, containers: [] }, { ...before, containers: [] });
    assert.equal((await d.docker(['rm', 'busy'])).code, 0);

    // The docker CLI refuses out-of-range host ports before calling the daemon.
    for (const [p, msg] of [['70000:80', 'invalid hostPort: 70000'], ['80:70000', 'invalid containerPort: 70000']]) {
      const r = await d.docker(['run', '-d', '-p', p!, 'busybox', 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, new RegExp(msg!));
    }
    // ...and container port 0 reaches the daemon, which refuses it at create, as it does bad bindings sent raw.
    const zero = await d.docker(['create', '-p', '8080:0', 'busybox', 'true']);
    assert.notEqual(zero.code, 0);
    assert.match(zero.stderr, /Error response from daemon: invalid port specification: "0"/);
    const raw: [Record<string, unknown>, string][] = [
      [{ '80/tcp': [{ HostPort: '70000' }] }, 'invalid port specification: "70000"'],
      [{ '80/tcp': [{ HostPort: '-1' }] }, 'invalid port specification: "-1"'],
      [{ '80/tcp': [{ HostPort: '90-80' }] }, 'invalid port specification: "90-80"'],
      [{ '70000/tcp': [{ HostPort: '8080' }] }, 'invalid port specification: "70000"'],
      [{ '80/tcp': [{ HostIp: 'nope', HostPort: '8080' }] }, 'invalid host IP address: nope'],
    ];
    for (const [PortBindings, msg] of raw) {
      const r = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { PortBindings } });
      assert.equal(r.status, 400, JSON.stringify(PortBindings));
      assert.equal(r.body.message, msg);
    }
    // Host port 0 means "any free port", as with Docker.
    const any = await d.docker(['run', '-d', '--name', 'anyport', '-p', '127.0.0.1:0:80', 'busybox', 'sleep', '30']);
    assert.equal(any.code, 0, any.stderr);
    const port = (await d.docker(['port', 'anyport', '80'])).stdout.trim();
    assert.match(port, /^127\.0\.0\.1:(\d+)$/);
    assert.ok(Number(port.split(':')[1]) >= 32768, port);
    assert.equal((await d.docker(['rm', '-f', 'anyport'])).code, 0);
    assert.deepEqual(await snapshot(), before, 'something left');
  });

  test('network rm: in use, predefined', async () => {
    let r = await d.docker(['run', '-d', '--name', 'user', '--network', 'n1', 'busybox', 'sleep', '60']);
    assert.equal(r.code, 0, r.stderr);
    const before = await snapshot();
    const inUse = await d.docker(['network', 'rm', 'n1']);
    assert.notEqual(inUse.code, 0);
    assert.match(inUse.stderr, /Error response from daemon: error while removing network: network n1 id [0-9a-f]{64} has active endpoints/);
    const raw = await d.api('DELETE', '/networks/n1');
    assert.equal(raw.status, 403);
    const predefined = await d.docker(['network', 'rm', 'bridge']);
    assert.match(predefined.stderr, /bridge is a pre-defined network and cannot be removed/);
    assert.deepEqual(await snapshot(), before, 'a refused rm changed something');
    assert.equal((await d.docker(['inspect', '-f', '{{.State.Running}}', 'user'])).stdout.trim(), 'true');
    const ok = await d.docker(['exec', 'user', 'ping', '-c', '1', '-W', '2', `10.217.${octet}.1`]);
    assert.equal(ok.code, 0, ok.stderr);

    r = await d.docker(['rm', '-f', 'user']);
    assert.equal(r.code, 0, r.stderr);
    r = await d.docker(['network', 'rm', 'n1']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await d.linksLeft()).filter((l) => l !== d.bridgeName), []);
    assert.ok(!(await d.rulesLeft()).some((l) => l.includes('br-')));
  });
});
