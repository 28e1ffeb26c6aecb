import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChallenges, TokenCache } from './auth.ts';
import { isInsecure, pullEndpoints, registryConfigInfo, registryFromServerAddress } from './hosts.ts';
import { decodeRegistryAuth, credentialsOf, splitSearchTerm } from './login-search.ts';

test('parses WWW-Authenticate challenges', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="basic-realm"'), [{ scheme: 'basic', params: { realm: 'basic-realm' } }]);
});

test('token cache expires tokens early', () => {
  let now = 0;
  const c = new TokenCache(() => now);
  c.set('k', 't', 60);
  assert.equal(c.get('k'), 't');
  now = 56_000;
  assert.equal(c.get('k'), undefined);
});

test('insecure registries, mirrors and server addresses', () => {
  assert.equal(isInsecure('127.0.0.1:5000', {}), true);
  assert.equal(isInsecure('localhost:5000', {}), true);
  assert.equal(isInsecure('[::1]:5000', {}), true);
  assert.equal(isInsecure('reg.example:5000', {}), false);
  assert.equal(isInsecure('reg.example:5000', { insecure: ['reg.example:5000'] }), true);
  assert.equal(isInsecure('10.1.2.3:5000', { insecure: ['10.0.0.0/8'] }), true);
  const eps = pullEndpoints('docker.io', { mirrors: ['https://mirror.example'], mirrorsByHost: { 'docker.io': ['127.0.0.1:6000'] } });
  assert.deepEqual(eps.map((e) => e.base), ['http://127.0.0.1:6000', 'https://mirror.example', 'https://registry-1.docker.io']);
  assert.equal(registryFromServerAddress('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(registryFromServerAddress('http://127.0.0.1:5000/'), '127.0.0.1:5000');
  const info = registryConfigInfo({ insecure: ['reg.example:5000'], mirrors: ['https://m.example/'] });
  assert.equal(info.IndexServerAddress, 'https://index.docker.io/v1/');
  assert.deepEqual((info.RegistryConfig.IndexConfigs as Record<string, { Secure: boolean }>)['reg.example:5000']!.Secure, false);
});

test('X-Registry-Auth decoding and search terms', () => {
  const h = Buffer.from(JSON.stringify({ username: 'u', password: 'p', serveraddress: 'h:1' })).toString('base64url');
  assert.deepEqual(credentialsOf(decodeRegistryAuth(h)), { username: 'u', password: 'p' });
  assert.equal(decodeRegistryAuth('%%%'), undefined);
  assert.deepEqual(credentialsOf({ auth: Buffer.from('a:b:c').toString('base64') }), { username: 'a', password: 'b:c' });
  assert.deepEqual(splitSearchTerm('127.0.0.1:5000/busy', 'docker.io'), { registry: '127.0.0.1:5000', term: 'busy' });
  assert.deepEqual(splitSearchTerm('busy', 'docker.io'), { registry: 'docker.io', term: 'busy' });
});
