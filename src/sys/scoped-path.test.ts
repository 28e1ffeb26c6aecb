import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openScopedDir, resolveScoped } from './scoped-path.ts';

test('resolveScoped keeps every symlink inside the root', async () => {
  const root = await mkdtemp(join(tmpdir(), 'scoped-'));
  try {
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc', 'shadow'), 'x');
    await symlink('/', join(root, 'escape'));
    await symlink('../../../..', join(root, 'etc', 'up'));
    await symlink('/etc/shadow', join(root, 'link'));
    await symlink('loop2', join(root, 'loop1'));
    await symlink('loop1', join(root, 'loop2'));
    assert.deepEqual(await resolveScoped(root, '/escape/etc/shadow'), { hostPath: join(root, 'etc/shadow'), containerPath: '/etc/shadow' });
    assert.equal((await resolveScoped(root, 'etc/up/etc/shadow')).hostPath, join(root, 'etc/shadow'));
    assert.equal((await resolveScoped(root, '/../../etc')).hostPath, join(root, 'etc'));
    // The last component is followed only when asked.
    assert.equal((await resolveScoped(root, '/link')).hostPath, join(root, 'link'));
    assert.equal((await resolveScoped(root, '/link', { followLast: true })).hostPath, join(root, 'etc/shadow'));
    assert.equal((await resolveScoped(root, '/escape', { followLast: true })).containerPath, '/');
    // Missing components stay literal.
    assert.equal((await resolveScoped(root, '/escape/nope/x')).hostPath, join(root, 'nope/x'));
    await assert.rejects(resolveScoped(root, '/loop1/x'), /too many levels of symbolic links/);
    // The opened directory is checked on the descriptor.
    const d = await openScopedDir(root, join(root, 'etc'));
    await d.close();
    await assert.rejects(openScopedDir(join(root, 'etc'), root), /escapes the container root/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
