import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Digest } from '../base/digest.ts';
import { parseReference } from '../spec/reference.ts';
import { buildSaveLayout, digestFromPath, parseLoadedConfig, planLoad, tagFromAnnotations, type ArchiveFiles } from './archive-layout.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;

function files(map: Record<string, string | Buffer>): ArchiveFiles {
  return {
    has: (n) => n in map,
    read: async (n) => Buffer.from(map[n]!),
    digestOf: (n) => (n in map ? sha256Digest(Buffer.from(map[n]!)) : undefined),
  };
}

describe('buildSaveLayout', () => {
  it('writes the docker 25+ shapes: manifest.json, index.json with annotations, oci manifests, repositories', () => {
    const layout = buildSaveLayout([
      { id: d('c'), configSize: 10, layers: [{ diffId: d('1'), size: 1024 }, { diffId: d('2'), size: 2048 }], refs: [parseReference('busybox:latest'), parseReference('localhost:5000/x/y:1')] },
      { id: d('e'), configSize: 11, layers: [{ diffId: d('1'), size: 1024 }], refs: [] },
    ]);
    const file = (n: string) => JSON.parse(layout.files.find((f) => f.name === n)!.data.toString());
    assert.deepEqual(layout.files.map((f) => f.name), ['index.json', 'manifest.json', 'oci-layout', 'repositories']);
    assert.deepEqual(file('oci-layout'), { imageLayoutVersion: '1.0.0' });
    assert.deepEqual(file('manifest.json'), [
      { Config: `blobs/sha256/${'c'.repeat(64)}`, RepoTags: ['busybox:latest', 'localhost:5000/x/y:1'], Layers: [`blobs/sha256/${'1'.repeat(64)}`, `blobs/sha256/${'2'.repeat(64)}`] },
      { Config: `blobs/sha256/${'e'.repeat(64)}`, RepoTags: null, Layers: [`blobs/sha256/${'1'.repeat(64)}`] },
    ]);
    assert.deepEqual(file('repositories'), { busybox: { latest: '2'.repeat(64) }, 'localhost:5000/x/y': { '1': '2'.repeat(64) } });
    const index = file('index.json');
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.equal(index.manifests.length, 3, 'one entry per tag, one for the untagged image');
    assert.deepEqual(index.manifests[0].annotations, { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' });
    assert.equal(index.manifests[1].annotations['io.containerd.image.name'], 'localhost:5000/x/y:1');
    assert.equal(index.manifests[2].annotations, undefined);
    // Blobs: each once, sorted; generated manifests carry their bytes and hash to their names.
    const names = layout.blobs.map((b) => b.digest);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes(d('1')) && names.includes(d('2')) && names.includes(d('c')) && names.includes(d('e')));
    const manifests = layout.blobs.filter((b) => b.data);
    assert.equal(manifests.length, 2);
    for (const m of manifests) {
      assert.equal(sha256Digest(m.data!), m.digest);
      assert.equal(m.size, m.data!.length);
    }
    const m0 = JSON.parse(layout.blobs.find((b) => b.digest === index.manifests[0].digest)!.data!.toString());
    assert.deepEqual(m0, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 10 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d('1'), size: 1024 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d('2'), size: 2048 },
      ],
    });
  });
});

describe('planLoad', () => {
  it('reads docker-archive manifest.json, legacy layer paths included', async () => {
    const plans = await planLoad(files({
      'manifest.json': JSON.stringify([{ Config: `${'a'.repeat(64)}.json`, RepoTags: ['busybox:latest', 'me/app:v2'], Layers: ['x1/layer.tar', 'x2/layer.tar'] }]),
      [`${'a'.repeat(64)}.json`]: '{}',
      'x1/layer.tar': 'L1',
      'x2/layer.tar': 'L2',
    }), 'amd64');
    assert.deepEqual(plans, [{ configPath: `${'a'.repeat(64)}.json`, layerPaths: ['x1/layer.tar', 'x2/layer.tar'], tags: ['busybox:latest', 'me/app:v2'] }]);
  });

  it('refuses escaping or missing paths and bad tags', async () => {
    const base = { 'c.json': '{}', 'l.tar': 'x' };
    await assert.rejects(planLoad(files({ ...base, 'manifest.json': JSON.stringify([{ Config: '../c.json', Layers: [] }]) }), 'amd64'), /invalid config path/);
    await assert.rejects(planLoad(files({ ...base, 'manifest.json': JSON.stringify([{ Config: 'c.json', Layers: ['/etc/passwd'] }]) }), 'amd64'), /invalid layer path/);
    await assert.rejects(planLoad(files({ ...base, 'manifest.json': JSON.stringify([{ Config: 'c.json', Layers: ['nope.tar'] }]) }), 'amd64'), /nope.tar is referenced by manifest.json but missing/);
    await assert.rejects(planLoad(files({ ...base, 'manifest.json': JSON.stringify([{ Config: 'c.json', RepoTags: ['Bad:tag'], Layers: [] }]) }), 'amd64'), /must be lowercase/);
    await assert.rejects(planLoad(files({ ...base, 'manifest.json': JSON.stringify([{ Config: 'c.json', RepoTags: ['me/app'], Layers: [] }]) }), 'amd64'), /invalid tag in archive: me\/app/);
    await assert.rejects(planLoad(files({ 'manifest.json': '{oops' }), 'amd64'), /invalid manifest.json/);
    await assert.rejects(planLoad(files({ 'foo': 'x' }), 'amd64'), /neither manifest.json nor index.json/);
  });

  it('reads a plain OCI layout through nested indexes, tags from annotations', async () => {
    const layer = 'LAYER';
    const config = '{"rootfs":{"type":"layers","diff_ids":[]}}';
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Digest(layer), size: layer.length }] });
    const idx = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(manifest), size: manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('f'), size: 1, platform: { os: 'linux', architecture: 's390x' } },
    ] });
    const blob = (s: string) => `blobs/sha256/${sha256Digest(s).slice(7)}`;
    const plans = await planLoad(files({
      'index.json': JSON.stringify({ schemaVersion: 2, manifests: [
        { mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256Digest(idx), size: idx.length, annotations: { 'io.containerd.image.name': 'docker.io/library/alpine:3' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'example.com/a:v1' } },
      ] }),
      [blob(idx)]: idx, [blob(manifest)]: manifest, [blob(config)]: config, [blob(layer)]: layer,
    }), 'amd64');
    assert.deepEqual(plans, [{ configPath: blob(config), layerPaths: [blob(layer)], tags: ['alpine:3', 'example.com/a:v1'] }]);
  });

  it('tag annotations: containerd name first, a bare ref.name tag names nothing', () => {
    assert.equal(tagFromAnnotations({ 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' }), 'busybox:latest');
    assert.equal(tagFromAnnotations({ 'org.opencontainers.image.ref.name': 'latest' }), undefined);
    assert.equal(tagFromAnnotations({ 'org.opencontainers.image.ref.name': 'quay.io/x/y:2' }), 'quay.io/x/y:2');
    assert.equal(tagFromAnnotations(undefined), undefined);
  });

  it('digest claims by path and config checks', () => {
    assert.equal(digestFromPath(`blobs/sha256/${'a'.repeat(64)}`), d('a'));
    assert.equal(digestFromPath(`${'b'.repeat(64)}.json`), d('b'));
    assert.equal(digestFromPath('abc/layer.tar'), undefined);
    assert.throws(() => parseLoadedConfig(Buffer.from('{"rootfs":{"type":"layers","diff_ids":["x"]}}'), 1), /diff_ids missing or malformed/);
    assert.throws(() => parseLoadedConfig(Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [d('1')] } })), 2), /layers length mismatch: expected 1, got 2/);
    assert.equal(parseLoadedConfig(Buffer.from(JSON.stringify({ os: 'linux', rootfs: { type: 'layers', diff_ids: [d('1')] } })), 1).rootfs.diff_ids[0], d('1'));
  });
});
