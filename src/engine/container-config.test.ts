import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeConfig, mergeEnv, normalizeCreateBody, parseSignal, validateHostConfig, validateName } from './container-config.ts';

test('names follow Docker rules', () => {
  assert.equal(validateName('/web-1'), 'web-1');
  assert.throws(() => validateName('a'), /Invalid container name \(a\)/);
  assert.throws(() => validateName('-x'), /only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
});

test('env merge: container overrides image by key, bare keys drop', () => {
  assert.deepEqual(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'B=3', 'PATH']), ['A=2', 'B=3']);
});

test('entrypoint at create discards the image Cmd; Cmd alone keeps the image entrypoint', () => {
  const image = { Entrypoint: ['/init'], Cmd: ['serve'] };
  assert.deepEqual(mergeConfig({ Image: 'x', Entrypoint: ['sh'] }, image).Cmd, null);
  const c = mergeConfig({ Image: 'x', Cmd: ['other'] }, image);
  assert.deepEqual([c.Entrypoint, c.Cmd], [['/init'], ['other']]);
  assert.deepEqual(mergeConfig({ Image: 'x' }, image).Cmd, ['serve']);
});

test('signals: names, numbers, SIG prefix; junk refused', () => {
  assert.equal(parseSignal('SIGTERM'), 'TERM');
  assert.equal(parseSignal('9'), 'KILL');
  assert.equal(parseSignal('rtmin+2'), '36');
  assert.throws(() => parseSignal('SIGNOPE'), /Invalid signal/);
});

test('host config: restart policy and limits validated like dockerd', () => {
  assert.throws(() => validateHostConfig({ AutoRemove: true, RestartPolicy: { Name: 'always' } }), /AutoRemove/);
  assert.throws(() => validateHostConfig({ RestartPolicy: { Name: 'sometimes' as 'always' } }), /invalid restart policy/);
  assert.throws(() => validateHostConfig({ Memory: 1024 }), /Minimum memory limit allowed is 6MB/);
});

test('create body shapes: wrong types are 400s, StrSlice strings become lists', () => {
  const b: Record<string, unknown> = { Image: 'busybox', Cmd: 'true', Entrypoint: 'sh' };
  normalizeCreateBody(b);
  assert.deepEqual([b.Cmd, b.Entrypoint], [['true'], ['sh']]);
  assert.throws(() => normalizeCreateBody({ Image: 5 }), /cannot unmarshal number into Go struct field Config.Image of type string/);
  assert.throws(() => normalizeCreateBody({ Image: 'x', Env: 'A=1' }), /Config.Env of type \[\]string/);
  assert.throws(() => normalizeCreateBody({ Image: 'x', HostConfig: { Memory: '1g' } }), /HostConfig.Memory of type int64/);
  assert.throws(() => normalizeCreateBody({ Image: 'x', Labels: { a: 1 } }), /Labels/);
});
