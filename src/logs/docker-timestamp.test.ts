import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../base/errors.ts';
import { formatDockerTime, parseDockerTime, parseGoDuration, parseRfc3339Nano } from './docker-timestamp.ts';

const S = 1_000_000_000n;

test('formatDockerTime trims the fraction like Go RFC3339Nano', () => {
  assert.equal(formatDockerTime(1795453675052683789n), '2026-11-23T17:07:55.052683789Z');
  assert.equal(formatDockerTime(1795453675050000000n), '2026-11-23T17:07:55.05Z');
  assert.equal(formatDockerTime(1795453675n * S), '2026-11-23T17:07:55Z');
  assert.equal(formatDockerTime(-1n), '1969-12-31T23:59:59.999999999Z');
});

test('parseRfc3339Nano honours the numeric offset and requires a zone and seconds', () => {
  assert.equal(parseRfc3339Nano('2026-11-23T17:07:55.052683789+00:00'), 1795453675052683789n);
  assert.equal(parseRfc3339Nano('2026-11-23T18:07:55.052683789+01:00'), 1795453675052683789n);
  assert.equal(parseRfc3339Nano('2026-11-23T12:37:55.5-04:30'), 1795453675500000000n);
  assert.equal(parseRfc3339Nano('2026-11-23T17:07:55Z'), 1795453675n * S);
  assert.equal(parseRfc3339Nano('2026-11-23T17:07:55'), null);
  assert.equal(parseRfc3339Nano('2026-11-23T17:07Z'), null);
  assert.equal(parseRfc3339Nano('2026-02-30T17:07:55Z'), null);
  assert.equal(parseRfc3339Nano('garbage'), null);
});

test('parseGoDuration', () => {
  assert.equal(parseGoDuration('1h30m'), 5400n * S);
  assert.equal(parseGoDuration('1.5s'), 1500000000n);
  assert.equal(parseGoDuration('-10m'), -600n * S);
  assert.equal(parseGoDuration('250ms'), 250000000n);
  assert.equal(parseGoDuration('10'), null);
  assert.equal(parseGoDuration('h'), null);
});

test('parseDockerTime accepts unix seconds with fraction', () => {
  assert.equal(parseDockerTime('1700000000'), 1700000000n * S);
  assert.equal(parseDockerTime('1700000000.5'), 1700000000500000000n);
  assert.equal(parseDockerTime('1700000000.000000001'), 1700000000000000001n);
  assert.equal(parseDockerTime('0'), 0n);
});

test('parseDockerTime accepts RFC3339 and RFC3339Nano', () => {
  assert.equal(parseDockerTime('2026-11-23T17:07:55Z'), 1795453675n * S);
  assert.equal(parseDockerTime('2026-11-23T17:07:55.052683789Z'), 1795453675052683789n);
  assert.equal(parseDockerTime('2026-11-23T19:07:55.1+02:00'), 1795453675100000000n);
});

test('parseDockerTime reads zone-less values as local time', () => {
  const local = (...a: [number, number, number, number?, number?, number?]) =>
    BigInt(new Date(a[0], a[1], a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0).getTime()) * 1_000_000n;
  assert.equal(parseDockerTime('2026-11-23'), local(2026, 10, 23));
  assert.equal(parseDockerTime('2026-11-23T17'), local(2026, 10, 23, 17));
  assert.equal(parseDockerTime('2026-11-23T17:07'), local(2026, 10, 23, 17, 7));
  assert.equal(parseDockerTime('2026-11-23T17:07:55'), local(2026, 10, 23, 17, 7, 55));
  assert.equal(parseDockerTime('2026-11-23T17:07:55.25'), local(2026, 10, 23, 17, 7, 55) + 250_000_000n);
});

test('parseDockerTime treats durations as now minus duration, in whole seconds', () => {
  const now = new Date(Date.UTC(2026, 10, 23, 17, 7, 55, 750));
  const nowSec = BigInt(Date.UTC(2026, 10, 23, 17, 7, 55)) / 1000n;
  assert.equal(parseDockerTime('10m', now), (nowSec - 600n) * S);
  assert.equal(parseDockerTime('1h30m', now), (nowSec - 5400n) * S);
  assert.equal(parseDockerTime('42s', now), (nowSec - 42n) * S);
});

test('parseDockerTime rejects garbage with an invalid-argument error naming the field', () => {
  for (const bad of ['yesterday', '2026-13-01', '10x', '', '1.2.3']) {
    assert.throws(
      () => parseDockerTime(bad, new Date(), 'until'),
      (e: unknown) => isBerthError(e, 'invalid_argument') && e.message.startsWith('invalid value for "until"'),
      bad,
    );
  }
  assert.throws(() => parseDockerTime('nope'), /invalid value for "since"/);
});
