import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { blobData, layerLink } from './paths.ts';
import { Registry } from './registry.ts';
import { isRegistryError } from './registry-error.ts';
import { MemoryDriver } from './storage/memory-driver.ts';
import { Uploads, parseContentRange, uploadRangeHeader } from './uploads.ts';

const digestOf = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
async function* chunks(...bs: Buffer[]) {
  yield* bs;
}

test('Content-Range parsing and the Range header', () => {
  assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
  assert.deepEqual(parseContentRange('bytes 5-9/10'), { start: 5, end: 9 });
  assert.equal(parseContentRange('9-5'), undefined);
  assert.equal(parseContentRange('abc'), undefined);
  assert.equal(uploadRangeHeader(0), '0-0');
  assert.equal(uploadRangeHeader(10), '0-9');
});

test('chunks in order, out-of-order 416, resume after restart, finish verifies', async () => {
  const driver = new MemoryDriver();
  const reg = new Registry(driver);
  const data = Buffer.from('0123456789abcdef');
  const id = await reg.uploads.start('a/b');
  assert.equal(await reg.uploads.offset('a/b', id), 0);
  assert.equal(await reg.uploads.append('a/b', id, chunks(data.subarray(0, 6)), { range: { start: 0, end: 5 } }), 6);
  await assert.rejects(
    reg.uploads.append('a/b', id, chunks(data.subarray(8)), { range: { start: 8, end: 15 } }),
    (e: unknown) => isRegistryError(e, 'BLOB_UPLOAD_INVALID') && e.status === 416 && e.headers.Range === '0-5',
  );
  // A "dropped connection": the stream breaks after some bytes; they stay.
  async function* broken() {
    yield data.subarray(6, 9);
    throw new Error('ECONNRESET');
  }
  await assert.rejects(reg.uploads.append('a/b', id, broken()), /ECONNRESET/);
  // A restarted server: fresh Registry (no running hash) over the same storage.
  const reg2 = new Registry(driver);
  assert.equal(await reg2.uploads.offset('a/b', id), 9);
  await reg2.uploads.append('a/b', id, chunks(data.subarray(9)), { range: { start: 9, end: 15 } });
  assert.equal(await reg2.finishUpload('a/b', id, digestOf(data)), 16);
  assert.deepEqual(await driver.getContent(blobData(digestOf(data))), data);
  assert.equal((await driver.getContent(layerLink('a/b', digestOf(data)))).toString(), digestOf(data));
  await assert.rejects(reg2.uploads.offset('a/b', id), (e: unknown) => isRegistryError(e, 'BLOB_UPLOAD_UNKNOWN'));
});

test('digest mismatch cancels the session and publishes nothing', async () => {
  const driver = new MemoryDriver();
  const reg = new Registry(driver);
  const id = await reg.uploads.start('r');
  await reg.uploads.append('r', id, chunks(Buffer.from('real')));
  const claimed = digestOf(Buffer.from('fake'));
  await assert.rejects(reg.finishUpload('r', id, claimed), (e: unknown) => isRegistryError(e, 'DIGEST_INVALID'));
  await assert.rejects(driver.stat(blobData(claimed)));
  await assert.rejects(driver.stat(blobData(digestOf(Buffer.from('real')))));
  await assert.rejects(reg.uploads.offset('r', id), (e: unknown) => isRegistryError(e, 'BLOB_UPLOAD_UNKNOWN'));
  await assert.rejects(reg.statBlob('r', claimed), (e: unknown) => isRegistryError(e, 'BLOB_UNKNOWN'));
});

test('sessions belong to their repository; cancel; bad ids; size check', async () => {
  const u = new Uploads(new MemoryDriver());
  const id = await u.start('one');
  await assert.rejects(u.offset('two', id), (e: unknown) => isRegistryError(e, 'BLOB_UPLOAD_UNKNOWN'));
  await assert.rejects(u.offset('one', '../../etc'), (e: unknown) => isRegistryError(e, 'BLOB_UPLOAD_UNKNOWN'));
  await assert.rejects(
    u.append('one', id, chunks(Buffer.from('abc')), { range: { start: 0, end: 9 } }),
    (e: unknown) => isRegistryError(e, 'SIZE_INVALID'),
  );
  await u.cancel('one', id);
  await assert.rejects(u.cancel('one', id), (e: unknown) => isRegistryError(e, 'BLOB_UPLOAD_UNKNOWN'));
});
