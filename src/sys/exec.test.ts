import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { pipeThrough, run } from './exec.ts';

describe('run', () => {
  it('collects output and feeds input (buffer or stream)', async () => {
    assert.equal((await run('cat', [], { input: 'abc' })).stdout.toString(), 'abc');
    const r = await run('wc', ['-c'], { input: Readable.from([Buffer.alloc(100000), Buffer.alloc(5)]) });
    assert.equal(r.stdout.toString().trim(), '100005');
    assert.equal((await run('sh', ['-c', 'echo "$X"'], { env: { X: 'no shell $HOME' } })).stdout.toString(), 'no shell $HOME\n');
  });

  it('rejects on failure with the command and trimmed stderr, unless the code is allowed', async () => {
    await assert.rejects(run('sh', ['-c', 'echo oops >&2; exit 3']), {
      category: 'internal',
      message: 'sh -c echo oops >&2; exit 3: exit status 3: oops',
    });
    assert.equal((await run('sh', ['-c', 'exit 1'], { allowExit: [1] })).code, 1);
    await assert.rejects(run('/nonexistent/prog', []), /ENOENT/);
  });

  it('fails when the input stream fails, and on abort', async () => {
    const bad = new Readable({ read() { this.destroy(new Error('input broke')); } });
    await assert.rejects(run('cat', [], { input: bad }), /input broke/);
    const ac = new AbortController();
    const p = run('sleep', ['10'], { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, { name: 'AbortError' });
  });
});

describe('pipeThrough', () => {
  it('streams through a filter and surfaces its failure', async () => {
    const out: Buffer[] = [];
    for await (const c of pipeThrough('tr', ['a-z', 'A-Z'], Readable.from([Buffer.from('hello')]))) out.push(c as Buffer);
    assert.equal(Buffer.concat(out).toString(), 'HELLO');
    const failing = pipeThrough('sh', ['-c', 'cat >/dev/null; echo bad >&2; exit 2'], Readable.from([Buffer.from('x')]));
    await assert.rejects(async () => {
      for await (const _ of failing) void _;
    }, /exit status 2: bad/);
  });
});
