// Helpers shared by the snapshotter implementations.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chainIdOf } from '../../base/digest.ts';
import { invalidArgument } from '../../base/errors.ts';
import { isLayerTarFile } from '../diff/unpack-tar.ts';
import type { AppliedLayer, ApplyLayerOptions, LayerInfo } from './snapshotter.ts';

/** Container keys become directory names: no separators, no dot-dot. */
export function validKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(key)) throw invalidArgument(`invalid snapshot key: ${JSON.stringify(key)}`);
  return key;
}

/**
 * The layer is already unpacked: consume the stream only to check that it really is that layer (the caller's
 * chain id claim must not let a different tar stand in for it).
 */
export async function hashOnly(opts: ApplyLayerOptions, existing: LayerInfo): Promise<AppliedLayer> {
  const hash = createHash('sha256');
  const source = isLayerTarFile(opts.tar) ? createReadStream(opts.tar.file, { highWaterMark: 1 << 20 }) : opts.tar;
  for await (const chunk of source as AsyncIterable<Buffer | string>) {
    opts.signal?.throwIfAborted();
    hash.update(chunk);
  }
  const diffId = `sha256:${hash.digest('hex')}`;
  if (diffId !== existing.diffId || chainIdOf(opts.parent, diffId) !== existing.chainId) {
    throw invalidArgument(`layer content does not match ${existing.chainId}: diffId ${diffId}`, 'digest_mismatch');
  }
  return { chainId: existing.chainId, diffId, size: existing.size, existed: true };
}
