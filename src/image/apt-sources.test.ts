import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chooseDebianMirror, discoverDebianMirror, parseDeb822Sources, parseOneLineSources } from './apt-sources.ts';

// Fixture hosts are reserved example names: nothing here is a real mirror.
const ONE_LINE = `# main archive
deb http://mirror.example/debian bookworm main contrib
deb-src http://mirror.example/debian bookworm main
  # indented comment
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian/ bookworm-updates main
deb [ enabled=no ] http://off.example/debian bookworm main
deb https://third.example/apt cloud-sdk-bookworm main
deb http://security.example/debian-security bookworm-security main # trailing comment
deb broken-line-without-suite
`;

const DEB822 = `# comment line
Types: deb deb-src
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBF...
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
URIs: https://vendor.example/node_20.x
Suites: nodistro
Components: main
Enabled: no
`;

describe('apt sources', () => {
  it('parses the one-line format', () => {
    const s = parseOneLineSources(ONE_LINE);
    assert.equal(s.length, 6);
    assert.deepEqual(s[0], { types: ['deb'], uris: ['http://mirror.example/debian'], suites: ['bookworm'], components: ['main', 'contrib'], signedBy: undefined, enabled: true });
    assert.deepEqual(s[1]!.types, ['deb-src']);
    assert.equal(s[2]!.signedBy, '/usr/share/keyrings/debian-archive-keyring.gpg');
    assert.deepEqual(s[2]!.suites, ['bookworm-updates']);
    assert.equal(s[3]!.enabled, false);
    assert.deepEqual(s[5]!.components, ['main']);
  });

  it('parses the deb822 format, comments, continuation lines and Enabled', () => {
    const s = parseDeb822Sources(DEB822);
    assert.equal(s.length, 3);
    assert.deepEqual(s[0], {
      types: ['deb', 'deb-src'], uris: ['http://mirror.example/debian'], suites: ['bookworm', 'bookworm-updates'],
      components: ['main'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg', enabled: true,
    });
    assert.equal(s[1]!.signedBy, undefined, 'an inline key is not a keyring path');
    assert.equal(s[2]!.enabled, false);
  });

  it('chooses the main archive for the suite, never security, third-party or disabled sources', () => {
    assert.deepEqual(chooseDebianMirror(parseOneLineSources(ONE_LINE), 'bookworm'), { uri: 'http://mirror.example/debian', keyring: undefined });
    assert.deepEqual(chooseDebianMirror(parseDeb822Sources(DEB822), 'bookworm'), {
      uri: 'http://mirror.example/debian', keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
    });
    // A trixie machine's mirror serves bookworm too.
    const trixie = parseOneLineSources('deb http://other.example/debian trixie main\n');
    assert.deepEqual(chooseDebianMirror(trixie, 'bookworm'), { uri: 'http://other.example/debian', keyring: undefined });
    assert.equal(chooseDebianMirror(parseOneLineSources('deb http://security.example/debian-security bookworm-security main\ndeb https://third.example/apt nodistro main\n'), 'bookworm'), undefined);
    assert.equal(chooseDebianMirror(parseOneLineSources('deb cdrom:[Debian]/ bookworm main\n'), 'bookworm'), undefined);
    assert.equal(chooseDebianMirror([], 'bookworm'), undefined);
  });

  it('reads sources.list and sources.list.d like apt (only .list and .sources)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-apt-'));
    try {
      await mkdir(join(dir, 'sources.list.d'));
      await writeFile(join(dir, 'sources.list.d', 'a.sources.disabled'), 'Types: deb\nURIs: http://wrong.example/debian\nSuites: bookworm\nComponents: main\n');
      await writeFile(join(dir, 'sources.list.d', 'debian.sources'), DEB822);
      assert.equal((await discoverDebianMirror('bookworm', dir))?.uri, 'http://mirror.example/debian');
      await writeFile(join(dir, 'sources.list'), 'deb http://first.example/debian bookworm main\n');
      assert.equal((await discoverDebianMirror('bookworm', dir))?.uri, 'http://first.example/debian');
      assert.equal(await discoverDebianMirror('bookworm', join(dir, 'missing')), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
