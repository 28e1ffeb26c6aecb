import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { DnsServer, upstreamsOf } from './dns-server.ts';
import { encodeQuery, parseAnswerIps, parseQuery, TYPE_A, TYPE_AAAA } from './dns-message.ts';

function ask(port: number, name: string, type = TYPE_A): Promise<{ rcode: number; ips: string[] }> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), reject(new Error('no answer'))), 2000);
    s.once('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(parseAnswerIps(m));
    });
    s.send(encodeQuery(0x1234, name, type), port, '127.0.0.1');
  });
}

test('query round trip', () => {
  const q = parseQuery(encodeQuery(7, 'web.example', TYPE_A))!;
  assert.equal(q.name, 'web.example');
  assert.equal(q.type, TYPE_A);
  assert.equal(q.id, 7);
});

test('answers names on the network, NXDOMAIN for unknown single labels, no forwarding of them', async () => {
  let upstreamAsked = 0;
  const names: Record<string, string[]> = { web: ['10.213.1.2'], alias1: ['10.213.1.2', '10.213.1.3'] };
  const srv = new DnsServer({
    address: '127.0.0.1',
    port: 0,
    lookup: (n) => names[n],
    upstreams: () => (upstreamAsked++, []),
  });
  await srv.listen();
  try {
    assert.deepEqual(await ask(srv.port, 'web'), { rcode: 0, ips: ['10.213.1.2'] });
    assert.deepEqual(await ask(srv.port, 'WEB.'), { rcode: 0, ips: ['10.213.1.2'] });
    assert.deepEqual(await ask(srv.port, 'alias1'), { rcode: 0, ips: ['10.213.1.2', '10.213.1.3'] });
    assert.deepEqual(await ask(srv.port, 'web', TYPE_AAAA), { rcode: 0, ips: [] });
    assert.deepEqual(await ask(srv.port, 'nope'), { rcode: 3, ips: [] });
    assert.equal(upstreamAsked, 0);
    // Dotted names go upstream; with no upstream: SERVFAIL.
    assert.equal((await ask(srv.port, 'x.invalid')).rcode, 2);
    assert.equal(upstreamAsked, 1);
  } finally {
    await srv.close();
  }
});

test('upstreams from resolv.conf', () => {
  assert.deepEqual(upstreamsOf('search x\nnameserver 10.0.0.53\nnameserver ::1\n nameserver 1.2.3.4 \n'), ['10.0.0.53', '1.2.3.4']);
});
