import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../base/digest.ts';
import { ImageStore, type ImageRecord } from './image-store.ts';

function record(n: number, extra: Partial<ImageRecord> = {}): ImageRecord {
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: [] }, comment: `img ${n}` };
  return { id: sha256Digest(JSON.stringify(config)), config, chainId: null, size: n, created: new Date(0).toISOString(), repoDigests: [], ...extra };
}

describe('ImageStore', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp('/var/tmp/berth-images-test-');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('persists records and refs across reopen', async () => {
    const s = await ImageStore.open(root);
    const a = record(1);
    const b = record(2, { repoDigests: [`busybox@sha256:${'c'.repeat(64)}`] });
    await s.put(a);
    await s.put(b);
    await s.tag(a.id, 'busybox');
    await s.tag(a.id, 'localhost:5000/x:1');
    await s.tag(b.id, 'docker.io/library/other:2');

    const r = await ImageStore.open(root);
    assert.deepEqual(r.list().map((x) => x.id).sort(), [a.id, b.id].sort());
    assert.deepEqual(r.refsFor(a.id), ['busybox:latest', 'localhost:5000/x:1']);
    assert.deepEqual(r.refsFor(b.id), ['other:2']);
    assert.ok(r.get(a.id)?.lastTagTime);
    assert.equal(r.get(b.id)?.config.comment, 'img 2');
    const refs = JSON.parse(await readFile(join(root, 'images', 'refs.json'), 'utf8'));
    assert.equal(refs['busybox:latest'], a.id);
  });

  it('resolves ids, names, digests and prefixes like Docker', async () => {
    const s = await ImageStore.open(root);
    const a = record(1);
    const b = record(2);
    const hex = a.id.slice(7);
    assert.equal(s.resolve(a.id).id, a.id);
    assert.equal(s.resolve(hex).id, a.id);
    assert.equal(s.resolve('busybox').id, a.id);
    assert.equal(s.resolve('busybox:latest').id, a.id);
    assert.equal(s.resolve('docker.io/library/busybox:latest').id, a.id);
    assert.equal(s.resolve('localhost:5000/x:1').id, a.id);
    assert.equal(s.resolve(`busybox@sha256:${'c'.repeat(64)}`).id, b.id);
    assert.equal(s.resolve(hex.slice(0, 12)).id, a.id);
    assert.equal(s.resolve(`sha256:${hex.slice(0, 5)}`).id, a.id);
    // The shortest unambiguous prefix works; a shared one does not.
    let common = 0;
    while (a.id[7 + common] === b.id[7 + common]) common++;
    assert.equal(s.resolve(hex.slice(0, common + 1)).id, a.id);
    if (common > 0) assert.throws(() => s.resolve(hex.slice(0, common)), /No such image/);
    assert.throws(() => s.resolve('busybox:nope'), { message: 'No such image: busybox:nope', category: 'not_found' } as object);
    assert.throws(() => s.resolve('Busybox'), /No such image: Busybox/);
    assert.throws(() => s.resolve('sha256:' + 'f'.repeat(64)), /No such image/);
  });

  it('a name wins over an id prefix', async () => {
    const s = await ImageStore.open(root);
    const b = record(2);
    const prefix = b.id.slice(7, 10);
    const a = record(1);
    await s.tag(a.id, prefix);
    assert.equal(s.resolve(prefix).id, a.id);
    await s.untag(prefix);
    assert.equal(s.resolve(prefix).id, b.id);
  });

  it('moves a tag between images; untag reports what it removed', async () => {
    const s = await ImageStore.open(root);
    const a = record(1);
    const b = record(2);
    assert.equal(await s.tag(b.id, 'busybox:latest'), a.id);
    assert.deepEqual(s.refsFor(a.id), ['localhost:5000/x:1']);
    assert.equal(await s.untag('busybox'), b.id);
    assert.equal(await s.untag('busybox'), undefined);
    await assert.rejects(s.tag('sha256:' + '0'.repeat(64), 'x'), /No such image/);
  });

  it('delete drops the record and its refs; stray refs and temp files are cleaned at open', async () => {
    const s = await ImageStore.open(root);
    const a = record(1);
    await s.delete(a.id);
    assert.equal(s.get(a.id), undefined);
    assert.deepEqual(s.refsFor(a.id), []);
    // Simulate a crash between writing refs and removing a record the other way round.
    const b = record(2);
    await s.tag(b.id, 'keep:1');
    await unlink(join(root, 'images', `${b.id.slice(7)}.json`));
    await writeFile(join(root, 'images', '.refs.json.tmp-abc'), 'partial');
    const r = await ImageStore.open(root);
    assert.deepEqual(r.list(), []);
    assert.equal(r.lookupRef('keep:1'), undefined);
    assert.deepEqual((await readdir(join(root, 'images'))).sort(), ['refs.json']);
  });
});
