// Registry authentication: WWW-Authenticate challenges (Basic, or Bearer with realm/service/scope) and the Docker
// token flow (GET realm?service=&scope= with Basic credentials, or POST a refresh token), with tokens cached per
// host + account + scope until shortly before they expire.

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth refresh token (docker's IdentityToken). */
  identityToken?: string;
  /** A bearer token to use as is (docker's RegistryToken). */
  registryToken?: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://x/token",service="reg",scope="repository:a:pull"` (one or more challenges). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : header ? [header] : []) {
    const re = /([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)|([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
    let cur: Challenge | undefined;
    let m: RegExpExecArray | null;
    let last = -1;
    while (re.lastIndex < h.length && (m = re.exec(h)) !== null) {
      if (re.lastIndex === last) break;
      last = re.lastIndex;
      if (m[1] !== undefined && m[2] === undefined) {
        cur = { scheme: m[1].toLowerCase(), params: {} };
        out.push(cur);
      } else if (cur && m[2] !== undefined) {
        cur.params[m[2].toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
      }
    }
  }
  return out;
}

export const basicAuth = (c: Credentials): string | undefined =>
  c.username !== undefined && c.username !== '' ? `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}` : undefined;

export interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Daemon-wide token cache. Keys: host|account|scope. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  get(key: string): string | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (t.expiresAt <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return t.token;
  }

  set(key: string, token: string, expiresInSec: number): void {
    // Refresh a little early; the spec's default lifetime is 60 s.
    const life = Math.max(1, (expiresInSec || 60) - 5) * 1000;
    this.tokens.set(key, { token, expiresAt: this.now() + life });
    if (this.tokens.size > 1000) this.tokens.delete(this.tokens.keys().next().value!);
  }

  /** Forget every token of a host (after a login with other credentials). */
  dropHost(host: string): void {
    for (const k of this.tokens.keys()) if (k.startsWith(`${host}|`)) this.tokens.delete(k);
  }
}

export const tokenKey = (host: string, c: Credentials, scopes: string[]): string =>
  `${host}|${c.username ?? (c.identityToken ? 'identity' : '')}|${[...scopes].sort().join(' ')}`;

/** The URL to ask for a token (GET form). */
export function tokenUrl(ch: Challenge, scopes: string[], c: Credentials): URL {
  const u = new URL(ch.params.realm!);
  if (ch.params.service) u.searchParams.set('service', ch.params.service);
  for (const s of scopes) u.searchParams.append('scope', s);
  if (c.username) u.searchParams.set('account', c.username);
  return u;
}

export const pullScope = (repo: string): string => `repository:${repo}:pull`;
export const pushScope = (repo: string): string => `repository:${repo}:pull,push`;
