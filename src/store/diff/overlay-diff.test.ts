import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerTarChunks } from './layer-tar.ts';
import { overlayDiff } from './overlay-diff.ts';
import { entryChecker } from './safe-extract.ts';

const root = process.getuid?.() === 0;

test('overlay upper dir → Docker changes and an OCI layer tar with whiteouts', { skip: !root && 'mknod and trusted xattrs need root' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ovl-diff-'));
  try {
    const lower = join(dir, 'lower');
    const upper = join(dir, 'upper');
    for (const p of ['etc', 'x/sub', 'tmp', 'proc']) await mkdir(join(lower, p), { recursive: true });
    await writeFile(join(lower, 'etc/passwd'), 'root\n');
    await writeFile(join(lower, 'etc/group'), 'root\n');
    await writeFile(join(lower, 'x/old'), 'o');
    await writeFile(join(lower, 'tmp/y'), 'y');
    for (const p of ['etc', 'x', 'tmp', 'dev']) await mkdir(join(upper, p), { recursive: true });
    await writeFile(join(upper, 'etc/passwd'), 'root\nme\n');
    await writeFile(join(upper, 'etc/new'), 'n');
    await writeFile(join(upper, 'etc/hosts'), ''); // runtime placeholder
    await writeFile(join(upper, 'x/new'), '');
    spawnSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(upper, 'x')]);
    spawnSync('mknod', [join(upper, 'tmp/y'), 'c', '0', '0']);
    const d = await overlayDiff(upper, [lower]);
    assert.deepEqual(d.changes.map((c) => `${'CAD'[c.Kind]} ${c.Path}`), [
      'C /etc', 'A /etc/new', 'C /etc/passwd', 'C /tmp', 'D /tmp/y', 'C /x', 'A /x/new', 'D /x/old', 'D /x/sub',
    ]);
    const chunks: Buffer[] = [];
    for await (const c of layerTarChunks(d.entries)) chunks.push(c);
    const r = spawnSync('tar', ['-t', '-f', '-'], { input: Buffer.concat(chunks) });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(r.stdout.toString().trim().split('\n'), [
      'etc/', 'etc/new', 'etc/passwd', 'tmp/', 'tmp/.wh.y', 'x/', 'x/.wh..wh..opq', 'x/new',
    ]);
    assert.equal(await readFile(join(upper, 'etc/passwd'), 'utf8'), 'root\nme\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('safe extraction refuses ".." and paths through symlinks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'safe-x-'));
  try {
    const { symlink } = await import('node:fs/promises');
    await symlink('/', join(dir, 'escape'));
    await mkdir(join(dir, 'ok'));
    const check = entryChecker(dir, { noOverwriteDirNonDir: true });
    await check({ name: 'ok/file', type: '0' });
    await assert.rejects(check({ name: '../x', type: '0' }), /outside the destination/);
    await assert.rejects(check({ name: 'escape/etc/passwd', type: '0' }), /symbolic link escape/);
    await assert.rejects(check({ name: 'ok/h', type: '1', linkname: 'escape/etc/shadow' }), /symbolic link/);
    await assert.rejects(check({ name: 'ok', type: '0' }), /cannot overwrite directory/);
    await check({ name: 'a', type: '2', linkname: '/' });
    await assert.rejects(check({ name: 'a/etc/passwd', type: '0' }), /symlink a from the archive/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
