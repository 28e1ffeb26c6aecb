import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, matchEvent } from './event-log.ts';

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-events-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('events persist across reopen and replay by time window', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'events.jsonl');
    const log = await EventLog.open({ path });
    log.emit({ type: 'container', action: 'create', id: 'a1', attributes: { name: 'web', image: 'busybox' } });
    const mid = BigInt(Date.now()) * 1_000_000n;
    await new Promise((r) => setTimeout(r, 5));
    log.emit({ type: 'container', action: 'start', id: 'a1', attributes: { name: 'web', image: 'busybox' } });
    log.emit({ type: 'image', action: 'tag', id: 'sha256:x', attributes: { name: 'busybox:latest' } });
    await log.flush();
    // A torn line from a crash is skipped.
    await appendFile(path, '{"Type":"contai');
    const again = await EventLog.open({ path });
    const all = again.replay({});
    assert.deepEqual(all.map((e) => e.Action), ['create', 'start', 'tag']);
    assert.equal(all[0]!.status, 'create');
    assert.equal(all[0]!.from, 'busybox');
    assert.deepEqual(again.replay({ sinceNano: mid }).map((e) => e.Action), ['start', 'tag']);
    assert.deepEqual(again.replay({ filters: { type: ['image'] } }).map((e) => e.Action), ['tag']);
    assert.deepEqual(again.replay({ filters: { container: ['web'], event: ['start'] } }).map((e) => e.Action), ['start']);
  });
});

test('the log is bounded: old events are dropped and the file compacted', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'events.jsonl');
    const log = await EventLog.open({ path, max: 10 });
    for (let i = 0; i < 35; i++) log.emit({ type: 'container', action: 'start', id: `c${i}` });
    await log.flush();
    assert.equal(log.replay({}).length, 10);
    assert.equal(log.replay({})[0]!.Actor.ID, 'c25');
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    assert.ok(lines.length <= 20, `file has ${lines.length} lines`);
    const reopened = await EventLog.open({ path, max: 10 });
    assert.equal(reopened.replay({}).at(-1)!.Actor.ID, 'c34');
  });
});

test('timestamps strictly increase; subscribers see live events', async () => {
  await withDir(async (dir) => {
    const log = await EventLog.open({ path: join(dir, 'e.jsonl') });
    const seen: string[] = [];
    const off = log.subscribe((e) => seen.push(e.Action));
    for (let i = 0; i < 50; i++) log.emit({ type: 'container', action: `a${i}`, id: 'x' });
    off();
    log.emit({ type: 'container', action: 'after', id: 'x' });
    assert.equal(seen.length, 50);
    const times = log.replay({}).map((e) => e.timeNano);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!);
    await log.flush();
  });
});

test('label filters match actor attributes', () => {
  const e = { Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { a: '1', name: 'n' } }, scope: 'local' as const, time: 0, timeNano: 0 };
  assert.ok(matchEvent(e, { label: ['a=1'] }));
  assert.ok(!matchEvent(e, { label: ['a=2'] }));
  assert.ok(matchEvent(e, { label: ['a'] }));
  assert.ok(matchEvent(e, { container: ['ab'] }));
});
