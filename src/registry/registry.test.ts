import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256Digest } from '../base/digest.ts';
import { MEDIA_TYPE } from '../spec/distribution.ts';
import { Registry } from './registry.ts';
import { isRegistryError } from './registry-error.ts';
import { MemoryDriver } from './storage/memory-driver.ts';
import { imageManifest, pushBlob } from './test-helpers.ts';

test('manifests: blob checks, tag and digest, media type kept, delete', async () => {
  const reg = new Registry(new MemoryDriver());
  const config = await pushBlob(reg, 'app', '{}');
  const layer = await pushBlob(reg, 'app', 'layer');
  const missing = { digest: sha256Digest('nope'), size: 4 };
  await assert.rejects(
    reg.putManifest('app', 'v1', imageManifest(config, [missing]), MEDIA_TYPE.ociManifest),
    (e: unknown) => isRegistryError(e, 'MANIFEST_BLOB_UNKNOWN'),
  );
  // A blob in another repository does not count.
  const other = await pushBlob(reg, 'other', 'elsewhere');
  await assert.rejects(
    reg.putManifest('app', 'v1', imageManifest(config, [other]), ''),
    (e: unknown) => isRegistryError(e, 'MANIFEST_BLOB_UNKNOWN'),
  );
  await assert.rejects(reg.putManifest('app', 'v1', Buffer.from('{nope'), ''), (e: unknown) => isRegistryError(e, 'MANIFEST_INVALID'));
  const docker = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.dockerManifest,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...layer }],
    }),
  );
  const put = await reg.putManifest('app', 'v1', docker, MEDIA_TYPE.dockerManifest);
  assert.equal(put.digest, sha256Digest(docker));
  await assert.rejects(
    reg.putManifest('app', sha256Digest('x'), docker, MEDIA_TYPE.dockerManifest),
    (e: unknown) => isRegistryError(e, 'DIGEST_INVALID'),
  );
  const byTag = await reg.getManifest('app', 'v1');
  assert.equal(byTag.mediaType, MEDIA_TYPE.dockerManifest);
  assert.deepEqual(byTag.body, docker);
  assert.equal((await reg.getManifest('app', put.digest)).digest, put.digest);
  // An index over it, a list of tags, deletion by tag then by digest.
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.dockerManifestList,
      manifests: [{ mediaType: MEDIA_TYPE.dockerManifest, digest: put.digest, size: docker.length }],
    }),
  );
  await reg.putManifest('app', 'multi', index, MEDIA_TYPE.dockerManifestList);
  assert.deepEqual(await reg.tags('app'), ['multi', 'v1']);
  const orphanIndex = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE.ociManifest, digest: sha256Digest('zz'), size: 2 }] }));
  await assert.rejects(reg.putManifest('app', 'bad', orphanIndex, ''), (e: unknown) => isRegistryError(e, 'MANIFEST_BLOB_UNKNOWN'));
  await reg.deleteManifest('app', 'multi');
  assert.deepEqual(await reg.tags('app'), ['v1']);
  await reg.deleteManifest('app', put.digest);
  assert.deepEqual(await reg.tags('app'), []);
  await assert.rejects(reg.getManifest('app', put.digest), (e: unknown) => isRegistryError(e, 'MANIFEST_UNKNOWN'));
  await assert.rejects(reg.tags('ghost'), (e: unknown) => isRegistryError(e, 'NAME_UNKNOWN'));
  assert.deepEqual(await reg.catalog(), ['app', 'other']);
});

test('referrers: subject index, artifactType filter, removal', async () => {
  const reg = new Registry(new MemoryDriver());
  const config = await pushBlob(reg, 'n/s', '{}');
  const layer = await pushBlob(reg, 'n/s', 'l');
  const image = await reg.putManifest('n/s', 'v1', imageManifest(config, [layer]), '');
  const subject = { mediaType: MEDIA_TYPE.ociManifest, digest: image.digest, size: 1 };
  const sig = imageManifest(config, [], { artifactType: 'application/vnd.example.sig', subject });
  const sbom = imageManifest(config, [], { artifactType: 'application/spdx+json', subject, annotations: { a: 'b' } });
  const r1 = await reg.putManifest('n/s', sha256Digest(sig), sig, '');
  assert.equal(r1.subject, image.digest);
  await reg.putManifest('n/s', sha256Digest(sbom), sbom, '');
  const all = await reg.referrers('n/s', image.digest);
  assert.equal(all.length, 2);
  const only = await reg.referrers('n/s', image.digest, 'application/spdx+json');
  assert.deepEqual(only, [{ mediaType: MEDIA_TYPE.ociManifest, digest: sha256Digest(sbom), size: sbom.length, artifactType: 'application/spdx+json', annotations: { a: 'b' } }]);
  await reg.deleteManifest('n/s', sha256Digest(sig));
  assert.equal((await reg.referrers('n/s', image.digest)).length, 1);
  assert.deepEqual(await reg.referrers('n/s', sha256Digest('unknown')), []);
});

test('cross-repository mount needs the blob in the source repository', async () => {
  const reg = new Registry(new MemoryDriver());
  const b = await pushBlob(reg, 'src', 'shared');
  assert.equal(await reg.mountBlob('dst', 'src', b.digest), true);
  assert.equal((await reg.statBlob('dst', b.digest)).size, b.size);
  assert.equal(await reg.mountBlob('dst2', 'nowhere', b.digest), false);
  await assert.rejects(reg.statBlob('dst2', b.digest), (e: unknown) => isRegistryError(e, 'BLOB_UNKNOWN'));
});
