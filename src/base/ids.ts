import { randomBytes } from 'node:crypto';
import { conflict, notFound } from './errors.ts';

/** A 64-hex id like Docker's container and exec ids. */
export function newId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // Docker avoids all-numeric short ids: they would parse as numbers in some tools.
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export interface Named {
  id: string;
  name?: string;
}

/**
 * Resolves a user's reference to one object the way Docker does: exact id, then exact name, then unique id prefix.
 * An ambiguous prefix is an error that names the candidates' count.
 */
export function resolveByIdOrName<T extends Named>(items: Iterable<T>, ref: string, kind: string): T {
  const all = [...items];
  const exact = all.find((c) => c.id === ref);
  if (exact) return exact;
  const bare = ref.startsWith('/') ? ref.slice(1) : ref;
  const byName = all.find((c) => c.name === bare);
  if (byName) return byName;
  if (/^[0-9a-f]+$/.test(ref)) {
    const matches = all.filter((c) => c.id.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw conflict(`multiple IDs found with provided prefix: ${ref}`, 'ambiguous_prefix');
    }
  }
  throw notFound(`No such ${kind}: ${ref}`, `${kind}_not_found`);
}
