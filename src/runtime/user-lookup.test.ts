import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isBerthError } from '../base/errors.ts';
import { parseGroup, parsePasswd, resolveInRoot, resolveUser, resolveUserFrom } from './user-lookup.ts';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
app:x:1000:1000:App User:/home/app:/bin/sh
nohome:x:1001:1001::
`;
const GROUP = `root:x:0:
wheel:x:10:root,app
audio:x:29:app
app:x:1000:
staff:x:50:
`;

let dir: string;
let rootfs: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-user-'));
  rootfs = path.join(dir, 'rootfs');
  await mkdir(path.join(rootfs, 'etc'), { recursive: true });
  await writeFile(path.join(rootfs, 'etc/passwd'), PASSWD);
  await writeFile(path.join(rootfs, 'etc/group'), GROUP);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('parsers', () => {
  assert.equal(parsePasswd(PASSWD).length, 4);
  assert.deepEqual(parsePasswd(PASSWD)[2], {
    name: 'app', uid: 1000, gid: 1000, gecos: 'App User', home: '/home/app', shell: '/bin/sh',
  });
  assert.deepEqual(parseGroup(GROUP)[1], { name: 'wheel', gid: 10, members: ['root', 'app'] });
});

test("empty user is root, with root's group memberships", async () => {
  const u = await resolveUser(rootfs, '');
  assert.deepEqual(u, { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root', name: 'root' });
});

test('name resolves uid, primary gid, home and member groups', async () => {
  const u = await resolveUser(rootfs, 'app');
  assert.equal(u.uid, 1000);
  assert.equal(u.gid, 1000);
  assert.equal(u.home, '/home/app');
  assert.deepEqual(u.additionalGids, [1000, 10, 29]);
});

test('numeric uid with passwd entry gets its gid and groups; without entry gid 0', async () => {
  assert.deepEqual((await resolveUser(rootfs, '1000')).additionalGids, [1000, 10, 29]);
  const u = await resolveUser(rootfs, '4242');
  assert.deepEqual({ uid: u.uid, gid: u.gid, home: u.home }, { uid: 4242, gid: 0, home: '/' });
});

test('explicit group: by name or number, and no supplementary groups', async () => {
  assert.deepEqual(await resolveUser(rootfs, 'app:staff'), {
    uid: 1000, gid: 50, additionalGids: [50], home: '/home/app', name: 'app',
  });
  const u = await resolveUser(rootfs, '1000:777');
  assert.equal(u.gid, 777);
  assert.deepEqual(u.additionalGids, [777]);
});

test('groupAdd by name and number', async () => {
  const u = await resolveUser(rootfs, 'daemon', { groupAdd: ['staff', '99', 'audio'] });
  assert.deepEqual(u.additionalGids, [1, 50, 99, 29]);
});

test("unknown names fail like Docker's", async () => {
  await assert.rejects(resolveUser(rootfs, 'nobody'), (e) =>
    isBerthError(e, 'invalid_argument') && e.message === 'unable to find user nobody: no matching entries in passwd file');
  await assert.rejects(resolveUser(rootfs, 'app:nogroup'), (e) =>
    isBerthError(e, 'invalid_argument') && e.message === 'unable to find group nogroup: no matching entries in group file');
  await assert.rejects(resolveUser(rootfs, 'app', { groupAdd: ['ghosts'] }), (e) =>
    isBerthError(e, 'invalid_argument') && /Unable to find group ghosts/.test(e.message));
});

test('missing passwd/group files are fine for numeric ids, not for names', async () => {
  const empty = path.join(dir, 'empty');
  await mkdir(empty);
  assert.deepEqual(await resolveUser(empty, '123:456', { groupAdd: ['7'] }), {
    uid: 123, gid: 456, additionalGids: [456, 7], home: '/',
  });
  assert.deepEqual(await resolveUser(empty, ''), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
  await assert.rejects(resolveUser(empty, 'app'), /no matching entries in passwd file/);
});

test('entry with empty home falls back to /', () => {
  assert.equal(resolveUserFrom({ passwd: PASSWD }, 'nohome').home, '/');
});

test('symlinked /etc/passwd cannot escape the rootfs', async () => {
  const evil = path.join(dir, 'evil');
  await mkdir(path.join(evil, 'etc'), { recursive: true });
  await mkdir(path.join(evil, 'real'), { recursive: true });
  await writeFile(path.join(evil, 'real/passwd'), 'inside:x:7:7::/in:/bin/sh\n');
  // Absolute target is taken relative to the rootfs, and .. stops at its top.
  await symlink('/../../../real/passwd', path.join(evil, 'etc/passwd'));
  assert.equal(await resolveInRoot(evil, '/etc/passwd'), path.join(evil, 'real/passwd'));
  assert.equal((await resolveUser(evil, 'inside')).uid, 7);
});
