import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseK8sLine } from './k8s-file.ts';

test('parses a full stdout line, adding back the newline', () => {
  const e = parseK8sLine('2026-11-23T17:07:55.052683789+00:00 stdout F hello world\n');
  assert.ok(e);
  assert.equal(e.stream, 'stdout');
  assert.equal(e.data.toString(), 'hello world\n');
  assert.equal(e.time, '2026-11-23T17:07:55.052683789Z');
  assert.equal(e.timeNs, 1795453675052683789n);
});

test('parses a partial stderr chunk without a newline and converts the offset to UTC', () => {
  const e = parseK8sLine(Buffer.from('2026-11-23T18:07:55.5+01:00 stderr P no newline yet'));
  assert.ok(e);
  assert.equal(e.stream, 'stderr');
  assert.equal(e.data.toString(), 'no newline yet');
  assert.equal(e.time, '2026-11-23T17:07:55.5Z');
});

test('keeps spaces and arbitrary bytes of the text, and empty texts', () => {
  const raw = Buffer.concat([Buffer.from('2026-11-23T17:07:55Z stdout F  a  b '), Buffer.from([0xff, 0xfe])]);
  assert.deepEqual(parseK8sLine(raw)?.data, Buffer.concat([Buffer.from(' a  b '), Buffer.from([0xff, 0xfe, 0x0a])]));
  assert.equal(parseK8sLine('2026-11-23T17:07:55Z stdout F ')?.data.toString(), '\n');
  assert.equal(parseK8sLine('2026-11-23T17:07:55Z stdout F')?.data.toString(), '\n');
  assert.equal(parseK8sLine('2026-11-23T17:07:55Z stdout F:x tagged')?.data.toString(), 'tagged\n');
});

test('malformed lines give null', () => {
  for (const bad of [
    '',
    '\n',
    'hello',
    '2026-11-23T17:07:55Z stdout',
    '2026-11-23T17:07:55Z stdin F x',
    '2026-11-23T17:07:55Z stdout X x',
    'not-a-time stdout F x',
    '2026-11-23T17:07:55 stdout F x',
    ' 2026-11-23T17:07:55Z stdout F x',
  ]) {
    assert.equal(parseK8sLine(bad), null, JSON.stringify(bad));
  }
});
