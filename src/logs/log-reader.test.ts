import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { LogEntry } from './k8s-file.ts';
import { readLogs } from './log-reader.ts';
import type { ReadLogsOptions } from './log-reader.ts';

const BASE = 1_795_453_675n; // 2026-11-23T17:07:55Z
const S = 1_000_000_000n;

/** A k8s-file line for entry `i`, timestamped BASE+i seconds (written with a +01:00 offset). */
function line(i: number, stream: 'stdout' | 'stderr' = 'stdout', tag = 'F', text = `line ${i}`): string {
  const d = new Date(Number(BASE + BigInt(i)) * 1000 + 3_600_000);
  return `${d.toISOString().slice(0, 19)}.000000001+01:00 ${stream} ${tag} ${text}\n`;
}
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => line(from + k)).join('');
const texts = (es: LogEntry[]) => es.map((e) => e.data.toString());
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `line ${from + k}\n`);

async function collect(opts: ReadLogsOptions): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(opts)) out.push(e);
  return out;
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
  path = join(dir, 'ctr.log');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function rotatedSet(): Promise<void> {
  await writeFile(`${path}.2`, lines(1, 3));
  await writeFile(`${path}.1`, lines(4, 6));
  await writeFile(path, lines(7, 8));
}

test('reads all files oldest first and maps entries', async () => {
  await rotatedSet();
  const es = await collect({ path });
  assert.deepEqual(texts(es), range(1, 8));
  assert.equal(es[0]!.time, '2026-11-23T17:07:56.000000001Z');
  assert.equal(es[0]!.timeNs, (BASE + 1n) * S + 1n);
});

test('a missing log reads as empty', async () => {
  assert.deepEqual(await collect({ path }), []);
});

test('tail counts entries across rotated files', async () => {
  await rotatedSet();
  assert.deepEqual(texts(await collect({ path, tail: 3 })), range(6, 8));
  assert.deepEqual(texts(await collect({ path, tail: 6 })), range(3, 8));
  assert.deepEqual(texts(await collect({ path, tail: 100 })), range(1, 8));
  assert.deepEqual(texts(await collect({ path, tail: -1 })), range(1, 8));
  assert.deepEqual(await collect({ path, tail: 0 }), []);
});

test('tail reads a large live file backwards across chunk boundaries, skipping malformed lines', async () => {
  const body: string[] = [];
  for (let i = 1; i <= 4000; i++) body.push(i % 1000 === 0 ? 'garbage line\n' : line(i, 'stdout', 'F', `line ${i} ${'x'.repeat(i % 97)}`));
  await writeFile(path, body.join(''));
  const es = await collect({ path, tail: 2500 });
  assert.equal(es.length, 2500);
  // 4000 lines hold 3996 valid entries (1000, 2000, 3000, 4000 are garbage); the last 2500 start at 1498.
  assert.match(es[0]!.data.toString(), /^line 1498 /);
  assert.match(es.at(-1)!.data.toString(), /^line 3999 /);
});

test('since is inclusive, until ends the read, and streams can be selected', async () => {
  await writeFile(path, [line(1), line(2, 'stderr'), line(3), line(4, 'stderr'), line(5)].join(''));
  const at = (i: number) => (BASE + BigInt(i)) * S + 1n;
  assert.deepEqual(texts(await collect({ path, sinceNs: at(2), untilNs: at(4) })), range(2, 4));
  assert.deepEqual(texts(await collect({ path, sinceNs: at(2) + 1n })), range(3, 5));
  assert.deepEqual(texts(await collect({ path, stdout: false })), ['line 2\n', 'line 4\n']);
  assert.deepEqual(texts(await collect({ path, stderr: false, tail: 2 })), ['line 5\n']);
});

test('partial entries keep their bytes; an unterminated last line waits for the writer', async () => {
  const half = line(3).slice(0, -3); // "... line" without " 3\n"
  await writeFile(path, line(1, 'stdout', 'P', 'abc') + line(2) + half);
  assert.deepEqual(texts(await collect({ path })), ['abc', 'line 2\n', 'line\n']);
  assert.deepEqual(texts(await collect({ path, isDone: () => false })), ['abc', 'line 2\n']);
  assert.deepEqual(texts(await collect({ path, tail: 1, isDone: () => false })), ['line 2\n']);
  assert.deepEqual(texts(await collect({ path, tail: 1, isDone: () => true })), ['line\n']);
});

test('follow sees appends, survives a rotation without loss or duplicates, and ends when done', async () => {
  await writeFile(path, lines(1, 5));
  let done = false;
  const got: string[] = [];
  const reading = (async () => {
    for await (const e of readLogs({ path, follow: true, tail: 2, isDone: () => done })) got.push(e.data.toString());
  })();
  try {
    await until(() => got.length === 2, 'the tail');
    await appendFile(path, lines(6, 8) + line(9).slice(0, 20));
    await until(() => got.length === 5, 'appended lines');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(got.length, 5, 'an unterminated line is held back');
    await appendFile(path, line(9).slice(20));
    await until(() => got.length === 6, 'the completed line');

    // Rotate like the daemon: rename, then the writer keeps appending to the renamed file until it
    // reopens and creates a fresh live file.
    await rename(path, `${path}.1`);
    await appendFile(`${path}.1`, lines(10, 11));
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(`${path}.1`, line(12));
    await writeFile(path, lines(13, 14));
    await until(() => got.length === 11, 'lines after the rotation');
    await appendFile(path, line(15));
  } finally {
    done = true;
  }
  await reading;
  assert.deepEqual(got, range(4, 15));
});

test('follow emits a final unterminated line only once the writer is done', async () => {
  await writeFile(path, line(1) + line(2).slice(0, -1));
  let done = false;
  const got: string[] = [];
  const reading = (async () => {
    for await (const e of readLogs({ path, follow: true, isDone: () => done })) got.push(e.data.toString());
  })();
  await until(() => got.length === 1, 'the first line');
  await new Promise((r) => setTimeout(r, 30));
  done = true;
  await reading;
  assert.deepEqual(got, range(1, 2));
});

test('a paused follower catches up over two rotations in a row', async () => {
  await writeFile(path, lines(1, 2));
  const it = readLogs({ path, follow: true, isDone: () => true })[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.data.toString(), 'line 1\n');
  // The generator is suspended holding the first live file; rotate twice before pulling again.
  await appendFile(path, line(3));
  await rename(path, `${path}.1`);
  await writeFile(path, lines(4, 5));
  await rename(`${path}.1`, `${path}.2`);
  await rename(path, `${path}.1`);
  await writeFile(path, lines(6, 7));
  const rest: string[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value.data.toString());
  assert.deepEqual(rest, range(2, 7));
});

test('follow waits for a log file that does not exist yet', async () => {
  let done = false;
  const got: string[] = [];
  const reading = (async () => {
    for await (const e of readLogs({ path, follow: true, isDone: () => done })) got.push(e.data.toString());
  })();
  await new Promise((r) => setTimeout(r, 30));
  await writeFile(path, lines(1, 2));
  await until(() => got.length === 2, 'the new file');
  done = true;
  await reading;
  assert.deepEqual(got, range(1, 2));
});

test('follow stops once an entry is past until', async () => {
  await writeFile(path, lines(1, 5));
  const es = await collect({ path, follow: true, untilNs: (BASE + 3n) * S + 1n, isDone: () => false });
  assert.deepEqual(texts(es), range(1, 3));
});

test('abort ends a follow promptly and releases file handles', async () => {
  await writeFile(path, lines(1, 2));
  await writeFile(`${path}.1`, lines(0, 0));
  const fds = async () => (await readdir('/proc/self/fd')).length;
  const before = await fds();
  const ac = new AbortController();
  const got: string[] = [];
  const started = Date.now();
  const reading = (async () => {
    for await (const e of readLogs({ path, follow: true, signal: ac.signal })) got.push(e.data.toString());
  })();
  await until(() => got.length === 3, 'initial lines');
  ac.abort();
  await reading;
  assert.ok(Date.now() - started < 1000, 'ended promptly');
  assert.equal(await fds(), before);
});

test('breaking out of the loop releases file handles', async () => {
  await writeFile(path, lines(1, 5));
  const fds = async () => (await readdir('/proc/self/fd')).length;
  const before = await fds();
  for await (const e of readLogs({ path, follow: true })) {
    assert.equal(e.data.toString(), 'line 1\n');
    break;
  }
  assert.equal(await fds(), before);
});
