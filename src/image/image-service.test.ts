import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../base/digest.ts';
import { shortId } from '../base/ids.ts';
import { run } from '../sys/exec.ts';
import { OverlaySnapshotter } from '../store/snapshot/overlay-snapshotter.ts';
import { makeLayerTar } from '../store/snapshot/snapshotter.contract.ts';
import { applyConfigChanges } from './config-changes.ts';
import { ImageService } from './image-service.ts';

const noContainers = { imageInUse: () => null };

describe('ImageService', () => {
  let root: string;
  let images: ImageService;
  let tar: Buffer;

  before(async () => {
    root = await mkdtemp('/var/tmp/berth-imgsvc-test-');
    images = await ImageService.open({ root, snapshotter: await OverlaySnapshotter.open(root) });
    tar = await makeLayerTar({ 'bin/': null, 'etc/os-release': 'NAME=test\n', 'data.txt': 'x'.repeat(1000) }, root);
  });
  after(() => rm(root, { recursive: true, force: true }));

  const layers = () => images.snapshotter.listLayers();
  const blobs = () => images.content.list();

  it('imports a gzip rootfs with changes and shows it like Docker', async () => {
    const id = await images.importRootfs(Readable.from([gzipSync(tar)]), {
      repoTag: 'test/app:1',
      changes: ['CMD ["/bin/app", "-v"]', 'ENV A=1 B="two words"', 'WORKDIR /srv', 'EXPOSE 80 53/udp', 'LABEL k=v', 'USER nobody'],
    });
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const diffId = sha256Digest(tar);
    const inspect = images.inspect('test/app:1');
    assert.equal(inspect.Id, id);
    assert.deepEqual(inspect.RepoTags, ['test/app:1']);
    assert.deepEqual(inspect.RootFS, { Type: 'layers', Layers: [diffId] });
    assert.deepEqual(inspect.Config?.Cmd, ['/bin/app', '-v']);
    assert.deepEqual(inspect.Config?.Env, ['A=1', 'B=two words']);
    assert.equal(inspect.Config?.WorkingDir, '/srv');
    assert.deepEqual(inspect.Config?.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    assert.deepEqual(inspect.Config?.Labels, { k: 'v' });
    assert.equal(inspect.Config?.User, 'nobody');
    assert.equal(inspect.Comment, 'Imported from -');
    assert.equal(inspect.Os, 'linux');
    assert.equal(inspect.Architecture, process.arch === 'x64' ? 'amd64' : inspect.Architecture);
    assert.equal(inspect.GraphDriver.Name, 'overlay2');
    assert.equal(inspect.GraphDriver.Data?.UpperDir, join(root, 'overlay/layers', diffId.slice(7), 'diff'));
    assert.ok(inspect.Size >= 1000 + 10);
    assert.notEqual(inspect.Metadata.LastTagTime, '0001-01-01T00:00:00Z');
    // The id is the digest of the stored config, and both blobs are in the content store.
    assert.equal(sha256Digest(await images.content.readBuffer(id)), id);
    assert.deepEqual((await blobs()).sort(), [id, diffId].sort());

    const [summary] = images.list();
    assert.deepEqual(Object.keys(summary!).sort(), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size'].sort());
    assert.equal(summary!.Id, id);
    assert.equal(summary!.ParentId, '');
    assert.equal(summary!.SharedSize, -1);
    assert.ok(Math.abs(summary!.Created - Date.now() / 1000) < 60);
    assert.deepEqual(images.list({ filters: JSON.stringify({ reference: ['test/*'] }) }).length, 1);
    assert.deepEqual(images.list({ filters: JSON.stringify({ dangling: ['true'] }) }), []);
    const [hist] = images.history('test/app:1');
    assert.equal(hist!.Id, id);
    assert.equal(hist!.Comment, 'Imported from -');
    assert.equal(images.layerChainFor(id), diffId);
  });

  it('re-importing identical content reuses the layer; rmi deletes layers only when unused', async () => {
    const a = images.resolve('test/app:1').id;
    const b = await images.importRootfs(Readable.from([tar]), { repoTag: 'other:latest', message: 'second' });
    assert.notEqual(a, b);
    const diffId = sha256Digest(tar);
    assert.deepEqual(await layers(), [diffId]);

    assert.deepEqual(await images.remove('test/app:1', noContainers), [{ Untagged: 'test/app:1' }, { Deleted: a }]);
    assert.deepEqual(await layers(), [diffId], 'layer kept: "other" still uses it');
    assert.equal(await images.content.has(diffId), true);

    assert.deepEqual(await images.remove('other', noContainers), [{ Untagged: 'other:latest' }, { Deleted: b }, { Deleted: diffId }]);
    assert.deepEqual(await layers(), []);
    assert.deepEqual(await blobs(), []);
    assert.deepEqual(images.list(), []);
  });

  it('follows Docker rmi rules for multiple tags, ids and containers', async () => {
    const id = await images.importRootfs(Readable.from([tar]), { repoTag: 'a:1' });
    await images.tag('a:1', 'a:2');
    // Not hex: Docker treats a name that is also an id prefix as an id (isImageIDPrefix), so avoid one here.
    await images.tag(id, 'zed');
    const short = shortId(id);

    await assert.rejects(images.remove(short, noContainers), {
      category: 'conflict',
      message: `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
    });
    assert.deepEqual(await images.remove('a:1', noContainers), [{ Untagged: 'a:1' }]);

    const stopped = { imageInUse: (i: string) => (i === id ? 'c0ffee1234567890' : null) };
    // Not the last reference: untagging is fine even while a container uses the image.
    assert.deepEqual(await images.remove('a:2', stopped), [{ Untagged: 'a:2' }]);
    await assert.rejects(images.remove('zed', stopped), {
      category: 'conflict',
      message: `conflict: unable to remove repository reference "zed" (must force) - container c0ffee123456 is using its referenced image ${short}`,
    });
    await assert.rejects(images.remove(id, stopped), {
      message: `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container c0ffee123456`,
    });

    const running = { ...stopped, runningContainerFor: stopped.imageInUse };
    await assert.rejects(images.remove(id, { ...running, force: true }), {
      message: `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container c0ffee123456`,
    });
    // Forcing a name used by a running container only untags it.
    assert.deepEqual(await images.remove('zed', { ...running, force: true }), [{ Untagged: 'zed:latest' }]);
    assert.equal(images.resolve(id).id, id);

    // Dangling now; a stopped container's image is deleted with force, but its layer stays for the container.
    assert.deepEqual(await images.remove(short, { ...stopped, force: true }), [{ Deleted: id }]);
    assert.deepEqual(await layers(), [sha256Digest(tar)]);
    assert.deepEqual(await images.gcLayers([sha256Digest(tar)]), []);
    assert.deepEqual(await images.gcLayers(), [sha256Digest(tar)]);
    assert.deepEqual(await layers(), []);

    await assert.rejects(images.remove('nope:1', noContainers), { category: 'not_found', message: 'No such image: nope:1' });
  });

  it('rejects bad changes and bad archives without leaving anything behind', async () => {
    await assert.rejects(images.importRootfs(Readable.from([tar]), { changes: ['FOO bar'] }), {
      category: 'invalid_argument',
      message: 'dockerfile parse error line 1: unknown instruction: FOO',
    });
    await assert.rejects(images.importRootfs(Readable.from([tar]), { changes: ['CMD x', 'RUN true'] }), /RUN is not a valid change command/);
    await assert.rejects(images.importRootfs(Readable.from([tar]), { repoTag: 'Bad' }), /must be lowercase/);
    await assert.rejects(images.importRootfs(Readable.from([Buffer.alloc(4096, 7)])), /tar/);
    // gzip that breaks midway
    const gz = gzipSync(tar);
    await assert.rejects(images.importRootfs(Readable.from([gz.subarray(0, gz.length - 30)])));
    assert.deepEqual(await layers(), []);
    assert.deepEqual(await blobs(), []);
    assert.deepEqual(images.list(), []);
    assert.deepEqual(await readdir(join(root, 'overlay/tmp')), []);
    assert.deepEqual(await readdir(join(root, 'content/ingest')), []);
  });

  it('collectGarbage: keeps what images, pins and containers use, and young data; removes the rest', async () => {
    const id = await images.importRootfs(Readable.from([tar]), { repoTag: 'gc:1' });
    const base = sha256Digest(tar);
    // What a load killed after its layers and blobs but before the record leaves: a child layer + its blob + a config.
    const childTar = await makeLayerTar({ 'orphan.txt': 'o' }, root);
    const child = await images.snapshotter.applyLayer({ parent: base, tar: Readable.from([childTar]) });
    await images.content.ingest(childTar);
    const stray = await images.content.ingest(Buffer.from('{"stray":true}'));
    const other = await images.snapshotter.applyLayer({ parent: null, tar: Readable.from([await makeLayerTar({ 'kept.txt': 'k' }, root)]) });
    const unpin = images.pinLayer(other.chainId);
    // Young data is kept (grace period), and a container's layer with its ancestors always.
    assert.deepEqual(await images.collectGarbage(), { layers: [], blobs: [] });
    assert.deepEqual(await images.collectGarbage({ minAgeMs: 0, retainLayers: [child.chainId] }), { layers: [], blobs: [stray.digest] });
    assert.deepEqual(await images.collectGarbage({ minAgeMs: 0 }), { layers: [child.chainId], blobs: [child.diffId] });
    unpin();
    assert.deepEqual(await images.collectGarbage({ minAgeMs: 0 }), { layers: [other.chainId], blobs: [] });
    assert.deepEqual(await layers(), [base]);
    assert.deepEqual((await blobs()).sort(), [id, base].sort());
    await images.remove('gc:1', noContainers);
  });

  it('imports xz and zstd archives', async () => {
    const xz = (await run('xz', ['-c'], { input: tar })).stdout;
    const zst = (await run('zstd', ['-c', '-q'], { input: tar })).stdout;
    const a = await images.importRootfs(Readable.from([xz]), { created: new Date(0) });
    const b = await images.importRootfs(zst, { created: new Date(0) });
    assert.equal(a, b, 'same content and time: same image id');
    assert.equal(images.inspect(a).Created, '1970-01-01T00:00:00Z');
    await images.remove(a, noContainers);
    assert.deepEqual(await layers(), []);
  });
});

describe('applyConfigChanges', () => {
  it('handles shell and exec forms, ENTRYPOINT resetting CMD, and legacy ENV', () => {
    assert.deepEqual(applyConfigChanges({}, ['CMD echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(applyConfigChanges({ Cmd: ['x'] }, ['ENTRYPOINT ["/e"]']), { Cmd: null, Entrypoint: ['/e'] });
    assert.deepEqual(applyConfigChanges({}, ['CMD ["c"]', 'ENTRYPOINT /e']), { Cmd: ['c'], Entrypoint: ['/bin/sh', '-c', '/e'] });
    assert.deepEqual(applyConfigChanges({ Env: ['A=0'] }, ['ENV A 1 2', 'env B=3']).Env, ['A=1 2', 'B=3']);
    assert.deepEqual(applyConfigChanges({}, ['VOLUME ["/a", "/b"]', 'VOLUME /c']).Volumes, { '/a': {}, '/b': {}, '/c': {} });
    assert.equal(applyConfigChanges({ WorkingDir: '/a' }, ['WORKDIR b/../c']).WorkingDir, '/a/c');
    assert.deepEqual(applyConfigChanges({}, ['EXPOSE 8000-8002/tcp']).ExposedPorts, { '8000/tcp': {}, '8001/tcp': {}, '8002/tcp': {} });
    assert.equal(applyConfigChanges({}, ['STOPSIGNAL SIGTERM']).StopSignal, 'SIGTERM');
    assert.deepEqual(applyConfigChanges({}, ['ONBUILD run echo']).OnBuild, ['RUN echo']);
    assert.throws(() => applyConfigChanges({}, ['EXPOSE 80/xyz']), /Invalid proto/);
    assert.throws(() => applyConfigChanges({}, ['CMD x', 'BOGUS y']), /dockerfile parse error line 2: unknown instruction: BOGUS/);
  });
});
