// htpasswd files with bcrypt entries ("user:$2y$..."), as `htpasswd -B` writes them. Other hash kinds are refused
// (distribution accepts only bcrypt too). Successful checks are cached briefly: clients send Basic credentials on
// every request and a bcrypt comparison costs tens of milliseconds.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';

const CACHE_MS = 5 * 60 * 1000;

export class Htpasswd {
  private readonly entries: Map<string, string>;
  private readonly ok = new Map<string, number>();

  constructor(entries: Map<string, string>) {
    this.entries = entries;
  }

  static parse(text: string): Htpasswd {
    const entries = new Map<string, string>();
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const i = line.indexOf(':');
      if (i <= 0) continue;
      const hash = line.slice(i + 1);
      if (/^\$2[abxy]\$\d\d\$/.test(hash)) entries.set(line.slice(0, i), hash);
    }
    return new Htpasswd(entries);
  }

  static async load(path: string): Promise<Htpasswd> {
    return Htpasswd.parse(await readFile(path, 'utf8'));
  }

  get size(): number {
    return this.entries.size;
  }

  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.entries.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    const until = this.ok.get(key);
    if (until !== undefined && until > Date.now()) return true;
    // bcryptjs knows $2a$/$2b$; $2y$ (htpasswd's) is the same algorithm.
    const good = await bcrypt.compare(password, hash.replace(/^\$2[xy]\$/, '$2b$'));
    if (good) this.ok.set(key, Date.now() + CACHE_MS);
    return good;
  }
}

/** Decodes `Authorization: Basic ...`. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(header.trim());
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}
