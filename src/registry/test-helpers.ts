// Helpers for the registry's unit tests.
import { sha256Digest } from '../base/digest.ts';
import { MEDIA_TYPE } from '../spec/distribution.ts';
import type { Registry } from './registry.ts';

async function* one(b: Buffer) {
  yield b;
}

export async function pushBlob(reg: Registry, repo: string, content: string): Promise<{ digest: string; size: number }> {
  const b = Buffer.from(content);
  const id = await reg.uploads.start(repo);
  await reg.uploads.append(repo, id, one(b));
  await reg.finishUpload(repo, id, sha256Digest(b));
  return { digest: sha256Digest(b), size: b.length };
}

export function imageManifest(config: { digest: string; size: number }, layers: { digest: string; size: number }[], extra = {}) {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
      ...extra,
    }),
  );
}

