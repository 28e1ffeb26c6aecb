import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { encodeTarHeader, tarPadding, TAR_END } from './tar-writer.ts';
import { TarScanner, type TarEntryInfo } from './tar-scan.ts';

test('encodeTarHeader writes archives GNU tar reads, with PAX for long names and xattrs', () => {
  const long = 'd/' + 'x'.repeat(150);
  const data = Buffer.from('hello');
  const tar = Buffer.concat([
    encodeTarHeader({ name: 'd/', type: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000 }),
    encodeTarHeader({ name: long, type: '0', mode: 0o644, uid: 1000, gid: 1000, size: data.length, mtime: 1_700_000_000, xattrs: { 'user.k': Buffer.from('v') } }),
    data,
    tarPadding(data.length),
    encodeTarHeader({ name: 'd/.wh.gone', type: '0', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 }),
    encodeTarHeader({ name: 'd/ln', type: '2', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '/etc/passwd' }),
    TAR_END,
  ]);
  const r = spawnSync('tar', ['-tv', '--numeric-owner', '-f', '-'], { input: tar });
  assert.equal(r.status, 0, r.stderr.toString());
  const lines = r.stdout.toString().trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[1]!, /^-rw-r--r-- 1000\/1000\s+5 .* d\/x{150}$/);
  assert.match(lines[3]!, /d\/ln -> \/etc\/passwd$/);
  const seen: TarEntryInfo[] = [];
  const s = new TarScanner((e) => seen.push(e));
  s.write(tar);
  assert.deepEqual(seen.map((e) => e.name), ['d', long, 'd/.wh.gone', 'd/ln']);
  assert.equal(seen[3]!.linkname, '/etc/passwd');
});
