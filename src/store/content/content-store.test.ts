import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ContentStore } from './content-store.ts';

const sha = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

describe('ContentStore', () => {
  let root: string;
  let store: ContentStore;
  before(async () => {
    root = await mkdtemp('/var/tmp/berth-content-test-');
    store = await ContentStore.open(root);
  });
  after(() => rm(root, { recursive: true, force: true }));

  const ingestDirEmpty = async () => assert.deepEqual(await readdir(join(root, 'content', 'ingest')), []);

  it('ingests a stream, naming the blob by its digest', async () => {
    const data = Buffer.from('hello blob');
    const info = await store.ingest(Readable.from([data.subarray(0, 3), data.subarray(3)]));
    assert.deepEqual(info, { digest: sha(data), size: data.length });
    assert.equal(await store.has(info.digest), true);
    assert.deepEqual(await store.info(info.digest), info);
    assert.deepEqual(await store.readBuffer(info.digest), data);
    const chunks: Buffer[] = [];
    for await (const c of await store.readStream(info.digest)) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), data);
    assert.deepEqual(await store.list(), [info.digest]);
    await ingestDirEmpty();
  });

  it('verifies the expected digest and size; a mismatch commits nothing', async () => {
    const data = Buffer.from('some content');
    const ok = await store.ingest(data, { expected: { digest: sha(data), size: data.length } });
    assert.equal(ok.digest, sha(data));
    await assert.rejects(store.ingest(Buffer.from('other'), { expected: { digest: sha('nope') } }), /digest mismatch/);
    await assert.rejects(store.ingest(Buffer.from('other'), { expected: { digest: sha('other'), size: 3 } }), /size mismatch/);
    await assert.rejects(store.ingest(Buffer.from('other'), { expected: { digest: sha('other'), size: 9 } }), /size mismatch/);
    assert.equal(await store.has(sha('other')), false);
    assert.equal(await store.has(sha('nope')), false);
    await ingestDirEmpty();
  });

  it('cleans up on a failing source or abort', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('boom'));
      },
    });
    await assert.rejects(store.ingest(failing), /boom/);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(store.ingest(Buffer.from('x'), { signal: ac.signal }), { name: 'AbortError' });
    await ingestDirEmpty();
  });

  it('ingesting the same content twice keeps one blob; delete removes it', async () => {
    const a = await store.ingest(Buffer.from('dup'));
    const b = await store.ingest(Buffer.from('dup'));
    assert.deepEqual(a, b);
    await store.delete(a.digest);
    await store.delete(a.digest);
    assert.equal(await store.has(a.digest), false);
    await assert.rejects(store.readBuffer(a.digest), { category: 'not_found' });
    await assert.rejects(store.readStream(a.digest), { category: 'not_found' });
  });

  it('rejects malformed digests before touching the filesystem', async () => {
    await assert.rejects(store.has('sha256:../../etc/passwd'), /invalid digest/);
  });

  it('sweeps stale ingests at open', async () => {
    await writeFile(join(root, 'content', 'ingest', 'stale'), 'x');
    store = await ContentStore.open(root);
    await ingestDirEmpty();
    assert.equal(await store.has(sha('hello blob')), true);
  });
});
