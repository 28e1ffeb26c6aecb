// Docker registry token auth (distribution's docs/spec/auth/token.md): JWTs signed ES256 with a P-256 key that the
// server creates once under ROOT/_auth/token-key.pem. Claims: iss, sub (account, "" for anonymous), aud (service),
// iat/nbf/exp, jti, access: [{type, name, actions}].
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { Access } from './acl.ts';

export const TOKEN_TTL_SECONDS = 300;

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** libtrust's key id: the SPKI DER's sha256, first 240 bits, base32 in 12 colon-separated groups of 4. */
export function libtrustKeyId(pub: KeyObject): string {
  const der = pub.export({ type: 'spki', format: 'der' });
  const h = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of h) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join(':');
}

export class TokenSigner {
  readonly issuer: string;
  readonly service: string;
  private readonly key: KeyObject;
  private readonly pub: KeyObject;
  readonly kid: string;

  constructor(key: KeyObject, opts: { issuer: string; service: string }) {
    this.key = key;
    this.pub = createPublicKey(key);
    this.kid = libtrustKeyId(this.pub);
    this.issuer = opts.issuer;
    this.service = opts.service;
  }

  /** Loads the signing key from `path`, creating it (mode 0600) on first use. */
  static async open(path: string, opts: { issuer: string; service: string }): Promise<TokenSigner> {
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const { privateKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });
      pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, pem, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
        pem = await readFile(path, 'utf8'); // another process created it first
      });
    }
    return new TokenSigner(createPrivateKey(pem), opts);
  }

  issue(account: string | undefined, access: Access[], now = Date.now()): { token: string; claims: TokenClaims } {
    const iat = Math.floor(now / 1000);
    const claims: TokenClaims = {
      iss: this.issuer,
      sub: account ?? '',
      aud: this.service,
      exp: iat + TOKEN_TTL_SECONDS,
      nbf: iat - 1,
      iat,
      jti: randomBytes(16).toString('hex'),
      access,
    };
    const head = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: this.kid }));
    const body = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return { token: `${head}.${body}.${b64url(sig)}`, claims };
  }

  /** Checks signature, issuer, audience and times; undefined for any token that is not good now. */
  verify(token: string, now = Date.now()): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [head, body, sig] = parts as [string, string, string];
    let header: { alg?: string };
    let claims: TokenClaims;
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: string };
      if (header.alg !== 'ES256') return undefined;
      const ok = verify('sha256', Buffer.from(`${head}.${body}`), { key: this.pub, dsaEncoding: 'ieee-p1363' },
        Buffer.from(sig, 'base64url'));
      if (!ok) return undefined;
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    const t = Math.floor(now / 1000);
    if (claims.iss !== this.issuer || claims.aud !== this.service) return undefined;
    if (typeof claims.exp !== 'number' || claims.exp < t || (typeof claims.nbf === 'number' && claims.nbf > t + 60)) {
      return undefined;
    }
    if (!Array.isArray(claims.access)) claims.access = [];
    return claims;
  }
}

/** Whether the token's access claims cover every action of `need`. */
export function tokenCovers(claims: TokenClaims, need: Access): boolean {
  const have = new Set<string>();
  for (const a of claims.access) {
    if (a.type === need.type && a.name === need.name) for (const x of a.actions) have.add(x);
  }
  return need.actions.every((x) => have.has(x) || have.has('*'));
}
