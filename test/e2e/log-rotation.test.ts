// Container logs are rotated by default (Docker's json-file never is): files stay bounded, `logs` stays continuous.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, isRoot, waitFor } from './harness.ts';

describe('log rotation', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start(['--log-max-size', '64k', '--log-max-files', '3']);
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  test('a chatty container keeps at most max-files files of about max-size, without gaps', async () => {
    // ~600 KB of numbered lines, written slowly enough for several rotation checks to happen in between.
    const script = 'i=0; while [ $i -lt 12000 ]; do echo "line $i padding-padding-padding"; i=$((i+1)); [ $((i % 1000)) = 0 ] && sleep 0.4; done';
    const r = await d.docker(['run', '-d', '--name', 'chatty', 'busybox', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    await waitFor(async () => (await d.docker(['inspect', '-f', '{{.State.Status}}', id])).stdout.trim() === 'exited', 'chatty to finish', 30_000);
    const dir = join(d.dataRoot, 'containers', id);
    const files = (await readdir(dir)).filter((f) => f.startsWith('container.log'));
    assert.ok(files.length >= 2 && files.length <= 3, `rotated files: ${files.join(',')}`);
    for (const f of files) {
      const size = (await stat(join(dir, f))).size;
      // A file is rotated at the first check after it passes max-size: allow one check interval of output.
      assert.ok(size < 400 * 1024, `${f} is ${size} bytes`);
    }
    const logs = await d.docker(['logs', 'chatty']);
    const lines = logs.stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'line 11999 padding-padding-padding');
    // Whatever history is kept is contiguous: no line lost at a rotation boundary.
    const first = Number(/^line (\d+)/.exec(lines[0]!)![1]);
    assert.equal(lines.length, 12000 - first);
    lines.forEach((l, i) => assert.equal(l, `line ${first + i} padding-padding-padding`));
    const tail = await d.docker(['logs', '--tail', '2', 'chatty']);
    assert.equal(tail.stdout, 'line 11998 padding-padding-padding\nline 11999 padding-padding-padding\n');
    await d.docker(['rm', 'chatty']);
  });
});
