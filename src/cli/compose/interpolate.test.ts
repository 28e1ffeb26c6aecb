import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolate, parseEnvFile } from './interpolate.ts';

const env: Record<string, string> = { A: 'a', EMPTY: '' };
const look = (k: string) => env[k];

test('interpolation forms', () => {
  assert.equal(interpolate('${A}-$A-$$A-$', look), 'a-a-$A-$');
  assert.equal(interpolate('${B:-def}|${EMPTY:-def}|${EMPTY-def}|${B-def}', look), 'def|def||def');
  assert.equal(interpolate('${A:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${B+alt}', look), 'alt||alt|');
  assert.equal(interpolate('${B:-${A}x}', look), 'ax');
  assert.equal(interpolate('${A?err}', look), 'a');
});

test('required variables', () => {
  assert.throws(() => interpolate('${X:?must be set}', look, 'services.web.image'), /services\.web\.image: required variable X is missing a value: must be set/);
  assert.throws(() => interpolate('${EMPTY:?no}', look), /required variable EMPTY is missing a value: no/);
  assert.equal(interpolate('${EMPTY?no}', look), '');
  assert.throws(() => interpolate('${X?}', look), /required variable X is missing a value$/);
  assert.throws(() => interpolate('${A', look), /invalid interpolation format/);
  assert.throws(() => interpolate('${-x}', look), /invalid interpolation format/);
});

test('env files', () => {
  const out = parseEnvFile('# c\nexport A=1\nB="two words"\nC=\'$A lit\'\nD=${A}x # comment\nE\nF=a=b\n', (k) => (k === 'E' ? 'from-env' : undefined));
  assert.deepEqual(out, { A: '1', B: 'two words', C: '$A lit', D: '1x', E: 'from-env', F: 'a=b' });
});
