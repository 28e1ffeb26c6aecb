import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIgnoreMatcher } from '../spec/dockerignore.ts';
import { checkMultiSource, cleanSource, collectSource, expandSource, matchComponent, resolveDest, targetFor } from './copy-plan.ts';

async function fixture(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'copy-plan-'));
  await mkdir(join(root, 'src/lib'), { recursive: true });
  await writeFile(join(root, 'src/main.c'), 'main');
  await writeFile(join(root, 'src/lib/util.c'), 'util');
  await writeFile(join(root, 'a.txt'), 'a');
  await writeFile(join(root, 'b.txt'), 'b');
  await writeFile(join(root, 'c.md'), 'c');
  return root;
}

test('Go filepath.Match per component', () => {
  assert.ok(matchComponent('*.txt', 'a.txt'));
  assert.ok(!matchComponent('*.txt', 'a.md'));
  assert.ok(matchComponent('?.txt', 'b.txt'));
  assert.ok(matchComponent('[ab].txt', 'a.txt'));
  assert.ok(!matchComponent('[^ab].txt', 'a.txt'));
  assert.ok(matchComponent('\\*', '*'));
});

test('destination rules: trailing slash is a dir, relative to WORKDIR', () => {
  assert.deepEqual(resolveDest('/app/', '/'), { path: '/app', isDir: true });
  assert.deepEqual(resolveDest('app', '/work'), { path: '/work/app', isDir: false });
  assert.deepEqual(resolveDest('.', '/work'), { path: '/work', isDir: true });
  assert.deepEqual(resolveDest('./', '/work'), { path: '/work', isDir: true });
  // a file into a dir keeps its name; into a file path takes that name; a dir copies its contents
  assert.equal(targetFor({ rel: 'src/main.c', isDir: false }, { path: '/app', isDir: true }), '/app/main.c');
  assert.equal(targetFor({ rel: 'src/main.c', isDir: false }, { path: '/app/x.c', isDir: false }), '/app/x.c');
  assert.equal(targetFor({ rel: 'src', isDir: true }, { path: '/app', isDir: false }), '/app');
  assert.throws(() => checkMultiSource('COPY', 2, { isDir: false }), /must be a directory and end with a \//);
  checkMultiSource('COPY', 2, { isDir: true });
  assert.throws(() => cleanSource('../etc/passwd'), /outside the build context/);
  assert.equal(cleanSource('./src/../src/'), 'src');
});

test('wildcards expand within a component; .dockerignore hides; missing source errors', async () => {
  const root = await fixture();
  try {
    assert.deepEqual((await expandSource(root, '*.txt')).map((m) => m.rel), ['a.txt', 'b.txt']);
    assert.deepEqual((await expandSource(root, 'src/*.c')).map((m) => m.rel), ['src/main.c']);
    const ignore = createIgnoreMatcher('b.txt\n');
    assert.deepEqual((await expandSource(root, '*.txt', { ignore })).map((m) => m.rel), ['a.txt']);
    await assert.rejects(expandSource(root, 'b.txt', { ignore }), /file not found in build context or excluded by .dockerignore/);
    await assert.rejects(expandSource(root, 'nope'), /file not found/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a directory source copies its contents, owners forced for context files, chmod applied', async () => {
  const root = await fixture();
  try {
    const items = await collectSource(root, { rel: 'src', isDir: true }, '/app', { owner: { uid: 0, gid: 0 } });
    assert.deepEqual(items.map((i) => `${i.type} ${i.dest} ${i.uid}:${i.gid}`), ['dir app/lib 0:0', 'file app/lib/util.c 0:0', 'file app/main.c 0:0']);
    const modes = await collectSource(root, { rel: 'a.txt', isDir: false }, '/x/a.txt', { mode: 0o600 });
    assert.equal(modes[0]!.mode, 0o600);
    assert.match(modes[0]!.digest, /^sha256:[0-9a-f]{64}$/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
