// OCI distribution spec v1.1 + Docker registry v2: media types, name/tag grammar, error codes and the manifest shapes
// a registry (server or client) has to understand. Types and validators only: no I/O.

export const MEDIA_TYPE = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPE.ociManifest,
  MEDIA_TYPE.ociIndex,
  MEDIA_TYPE.dockerManifest,
  MEDIA_TYPE.dockerManifestList,
];

export const isIndexMediaType = (t: string): boolean =>
  t === MEDIA_TYPE.ociIndex || t === MEDIA_TYPE.dockerManifestList;

/** Repository name: path components of lowercase alphanumerics joined by separators (distribution spec). */
export const REPOSITORY_NAME_RE =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
export const REPOSITORY_NAME_MAX = 255;
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The digest grammar of the spec; storage here only accepts sha256. */
export const DIGEST_GRAMMAR_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export const isRepositoryName = (s: string): boolean => s.length <= REPOSITORY_NAME_MAX && REPOSITORY_NAME_RE.test(s);
export const isTag = (s: string): boolean => TAG_RE.test(s);

/** Error codes of the distribution spec (plus distribution's PAGINATION_NUMBER_INVALID). */
export type DistributionErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'PAGINATION_NUMBER_INVALID';

export interface DistributionErrorBody {
  errors: { code: DistributionErrorCode | string; message: string; detail?: unknown }[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: { architecture: string; os: string; variant?: string; 'os.version'?: string; 'os.features'?: string[] };
}

/** OCI image manifest or Docker schema2 manifest. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** OCI image index or Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  /** Blobs the manifest needs in the same repository (config + layers, minus foreign layers). */
  blobs: Descriptor[];
  /** Child manifests (index / manifest list). */
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

function checkDescriptor(d: unknown, where: string): Descriptor {
  if (typeof d !== 'object' || d === null) throw new ManifestError(`${where}: not a descriptor`);
  const o = d as Record<string, unknown>;
  if (typeof o.mediaType !== 'string' || o.mediaType === '') throw new ManifestError(`${where}: mediaType missing`);
  if (typeof o.digest !== 'string' || !DIGEST_GRAMMAR_RE.test(o.digest)) throw new ManifestError(`${where}: bad digest`);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
    throw new ManifestError(`${where}: bad size`);
  }
  return o as unknown as Descriptor;
}

const FOREIGN_LAYER_TYPES = new Set([
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

/**
 * Parses and checks a manifest. `contentType` is the request's Content-Type (may be empty); the media type is taken
 * from it, else from the body's mediaType, else guessed from the shape (OCI allows mediaType to be absent).
 */
export function parseManifest(body: Uint8Array, contentType: string): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ManifestError('manifest is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ManifestError('manifest is not an object');
  const m = doc as Record<string, unknown>;
  if (m.schemaVersion !== 2) throw new ManifestError('unsupported schemaVersion (only 2)');
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  const bodyType = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  let mediaType: string;
  if (MANIFEST_MEDIA_TYPES.includes(ct)) mediaType = ct;
  else if (bodyType !== undefined) mediaType = bodyType;
  else mediaType = Array.isArray(m.manifests) ? MEDIA_TYPE.ociIndex : MEDIA_TYPE.ociManifest;
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) throw new ManifestError(`unsupported manifest media type ${mediaType}`);
  if (bodyType !== undefined && bodyType !== mediaType) {
    throw new ManifestError(`mediaType ${bodyType} does not match Content-Type ${mediaType}`);
  }
  const subject = m.subject === undefined ? undefined : checkDescriptor(m.subject, 'subject');
  const artifactType = typeof m.artifactType === 'string' ? m.artifactType : undefined;
  const annotations = isStringMap(m.annotations) ? m.annotations : undefined;
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(m.manifests)) throw new ManifestError('index has no manifests array');
    const manifests = m.manifests.map((d, i) => checkDescriptor(d, `manifests[${i}]`));
    return { mediaType, blobs: [], manifests, subject, artifactType, annotations };
  }
  if (m.config === undefined) throw new ManifestError('manifest has no config');
  if (!Array.isArray(m.layers)) throw new ManifestError('manifest has no layers array');
  const config = checkDescriptor(m.config, 'config');
  const layers = m.layers.map((d, i) => checkDescriptor(d, `layers[${i}]`));
  const blobs = [config, ...layers.filter((l) => !(FOREIGN_LAYER_TYPES.has(l.mediaType) && (l.urls?.length ?? 0) > 0))];
  return {
    mediaType,
    blobs,
    manifests: [],
    subject,
    artifactType: artifactType ?? (mediaType === MEDIA_TYPE.ociManifest ? config.mediaType : undefined),
    annotations,
  };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}
