import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demux, muxFrame, StdDemuxer } from './stdcopy.ts';

async function* chunks(bufs: Buffer[]): AsyncGenerator<Buffer> {
  for (const b of bufs) yield b;
}

const stream = Buffer.concat([
  muxFrame(1, 'hello '),
  muxFrame(2, 'oops\n'),
  muxFrame(1, ''),
  muxFrame(1, Buffer.alloc(300, 0x61)),
  muxFrame(2, 'bye'),
]);

function summarize(frames: { stream: number; data: Buffer }[]): string[] {
  return frames.filter((f) => f.data.length > 0).map((f) => `${f.stream}:${f.data.toString()}`);
}

test('demux yields whole frames whatever the chunking', async () => {
  const expected = summarize([...new StdDemuxer().push(stream)]);
  assert.equal(expected.length, 4);
  for (let cut = 1; cut < stream.length; cut++) {
    const frames = [];
    for await (const f of demux(chunks([stream.subarray(0, cut), stream.subarray(cut)]))) frames.push(f);
    assert.deepEqual(summarize(frames), expected, `split at ${cut}`);
  }
});

test('demux handles one byte per chunk', async () => {
  const bytes = [...stream].map((b) => Buffer.from([b]));
  const frames = [];
  for await (const f of demux(chunks(bytes))) frames.push(f);
  assert.deepEqual(summarize(frames), summarize([...new StdDemuxer().push(stream)]));
});

test('demux rejects an unknown stream byte', () => {
  assert.throws(() => new StdDemuxer().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 0x41])), /unrecognized input header/);
});
