// On-disk layout of one container's log: PATH is the live file conmon appends to; rotated copies
// are PATH.1 (newest) … PATH.N (oldest). Shared by the rotator (writes the layout) and the reader.
import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export function rotatedPath(path: string, n: number): string {
  return `${path}.${n}`;
}

/** Indices N of existing PATH.N siblings, ascending. */
export async function rotatedIndices(path: string): Promise<number[]> {
  const prefix = basename(path) + '.';
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  const out: number[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (/^[1-9]\d*$/.test(rest)) out.push(Number(rest));
  }
  return out.sort((a, b) => a - b);
}

export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
