import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../base/errors.ts';
import {
  CAPABILITIES,
  DEFAULT_CAPABILITIES,
  capMaskToNames,
  capNamesToMask,
  capabilityNumber,
  intersectWithBounding,
  normalizeCapabilities,
  tweakCapabilities,
} from './capabilities.ts';

test('kernel numbering of a few capabilities', () => {
  assert.equal(CAPABILITIES.length, 41);
  assert.equal(capabilityNumber('CAP_CHOWN'), 0);
  assert.equal(capabilityNumber('CAP_SYS_ADMIN'), 21);
  assert.equal(capabilityNumber('CAP_SYS_RESOURCE'), 24);
  assert.equal(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40);
});

test("Docker's default set is the classic a80425fb mask", () => {
  assert.equal(capNamesToMask(DEFAULT_CAPABILITIES), 0xa80425fbn);
  assert.deepEqual(new Set(capMaskToNames(0xa80425fbn)), new Set(DEFAULT_CAPABILITIES));
});

test('normalize accepts any case, with or without CAP_, and ALL', () => {
  assert.deepEqual(normalizeCapabilities(['net_admin', 'CAP_sys_time', 'all']), ['CAP_NET_ADMIN', 'CAP_SYS_TIME', 'ALL']);
});

test('unknown capability is invalid_argument with Docker message', () => {
  assert.throws(
    () => normalizeCapabilities(['FOO']),
    (e) => isBerthError(e, 'invalid_argument') && e.message === 'unknown capability: "CAP_FOO"',
  );
});

test('tweak: no changes gives defaults in Docker order', () => {
  assert.deepEqual(tweakCapabilities({}), [...DEFAULT_CAPABILITIES]);
});

test('tweak: drop then add appended', () => {
  const caps = tweakCapabilities({ add: ['NET_ADMIN'], drop: ['chown', 'CAP_KILL'] });
  assert.ok(!caps.includes('CAP_CHOWN'));
  assert.ok(!caps.includes('CAP_KILL'));
  assert.equal(caps.at(-1), 'CAP_NET_ADMIN');
  assert.equal(caps.length, DEFAULT_CAPABILITIES.length - 1);
});

test('tweak: add ALL minus drops; drop ALL keeps only adds; privileged is everything', () => {
  const all = tweakCapabilities({ add: ['ALL'], drop: ['SYS_ADMIN'] });
  assert.equal(all.length, CAPABILITIES.length - 1);
  assert.ok(!all.includes('CAP_SYS_ADMIN'));
  assert.deepEqual(tweakCapabilities({ add: ['NET_BIND_SERVICE'], drop: ['ALL'] }), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(tweakCapabilities({ privileged: true, drop: ['CHOWN'] }), [...CAPABILITIES]);
});

test('intersect with a bounding set lacking CAP_SYS_RESOURCE (this host: 000001fffeffffff)', () => {
  const bnd = 0x1fffeffffffn;
  const kept = intersectWithBounding(CAPABILITIES, bnd);
  assert.equal(kept.length, 40);
  assert.ok(!kept.includes('CAP_SYS_RESOURCE'));
  assert.deepEqual(intersectWithBounding(['CAP_CHOWN', 'CAP_SYS_RESOURCE'], bnd), ['CAP_CHOWN']);
  // caps the kernel does not have (above cap_last_cap) drop out too
  assert.deepEqual(intersectWithBounding(['CAP_BPF', 'CAP_KILL'], 0xffn), ['CAP_KILL']);
});
