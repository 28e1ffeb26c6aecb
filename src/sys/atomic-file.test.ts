import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readJson, writeFileAtomic } from './atomic-file.ts';

describe('atomic files', () => {
  it('writes, replaces, and reads JSON; missing is undefined', async () => {
    const dir = await mkdtemp('/var/tmp/berth-atomic-test-');
    try {
      const p = join(dir, 'a.json');
      assert.equal(await readJson(p), undefined);
      await writeFileAtomic(p, JSON.stringify({ v: 1 }));
      await writeFileAtomic(p, JSON.stringify({ v: 2 }), { mode: 0o600 });
      assert.deepEqual(await readJson(p), { v: 2 });
      assert.equal((await stat(p)).mode & 0o777, 0o600);
      assert.deepEqual(await readdir(dir), ['a.json']);
      await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x'), 'x'), { code: 'ENOENT' });
      assert.equal(await readFile(p, 'utf8'), '{"v":2}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
