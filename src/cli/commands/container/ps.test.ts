import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeDaemon } from '../../../client/testing/fake-daemon.ts';
import { main } from '../../main.ts';
import { testIo } from '../../testing/test-io.ts';
import { displayablePorts, ellipsis } from './ps-row.ts';

let d: FakeDaemon;
const now = Math.floor(Date.now() / 1000);
before(async () => {
  d = await FakeDaemon.start();
  d.json('GET', '/containers/json', 200, [
    {
      Id: 'a'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: 'sha256:' + 'b'.repeat(64),
      Command: "sh -c 'sleep 100000'", Created: now - 3600, State: 'running', Status: 'Up About an hour',
      Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }],
      Labels: {}, HostConfig: { NetworkMode: 'bridge' }, NetworkSettings: { Networks: {} }, Mounts: [],
    },
    {
      Id: 'c'.repeat(64), Names: ['/long_command'], Image: 'debian:bookworm', ImageID: 'sha256:' + 'd'.repeat(64),
      Command: 'sh -c "while true; do echo hello; sleep 1; done"', Created: now - 120, State: 'exited',
      Status: 'Exited (0) 1 minute ago', Ports: [], Labels: {}, HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Networks: {} }, Mounts: [],
    },
  ]);
});
after(() => d.close());

const ps = async (args: string[]) => {
  const io = testIo({ env: { BERTH_HOST: d.host } });
  const code = await main(['ps', ...args], io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
};

// Expected text verified byte-for-byte against docker 28.2.2 given the same /containers/json answer.
test('ps renders docker’s default table', async () => {
  const r = await ps(['-a']);
  assert.equal(r.code, 0);
  assert.equal(
    r.out,
    [
      'CONTAINER ID   IMAGE             COMMAND                   CREATED             STATUS                    PORTS                           NAMES',
      `aaaaaaaaaaaa   busybox           "sh -c 'sleep 100000'"    About an hour ago   Up About an hour          443/tcp, 0.0.0.0:8080->80/tcp   web`,
      'cccccccccccc   debian:bookworm   "sh -c \\"while true; …"   2 minutes ago       Exited (0) 1 minute ago                                   long_command',
      '',
    ].join('\n'),
  );
  assert.equal(d.find('GET', '/containers/json')!.query.get('all'), '1');
});

test('ps -q and --format', async () => {
  assert.equal((await ps(['-q'])).out, 'aaaaaaaaaaaa\ncccccccccccc\n');
  assert.equal((await ps(['--format', '{{.Names}} {{.State}}'])).out, 'web running\nlong_command exited\n');
  const r = await ps(['--filter', 'status=exited', '--filter', 'name=x', '-n', '2']);
  const q = d.requests.at(-1)!.query;
  assert.deepEqual(JSON.parse(q.get('filters')!), { status: ['exited'], name: ['x'] });
  assert.equal(q.get('limit'), '2');
  assert.equal(r.code, 0);
});

test('port and command helpers', () => {
  assert.equal(ellipsis('abcdefghijklmnopqrstuvwxyz', 20), 'abcdefghijklmnopqrs…');
  assert.equal(
    displayablePorts([
      { PrivatePort: 81, Type: 'tcp' },
      { PrivatePort: 80, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    ]),
    '80-81/tcp, [::]:8080->80/tcp',
  );
});
