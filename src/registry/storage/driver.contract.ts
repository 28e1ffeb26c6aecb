// The storage-driver contract: every StorageDriver implementation runs this suite (fs-driver.test.ts,
// memory-driver.test.ts). It pins down what the registry relies on: missing paths, offsets, append, atomic replace,
// listing, move and recursive delete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StorageDriver } from './driver.ts';
import { StorageError, isPathNotFound, readAll } from './driver.ts';

async function rejectsCode(p: Promise<unknown>, code: StorageError['code']): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof StorageError && e.code === code);
}

export function driverContract(name: string, make: () => Promise<{ driver: StorageDriver; cleanup(): Promise<void> }>) {
  describe(`storage driver contract: ${name}`, () => {
    const withDriver = (fn: (d: StorageDriver) => Promise<void>) => async () => {
      const { driver, cleanup } = await make();
      try {
        await fn(driver);
      } finally {
        await cleanup();
      }
    };

    it('put/get content, replace, stat', withDriver(async (d) => {
      await d.putContent('/a/b/c', 'hello');
      assert.equal((await d.getContent('/a/b/c')).toString(), 'hello');
      await d.putContent('/a/b/c', 'bye');
      assert.equal((await d.getContent('/a/b/c')).toString(), 'bye');
      const st = await d.stat('/a/b/c');
      assert.equal(st.size, 3);
      assert.equal(st.isDir, false);
      assert.ok(st.modTime instanceof Date);
      assert.equal((await d.stat('/a/b')).isDir, true);
      await d.putContent('/empty', new Uint8Array(0));
      assert.equal((await d.getContent('/empty')).length, 0);
    }));

    it('missing paths are PathNotFound everywhere', withDriver(async (d) => {
      await rejectsCode(d.getContent('/nope'), 'path_not_found');
      await rejectsCode(d.reader('/nope'), 'path_not_found');
      await rejectsCode(d.stat('/nope'), 'path_not_found');
      await rejectsCode(d.list('/nope'), 'path_not_found');
      await rejectsCode(d.move('/nope', '/x'), 'path_not_found');
      await rejectsCode(d.delete('/nope'), 'path_not_found');
      assert.ok(isPathNotFound(new StorageError('path_not_found', '/x')));
    }));

    it('rejects paths that could escape', withDriver(async (d) => {
      for (const p of ['relative', '/a/../b', '/a//b', '/a/./b', '/a b', '/a/']) {
        await rejectsCode(d.putContent(p, 'x'), 'invalid_path');
      }
    }));

    it('reader honours offset and length', withDriver(async (d) => {
      await d.putContent('/f', '0123456789');
      assert.equal((await readAll(await d.reader('/f'))).toString(), '0123456789');
      assert.equal((await readAll(await d.reader('/f', 4))).toString(), '456789');
      assert.equal((await readAll(await d.reader('/f', 2, 3))).toString(), '234');
      assert.equal((await readAll(await d.reader('/f', 8, 100))).toString(), '89');
      assert.equal((await readAll(await d.reader('/f', 10))).length, 0);
      await rejectsCode(d.reader('/f', 11), 'invalid_offset');
    }));

    it('writer streams, appends and truncates', withDriver(async (d) => {
      const w = await d.writer('/up/data');
      await w.write(Buffer.from('abc'));
      await w.write(Buffer.from('def'));
      assert.equal(w.size, 6);
      await w.close();
      assert.equal((await d.stat('/up/data')).size, 6);
      const a = await d.writer('/up/data', { append: true });
      assert.equal(a.size, 6);
      await a.write(Buffer.from('gh'));
      assert.equal(a.size, 8);
      await a.close();
      assert.equal((await d.getContent('/up/data')).toString(), 'abcdefgh');
      const t = await d.writer('/up/data');
      assert.equal(t.size, 0);
      await t.write(Buffer.from('z'));
      await t.close();
      assert.equal((await d.getContent('/up/data')).toString(), 'z');
      const n = await d.writer('/new/file', { append: true });
      assert.equal(n.size, 0);
      await n.close();
      assert.equal((await d.stat('/new/file')).size, 0);
    }));

    it('bytes written before a close without more data stay (resumable uploads)', withDriver(async (d) => {
      const w = await d.writer('/u/data');
      await w.write(Buffer.alloc(1000, 1));
      assert.equal((await d.stat('/u/data')).size, 1000);
      await w.close();
      const w2 = await d.writer('/u/data', { append: true });
      assert.equal(w2.size, 1000);
      await w2.close();
    }));

    it('list gives immediate children, sorted, as full paths', withDriver(async (d) => {
      await d.putContent('/r/b/x', '1');
      await d.putContent('/r/a', '2');
      await d.putContent('/r/b/y/z', '3');
      assert.deepEqual(await d.list('/r'), ['/r/a', '/r/b']);
      assert.deepEqual(await d.list('/r/b'), ['/r/b/x', '/r/b/y']);
      assert.deepEqual(await d.list('/'), ['/r']);
    }));

    it('move renames and replaces, creating parents', withDriver(async (d) => {
      await d.putContent('/src/data', 'payload');
      await d.move('/src/data', '/dst/deep/data');
      await rejectsCode(d.stat('/src/data'), 'path_not_found');
      assert.equal((await d.getContent('/dst/deep/data')).toString(), 'payload');
      await d.putContent('/other', 'new');
      await d.move('/other', '/dst/deep/data');
      assert.equal((await d.getContent('/dst/deep/data')).toString(), 'new');
    }));

    it('delete removes files and whole trees', withDriver(async (d) => {
      await d.putContent('/t/1', 'a');
      await d.putContent('/t/s/2', 'b');
      await d.putContent('/keep', 'c');
      await d.delete('/t/1');
      await rejectsCode(d.stat('/t/1'), 'path_not_found');
      await d.delete('/t');
      await rejectsCode(d.list('/t'), 'path_not_found');
      await rejectsCode(d.stat('/t/s/2'), 'path_not_found');
      assert.equal((await d.getContent('/keep')).toString(), 'c');
      await rejectsCode(d.delete('/'), 'invalid_path');
    }));

    it('larger streamed content round-trips', withDriver(async (d) => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 7);
      for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
      const w = await d.writer('/big');
      for (let off = 0; off < big.length; off += 65536) await w.write(big.subarray(off, off + 65536));
      await w.close();
      const back = await readAll(await d.reader('/big'));
      assert.ok(back.equals(big));
    }));
  });
}
