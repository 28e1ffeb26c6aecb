import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familiarString, normalizedString, parseReference, withDefaultTag } from './reference.ts';

const D = 'sha256:' + 'ab'.repeat(32);

// input → [familiar, normalized (after default tag)]
const VALID: [string, string, string][] = [
  ['busybox', 'busybox', 'docker.io/library/busybox:latest'],
  ['busybox:latest', 'busybox:latest', 'docker.io/library/busybox:latest'],
  ['busybox:1.36.1-musl', 'busybox:1.36.1-musl', 'docker.io/library/busybox:1.36.1-musl'],
  ['library/busybox', 'busybox', 'docker.io/library/busybox:latest'],
  ['docker.io/library/busybox:1', 'busybox:1', 'docker.io/library/busybox:1'],
  ['index.docker.io/busybox', 'busybox', 'docker.io/library/busybox:latest'],
  ['docker.io/busybox', 'busybox', 'docker.io/library/busybox:latest'],
  ['user/app', 'user/app', 'docker.io/user/app:latest'],
  ['user/app/sub', 'user/app/sub', 'docker.io/user/app/sub:latest'],
  ['localhost/app', 'localhost/app', 'localhost/app:latest'],
  ['localhost:5000/x:1', 'localhost:5000/x:1', 'localhost:5000/x:1'],
  ['127.0.0.1:5000/a/b', '127.0.0.1:5000/a/b', '127.0.0.1:5000/a/b:latest'],
  ['[::1]:5000/a', '[::1]:5000/a', '[::1]:5000/a:latest'],
  ['registry.example.com/team/app:v1', 'registry.example.com/team/app:v1', 'registry.example.com/team/app:v1'],
  ['Registry.Example.com/app', 'Registry.Example.com/app', 'Registry.Example.com/app:latest'],
  ['a_b.c__d-e---f', 'a_b.c__d-e---f', 'docker.io/library/a_b.c__d-e---f:latest'],
  [`busybox@${D}`, `busybox@${D}`, `docker.io/library/busybox@${D}`],
  [`busybox:1@${D}`, `busybox:1@${D}`, `docker.io/library/busybox:1@${D}`],
  ['sha256:' + 'a'.repeat(64), 'sha256:' + 'a'.repeat(64), 'docker.io/library/sha256:' + 'a'.repeat(64)],
];

const INVALID: [string, RegExp][] = [
  ['', /^invalid reference format$/],
  ['Busybox', /^invalid reference format: repository name \(library\/Busybox\) must be lowercase$/],
  ['user/App:1', /^invalid reference format: repository name \(user\/App\) must be lowercase$/],
  ['busybox:', /^invalid reference format$/],
  ['busybox:-bad', /^invalid reference format$/],
  [':latest', /^invalid reference format$/],
  ['a//b', /^invalid reference format$/],
  ['a/', /^invalid reference format$/],
  ['-a', /^invalid reference format$/],
  ['a_-b', /^invalid reference format$/],
  ['a___b', /^invalid reference format$/],
  ['busybox@sha256:abc', /^invalid reference format$/],
  ['localhost:port/x', /^invalid reference format$/],
  ['has space', /^invalid reference format$/],
  ['a'.repeat(64).replace(/a/g, 'f'), /cannot specify 64-byte hexadecimal strings/],
  ['busybox:' + 'x'.repeat(129), /^invalid reference format$/],
  ['x/' + 'a'.repeat(260), /must not be more than 255 characters/],
];

describe('parseReference', () => {
  for (const [input, familiar, normalized] of VALID) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      const ref = parseReference(input);
      assert.equal(familiarString(ref), familiar);
      assert.equal(normalizedString(withDefaultTag(ref)), normalized);
    });
  }
  for (const [input, message] of INVALID) {
    it(`rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '...' : input)}`, () => {
      assert.throws(() => parseReference(input), (e: Error & { category?: string }) => {
        assert.match(e.message, message);
        assert.equal(e.category, 'invalid_argument');
        return true;
      });
    });
  }
  it('splits components', () => {
    assert.deepEqual(parseReference('localhost:5000/a/b:v2'), { domain: 'localhost:5000', path: 'a/b', tag: 'v2' });
    assert.deepEqual(parseReference('busybox'), { domain: 'docker.io', path: 'library/busybox' });
    assert.deepEqual(withDefaultTag(parseReference(`busybox@${D}`)), { domain: 'docker.io', path: 'library/busybox', digest: D });
  });
});
