import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { test } from 'node:test';
import { startRegistry } from './server.ts';
import { MemoryDriver } from './storage/memory-driver.ts';

function call(base: string, method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('server: rate limit answers TOOMANYREQUESTS, wrong methods UNSUPPORTED', async () => {
  const reg = await startRegistry({ addr: '127.0.0.1:0', root: '/nonexistent', driver: new MemoryDriver(), rateLimit: 1 });
  try {
    const base = `http://${reg.address}`;
    assert.equal((await call(base, 'POST', '/v2/a/manifests/x')).json.errors[0].code, 'UNSUPPORTED');
    await call(base, 'GET', '/v2/');
    const r = await call(base, 'GET', '/v2/');
    assert.equal(r.status, 429);
    assert.equal(r.json.errors[0].code, 'TOOMANYREQUESTS');
    assert.equal(r.headers['retry-after'], '1');
  } finally {
    await reg.close();
  }
});

test('server: online GC on a timer removes an unreferenced blob', async () => {
  const reg = await startRegistry({ addr: '127.0.0.1:0', root: '/nonexistent', driver: new MemoryDriver(), gcIntervalMs: 30, gcGraceMs: 0 });
  try {
    const base = `http://${reg.address}`;
    const junk = Buffer.from('junk');
    const d = 'sha256:' + createHash('sha256').update(junk).digest('hex');
    assert.equal((await call(base, 'POST', `/v2/a/blobs/uploads/?digest=${d}`, junk)).status, 201);
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await call(base, 'HEAD', `/v2/a/blobs/${d}`)).status;
    }
    assert.equal(status, 404);
  } finally {
    await reg.close();
  }
});
