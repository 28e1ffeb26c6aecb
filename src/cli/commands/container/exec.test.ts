import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { muxFrame } from '../../../client/stdcopy.ts';
import { FakeDaemon, sendJson, writeUpgradeHead } from '../../../client/testing/fake-daemon.ts';
import { main } from '../../main.ts';
import { testIo } from '../../testing/test-io.ts';

let d: FakeDaemon;
before(async () => {
  d = await FakeDaemon.start({ apiVersion: '1.43' });
  d.json('GET', '/containers/web/json', 200, { Id: 'w'.repeat(64), Config: { Tty: false }, State: { Running: true } });
  d.json('POST', '/containers/web/exec', 201, { Id: 'e1' });
  d.onUpgrade('POST', '/exec/e1/start', (_req, socket) => {
    writeUpgradeHead(socket, false);
    socket.end(Buffer.concat([muxFrame(1, 'hi\n'), muxFrame(2, 'warn\n')]));
  });
  d.on('GET', '/exec/e1/json', (_req, res) => sendJson(res, 200, { ID: 'e1', Running: false, ExitCode: 4 }));
});
after(() => d.close());

test('exec streams output and exits with the exec ExitCode', async () => {
  const io = testIo({ env: { DOCKER_HOST: d.host } });
  const code = await main(['exec', '-e', 'X=1', '-w', '/tmp', 'web', 'sh', '-c', 'exit 4'], io);
  assert.equal(code, 4);
  assert.equal(io.stdoutText(), 'hi\n');
  assert.equal(io.stderrText(), 'warn\n');
  const create = d.find('POST', '/containers/web/exec')!;
  assert.equal(create.version, '1.43');
  assert.deepEqual(create.json, {
    User: '', Privileged: false, Tty: false, ConsoleSize: null, AttachStdin: false, AttachStderr: true,
    AttachStdout: true, DetachKeys: '', Env: ['X=1'], WorkingDir: '/tmp', Cmd: ['sh', '-c', 'exit 4'],
  });
  assert.deepEqual(d.find('POST', '/exec/e1/start')!.json, { Detach: false, Tty: false });
});

test('exec against a missing container is a daemon error, exit 1', async () => {
  const io = testIo({ env: { DOCKER_HOST: d.host } });
  assert.equal(await main(['exec', 'nope', 'true'], io), 1);
  assert.equal(io.stderrText(), 'Error response from daemon: page not found\n');
});
