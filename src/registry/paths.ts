// Driver paths of the registry layout. The layout is documented at the top of storage/fs-driver.ts.
import { digestHex } from '../base/digest.ts';

export const BLOBS_ROOT = '/blobs/sha256';
export const REPOS_ROOT = '/repositories';
export const UPLOADS_ROOT = '/_uploads';

export const blobDir = (digest: string): string => {
  const hex = digestHex(digest);
  return `${BLOBS_ROOT}/${hex.slice(0, 2)}/${hex}`;
};
export const blobData = (digest: string): string => `${blobDir(digest)}/data`;

export const repoRoot = (name: string): string => `${REPOS_ROOT}/${name}`;
export const layersDir = (name: string): string => `${repoRoot(name)}/_layers/sha256`;
export const layerDir = (name: string, digest: string): string => `${layersDir(name)}/${digestHex(digest)}`;
export const layerLink = (name: string, digest: string): string => `${layerDir(name, digest)}/link`;
export const revisionsDir = (name: string): string => `${repoRoot(name)}/_manifests/revisions/sha256`;
export const revisionDir = (name: string, digest: string): string => `${revisionsDir(name)}/${digestHex(digest)}`;
export const revisionLink = (name: string, digest: string): string => `${revisionDir(name, digest)}/link`;
export const revisionType = (name: string, digest: string): string => `${revisionDir(name, digest)}/mediatype`;
export const tagsDir = (name: string): string => `${repoRoot(name)}/_manifests/tags`;
export const tagLink = (name: string, tag: string): string => `${tagsDir(name)}/${tag}/current/link`;
export const referrersDir = (name: string, subject: string): string =>
  `${repoRoot(name)}/_manifests/referrers/sha256/${digestHex(subject)}/sha256`;
export const referrerDir = (name: string, subject: string, digest: string): string =>
  `${referrersDir(name, subject)}/${digestHex(digest)}`;
export const referrerEntry = (name: string, subject: string, digest: string): string =>
  `${referrerDir(name, subject, digest)}/descriptor`;

export const uploadDir = (uuid: string): string => `${UPLOADS_ROOT}/${uuid}`;
export const uploadData = (uuid: string): string => `${uploadDir(uuid)}/data`;
export const uploadInfo = (uuid: string): string => `${uploadDir(uuid)}/info`;

/** The digest a `sha256/<hex>` directory entry names. */
export const digestOfHexPath = (p: string): string => 'sha256:' + p.slice(p.lastIndexOf('/') + 1);
