import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../base/errors.ts';
import { parseSize } from './log-size.ts';

test('parseSize uses binary multiples and Docker spellings', () => {
  assert.equal(parseSize('100'), 100);
  assert.equal(parseSize('100b'), 100);
  assert.equal(parseSize('512k'), 512 * 1024);
  assert.equal(parseSize('10m'), 10 * 1024 * 1024);
  assert.equal(parseSize('10MB'), 10 * 1024 * 1024);
  assert.equal(parseSize('10MiB'), 10 * 1024 * 1024);
  assert.equal(parseSize('1g'), 1024 ** 3);
  assert.equal(parseSize('1.5k'), 1536);
  assert.equal(parseSize('2 KB'), 2048);
});

test('parseSize rejects garbage', () => {
  for (const bad of ['', 'm', '-1m', '10x', '1e3', '10mm']) {
    assert.throws(() => parseSize(bad), (e: unknown) => isBerthError(e, 'invalid_argument'), bad);
  }
});
