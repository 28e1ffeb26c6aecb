import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildCache, cacheKey, explainMiss } from './build-cache.ts';
import { collectSource, itemDigests } from './copy-plan.ts';

const digestsOf = async (root: string) => itemDigests(await collectSource(root, { rel: '.', isDir: true }, '/app', { owner: { uid: 0, gid: 0 } }));

test('cache key follows content, never mtimes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'cache-key-'));
  try {
    await writeFile(join(root, 'main.c'), 'int main;');
    const inputs = async () => ({ parentId: 'sha256:p', step: 'COPY . /app', args: {}, files: await digestsOf(root) });
    const k1 = cacheKey(await inputs());
    const later = new Date(Date.now() + 86_400_000);
    await utimes(join(root, 'main.c'), later, later);
    assert.equal(cacheKey(await inputs()), k1, 'touching a file keeps the key');
    await writeFile(join(root, 'main.c'), 'int main2;');
    const changed = await inputs();
    assert.notEqual(cacheKey(changed), k1);
    assert.notEqual(cacheKey({ ...changed, parentId: 'sha256:q' }), cacheKey(changed));
    assert.notEqual(cacheKey({ ...changed, args: { V: '1' } }), cacheKey(changed));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('misses are explained: file, build arg, parent', () => {
  const prev = { parentId: 'sha256:aaaa1111', step: 'COPY . /app', args: { V: '1' }, files: { 'app/main.c': 'file 644 0:0 sha256:ab12ab12ab', 'app/old': 'file 644 0:0 sha256:00' }, key: 'k', imageId: 'i', created: '', lastUsed: '', usage: 1 };
  assert.equal(
    explainMiss(prev, { parentId: 'sha256:aaaa1111', step: 'COPY . /app', args: { V: '1' }, files: { 'app/main.c': 'file 644 0:0 sha256:cd34cd34cd', 'app/old': 'file 644 0:0 sha256:00' } }),
    'file app/main.c changed (sha256 ab12ab12… → cd34cd34…)',
  );
  assert.equal(explainMiss(prev, { ...prev, args: { V: '2' } }), 'build arg V changed');
  assert.match(explainMiss(prev, { ...prev, parentId: 'sha256:bbbb2222' }), /^parent image changed/);
  assert.match(explainMiss(prev, { ...prev, files: { 'app/main.c': prev.files['app/main.c'] } }), /file app\/old removed/);
});

test('entries persist on disk and are dropped when their image is gone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cache-dir-'));
  try {
    const c = await BuildCache.open(dir);
    const inp = { parentId: 'sha256:p', step: 'RUN x', args: {} };
    await c.put(inp, 'sha256:img');
    const reopened = await BuildCache.open(dir);
    assert.equal((await reopened.lookup(inp, () => true))?.imageId, 'sha256:img');
    assert.equal(reopened.previous({ ...inp, parentId: 'sha256:other' }, () => true)?.imageId, 'sha256:img');
    assert.equal(await reopened.lookup(inp, () => false), undefined);
    assert.equal((await BuildCache.open(dir)).all().length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
