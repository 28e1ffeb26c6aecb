import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { contextTar, isExcluded, parseDockerignore } from './context-tar.ts';

test('dockerignore patterns', () => {
  const p = parseDockerignore('# c\n*.log\n!keep.log\nnode_modules\n**/tmp\n/build/\n');
  assert.equal(isExcluded('a.log', p), true);
  assert.equal(isExcluded('keep.log', p), false);
  assert.equal(isExcluded('node_modules/x/y', p), true);
  assert.equal(isExcluded('deep/er/tmp', p), true);
  assert.equal(isExcluded('build/out', p), true);
  assert.equal(isExcluded('src/a.ts', p), false);
});

test('context tar applies .dockerignore and keeps the Dockerfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctx-'));
  try {
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM x\n');
    writeFileSync(join(dir, '.dockerignore'), 'Dockerfile\n*.secret\n');
    writeFileSync(join(dir, 'src', 'a.txt'), 'a');
    writeFileSync(join(dir, 'k.secret'), 's');
    writeFileSync(join(dir, `${'n'.repeat(120)}.txt`), 'long');
    const tar = contextTar(dir, ['Dockerfile', '.dockerignore']);
    const list = execFileSync('tar', ['-t'], { input: tar }).toString().trim().split('\n').sort();
    assert.deepEqual(list, ['.dockerignore', 'Dockerfile', `${'n'.repeat(120)}.txt`, 'src/', 'src/a.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
