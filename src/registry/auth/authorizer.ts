// Decides each request: open (no --htpasswd, no --realm), Basic (htpasswd) or Bearer tokens (--realm), with the ACL
// deciding which actions an account has. Failures are RegistryErrors carrying the challenge header:
//   401 UNAUTHORIZED  + WWW-Authenticate: Basic realm="Berth Registry"
//   401 UNAUTHORIZED  + WWW-Authenticate: Bearer realm="<realm>",service="<service>",scope="repository:n:pull,push"
//   403 DENIED        an authenticated account the ACL does not allow (no challenge: a new token would not help)
import { RegistryError } from '../registry-error.ts';
import type { Access } from './acl.ts';
import { Acl, formatScope, parseScope } from './acl.ts';
import type { Htpasswd } from './htpasswd.ts';
import { parseBasic } from './htpasswd.ts';
import type { TokenSigner } from './token.ts';
import { TOKEN_TTL_SECONDS, tokenCovers } from './token.ts';

export const BASIC_REALM = 'Berth Registry';

export interface AuthOptions {
  htpasswd?: Htpasswd;
  acl?: Acl;
  /** Token mode: the realm URL clients fetch tokens from, and the signer. */
  realm?: string;
  signer?: TokenSigner;
}

export interface Principal {
  /** undefined: anonymous. */
  account?: string;
}

export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

export class Authorizer {
  readonly mode: 'none' | 'basic' | 'token';
  private readonly htpasswd?: Htpasswd;
  private readonly acl: Acl;
  private readonly realm?: string;
  private readonly signer?: TokenSigner;

  constructor(opts: AuthOptions) {
    this.htpasswd = opts.htpasswd;
    this.acl = opts.acl ?? new Acl();
    this.realm = opts.realm;
    this.signer = opts.signer;
    this.mode = opts.realm !== undefined && opts.signer !== undefined ? 'token' : opts.htpasswd ? 'basic' : 'none';
  }

  /**
   * Checks that the request may perform `need` (empty: the /v2/ ping, which only needs a valid identity).
   * Returns who is asking.
   */
  async authorize(authorization: string | undefined, need: Access[]): Promise<Principal> {
    if (this.mode === 'none') return {};
    if (this.mode === 'basic') return this.authorizeBasic(authorization, need);
    return this.authorizeToken(authorization, need);
  }

  /** Whether `account` may see a repository (catalog/search filtering). */
  canPull(principal: Principal, name: string): boolean {
    if (this.mode === 'none') return true;
    return this.acl.granted(principal.account, { type: 'repository', name, actions: ['pull'] }).length === 1;
  }

  /** Resolves Basic credentials against htpasswd: the account, undefined for none, UNAUTHORIZED for wrong ones. */
  async basicAccount(authorization: string | undefined, challenge: Record<string, string>): Promise<string | undefined> {
    const creds = parseBasic(authorization);
    if (creds === undefined) return undefined;
    if (this.htpasswd === undefined || !(await this.htpasswd.verify(creds.user, creds.password))) {
      throw new RegistryError('UNAUTHORIZED', 'invalid username or password', { headers: challenge });
    }
    return creds.user;
  }

  private basicChallenge(): Record<string, string> {
    return { 'WWW-Authenticate': `Basic realm="${BASIC_REALM}"` };
  }

  private async authorizeBasic(authorization: string | undefined, need: Access[]): Promise<Principal> {
    const challenge = this.basicChallenge();
    const account = await this.basicAccount(authorization, challenge);
    const allowed = need.every((a) => this.acl.granted(account, a).length === a.actions.length);
    if (account === undefined && (need.length === 0 || !allowed)) {
      throw new RegistryError('UNAUTHORIZED', 'authentication required', { headers: challenge, detail: need });
    }
    if (!allowed) throw new RegistryError('DENIED', undefined, { detail: need });
    return { account };
  }

  private bearerChallenge(need: Access[], error?: string): Record<string, string> {
    let v = `Bearer realm="${this.realm}",service="${this.signer!.service}"`;
    if (need.length > 0) v += `,scope="${need.map(formatScope).join(' ')}"`;
    if (error !== undefined) v += `,error="${error}"`;
    return { 'WWW-Authenticate': v };
  }

  private async authorizeToken(authorization: string | undefined, need: Access[]): Promise<Principal> {
    const m = authorization === undefined ? null : /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const claims = m === null ? undefined : this.signer!.verify(m[1]!);
    if (claims === undefined) {
      throw new RegistryError('UNAUTHORIZED', 'authentication required', {
        headers: this.bearerChallenge(need, m === null ? undefined : 'invalid_token'),
        detail: need,
      });
    }
    const account = claims.sub === '' ? undefined : claims.sub;
    const lacking = need.filter((a) => !tokenCovers(claims, a));
    if (lacking.length === 0) return { account };
    // A new token would help only if the ACL would grant it; an anonymous client may still log in.
    const grantable = lacking.every((a) => this.acl.granted(account, a).length === a.actions.length);
    if (account !== undefined && !grantable) throw new RegistryError('DENIED', undefined, { detail: lacking });
    throw new RegistryError('UNAUTHORIZED', 'insufficient scope', {
      headers: this.bearerChallenge(need, 'insufficient_scope'),
      detail: lacking,
    });
  }

  /** The token endpoint: GET /token?service=&scope=... with optional Basic credentials. */
  async token(authorization: string | undefined, scopes: string[]): Promise<TokenResponse> {
    if (this.signer === undefined) throw new RegistryError('UNSUPPORTED', 'token auth is not enabled');
    const account = await this.basicAccount(authorization, this.basicChallenge());
    const access: Access[] = [];
    for (const s of scopes.flatMap((x) => x.split(' ')).filter((x) => x !== '')) {
      const want = parseScope(s);
      if (want === undefined) continue;
      const granted = this.acl.granted(account, want);
      if (granted.length > 0) access.push({ type: want.type, name: want.name, actions: granted });
    }
    const { token, claims } = this.signer.issue(account, access);
    return {
      token,
      access_token: token,
      expires_in: TOKEN_TTL_SECONDS,
      issued_at: new Date(claims.iat * 1000).toISOString(),
    };
  }
}
