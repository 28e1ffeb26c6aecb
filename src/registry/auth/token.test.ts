import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { isRegistryError } from '../registry-error.ts';
import { Acl, parseScope } from './acl.ts';
import { Authorizer } from './authorizer.ts';
import { Htpasswd } from './htpasswd.ts';
import { TokenSigner, tokenCovers } from './token.ts';

const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

test('scopes parse; the ACL grants per account and repository glob', () => {
  assert.deepEqual(parseScope('repository:a/b:pull,push'), { type: 'repository', name: 'a/b', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.equal(parseScope('nonsense'), undefined);
  const acl = new Acl([
    { account: 'alice', name: 'alice/*', actions: ['pull', 'push'] },
    { account: '*', name: 'public/*', actions: ['pull'] },
    { account: 'admin', name: '*', actions: ['*'] },
  ]);
  const want = (name: string) => ({ type: 'repository', name, actions: ['pull', 'push', 'delete'] });
  assert.deepEqual(acl.granted('alice', want('alice/app')), ['pull', 'push']);
  assert.deepEqual(acl.granted('alice', want('public/x')), ['pull']);
  assert.deepEqual(acl.granted(undefined, want('public/x')), ['pull']);
  assert.deepEqual(acl.granted('bob', want('alice/app')), []);
  assert.deepEqual(acl.granted('admin', want('any/thing')), ['pull', 'push', 'delete']);
  assert.deepEqual(new Acl().granted('bob', want('x')), ['pull', 'push', 'delete']);
  assert.deepEqual(new Acl().granted(undefined, want('x')), []);
});

test('tokens: ES256 sign/verify, expiry, tampering, audience; key persisted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-token-'));
  try {
    const keyPath = join(dir, '_auth', 'token-key.pem');
    const s = await TokenSigner.open(keyPath, { issuer: 'iss', service: 'svc' });
    assert.equal((await stat(keyPath)).mode & 0o777, 0o600);
    const again = await TokenSigner.open(keyPath, { issuer: 'iss', service: 'svc' });
    assert.equal(again.kid, s.kid);
    assert.match(s.kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    const access = [{ type: 'repository', name: 'a', actions: ['pull'] }];
    const { token, claims } = s.issue('alice', access);
    assert.equal(claims.exp - claims.iat, 300);
    const v = again.verify(token);
    assert.equal(v?.sub, 'alice');
    assert.ok(tokenCovers(v!, { type: 'repository', name: 'a', actions: ['pull'] }));
    assert.ok(!tokenCovers(v!, { type: 'repository', name: 'a', actions: ['pull', 'push'] }));
    assert.ok(!tokenCovers(v!, { type: 'repository', name: 'b', actions: ['pull'] }));
    assert.equal(s.verify(token, Date.now() + 301_000), undefined);
    const [h, b, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, access: [{ type: 'repository', name: 'b', actions: ['push'] }] })).toString('base64url');
    assert.equal(s.verify(`${h}.${forged}.${sig}`), undefined);
    assert.equal(s.verify(`${h}.${b}`), undefined);
    const otherService = await TokenSigner.open(keyPath, { issuer: 'iss', service: 'other' });
    assert.equal(otherService.verify(token), undefined);
    const otherKey = await TokenSigner.open(join(dir, 'k2.pem'), { issuer: 'iss', service: 'svc' });
    assert.equal(otherKey.verify(token), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('authorizer: basic challenge, token challenge, insufficient scope, denied, token endpoint', async () => {
  const hash = await bcrypt.hash('secret', 4);
  const htpasswd = Htpasswd.parse(`# comment\nalice:${hash.replace(/^\$2b\$/, '$2y$')}\nbob:${await bcrypt.hash('pw', 4)}\nplain:nothashed\n`);
  assert.equal(htpasswd.size, 2);
  assert.equal(await htpasswd.verify('alice', 'secret'), true);
  assert.equal(await htpasswd.verify('alice', 'wrong'), false);
  assert.equal(await htpasswd.verify('plain', 'nothashed'), false);
  const acl = new Acl([
    { account: 'alice', name: 'alice/*', actions: ['pull', 'push'] },
    { account: '*', name: 'public/*', actions: ['pull'] },
  ]);
  const pull = (name: string) => ({ type: 'repository', name, actions: ['pull'] });
  const push = (name: string) => ({ type: 'repository', name, actions: ['pull', 'push'] });

  const b = new Authorizer({ htpasswd, acl });
  assert.equal(b.mode, 'basic');
  await assert.rejects(b.authorize(undefined, []), (e: unknown) =>
    isRegistryError(e, 'UNAUTHORIZED') && e.headers['WWW-Authenticate'] === 'Basic realm="Berth Registry"');
  await assert.rejects(b.authorize(basic('alice', 'bad'), []), (e: unknown) => isRegistryError(e, 'UNAUTHORIZED'));
  assert.deepEqual(await b.authorize(basic('alice', 'secret'), [push('alice/app')]), { account: 'alice' });
  await assert.rejects(b.authorize(basic('bob', 'pw'), [push('alice/app')]), (e: unknown) => isRegistryError(e, 'DENIED') && e.status === 403);
  assert.deepEqual(await b.authorize(undefined, [pull('public/x')]), { account: undefined });

  const dir = await mkdtemp(join(tmpdir(), 'berth-token-'));
  try {
    const signer = await TokenSigner.open(join(dir, 'k.pem'), { issuer: 'berth', service: 'svc' });
    const t = new Authorizer({ htpasswd, acl, realm: 'http://127.0.0.1:1/token', signer });
    assert.equal(t.mode, 'token');
    await assert.rejects(t.authorize(undefined, [push('alice/app')]), (e: unknown) =>
      isRegistryError(e, 'UNAUTHORIZED') &&
      e.headers['WWW-Authenticate'] === 'Bearer realm="http://127.0.0.1:1/token",service="svc",scope="repository:alice/app:pull,push"');
    await assert.rejects(t.token(basic('alice', 'nope'), []), (e: unknown) => isRegistryError(e, 'UNAUTHORIZED'));
    const tok = await t.token(basic('alice', 'secret'), ['repository:alice/app:pull,push', 'repository:bob/x:pull', 'repository:public/y:pull,push']);
    assert.equal(tok.token, tok.access_token);
    assert.equal(tok.expires_in, 300);
    const claims = signer.verify(tok.token)!;
    assert.deepEqual(claims.access, [
      { type: 'repository', name: 'alice/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'public/y', actions: ['pull'] },
    ]);
    const bearer = 'Bearer ' + tok.token;
    assert.deepEqual(await t.authorize(bearer, [push('alice/app')]), { account: 'alice' });
    assert.deepEqual(await t.authorize(bearer, []), { account: 'alice' });
    // Grantable but not in this token: 401 insufficient_scope so the client asks again.
    await assert.rejects(t.authorize(bearer, [pull('alice/other')]), (e: unknown) =>
      isRegistryError(e, 'UNAUTHORIZED') && e.headers['WWW-Authenticate']!.includes('error="insufficient_scope"'));
    // Never grantable to alice: 403.
    await assert.rejects(t.authorize(bearer, [push('public/y')]), (e: unknown) => isRegistryError(e, 'DENIED'));
    const anon = await t.token(undefined, ['repository:public/y:pull,push', 'repository:alice/app:pull']);
    assert.deepEqual(signer.verify(anon.token)!.access, [{ type: 'repository', name: 'public/y', actions: ['pull'] }]);
    await assert.rejects(t.authorize('Bearer ' + anon.token, [pull('alice/app')]), (e: unknown) => isRegistryError(e, 'UNAUTHORIZED'));
    await assert.rejects(t.authorize('Bearer garbage', []), (e: unknown) =>
      isRegistryError(e, 'UNAUTHORIZED') && e.headers['WWW-Authenticate']!.includes('invalid_token'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
