import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateName } from './names.ts';

test('generated names have the adjective_surname shape and skip boring_wozniak', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const name = generateName();
    assert.match(name, /^[a-z]+_[a-z]+$/);
    assert.notEqual(name, 'boring_wozniak');
    seen.add(name);
  }
  assert.ok(seen.size > 5000, 'names vary');
});

test('a retry appends one digit', () => {
  for (let i = 0; i < 200; i++) {
    const name = generateName(1);
    assert.match(name, /^[a-z]+_[a-z]+\d$/);
    assert.ok(!name.startsWith('boring_wozniak'));
  }
});
