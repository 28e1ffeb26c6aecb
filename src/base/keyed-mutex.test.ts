import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from './keyed-mutex.ts';

test('runs operations on one key one at a time, in order', async () => {
  const m = new KeyedMutex();
  const log: string[] = [];
  const slow = (tag: string, ms: number) => async () => {
    log.push(`start ${tag}`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`end ${tag}`);
  };
  await Promise.all([m.run('a', slow('1', 20)), m.run('a', slow('2', 1)), m.run('b', slow('3', 1))]);
  assert.deepEqual(log.slice(0, 2), ['start 1', 'start 3']);
  assert.ok(log.indexOf('end 1') < log.indexOf('start 2'));
});

test('a failed operation does not block the next one', async () => {
  const m = new KeyedMutex();
  await assert.rejects(m.run('a', async () => { throw new Error('x'); }));
  assert.equal(await m.run('a', async () => 7), 7);
});
