import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../base/errors.ts';
import { ANONYMOUS_LABEL, VolumeService, validateVolumeName } from './volume-service.ts';

const log = { info() {}, warn() {} };

test('volume names follow docker\'s local-driver rule', () => {
  for (const ok of ['ab', 'a.b-c_d', '0x']) validateVolumeName(ok);
  for (const bad of ['a', 'x/y', '.hidden', '-a', '', 'a b']) {
    assert.throws(() => validateVolumeName(bad), (e) => isBerthError(e, 'invalid_argument'), bad);
  }
});

test('create, list filters, refs, remove, prune; metadata survives reopen', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-vol-'));
  try {
    const events: string[] = [];
    const s = await VolumeService.open({ root, log, onEvent: (a, v) => events.push(`${a} ${v.Name}`) });
    const v = await s.create({ Name: 'named', Labels: { team: 'a' } });
    assert.equal(v.Mountpoint, join(root, 'named/_data'));
    assert.equal(v.Scope, 'local');
    assert.equal((await s.create({ Name: 'named' })).CreatedAt, v.CreatedAt, 'an existing name returns the existing volume');
    const anon = await s.createAnonymous();
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(anon.Labels, { [ANONYMOUS_LABEL]: '' });
    await writeFile(join(anon.Mountpoint, 'f'), '12345');
    await assert.rejects(s.create({ Name: 'bad', DriverOpts: { nope: '1' } }), /invalid option: "nope"/);
    await assert.rejects(s.create({ Name: 'bad', DriverOpts: { type: 'tmpfs' } }), /missing required option: "device"/);
    await assert.rejects(s.create({ Name: 'bad', Driver: 'nfs' }), (e) => isBerthError(e, 'not_found'));

    const names = (f: object) => s.list(JSON.stringify(f)).Volumes.map((x) => x.Name);
    assert.deepEqual(names({ label: ['team=a'] }), ['named']);
    assert.deepEqual(names({ 'label!': ['team'] }), [anon.Name]);
    assert.deepEqual(names({ name: ['^nam'] }), ['named']);
    s.ref('named', 'c1');
    assert.deepEqual(names({ dangling: ['true'] }), [anon.Name]);
    assert.throws(() => s.list('{"bogus":["x"]}'), /invalid filter 'bogus'/);

    await assert.rejects(s.remove('named'), (e) => isBerthError(e, 'conflict') && e.message === 'remove named: volume is in use - [c1]');
    await assert.rejects(s.remove('nosuch'), /get nosuch: no such volume/);
    await s.remove('nosuch', { force: true });

    // Reopen: records come back; a half-created dir (no volume.json, empty _data) is swept.
    await mkdir(join(root, 'half/_data'), { recursive: true });
    const s2 = await VolumeService.open({ root, log });
    assert.deepEqual(s2.list().Volumes.map((x) => x.Name).sort(), [anon.Name, 'named'].sort());
    assert.equal(JSON.parse(await readFile(join(root, 'named/volume.json'), 'utf8')).Labels.team, 'a');
    await assert.rejects(readFile(join(root, 'half/_data')), /ENOENT/);

    s2.ref('named', 'c1');
    assert.deepEqual(await s2.prune(), { VolumesDeleted: [anon.Name], SpaceReclaimed: 5 });
    assert.deepEqual(await s2.prune('{"all":["true"]}'), { VolumesDeleted: [], SpaceReclaimed: 0 });
    s2.unref('named', 'c1');
    assert.deepEqual((await s2.prune('{"all":["true"],"label":["team=b"]}')).VolumesDeleted, []);
    assert.deepEqual((await s2.prune(undefined, { allByDefault: true })).VolumesDeleted, ['named']);
    assert.deepEqual(s2.list().Volumes, []);
    assert.ok(events.includes('create named'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
