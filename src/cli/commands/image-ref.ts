// Docker's normalisation of image references: "busybox" → docker.io/library/busybox:latest, shown as
// "busybox:latest" in messages.

export interface ImageRef {
  /** Repository with registry, e.g. docker.io/library/busybox or 127.0.0.1:5000/app. */
  repository: string;
  tag?: string;
  digest?: string;
  /** The familiar form with the tag, as docker prints it ("busybox:latest"). */
  familiar: string;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  if (!tag && !digest) tag = 'latest';
  const first = rest.split('/')[0]!;
  const hasDomain = rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository: string;
  let familiarRepo: string;
  if (hasDomain) {
    repository = rest;
    familiarRepo = rest.startsWith('docker.io/') ? rest.slice('docker.io/'.length).replace(/^library\//, '') : rest;
  } else {
    repository = `docker.io/${rest.includes('/') ? rest : `library/${rest}`}`;
    familiarRepo = rest.replace(/^library\//, '');
  }
  const familiar = familiarRepo + (tag ? `:${tag}` : '') + (digest ? `@${digest}` : '');
  return { repository, tag, digest, familiar };
}
