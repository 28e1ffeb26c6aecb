// e2e: `berth registry serve` under crashes and hostile input. No root needed.
//  - kill -9 while a big blob is being uploaded slowly (a chunked PATCH and a monolithic POST): nothing becomes
//    visible (HEAD 404, no file under blobs/), a restart on the same root serves on, the interrupted session resumes,
//    a fresh push of the whole image succeeds and pulls back byte for byte.
//  - bad input: manifests naming missing blobs, digest mismatches, invalid and path-trick repository names (sent raw:
//    no client-side "..", "%2e%2e" or backslash normalization), tags and digests, oversized manifests; every answer
//    carries the spec's error code and nothing is written outside the registry root.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RegistryProc, http, pushImage, sha256, tinyImage, tinyTar, type HttpResult, type TinyImage } from './registry-harness.ts';

/** A request whose path goes on the wire exactly as given. */
function rawHttp(address: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<HttpResult> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Every file and directory under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      out.push(relative(dir, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

const blobPath = (root: string, digest: string) => join(root, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7), 'data');
const exists = (p: string) => stat(p).then(() => true, () => false);

/** A one-layer image whose layer is `size` bytes of incompressible data (gzip of random bytes). */
function bigImage(size: number): TinyImage {
  const tar = tinyTar('big.bin', randomBytes(size).toString('latin1'));
  const layer = gzipSync(tar, { level: 1 });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
  }));
  return { manifest, manifestDigest: sha256(manifest), config, layer };
}

/**
 * Starts sending `body` with the given method/path and Content-Length, 64 KiB every 20 ms, never finishing on its own;
 * resolves once `upTo` bytes are written. The returned stop() destroys the socket.
 */
async function slowSend(address: string, method: string, path: string, body: Buffer, upTo: number, headers: Record<string, string> = {}) {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const req = request({ host, port, method, path, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length), ...headers } });
  req.on('error', () => {});
  let sent = 0;
  while (sent < upTo) {
    const n = Math.min(64 * 1024, upTo - sent);
    await new Promise<void>((r) => req.write(body.subarray(sent, sent + n), () => r()));
    sent += n;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { stop: () => req.destroy() };
}

async function waitForFile(dir: string, minBytes: number): Promise<string> {
  for (let i = 0; i < 300; i++) {
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      const s = await stat(join(dir, id, 'data')).catch(() => undefined);
      if (s !== undefined && s.size >= minBytes) return id;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no upload reached ${minBytes} bytes under ${dir}`);
}

describe('registry: kill -9 mid-upload', () => {
  let root: string;
  let reg: RegistryProc | undefined;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-reg-crash-'));
  });
  after(async () => {
    await reg?.stop({ keepRoot: true });
    await rm(root, { recursive: true, force: true });
  });

  it('leaves no partial blob; restart on the same root resumes and re-push + pull work', async () => {
    const img = bigImage(6 * 1024 * 1024);
    const layerDigest = sha256(img.layer);
    reg = await RegistryProc.start([], { root });

    // 1. A chunked upload: PATCH announces the whole layer and stalls after 2 MiB; the registry is killed.
    const start = await http(reg.url, 'POST', '/v2/crash/app/blobs/uploads/');
    assert.equal(start.status, 202);
    const loc = start.headers.location as string;
    const patch = await slowSend(reg.address, 'PATCH', loc, img.layer, 2 * 1024 * 1024);
    const uuid = await waitForFile(join(root, '_uploads'), 2 * 1024 * 1024);
    await reg.kill9();
    patch.stop();
    assert.equal(await exists(blobPath(root, layerDigest)), false, 'no blob file after the crash');

    // 2. After a restart: not visible, the session's bytes survived, the rest is appended and the digest verified.
    reg = await RegistryProc.start([], { root });
    assert.equal((await http(reg.url, 'HEAD', `/v2/crash/app/blobs/${layerDigest}`)).status, 404);
    const st = await http(reg.url, 'GET', loc);
    assert.equal(st.status, 204);
    const offset = Number(String(st.headers.range).split('-')[1]) + 1;
    assert.ok(offset >= 2 * 1024 * 1024 && offset < img.layer.length, `offset ${offset}`);
    assert.equal(loc.endsWith(uuid), true);
    const rest = await http(reg.url, 'PATCH', loc, {
      body: img.layer.subarray(offset),
      headers: { 'Content-Range': `${offset}-${img.layer.length - 1}`, 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(rest.status, 202, rest.body.toString());
    const fin = await http(reg.url, 'PUT', `${loc}?digest=${layerDigest}`);
    assert.equal(fin.status, 201, fin.body.toString());
    assert.equal((await http(reg.url, 'HEAD', `/v2/crash/app/blobs/${layerDigest}`)).status, 200);

    // 3. A monolithic upload (POST ?digest=) of another big blob, killed mid-body: nothing visible after restart.
    const other = randomBytes(4 * 1024 * 1024);
    const mono = await slowSend(reg.address, 'POST', `/v2/crash/other/blobs/uploads/?digest=${sha256(other)}`, other, 1024 * 1024);
    await waitForFile(join(root, '_uploads'), 1024 * 1024);
    await reg.kill9();
    mono.stop();
    assert.equal(await exists(blobPath(root, sha256(other))), false);
    reg = await RegistryProc.start([], { root });
    assert.equal((await http(reg.url, 'HEAD', `/v2/crash/other/blobs/${sha256(other)}`)).status, 404);

    // 4. A fresh push of the whole image to another repository, then a pull of every piece.
    await pushImage(reg.url, 'crash/again', 'v1', img);
    const m = await http(reg.url, 'GET', '/v2/crash/again/manifests/v1');
    assert.equal(m.status, 200);
    assert.equal(m.headers['docker-content-digest'], img.manifestDigest);
    const got = await http(reg.url, 'GET', `/v2/crash/again/blobs/${layerDigest}`);
    assert.equal(got.status, 200);
    assert.equal(sha256(got.body), layerDigest);
    assert.deepEqual((await http(reg.url, 'GET', `/v2/crash/again/blobs/${sha256(img.config)}`)).body, img.config);
  });
});

describe('registry: bad input', () => {
  let parent: string;
  let root: string;
  let reg: RegistryProc;
  let outside: string[];
  before(async () => {
    parent = await mkdtemp(join(tmpdir(), 'berth-reg-bad-'));
    root = join(parent, 'root');
    await mkdir(join(parent, 'etc'));
    outside = [...(await tree(parent)), 'root/'].sort();
    reg = await RegistryProc.start([], { root });
  });
  after(async () => {
    await reg?.stop({ keepRoot: true });
    await rm(parent, { recursive: true, force: true });
  });

  const code = (r: HttpResult) => (r.body.length ? r.json().errors?.[0]?.code : undefined);

  it('a manifest naming a missing blob is MANIFEST_BLOB_UNKNOWN; a digest mismatch is DIGEST_INVALID', async () => {
    const img = tinyImage('bad input');
    // Only the config is there: the layer is missing.
    await http(reg.url, 'POST', `/v2/bad/app/blobs/uploads/?digest=${sha256(img.config)}`, { body: img.config });
    const put = await http(reg.url, 'PUT', '/v2/bad/app/manifests/v1', {
      body: img.manifest,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(put.status, 400);
    assert.equal(code(put), 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(put.json().errors[0].detail.digests, [sha256(img.layer)]);
    // By digest reference, with a body that is not that digest.
    const wrong = await http(reg.url, 'PUT', `/v2/bad/app/manifests/${sha256('x')}`, {
      body: img.manifest,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(code(wrong), 'DIGEST_INVALID');
    // Blob uploads: monolithic and chunked, and a malformed digest.
    const mono = await http(reg.url, 'POST', `/v2/bad/app/blobs/uploads/?digest=${sha256('claimed')}`, { body: 'actual' });
    assert.equal(mono.status, 400);
    assert.equal(code(mono), 'DIGEST_INVALID');
    const s = await http(reg.url, 'POST', '/v2/bad/app/blobs/uploads/');
    await http(reg.url, 'PATCH', s.headers.location as string, { body: 'actual' });
    const fin = await http(reg.url, 'PUT', `${s.headers.location}?digest=${sha256('claimed')}`);
    assert.equal(fin.status, 400);
    assert.equal(code(fin), 'DIGEST_INVALID');
    assert.equal(code(await http(reg.url, 'POST', '/v2/bad/app/blobs/uploads/?digest=sha256:xyz', { body: 'a' })), 'DIGEST_INVALID');
    assert.equal(code(await rawHttp(reg.address, 'GET', '/v2/bad/app/blobs/sha256:..%2f..%2fetc')), 'DIGEST_INVALID');
    for (const d of [sha256('claimed'), sha256('actual')]) assert.equal(await exists(blobPath(root, d)), false);
    assert.deepEqual(await readdir(join(root, '_uploads')), []);
  });

  it('invalid names and path tricks are NAME_INVALID on every endpoint; nothing lands outside the root', async () => {
    const names = [
      'UPPER/x', 'a..b', '..', '%2e%2e', '%2E%2E/x', 'a/../../etc', 'a/%2e%2e/%2e%2e/etc', '/etc', '/etc/passwd',
      '%2fetc', 'a\\b', 'a%5cb', '..\\..\\etc', 'a/./b', 'a//b', '_uploads', 'a/_layers', '%00a', 'a%zz',
      'a/%2e%2e/%2e%2e/v2/evil',
    ];
    const img = tinyImage('tricks');
    for (const name of names) {
      const tries: [string, string, Buffer | undefined][] = [
        ['PUT', `/v2/${name}/manifests/latest`, img.manifest],
        ['GET', `/v2/${name}/manifests/latest`, undefined],
        ['POST', `/v2/${name}/blobs/uploads/?digest=${sha256(img.layer)}`, img.layer],
        ['POST', `/v2/${name}/blobs/uploads/`, undefined],
        ['GET', `/v2/${name}/tags/list`, undefined],
        ['HEAD', `/v2/${name}/blobs/${sha256(img.layer)}`, undefined],
      ];
      for (const [method, path, body] of tries) {
        const r = await rawHttp(reg.address, method, path, {
          body,
          headers: body ? { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } : {},
        });
        assert.equal(r.status, 400, `${method} ${path} → ${r.status} ${r.body}`);
        if (method !== 'HEAD') assert.equal(code(r), 'NAME_INVALID', `${method} ${path} → ${r.body}`);
      }
    }
    // Cross-repository mount from a tricky source.
    const mount = await rawHttp(reg.address, 'POST', `/v2/ok/app/blobs/uploads/?mount=${sha256(img.layer)}&from=../../etc`);
    assert.notEqual(mount.status, 201);
    // Tags and digests with tricks.
    for (const ref of ['..', '%2e%2e', '.hidden', 'a%2fb', '-x']) {
      const r = await rawHttp(reg.address, 'PUT', `/v2/ok/app/manifests/${ref}`, { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(r.status >= 400 && r.status < 500, true, `tag ${ref} → ${r.status}`);
      assert.ok(['MANIFEST_INVALID', 'NAME_UNKNOWN', 'TAG_INVALID'].includes(code(r)), `tag ${ref} → ${r.body}`);
    }
    // The parent of the root holds only what it held; no repository was created inside it.
    assert.deepEqual((await tree(parent)).filter((p) => p === 'root/' || !p.startsWith('root/')), outside);
    const repos = (await tree(join(root, 'repositories'))).filter((p) => !p.startsWith('bad/'));
    assert.deepEqual(repos, [], repos.join(', '));
    assert.equal((await http(reg.url, 'GET', '/v2/_catalog')).json().repositories.includes('evil'), false);
  });

  it('a manifest over 4 MiB is refused with MANIFEST_INVALID (413), announced or not', async () => {
    const img = tinyImage('big manifest');
    await pushImage(reg.url, 'bad/big', 'v1', img);
    const m = JSON.parse(img.manifest.toString());
    m.annotations = { pad: 'x'.repeat(4 * 1024 * 1024) };
    const body = Buffer.from(JSON.stringify(m));
    const r = await http(reg.url, 'PUT', '/v2/bad/big/manifests/huge', { body, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, 413);
    assert.equal(code(r), 'MANIFEST_INVALID');
    // Chunked (no Content-Length): refused once the bytes read pass the limit.
    const chunked = await new Promise<HttpResult>((resolve, reject) => {
      const [host, port] = reg.address.split(':');
      const req = request({ host, port: Number(port), method: 'PUT', path: '/v2/bad/big/manifests/huge2', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body: b, json: () => JSON.parse(b.toString()) });
        });
      });
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 256 * 1024) req.write(body.subarray(i, i + 256 * 1024));
      req.end();
    });
    assert.equal(chunked.status, 413);
    assert.equal(code(chunked), 'MANIFEST_INVALID');
    const tags = (await http(reg.url, 'GET', '/v2/bad/big/tags/list')).json().tags;
    assert.deepEqual(tags, ['v1']);
    // The server still answers on the same connection pool.
    assert.equal((await http(reg.url, 'GET', '/v2/')).status, 200);
  });
});
