import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmallFileReader } from './small-file-reader.ts';

test('batched reads return fresh contents; missing files are null', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sfr-'));
  const r = new SmallFileReader();
  try {
    await writeFile(join(dir, 'a'), 'one');
    const [a, missing, stat] = await Promise.all([r.read(join(dir, 'a')), r.read(join(dir, 'nope')), r.read('/proc/self/stat')]);
    assert.equal(a, 'one');
    assert.equal(missing, null);
    assert.match(stat!, /^\d+ /);
    // The descriptor is cached; a rewrite in place is seen on the next read.
    await writeFile(join(dir, 'a'), 'two!');
    assert.equal(await r.read(join(dir, 'a')), 'two!');
    const big = 'x'.repeat(200_000);
    await writeFile(join(dir, 'big'), big);
    assert.equal((await r.read(join(dir, 'big')))!.length, big.length);
  } finally {
    r.close();
    await rm(dir, { recursive: true, force: true });
  }
});
