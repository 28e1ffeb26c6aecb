import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiError, ConnectError, EngineClient, readAll, socketPathOf } from './engine-client.ts';
import { FakeDaemon, sendJson, writeUpgradeHead } from './testing/fake-daemon.ts';
import { muxFrame } from './stdcopy.ts';

let d: FakeDaemon;
before(async () => {
  d = await FakeDaemon.start({ apiVersion: '1.43' });
  d.json('GET', '/containers/json', 200, []);
  d.json('GET', '/containers/nope/json', 404, { message: 'No such container: nope' });
  d.onUpgrade('POST', '/containers/(\\w+)/attach', (req, socket) => {
    writeUpgradeHead(socket, false);
    // Echo stdin back as stdout frames until our side half-closes, then send a last frame: half-close must not
    // stop the client from reading.
    socket.on('data', (b: Buffer) => socket.write(muxFrame(1, b)));
    socket.on('end', () => socket.end(muxFrame(2, `done ${req.query.get('stdin')}`)));
  });
});
after(() => d.close());

test('negotiates down to the daemon version and prefixes paths', async () => {
  const c = new EngineClient({ host: d.host });
  await c.request('GET', '/containers/json', { query: { all: true, limit: undefined } });
  assert.equal(await c.apiVersion(), '1.43');
  const r = d.find('GET', '/containers/json')!;
  assert.equal(r.version, '1.43');
  assert.equal(r.query.get('all'), '1');
  assert.equal(r.query.has('limit'), false);
  assert.equal(d.requests[0]!.method, 'HEAD');
  assert.equal(d.requests[0]!.path, '/_ping');
  c.close();
});

test('keeps its own version when the daemon is newer', async () => {
  const newer = await FakeDaemon.start({ apiVersion: '1.50' });
  try {
    const c = new EngineClient({ host: newer.host });
    assert.equal(await c.apiVersion(), '1.47');
    c.close();
  } finally {
    await newer.close();
  }
});

test('non-2xx becomes ApiError with the daemon message', async () => {
  const c = new EngineClient({ host: d.host });
  await assert.rejects(c.request('GET', '/containers/nope/json'), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 404);
    assert.equal(e.message, 'No such container: nope');
    return true;
  });
  c.close();
});

test('host selection and unreachable daemon', async () => {
  assert.equal(new EngineClient({ env: { DOCKER_HOST: 'unix:///a.sock' } }).socketPath, '/a.sock');
  assert.equal(new EngineClient({ env: { BERTH_HOST: 'unix:///b.sock', DOCKER_HOST: 'unix:///a.sock' } }).socketPath, '/b.sock');
  assert.equal(new EngineClient({ env: {} }).socketPath, '/run/berth.sock');
  assert.throws(() => socketPathOf('tcp://1.2.3.4:2375'), /only unix/);
  const c = new EngineClient({ host: 'unix:///nonexistent/berth.sock' });
  await assert.rejects(c.request('GET', '/info'), ConnectError);
});

test('hijack keeps reading after our write side is half-closed', async () => {
  const c = new EngineClient({ host: d.host });
  const { socket, head } = await c.hijack('POST', '/containers/abc/attach', { query: { stdin: true, stream: true } });
  socket.write('ping');
  await new Promise((r) => setTimeout(r, 20));
  socket.end();
  const rest = Buffer.concat([head, await readAll(socket)]);
  assert.deepEqual(rest, Buffer.concat([muxFrame(1, 'ping'), muxFrame(2, 'done 1')]));
  c.close();
});

test('sendJson helper is usable for custom routes', async () => {
  d.on('GET', '/custom', (_req, res) => sendJson(res, 200, { ok: true }));
  const c = new EngineClient({ host: d.host });
  assert.deepEqual((await c.request('GET', '/custom')).body, { ok: true });
  c.close();
});
