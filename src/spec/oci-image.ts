// OCI image config (application/vnd.oci.image.config.v1+json, same JSON as Docker's image config). The image id is
// the sha256 of this JSON exactly as stored, so it is serialized once and never re-encoded.

import type { ImageRuntimeConfig } from './docker-api.ts';

export interface ImageHistory {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface OciImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  /** Docker extension: the import/commit message. */
  comment?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: ImageHistory[];
}

/** Go's GOARCH names, which image configs use, for Node's process.arch values. */
export function ociArchitecture(nodeArch: string): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };
  return map[nodeArch] ?? nodeArch;
}

/** Go's time.RFC3339Nano: UTC, fractional seconds only as far as they are non-zero (2024-01-02T03:04:05.5Z). */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.?0*Z$/, 'Z');
}
