import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanPath, createIgnoreMatcher, listContext, loadDockerignore, readIgnorePatterns } from './dockerignore.ts';

const check = (text: string, cases: Record<string, boolean>) => {
  const m = createIgnoreMatcher(text);
  for (const [p, excluded] of Object.entries(cases)) assert.equal(m(p), excluded, `${JSON.stringify(text)} on ${p}`);
};

test('Docker documented example: comments, */temp*, */*/temp*, temp?', () => {
  check('# comment\n*/temp*\n*/*/temp*\ntemp?\n', {
    'somedir/temporary.txt': true,
    'somedir/temp': true,
    'somedir/subdir/temporary.txt': true,
    tempa: true,
    tempb: true,
    'temp.txt': false,
    temp: false,
    'a/b/c/temp.txt': false,
    '# comment': false,
  });
});

test('**/*.go matches at any depth, including the root', () => {
  check('**/*.go', { 'main.go': true, 'a/b/c.go': true, 'a/go': false, 'x.gox': false });
});

test('*.md with !README.md; later patterns win', () => {
  check('*.md\n!README.md', { 'a.md': true, 'README.md': false, 'docs/a.md': false });
  check('*.md\n!README*.md\nREADME-secret.md', { 'README.md': false, 'README-x.md': false, 'README-secret.md': true, 'x.md': true });
  check('*.md\nREADME-secret.md\n!README*.md', { 'README-secret.md': false, 'x.md': true });
});

test('a directory pattern excludes everything inside; exceptions re-include', () => {
  check('vendor\n!vendor/keep.txt', { vendor: true, 'vendor/a.txt': true, 'vendor/keep.txt': false, 'vendor/sub/x': true });
  check('build/', { 'build/x/y': true, build: true, buildx: false });
  check('node_modules\n!node_modules/pkg\nnode_modules/pkg/test', {
    'node_modules/a': true,
    'node_modules/pkg/index.js': false,
    'node_modules/pkg/test/t.js': true,
  });
});

test('cleaning: leading slash, ./, .., whitespace, ! with spaces', () => {
  assert.deepEqual(readIgnorePatterns('/abs/path\n./foo/../bar\n  spaced  \n!  /keep\n\n#c\n a/./b/\n'), ['abs/path', 'bar', 'spaced', '!keep', 'a/b']);
  check('/abs', { abs: true, 'abs/x': true, 'x/abs': false });
  assert.equal(cleanPath('a//b/../c/.'), 'a/c');
  assert.equal(cleanPath('../x'), '../x');
  assert.equal(cleanPath('/..'), '/');
});

test('** forms, ? and classes never cross /', () => {
  check('**', { a: true, 'a/b': true });
  check('foo/**', { 'foo/x': true, 'foo/x/y': true, foo: false });
  check('a/**/b', { 'a/b': true, 'a/x/b': true, 'a/x/y/b': true, 'a/xb': false });
  check('**/foo', { foo: true, 'x/foo': true, 'x/foo/y': true, xfoo: false });
  check('a?c', { abc: true, 'a/c': false });
  check('[a-c]x', { ax: true, bx: true, dx: false });
  check('[^a]x', { ax: false, bx: true });
  check('a*', { abc: true, 'a/b': true, 'b/a': false });
  check('*', { anything: true, 'a/b': true });
  check('x.y', { 'x.y': true, xzy: false });
  check('\\*', { '*': true, a: false });
});

test('invalid patterns are errors', () => {
  assert.throws(() => createIgnoreMatcher('!'), /illegal exclusion pattern: "!"/);
  assert.throws(() => createIgnoreMatcher('[a'), /syntax error in pattern/);
  assert.throws(() => createIgnoreMatcher('a\\'), /syntax error in pattern/);
});

test('walkContext keeps re-included files inside excluded dirs and skips dirs it can', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'berth-ignore-'));
  try {
    for (const f of ['a.md', 'README.md', 'src/main.go', 'src/x.txt', 'vendor/keep.txt', 'vendor/drop.txt', 'vendor/deep/keep.txt', 'tmp/junk', 'Dockerfile']) {
      await mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await writeFile(path.join(root, f), f);
    }
    await writeFile(path.join(root, '.dockerignore'), '*.md\n!README.md\nvendor\n!vendor/keep.txt\n!**/deep/keep.txt\ntmp\n');
    const ign = await loadDockerignore(root);
    assert.ok(ign);
    const entries = await listContext(root, createIgnoreMatcher(ign.text));
    assert.deepEqual(
      entries.map((e) => e.path + (e.type === 'dir' ? '/' : '')),
      ['.dockerignore', 'Dockerfile', 'README.md', 'src/', 'src/main.go', 'src/x.txt', 'vendor/deep/keep.txt', 'vendor/keep.txt'],
    );
    // <Dockerfile>.dockerignore next to a custom Dockerfile wins over the context's .dockerignore
    await mkdir(path.join(root, 'build'));
    await writeFile(path.join(root, 'build/app.Dockerfile'), 'FROM scratch\n');
    await writeFile(path.join(root, 'build/app.Dockerfile.dockerignore'), 'src\n');
    assert.equal((await loadDockerignore(root, 'build/app.Dockerfile'))?.text, 'src\n');
    assert.equal((await loadDockerignore(root, 'Dockerfile'))?.path, path.join(root, '.dockerignore'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
