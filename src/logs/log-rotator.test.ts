import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { removeLogFiles, rotateIfNeeded } from './log-rotator.ts';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-rotator-'));
  path = join(dir, 'ctr.log');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function counter(onCall?: () => Promise<void>) {
  const c = {
    calls: 0,
    reopen: async () => {
      c.calls++;
      await onCall?.();
    },
  };
  return c;
}

test('does nothing below maxSize or without a file', async () => {
  const c = counter();
  assert.equal(await rotateIfNeeded({ path, maxSize: 10, maxFiles: 3, reopen: c.reopen }), false);
  await writeFile(path, '123456789');
  assert.equal(await rotateIfNeeded({ path, maxSize: 10, maxFiles: 3, reopen: c.reopen }), false);
  assert.equal(c.calls, 0);
  assert.deepEqual(await readdir(dir), ['ctr.log']);
});

test('shifts files, reopens once and deletes beyond maxFiles', async () => {
  await writeFile(path, 'live-0123456789');
  await writeFile(`${path}.1`, 'one');
  await writeFile(`${path}.2`, 'two');
  await writeFile(`${path}.5`, 'stale, from a larger max-file');
  await writeFile(join(dir, 'ctr.log.bak'), 'not ours');
  // The writer reopens by creating a fresh live file, as conmon does.
  const c = counter(() => writeFile(path, ''));
  assert.equal(await rotateIfNeeded({ path, maxSize: 10, maxFiles: 3, reopen: c.reopen }), true);
  assert.equal(c.calls, 1);
  assert.deepEqual((await readdir(dir)).sort(), ['ctr.log', 'ctr.log.1', 'ctr.log.2', 'ctr.log.bak']);
  assert.equal(await readFile(`${path}.1`, 'utf8'), 'live-0123456789');
  assert.equal(await readFile(`${path}.2`, 'utf8'), 'one');
  assert.equal(await readFile(path, 'utf8'), '');
});

test('concurrent calls for one path rotate once', async () => {
  await writeFile(path, 'x'.repeat(20));
  const c = counter(() => writeFile(path, ''));
  const results = await Promise.all([1, 2, 3].map(() => rotateIfNeeded({ path, maxSize: 10, maxFiles: 2, reopen: c.reopen })));
  assert.deepEqual(results, [true, true, true]);
  assert.equal(c.calls, 1);
  assert.deepEqual((await readdir(dir)).sort(), ['ctr.log', 'ctr.log.1']);
});

test('maxFiles 1 keeps no history', async () => {
  await writeFile(path, 'x'.repeat(20));
  await writeFile(`${path}.1`, 'old');
  const c = counter(() => writeFile(path, ''));
  assert.equal(await rotateIfNeeded({ path, maxSize: 10, maxFiles: 1, reopen: c.reopen }), true);
  assert.equal(c.calls, 1);
  assert.deepEqual(await readdir(dir), ['ctr.log']);
});

test('removeLogFiles removes the live file and rotated siblings only', async () => {
  await writeFile(path, 'a');
  await writeFile(`${path}.1`, 'b');
  await writeFile(`${path}.7`, 'c');
  await writeFile(join(dir, 'other'), 'd');
  await removeLogFiles(path);
  assert.deepEqual(await readdir(dir), ['other']);
});
