import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../base/errors.ts';
import { parseBind, parseMountSpec } from './container-mounts.ts';

test('parseBind: binds, named and anonymous volumes, modes', () => {
  assert.deepEqual(parseBind('/host/dir/:/ctr:ro'), {
    Type: 'bind', Source: '/host/dir/', Destination: '/ctr', Mode: 'ro', RW: false, Propagation: 'rprivate', CreateHostPath: true,
  });
  assert.equal(parseBind('/h:/c:rshared,z').Propagation, 'rshared');
  assert.deepEqual(parseBind('data:/var/lib/x/'), {
    Type: 'volume', Name: 'data', Source: '', Destination: '/var/lib/x', Driver: 'local', Mode: 'z', RW: true, Propagation: '', CopyData: true,
  });
  assert.equal(parseBind('data:/x:nocopy').CopyData, false);
  const anon = parseBind('/only');
  assert.equal(anon.Type, 'volume');
  assert.equal(anon.Name, undefined);
  assert.equal(parseBind('/only:ro').RW, false);
});

test('parseBind: docker errors', () => {
  const err = (raw: string, re: RegExp) =>
    assert.throws(() => parseBind(raw), (e) => isBerthError(e, 'invalid_argument') && re.test(e.message), raw);
  err('x/y:/d', /^create x\/y: "x\/y" includes invalid characters for a local volume name/);
  err('v:rel', /invalid mount path: 'rel' mount path must be absolute/);
  err('v:/', /destination can't be '\/'/);
  err('v:/d:bogus', /^invalid volume specification: 'v:\/d:bogus': invalid mode: bogus$/);
  err('/a:/b:ro,rw', /invalid mode: ro,rw/);
  err('a:b:c:d', /^invalid volume specification: 'a:b:c:d'$/);
});

test('parseMountSpec: bind, volume, tmpfs', () => {
  assert.deepEqual(parseMountSpec({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 } }), {
    Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '', TmpfsOptions: ['size=1048576', 'mode=1777'],
  });
  const v = parseMountSpec({ Type: 'volume', Source: 'v1', Target: '/v', ReadOnly: true, VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } });
  assert.equal(v.RW, false);
  assert.equal(v.CopyData, false);
  assert.deepEqual(v.volumeOptions?.Labels, { a: 'b' });
  assert.equal(parseMountSpec({ Type: 'bind', Source: '/s', Target: '/t' }).Propagation, 'rprivate');
  assert.throws(() => parseMountSpec({ Type: 'tmpfs', Source: 'x', Target: '/t' }), /field Source must not be specified/);
  assert.throws(() => parseMountSpec({ Type: 'bind', Target: '/t' }), /field Source must not be empty/);
  assert.throws(() => parseMountSpec({ Type: 'volume', Target: '' }), /field Target must not be empty/);
  assert.throws(() => parseMountSpec({ Type: 'npipe', Target: '/t' }), /mount type unknown/);
});
