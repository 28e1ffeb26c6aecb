// e2e: `berth registry serve` as a child process on 127.0.0.1 (a kernel-chosen port) and a temp root, driven over
// plain HTTP and with skopeo (skipped with a message when skopeo is missing). No root needed.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { BERTH } from './harness.ts';
import {
  RegistryProc,
  basic,
  execFileP,
  http,
  pushImage,
  sha256,
  tinyImage,
  which,
  writeOciLayout,
} from './registry-harness.ts';

const SKOPEO = await which('skopeo');
const skopeoSkip = SKOPEO === undefined ? 'skopeo not installed (apt-get install skopeo)' : false;

async function skopeo(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileP(SKOPEO!, args, { timeout: 60_000 });
}

async function blobFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const base = join(root, 'blobs', 'sha256');
  for (const p of await readdir(base).catch(() => [] as string[])) {
    for (const h of await readdir(join(base, p))) out.push('sha256:' + h);
  }
  return out.sort();
}

describe('registry (open)', () => {
  let reg: RegistryProc;
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'berth-reg-e2e-'));
    reg = await RegistryProc.start();
  });
  after(async () => {
    await reg?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('answers the ping with the API version header', async () => {
    const r = await http(reg.url, 'GET', '/v2/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
    const bad = await http(reg.url, 'GET', '/v2/Bad_Name/tags/list');
    assert.equal(bad.status, 400);
    assert.equal(bad.json().errors[0].code, 'NAME_INVALID');
  });

  it('skopeo pushes an OCI layout and pulls it back with the same digest', { skip: skopeoSkip }, async () => {
    const img = tinyImage('hello from skopeo');
    const src = join(tmp, 'src');
    await writeOciLayout(src, img, 'v1');
    await skopeo('copy', '--dest-tls-verify=false', `oci:${src}:v1`, `docker://${reg.address}/e2e/hello:v1`);
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.address}/e2e/hello:v1`);
    assert.equal(sha256(raw.stdout), img.manifestDigest);
    const back = join(tmp, 'back');
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.address}/e2e/hello:v1`, `oci:${back}:v1`);
    const index = JSON.parse((await execFileP('cat', [join(back, 'index.json')])).stdout);
    assert.equal(index.manifests[0].digest, img.manifestDigest);
    const layer = await http(reg.url, 'GET', `/v2/e2e/hello/blobs/${sha256(img.layer)}`);
    assert.deepEqual(layer.body, img.layer);
  });

  it('resumes a chunked upload after a dropped connection; 416 out of order', async () => {
    const data = Buffer.alloc(256 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 256;
    const start = await http(reg.url, 'POST', '/v2/e2e/chunks/blobs/uploads/');
    assert.equal(start.status, 202);
    const loc = start.headers.location as string;
    assert.equal(start.headers.range, '0-0');
    assert.ok(start.headers['docker-upload-uuid']);
    // First chunk: announce all of it, send half, drop the connection.
    const half = data.length / 2;
    await new Promise<void>((resolve, reject) => {
      const [host, port] = reg.address.split(':');
      const s = connect(Number(port), host!, () => {
        s.write(
          `PATCH ${loc} HTTP/1.1\r\nHost: ${reg.address}\r\nContent-Type: application/octet-stream\r\n` +
            `Content-Range: 0-${data.length - 1}\r\nContent-Length: ${data.length}\r\n\r\n`,
        );
        s.write(data.subarray(0, half), () => setTimeout(() => {
          s.destroy();
          resolve();
        }, 300));
      });
      s.on('error', reject);
    });
    let offset = -1;
    for (let i = 0; i < 50 && offset !== half; i++) {
      const st = await http(reg.url, 'GET', loc);
      assert.equal(st.status, 204);
      offset = Number(String(st.headers.range).split('-')[1]) + 1;
      if (offset !== half) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(offset, half, 'the received half survived the dropped connection');
    const ooo = await http(reg.url, 'PATCH', loc, {
      body: data.subarray(half + 10),
      headers: { 'Content-Range': `${half + 10}-${data.length - 1}` },
    });
    assert.equal(ooo.status, 416);
    assert.equal(ooo.headers.range, `0-${half - 1}`);
    const rest = await http(reg.url, 'PATCH', loc, {
      body: data.subarray(half),
      headers: { 'Content-Range': `${half}-${data.length - 1}`, 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(rest.status, 202);
    assert.equal(rest.headers.range, `0-${data.length - 1}`);
    const done = await http(reg.url, 'PUT', `${loc}?digest=${sha256(data)}`);
    assert.equal(done.status, 201);
    assert.equal(done.headers['docker-content-digest'], sha256(data));
    const got = await http(reg.url, 'GET', `/v2/e2e/chunks/blobs/${sha256(data)}`);
    assert.deepEqual(got.body, data);
    // Range reads.
    const part = await http(reg.url, 'GET', `/v2/e2e/chunks/blobs/${sha256(data)}`, { headers: { Range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 10-19/${data.length}`);
    assert.deepEqual(part.body, data.subarray(10, 20));
    const unsat = await http(reg.url, 'GET', `/v2/e2e/chunks/blobs/${sha256(data)}`, { headers: { Range: `bytes=${data.length}-` } });
    assert.equal(unsat.status, 416);
    const gone = await http(reg.url, 'GET', loc);
    assert.equal(gone.status, 404);
    assert.equal(gone.json().errors[0].code, 'BLOB_UPLOAD_UNKNOWN');
  });

  it('a digest mismatch leaves nothing visible', async () => {
    const before = await blobFiles(reg.root);
    const body = Buffer.from('the real content');
    const claimed = sha256('something else');
    const mono = await http(reg.url, 'POST', `/v2/e2e/bad/blobs/uploads/?digest=${claimed}`, { body });
    assert.equal(mono.status, 400);
    assert.equal(mono.json().errors[0].code, 'DIGEST_INVALID');
    const start = await http(reg.url, 'POST', '/v2/e2e/bad/blobs/uploads/');
    const loc = start.headers.location as string;
    await http(reg.url, 'PATCH', loc, { body });
    const fin = await http(reg.url, 'PUT', `${loc}?digest=${claimed}`);
    assert.equal(fin.status, 400);
    assert.equal(fin.json().errors[0].code, 'DIGEST_INVALID');
    for (const d of [claimed, sha256(body)]) {
      assert.equal((await http(reg.url, 'HEAD', `/v2/e2e/bad/blobs/${d}`)).status, 404);
    }
    assert.deepEqual(await blobFiles(reg.root), before);
    assert.deepEqual(await readdir(join(reg.root, '_uploads')), []);
  });

  it('manifests: unknown blobs refused, Accept negotiation, referrers, delete', async () => {
    const img = tinyImage('manifests');
    const r0 = await http(reg.url, 'PUT', '/v2/e2e/man/manifests/v1', {
      body: img.manifest,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(r0.status, 400);
    assert.equal(r0.json().errors[0].code, 'MANIFEST_BLOB_UNKNOWN');
    await pushImage(reg.url, 'e2e/man', 'v1', img);
    const get = await http(reg.url, 'GET', '/v2/e2e/man/manifests/v1', {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    });
    assert.equal(get.status, 200);
    assert.equal(get.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(get.headers['docker-content-digest'], img.manifestDigest);
    const head = await http(reg.url, 'HEAD', `/v2/e2e/man/manifests/${img.manifestDigest}`);
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), img.manifest.length);
    const refused = await http(reg.url, 'GET', '/v2/e2e/man/manifests/v1', {
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    assert.equal(refused.status, 404);
    assert.equal(refused.json().errors[0].code, 'MANIFEST_UNKNOWN');
    // A referrer (an artifact whose subject is the image).
    const empty = Buffer.from('{}');
    await http(reg.url, 'POST', `/v2/e2e/man/blobs/uploads/?digest=${sha256(empty)}`, { body: empty });
    const art = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.example.signature',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
      layers: [],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.manifestDigest, size: img.manifest.length },
    }));
    const put = await http(reg.url, 'PUT', `/v2/e2e/man/manifests/${sha256(art)}`, {
      body: art,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(put.status, 201);
    assert.equal(put.headers['oci-subject'], img.manifestDigest);
    const refs = await http(reg.url, 'GET', `/v2/e2e/man/referrers/${img.manifestDigest}?artifactType=application/vnd.example.signature`);
    assert.equal(refs.status, 200);
    assert.equal(refs.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(refs.json().manifests.map((m: { digest: string }) => m.digest), [sha256(art)]);
    const none = await http(reg.url, 'GET', `/v2/e2e/man/referrers/${img.manifestDigest}?artifactType=other`);
    assert.deepEqual(none.json().manifests, []);
    // Cross-repository mount.
    const mount = await http(reg.url, 'POST', `/v2/e2e/mounted/blobs/uploads/?mount=${sha256(img.layer)}&from=e2e/man`);
    assert.equal(mount.status, 201);
    assert.equal((await http(reg.url, 'HEAD', `/v2/e2e/mounted/blobs/${sha256(img.layer)}`)).status, 200);
    const del = await http(reg.url, 'DELETE', `/v2/e2e/man/manifests/${sha256(art)}`);
    assert.equal(del.status, 202);
    assert.deepEqual((await http(reg.url, 'GET', `/v2/e2e/man/referrers/${img.manifestDigest}`)).json().manifests, []);
  });

  it('catalog and tags paginate with Link; search finds repositories with descriptions', async () => {
    const img = tinyImage('pages', { description: 'A tiny paged image' });
    for (const t of ['a', 'b', 'c', 'd', 'e']) await pushImage(reg.url, 'pages/img', t, img);
    const p1 = await http(reg.url, 'GET', '/v2/pages/img/tags/list?n=2');
    assert.deepEqual(p1.json(), { name: 'pages/img', tags: ['a', 'b'] });
    assert.equal(p1.headers.link, '</v2/pages/img/tags/list?n=2&last=b>; rel="next"');
    const next = /<([^>]+)>/.exec(p1.headers.link as string)![1]!;
    assert.deepEqual((await http(reg.url, 'GET', next)).json().tags, ['c', 'd']);
    const p3 = await http(reg.url, 'GET', '/v2/pages/img/tags/list?n=2&last=d');
    assert.deepEqual(p3.json().tags, ['e']);
    assert.equal(p3.headers.link, undefined);
    assert.equal((await http(reg.url, 'GET', '/v2/nope/tags/list')).json().errors[0].code, 'NAME_UNKNOWN');
    const all = (await http(reg.url, 'GET', '/v2/_catalog')).json().repositories as string[];
    assert.ok(all.includes('pages/img'));
    assert.deepEqual(all, [...all].sort());
    const c1 = await http(reg.url, 'GET', '/v2/_catalog?n=1');
    assert.equal(c1.json().repositories.length, 1);
    assert.equal(c1.headers.link, `</v2/_catalog?n=1&last=${encodeURIComponent(all[0]!)}>; rel="next"`);
    const c2 = await http(reg.url, 'GET', `/v2/_catalog?n=100&last=${all[0]}`);
    assert.deepEqual(c2.json().repositories, all.slice(1));
    const s = (await http(reg.url, 'GET', '/v1/search?q=pages&n=10')).json();
    assert.equal(s.query, 'pages');
    assert.equal(s.num_results, 1);
    assert.deepEqual(s.results[0], {
      name: 'pages/img', description: 'A tiny paged image', star_count: 0, is_official: false, is_automated: false,
    });
  });

  it('gc: dry run reports, real run deletes the unreferenced blob and keeps the image', async () => {
    const img = tinyImage('gc keeps me');
    await pushImage(reg.url, 'gc/app', 'v1', img);
    const junk = Buffer.from('nobody references this blob');
    await http(reg.url, 'POST', `/v2/gc/app/blobs/uploads/?digest=${sha256(junk)}`, { body: junk });
    const dry = await execFileP(BERTH, ['registry', 'gc', '--root', reg.root, '--dry-run']);
    assert.match(dry.stdout, new RegExp(`would delete blob ${sha256(junk)} \\(${junk.length} bytes\\)`));
    assert.match(dry.stdout, /would free \d+ bytes/);
    assert.ok((await blobFiles(reg.root)).includes(sha256(junk)));
    const real = await execFileP(BERTH, ['registry', 'gc', '--root', reg.root]);
    assert.match(real.stdout, new RegExp(`deleting blob ${sha256(junk)}`));
    const left = await blobFiles(reg.root);
    assert.ok(!left.includes(sha256(junk)));
    for (const d of [img.manifestDigest, sha256(img.config), sha256(img.layer)]) assert.ok(left.includes(d));
    assert.equal((await http(reg.url, 'HEAD', `/v2/gc/app/blobs/${sha256(junk)}`)).status, 404);
    assert.equal((await http(reg.url, 'GET', '/v2/gc/app/manifests/v1')).status, 200);
    assert.equal((await http(reg.url, 'GET', `/v2/gc/app/blobs/${sha256(img.layer)}`)).status, 200);
  });
});

describe('registry auth', () => {
  let tmp: string;
  let htpasswdFile: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'berth-reg-auth-'));
    htpasswdFile = join(tmp, 'htpasswd');
    // As `htpasswd -nbB` writes it ($2y$ prefix).
    const hash = (await bcrypt.hash('s3cret', 5)).replace(/^\$2b\$/, '$2y$');
    await writeFile(htpasswdFile, `alice:${hash}\n`);
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('basic: 401 with the Basic challenge, wrong password refused, right one works', async () => {
    const reg = await RegistryProc.start(['--htpasswd', htpasswdFile]);
    try {
      const r = await http(reg.url, 'GET', '/v2/');
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], 'Basic realm="Berth Registry"');
      assert.equal(r.json().errors[0].code, 'UNAUTHORIZED');
      assert.equal((await http(reg.url, 'GET', '/v2/', { headers: { Authorization: basic('alice', 'nope') } })).status, 401);
      assert.equal((await http(reg.url, 'GET', '/v2/', { headers: { Authorization: basic('alice', 's3cret') } })).status, 200);
      const img = tinyImage('auth');
      await pushImage(reg.url, 'private/app', 'v1', img, { Authorization: basic('alice', 's3cret') });
      if (SKOPEO !== undefined) {
        await assert.rejects(
          skopeo('inspect', '--tls-verify=false', '--creds', 'alice:wrong', `docker://${reg.address}/private/app:v1`),
          /unauthorized|401|invalid/i,
        );
        const ok = await skopeo('inspect', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${reg.address}/private/app:v1`);
        assert.equal(JSON.parse(ok.stdout).Digest, img.manifestDigest);
      }
    } finally {
      await reg.stop();
    }
  });

  it('token: Bearer challenge, /token with Basic, ACL scopes, skopeo round trip', async () => {
    const acl = join(tmp, 'acl.json');
    await writeFile(acl, JSON.stringify([
      { account: 'alice', name: 'alice/*', actions: ['pull', 'push'] },
      { account: '*', name: 'public/*', actions: ['pull'] },
    ]));
    const reg = await RegistryProc.start(['--htpasswd', htpasswdFile, '--acl', acl, '--realm', 'http://{addr}/token', '--service', 'berth-test']);
    try {
      const ping = await http(reg.url, 'GET', '/v2/');
      assert.equal(ping.status, 401);
      assert.equal(ping.headers['www-authenticate'], `Bearer realm="http://${reg.address}/token",service="berth-test"`);
      const need = await http(reg.url, 'GET', '/v2/alice/app/tags/list');
      assert.match(String(need.headers['www-authenticate']), /scope="repository:alice\/app:pull"/);
      const bad = await http(reg.url, 'GET', '/token?service=berth-test', { headers: { Authorization: basic('alice', 'x') } });
      assert.equal(bad.status, 401);
      const tok = await http(reg.url, 'GET', '/token?service=berth-test&scope=repository:alice/app:pull,push&scope=repository:other/x:pull', {
        headers: { Authorization: basic('alice', 's3cret') },
      });
      assert.equal(tok.status, 200);
      const body = tok.json();
      assert.equal(body.token, body.access_token);
      assert.equal(body.expires_in, 300);
      assert.ok(body.issued_at);
      const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString());
      assert.deepEqual(claims.access, [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }]);
      const auth = { Authorization: `Bearer ${body.token}` };
      assert.equal((await http(reg.url, 'GET', '/v2/', { headers: auth })).status, 200);
      const img = tinyImage('token');
      await pushImage(reg.url, 'alice/app', 'v1', img, auth);
      const denied = await http(reg.url, 'GET', '/v2/other/x/tags/list', { headers: auth });
      assert.equal(denied.status, 403);
      assert.equal(denied.json().errors[0].code, 'DENIED');
      if (SKOPEO !== undefined) {
        const src = join(tmp, 'oci');
        await writeOciLayout(src, tinyImage('skopeo token'), 't');
        await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${src}:t`, `docker://${reg.address}/alice/sk:t`);
        const out = await skopeo('inspect', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${reg.address}/alice/sk:t`);
        assert.equal(JSON.parse(out.stdout).Name, `${reg.address}/alice/sk`);
        await assert.rejects(skopeo('inspect', '--tls-verify=false', '--creds', 'alice:wrong', `docker://${reg.address}/alice/sk:t`));
      }
    } finally {
      await reg.stop();
    }
  });
});
