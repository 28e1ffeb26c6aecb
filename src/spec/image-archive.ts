// Image archive formats (`docker save` / `docker load`): the OCI image layout (oci-layout, index.json,
// blobs/<alg>/<hex>) and Docker's legacy manifest.json / repositories files that docker 25+ writes beside it.

export const MEDIA_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const MEDIA_DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** containerd's annotation with the full image name ("docker.io/library/busybox:latest"). */
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
/** OCI's ref name: a tag ("latest") or, by some writers, a whole reference. */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
  annotations?: Record<string, string>;
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: OciDescriptor[];
  annotations?: Record<string, string>;
}

/** One entry of docker-archive's manifest.json. */
export interface DockerArchiveManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  LayerSources?: Record<string, OciDescriptor>;
}

export const OCI_LAYOUT_FILE = { imageLayoutVersion: '1.0.0' } as const;
