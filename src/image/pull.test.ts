// Pull pipeline against a fake registry on 127.0.0.1 (node:http): token auth, gzip + zstd layers, single flight,
// resume with Range (within one pull and across a restart), digest mismatch, mirror fallback, Docker's errors.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { sha256Digest } from '../base/digest.ts';
import { Registries } from '../remotes/registries.ts';
import { PartialBlobs } from '../store/content/partial-blobs.ts';
import { OverlaySnapshotter } from '../store/snapshot/overlay-snapshotter.ts';
import { makeLayerTar } from '../store/snapshot/snapshotter.contract.ts';
import { DistMetadata } from './dist-metadata.ts';
import { ImageService } from './image-service.ts';
import type { ProgressMessage } from './progress.ts';
import { Puller } from './pull.ts';

interface Blob {
  data: Buffer;
  digest: string;
}

class FakeRegistry {
  server!: Server;
  blobs = new Map<string, Buffer>();
  manifests = new Map<string, { body: Buffer; type: string }>();
  gets = new Map<string, number>();
  ranges: string[] = [];
  /** Cut the connection after this many body bytes on the next GET of a digest. */
  dropAfter = new Map<string, number>();
  /** Flip a byte of this blob when serving it. */
  corrupt = new Set<string>();
  token?: { user: string; pass: string };
  failAll = false;

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    if (this.failAll) {
      res.writeHead(500).end();
      return;
    }
    if (url.pathname === '/token') {
      const want = `Basic ${Buffer.from(`${this.token!.user}:${this.token!.pass}`).toString('base64')}`;
      if (req.headers.authorization !== want) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'tok-' + url.searchParams.getAll('scope').join(','), expires_in: 300 }));
      return;
    }
    if (this.token && !String(req.headers.authorization ?? '').startsWith('Bearer tok-')) {
      const { port } = this.server.address() as AddressInfo;
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="fake"`, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(url.pathname === '/v2/' ? 200 : 404).end('{}');
      return;
    }
    const [, , kind, ref] = m;
    if (kind === 'manifests') {
      const man = this.manifests.get(ref!);
      if (!man) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': man.type, 'Docker-Content-Digest': sha256Digest(man.body) }).end(man.body);
      return;
    }
    let data = this.blobs.get(ref!);
    if (!data) {
      res.writeHead(404).end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
      return;
    }
    this.gets.set(ref!, (this.gets.get(ref!) ?? 0) + 1);
    if (this.corrupt.has(ref!)) {
      data = Buffer.from(data);
      data[data.length >> 1] ^= 0xff;
    }
    let start = 0;
    const range = req.headers.range;
    if (range) {
      this.ranges.push(`${ref}:${range}`);
      start = Number(/bytes=(\d+)-/.exec(range)![1]);
    }
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream', ...(range ? { 'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}) });
    const drop = this.dropAfter.get(ref!);
    if (drop !== undefined) {
      this.dropAfter.delete(ref!);
      res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    // Slow enough that concurrent pulls overlap.
    const half = body.length >> 1;
    res.write(body.subarray(0, half));
    setTimeout(() => res.end(body.subarray(half)), 30);
  }

  addBlob(data: Buffer): Blob {
    const digest = sha256Digest(data);
    this.blobs.set(digest, data);
    return { data, digest };
  }
}

async function makeImage(reg: FakeRegistry, root: string, tag: string) {
  const tar1 = await makeLayerTar({ 'bin/': null, 'etc/os-release': 'NAME=fake\n', 'big.bin': randomBytes(150_000).toString('base64') }, root);
  const tar2 = await makeLayerTar({ 'app/': null, 'app/hello.txt': 'hello\n'.repeat(5000) }, root);
  const l1 = reg.addBlob(zlib.gzipSync(tar1));
  const zstd = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
  const l2 = reg.addBlob(zstd ? zstd(tar2) : zlib.gzipSync(tar2));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, created: '2024-01-01T00:00:00Z',
    rootfs: { type: 'layers', diff_ids: [sha256Digest(tar1), sha256Digest(tar2)] },
    history: [{ created_by: 'one' }, { created_by: 'two' }],
  }));
  const c = reg.addBlob(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c.digest, size: config.length },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l1.digest, size: l1.data.length },
      { mediaType: zstd ? 'application/vnd.oci.image.layer.v1.tar+zstd' : 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l2.digest, size: l2.data.length },
    ],
  }));
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(Buffer.from('{"other":1}')), size: 11, platform: { os: 'linux', architecture: 's390x' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(manifest), size: manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  }));
  reg.manifests.set(sha256Digest(manifest), { body: manifest, type: 'application/vnd.oci.image.manifest.v1+json' });
  reg.manifests.set(tag, { body: index, type: 'application/vnd.oci.image.index.v1+json' });
  return { id: c.digest, layers: [l1, l2], indexDigest: sha256Digest(index) };
}

describe('Puller', () => {
  let root: string;
  let reg: FakeRegistry;
  let host: string;
  let img: Awaited<ReturnType<typeof makeImage>>;

  before(async () => {
    root = await mkdtemp('/var/tmp/berth-pull-test-');
    reg = new FakeRegistry();
    host = await reg.start();
    img = await makeImage(reg, root, 'v1');
  });
  after(async () => {
    await reg.stop();
    await rm(root, { recursive: true, force: true });
  });

  let n = 0;
  async function daemon(opts: { mirrors?: string[]; attempts?: number; dir?: string } = {}) {
    const dir = opts.dir ?? join(root, `d${n++}`);
    const images = await ImageService.open({ root: dir, snapshotter: await OverlaySnapshotter.open(dir) });
    const partials = await PartialBlobs.open(images.content);
    const dist = await DistMetadata.open(dir);
    const registries = new Registries({ mirrorsByHost: opts.mirrors ? { [host]: opts.mirrors } : undefined });
    const puller = new Puller({ images, dist, partials, registries, platform: { os: 'linux', architecture: 'amd64' }, attempts: opts.attempts ?? 3, backoffMs: 10 });
    return { images, partials, puller, dir };
  }

  it('pulls an index (platform chosen), gzip + zstd layers, and streams Docker progress', async () => {
    reg.gets.clear();
    const d = await daemon();
    const msgs: ProgressMessage[] = [];
    const r = await d.puller.pull(`${host}/lib/app:v1`, { onProgress: (m) => msgs.push(m) });
    assert.equal(r.id, img.id);
    assert.equal(r.digest, img.indexDigest);
    const inspect = d.images.inspect(`${host}/lib/app:v1`);
    assert.deepEqual(inspect.RepoDigests, [`${host}/lib/app@${img.indexDigest}`]);
    assert.equal(inspect.RootFS.Layers.length, 2);
    const lid = img.layers[0]!.digest.slice(7, 19);
    assert.deepEqual(msgs[0], { status: 'Pulling from lib/app', id: 'v1' });
    assert.deepEqual(msgs.find((m) => m.id === lid), { status: 'Pulling fs layer', progressDetail: {}, id: lid });
    assert.ok(msgs.some((m) => m.status === 'Downloading' && m.id === lid && m.progressDetail?.total === img.layers[0]!.data.length && /^\[=*>\s*\] /.test(m.progress!)));
    for (const s of ['Verifying Checksum', 'Download complete', 'Pull complete']) assert.ok(msgs.some((m) => m.status === s && m.id === lid), s);
    assert.ok(msgs.some((m) => m.status === 'Extracting'));
    assert.deepEqual(msgs.at(-2), { status: `Digest: ${img.indexDigest}` });
    assert.deepEqual(msgs.at(-1), { status: `Status: Downloaded newer image for ${host}/lib/app:v1` });
    // The compressed blobs are not kept: the diffID tars are.
    assert.equal(await d.images.content.has(img.layers[0]!.digest), false);
    const again: ProgressMessage[] = [];
    await d.puller.pull(`${host}/lib/app:v1`, { onProgress: (m) => again.push(m) });
    assert.deepEqual(again.at(-1), { status: `Status: Image is up to date for ${host}/lib/app:v1` });
    assert.ok(again.some((m) => m.status === 'Already exists'));
  });

  it('downloads each layer once for concurrent pulls (single flight, shared progress)', async () => {
    reg.gets.clear();
    const d = await daemon();
    const a: ProgressMessage[] = [];
    const b: ProgressMessage[] = [];
    const [ra, rb] = await Promise.all([
      d.puller.pull(`${host}/lib/app:v1`, { onProgress: (m) => a.push(m) }),
      d.puller.pull(`${host}/lib/app:v1`, { onProgress: (m) => b.push(m) }),
    ]);
    assert.equal(ra.id, rb.id);
    for (const l of img.layers) assert.equal(reg.gets.get(l.digest), 1, `${l.digest} fetched once`);
    assert.ok(b.some((m) => m.status === 'Downloading') || b.some((m) => m.status === 'Download complete'));
  });

  it('resumes a dropped download with Range within the pull, and across a restart', async () => {
    reg.gets.clear();
    reg.ranges = [];
    const l1 = img.layers[0]!;
    reg.dropAfter.set(l1.digest, 1000);
    const d = await daemon({ attempts: 3 });
    const seen: ProgressMessage[] = [];
    await d.puller.pull(`${host}/lib/app:v1`, { onProgress: (m) => seen.push(m) });
    assert.ok(seen.some((m) => m.status?.startsWith('Retrying in')));
    assert.deepEqual(reg.ranges, [`${l1.digest}:bytes=1000-`]);

    // Across a restart: the first daemon gives up after one attempt, the partial stays, the next one resumes.
    reg.ranges = [];
    reg.dropAfter.set(l1.digest, 2000);
    const d1 = await daemon({ attempts: 1 });
    await assert.rejects(d1.puller.pull(`${host}/lib/app:v1`));
    assert.equal(await d1.partials.size(l1.digest), 2000);
    assert.equal(d1.images.store.list().length, 0);
    const d2 = await daemon({ dir: d1.dir });
    await d2.puller.pull(`${host}/lib/app:v1`);
    // (The other layer's download, cancelled with the failed pull, may resume too.)
    assert.ok(reg.ranges.includes(`${l1.digest}:bytes=2000-`), reg.ranges.join());
    assert.equal(d2.images.store.list().length, 1);
    assert.deepEqual(await readdir(d2.partials.dir), []);
  });

  it('rejects a blob whose bytes do not match its digest and registers nothing', async () => {
    const l2 = img.layers[1]!;
    reg.corrupt.add(l2.digest);
    try {
      const d = await daemon();
      await assert.rejects(d.puller.pull(`${host}/lib/app:v1`), /digest mismatch/);
      assert.equal(d.images.store.list().length, 0);
      assert.deepEqual(await d.images.snapshotter.listLayers(), []);
      assert.deepEqual(await readdir(d.partials.dir), []);
    } finally {
      reg.corrupt.delete(l2.digest);
    }
  });

  it('falls back from a failing mirror to the origin', async () => {
    const mirror = new FakeRegistry();
    mirror.failAll = true;
    const mhost = await mirror.start();
    try {
      const d = await daemon({ mirrors: [`http://${mhost}`] });
      const r = await d.puller.pull(`${host}/lib/app:v1`);
      assert.equal(r.id, img.id);
    } finally {
      await mirror.stop();
    }
  });

  it('uses a mirror that has the image', async () => {
    const mirror = new FakeRegistry();
    const mhost = await mirror.start();
    try {
      const mimg = await makeImage(mirror, root, 'v1');
      reg.gets.clear();
      const d = await daemon({ mirrors: [mhost] });
      const r = await d.puller.pull(`${host}/lib/app:v1`);
      assert.equal(r.id, mimg.id);
      assert.equal(reg.gets.size, 0);
      assert.ok(mirror.gets.size > 0);
    } finally {
      await mirror.stop();
    }
  });

  it('answers the bearer token flow and words refusals like Docker', async () => {
    reg.token = { user: 'u', pass: 'p' };
    try {
      const d = await daemon();
      const r = await d.puller.pull(`${host}/lib/app:v1`, { credentials: { username: 'u', password: 'p' } });
      assert.equal(r.id, img.id);
      await assert.rejects(d.puller.pull(`${host}/lib/app:v1`, { credentials: { username: 'u', password: 'bad' } }), (e: Error) => {
        assert.equal(e.message, `pull access denied for ${host}/lib/app, repository does not exist or may require 'docker login': unauthorized: incorrect username or password`);
        return true;
      });
      await assert.rejects(d.puller.pull(`${host}/lib/app:nosuch`, { credentials: { username: 'u', password: 'p' } }), (e: Error) => {
        assert.equal(e.message, `manifest for ${host}/lib/app:nosuch not found: manifest unknown: manifest unknown`);
        return true;
      });
    } finally {
      reg.token = undefined;
    }
  });
});
