// Bad input gets Docker's error shape and status, and leaves nothing behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, isRoot } from './harness.ts';

describe('bad input', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  async function assertNoLeftovers() {
    assert.deepEqual(await d.mountsUnder(), [], 'mounts');
    assert.deepEqual(await d.conmonPids(), [], 'conmon processes');
    assert.deepEqual(await d.cgroupsLeft(), [], 'cgroups');
    const list = await d.api('GET', '/containers/json?all=1');
    const known = new Set((list.body as { Id: string }[]).map((c) => c.Id));
    const dirs = await readdir(join(d.dataRoot, 'containers')).catch(() => [] as string[]);
    assert.deepEqual(dirs.filter((x) => !known.has(x)), [], 'container dirs without a container');
    const bundles = await readdir(join(d.execRoot, 'containers')).catch(() => [] as string[]);
    assert.deepEqual(bundles.filter((x) => !known.has(x)), [], 'bundles without a container');
  }

  test('API errors: JSON message and status like Docker', async () => {
    const malformed = await d.api('POST', '/v1.43/containers/create', '{"Image": "busybox",');
    assert.equal(malformed.status, 400);
    assert.equal(typeof malformed.body.message, 'string');
    assert.match(malformed.body.message, /invalid JSON/);
    const noImage = await d.api('POST', '/v1.43/containers/create', { Image: 'nope:1', Cmd: ['true'] });
    assert.equal(noImage.status, 404);
    assert.match(noImage.body.message, /No such image: nope:1/);
    const badName = await d.api('POST', '/v1.43/containers/create?name=-bad', { Image: 'busybox', Cmd: ['true'] });
    assert.equal(badName.status, 400);
    assert.match(badName.body.message, /Invalid container name/);
    const missing = await d.api('GET', '/v1.43/containers/nosuch/json');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'No such container: nosuch');
    const tooNew = await d.api('GET', '/v9.99/version');
    assert.equal(tooNew.status, 400);
    assert.match(tooNew.body.message, /client version 9\.99 is too new/);
    const badSignal = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], StopSignal: 'SIGNOPE' });
    assert.equal(badSignal.status, 400);
    const badRestart = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } });
    assert.equal(badRestart.status, 400);
    const badCap = await d.api('POST', '/containers/create?name=badcap', { Image: 'busybox', Cmd: ['true'], HostConfig: { CapAdd: ['NOT_A_CAP'] } });
    assert.equal(badCap.status, 201, 'validated at start, like Docker');
    const start = await d.api('POST', '/containers/badcap/start');
    assert.equal(start.status, 400);
    assert.match(start.body.message, /unknown capability/);
    const notFoundRoute = await d.api('GET', '/nothing/here');
    assert.equal(notFoundRoute.status, 404);
    await d.api('DELETE', '/containers/badcap');
    await assertNoLeftovers();
  });

  test('rm of a running container needs -f; exec into a stopped one fails; ambiguous prefix', async () => {
    const r = await d.docker(['run', '-d', '--name', 'busy1', 'busybox', 'sleep', '60']);
    assert.equal(r.code, 0, r.stderr);
    const rm = await d.api('DELETE', '/containers/busy1');
    assert.equal(rm.status, 409);
    assert.match(rm.body.message, /container is running/);
    await d.docker(['create', '--name', 'stopped1', 'busybox', 'true']);
    const ex = await d.api('POST', '/containers/stopped1/exec', { Cmd: ['true'] });
    assert.equal(ex.status, 409);
    assert.match(ex.body.message, /is not running/);
    const kill = await d.api('POST', '/containers/stopped1/kill');
    assert.equal(kill.status, 409);
    // Ambiguous prefix: with enough containers, some share a first hex digit.
    const list = (await d.api('GET', '/containers/json?all=1')).body as { Id: string }[];
    const ids = list.map((c) => c.Id);
    for (let i = 0; i < 20 && !ids.some((a, j) => ids.some((b, k) => k !== j && a[0] === b[0])); i++) {
      const c = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'] });
      ids.push(c.body.Id);
    }
    const shared = ids.find((a, j) => ids.some((b, k) => k !== j && a[0] === b[0]))!;
    const amb = await d.api('GET', `/containers/${shared[0]}/json`);
    assert.ok([400, 409].includes(amb.status));
    assert.match(amb.body.message, /multiple IDs found with provided prefix/);
    const byPrefix = await d.api('GET', `/containers/${shared.slice(0, 10)}/json`);
    assert.equal(byPrefix.status, 200);
    for (const id of ids) await d.api('DELETE', `/containers/${id}?force=1`);
    await assertNoLeftovers();
  });

  test('a failing start leaves the container created with its error, and nothing running', async () => {
    const r = await d.docker(['run', '--name', 'nf1', 'busybox', '/no/such/file']);
    assert.equal(r.code, 127);
    const st = await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'nf1']);
    assert.equal(st.stdout.trim(), 'created 127');
    await d.docker(['rm', 'nf1']);
    await assertNoLeftovers();
  });
});
