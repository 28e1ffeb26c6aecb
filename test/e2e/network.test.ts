// Networking end to end: user networks with DNS by name and alias, isolation between networks, the default bridge
// (IPs, no names), published ports from the host's 127.0.0.1 and by hairpin, ports that survive kill -9 of berthd,
// port conflicts, and nothing left behind. Traffic goes only to loopback and to containers' and gateways' addresses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { Daemon, exists, isRoot, runCmd, waitFor } from './harness.ts';

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function freePort(): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 9000);
    const ok = await new Promise<boolean>((r) => {
      const s = createServer();
      s.once('error', () => r(false));
      s.listen(p, '0.0.0.0', () => s.close(() => r(true)));
    });
    if (ok) return p;
  }
}

const HTTPD = 'mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www';

describe('networking', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  const netns: string[] = [];
  const veths: string[] = [];
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    if (process.env.BERTH_E2E_LOG) await import('node:fs/promises').then((fs) => fs.writeFile(process.env.BERTH_E2E_LOG!, d.log));
    await d?.destroy();
  });

  const ip = async (name: string, net = 'bridge') =>
    (await d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name])).stdout.trim();

  test('user networks: names and aliases resolve, other networks are isolated', async () => {
    const octet = d.bip.split('.')[2];
    let r = await d.docker(['network', 'create', '--subnet', `10.215.${octet}.0/24`, 'neta']);
    assert.equal(r.code, 0, r.stderr);
    r = await d.docker(['network', 'create', 'netb']);
    assert.equal(r.code, 0, r.stderr);
    const ls = await d.docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['bridge bridge', 'host host', 'neta bridge', 'netb bridge', 'none null']);
    const sub = await d.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'netb']);
    assert.match(sub.stdout.trim(), new RegExp(`^10\\.214\\.${octet}\\.\\d+/28$`));

    r = await d.docker(['run', '-d', '--name', 'web', '--network', 'neta', '--network-alias', 'www', 'busybox', 'sh', '-c', HTTPD]);
    assert.equal(r.code, 0, r.stderr);
    const webIp = await ip('web', 'neta');
    assert.match(webIp, new RegExp(`^10\\.215\\.${octet}\\.\\d+$`));
    netns.push((await d.docker(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', 'web'])).stdout.trim());

    for (const name of ['web', 'www']) {
      const c = await d.docker(['run', '--rm', '--network', 'neta', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${name}/`]);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /^hello-/);
    }
    // From another network: the name is unknown there, and the address is unreachable.
    const byName = await d.docker(['run', '--rm', '--network', 'netb', 'busybox', 'timeout', '5', 'wget', '-qO-', 'http://web/']);
    assert.notEqual(byName.code, 0);
    // (sh stays PID 1: a signal from `timeout` could not end a PID 1 wget)
    const byIp = await d.docker(['run', '--rm', '--network', 'netb', 'busybox', 'sh', '-c', `timeout 3 wget -qO- http://${webIp}/ || exit 1`]);
    assert.notEqual(byIp.code, 0);

    // connect at run time: the same container now reaches web by name.
    r = await d.docker(['run', '-d', '--name', 'late', '--network', 'netb', 'busybox', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    r = await d.docker(['network', 'connect', '--alias', 'latecomer', 'neta', 'late']);
    assert.equal(r.code, 0, r.stderr);
    const ok = await d.docker(['exec', 'late', 'timeout', '5', 'wget', '-qO-', 'http://web/']);
    assert.equal(ok.code, 0, ok.stderr);
    const members = await d.docker(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'neta']);
    assert.deepEqual(members.stdout.trim().split(' ').sort(), ['late', 'web']);
    r = await d.docker(['network', 'disconnect', 'neta', 'late']);
    assert.equal(r.code, 0, r.stderr);
    const gone = await d.docker(['exec', 'late', 'timeout', '3', 'wget', '-qO-', `http://${webIp}/`]);
    assert.notEqual(gone.code, 0);
    const inUse = await d.docker(['network', 'rm', 'neta']);
    assert.match(inUse.stderr, /has active endpoints/);
  });

  test('default bridge: IPs work, names do not; published ports from 127.0.0.1 and by hairpin; -P; conflicts', async () => {
    const hp = await freePort();
    const hp2 = await freePort();
    let r = await d.docker(['run', '-d', '--name', 'web2', '-p', `127.0.0.1:${hp}:80`, '-p', `${hp2}:80`, '--add-host', 'gw:host-gateway', 'busybox', 'sh', '-c', HTTPD]);
    assert.equal(r.code, 0, r.stderr);
    const web2Ip = await ip('web2');
    const gw = (await d.docker(['inspect', '-f', '{{.NetworkSettings.Gateway}}', 'web2'])).stdout.trim();
    assert.equal(gw, d.bip.split('/')[0]);
    netns.push((await d.docker(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', 'web2'])).stdout.trim());
    veths.push(...(await d.linksLeft([d.bridgeName])).filter((l) => l !== d.bridgeName));

    const hosts = await d.docker(['exec', 'web2', 'cat', '/etc/hosts']);
    assert.match(hosts.stdout, new RegExp(`${gw.replace(/\./g, '\\.')}\\tgw\\n`));
    assert.match(hosts.stdout, /\thost\.docker\.internal\n/);

    const byIp = await d.docker(['run', '--rm', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${web2Ip}/`]);
    assert.equal(byIp.code, 0, byIp.stderr);
    // No embedded DNS on the default bridge (the resolver is pointed at the client's own loopback: nothing leaves).
    const byName = await d.docker(['run', '--rm', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', 'timeout 5 wget -qO- http://web2/ || exit 1']);
    assert.notEqual(byName.code, 0);

    assert.match(await httpGet(hp), /^hello-/);
    const hairpin = await d.docker(['exec', 'web2', 'timeout', '5', 'wget', '-qO-', `http://${gw}:${hp2}/`]);
    assert.equal(hairpin.code, 0, hairpin.stderr);
    const port = await d.docker(['port', 'web2']);
    assert.deepEqual(port.stdout.trim().split('\n').sort(), [`80/tcp -> 0.0.0.0:${hp2}`, `80/tcp -> 127.0.0.1:${hp}`].sort());
    const ps = await d.docker(['ps', '--filter', 'name=web2', '--format', '{{.Ports}}']);
    assert.equal(ps.stdout.trim(), `0.0.0.0:${hp2}->80/tcp, 127.0.0.1:${hp}->80/tcp`);
    const bport = await d.berth(['port', 'web2', '80']);
    assert.equal(bport.code, 0, bport.stderr);

    // -P: a random port from the ephemeral range.
    r = await d.docker(['run', '-d', '--name', 'pall', '-P', '--expose', '80', 'busybox', 'sh', '-c', HTTPD]);
    assert.equal(r.code, 0, r.stderr);
    const pp = (await d.docker(['port', 'pall', '80/tcp'])).stdout.trim();
    const m = /^0\.0\.0\.0:(\d+)$/.exec(pp);
    assert.ok(m && Number(m[1]) >= 32768, pp);
    assert.match(await httpGet(Number(m![1])), /^hello-/);

    // Conflicts: a port another container holds, and one a host socket holds.
    const dup = await d.docker(['run', '-d', '--name', 'dup', '-p', `127.0.0.1:${hp}:80`, 'busybox', 'sleep', '5']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${hp} failed: port is already allocated`));
    const hp3 = await freePort();
    const holder = createServer();
    await new Promise<void>((res) => holder.listen(hp3, '127.0.0.1', () => res()));
    try {
      const busy = await d.docker(['run', '-d', '--name', 'busy', '-p', `${hp3}:80`, 'busybox', 'sleep', '5']);
      assert.notEqual(busy.code, 0);
      assert.match(busy.stderr, /port is already allocated/);
    } finally {
      holder.close();
    }
    await d.docker(['rm', '-f', 'dup', 'busy', 'pall']);

    // Kernel rules: the port works while berthd is down (kill -9) and after its restart; names too.
    await d.kill9();
    assert.match(await httpGet(hp), /^hello-/);
    await d.spawn();
    assert.match(await httpGet(hp), /^hello-/);
    const again = await d.docker(['run', '--rm', '--network', 'neta', 'busybox', 'timeout', '5', 'wget', '-qO-', 'http://www/']);
    assert.equal(again.code, 0, again.stderr);
  });

  test('nothing of a removed container or network is left', async () => {
    const r = await d.docker(['rm', '-f', 'web', 'web2', 'late']);
    assert.equal(r.code, 0, r.stderr);
    const userBridges = (await d.bridgesOwned()).filter((b) => b !== d.bridgeName);
    assert.equal(userBridges.length, 2);
    const rm = await d.docker(['network', 'rm', 'neta', 'netb']);
    assert.equal(rm.code, 0, rm.stderr);
    for (const n of netns) assert.equal(await exists(n), false, `${n} left`);
    assert.ok(veths.length >= 1);
    const links = (await runCmd('ip', ['-o', 'link', 'show'])).stdout;
    for (const v of [...veths, ...userBridges]) assert.ok(!links.includes(` ${v}@`) && !links.includes(` ${v}:`), `${v} left`);
    assert.deepEqual(await d.linksLeft([d.bridgeName]), [d.bridgeName]);
    // Only the daemon's base rules remain: no DNAT, no rules for removed bridges.
    const rules = await d.rulesLeft();
    assert.ok(!rules.some((l) => l.includes('DNAT --to') || userBridges.some((b) => l.includes(b))), rules.join('\n'));
    const bc = await d.berth(['network', 'create', '--subnet', `10.216.${d.bip.split('.')[2]}.0/24`, '--label', 'k=v', 'viaberth']);
    assert.equal(bc.code, 0, bc.stderr);
    const bls = await d.berth(['network', 'ls', '--filter', 'label=k=v']);
    assert.match(bls.stdout, /^NETWORK ID +NAME +DRIVER +SCOPE\n[0-9a-f]{12} +viaberth +bridge +local\n$/);
    const bi = await d.berth(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'viaberth']);
    assert.equal(bi.stdout.trim(), `10.216.${d.bip.split('.')[2]}.1`);
    const bp = await d.berth(['network', 'prune', '-f']);
    assert.equal(bp.stdout, 'Deleted Networks:\nviaberth\n\n');
    const prune = await d.docker(['network', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    await waitFor(async () => (await d.docker(['network', 'ls', '-q'])).stdout.trim().split('\n').length === 3, 'three predefined networks');
  });
});
