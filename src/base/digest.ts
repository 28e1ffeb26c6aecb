// Content digests ("sha256:<64 hex>") and OCI layer chain ids.

import { createHash } from 'node:crypto';
import { invalidArgument } from './errors.ts';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export const isDigest = (s: string): boolean => DIGEST_RE.test(s);

/** Validates a digest before it is used in a path: a bad one must never escape the blob directory. */
export function assertDigest(s: string): string {
  if (!isDigest(s)) throw invalidArgument(`invalid digest: ${JSON.stringify(s)}`, 'invalid_digest');
  return s;
}

/** The 64-hex part of a sha256 digest. */
export const digestHex = (digest: string): string => assertDigest(digest).slice('sha256:'.length);

export const sha256Digest = (data: string | Uint8Array): string =>
  'sha256:' + createHash('sha256').update(data).digest('hex');

/**
 * OCI chain id: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
 * It names a layer *together with everything below it*, so one unpacked snapshot serves every image sharing the stack.
 */
export function chainIdOf(parentChainId: string | null, diffId: string): string {
  assertDigest(diffId);
  return parentChainId === null ? diffId : sha256Digest(`${assertDigest(parentChainId)} ${diffId}`);
}

/** Chain ids for every prefix of a layer stack, bottom first. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let parent: string | null = null;
  for (const d of diffIds) {
    parent = chainIdOf(parent, d);
    out.push(parent);
  }
  return out;
}
