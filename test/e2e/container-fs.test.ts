// A container's filesystem from the outside: diff, commit (multi-layer, whiteouts, opaque dirs), export → import,
// import from a URL, and cp both ways (files, dirs, "-" tar streams), including containers whose symlinks point at
// "/" or "..": those must resolve inside the container, never on the host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Daemon, isRoot, runCmd } from './harness.ts';

describe('container filesystem', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  let work: string;
  const images: string[] = [];
  const ok = async (args: string[]) => {
    const r = await d.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const sh = (script: string) => runCmd('sh', ['-c', script], { env: { BERTH_HOST: d.host, BERTH: join(import.meta.dirname, '../../bin/berth') } });

  before(async () => {
    d = await Daemon.start();
    work = join(d.tmp, 'work');
    await mkdir(work);
    await ok(['bootstrap', 'busybox']);
  });
  after(async () => {
    for (const i of images.reverse()) await d.berth(['rmi', '-f', i]).catch(() => {});
    await d?.destroy();
  });

  test('diff and commit round trip: added, changed, deleted, opaque dir; commit of a commit', async () => {
    await ok(['run', '--name', 'fs1', 'busybox', 'sh', '-c',
      'mkdir -p /x/sub && echo old > /x/old && touch /x/sub/f && echo hi > /etc/new && rm /etc/group && echo extra >> /etc/passwd']);
    assert.equal(await ok(['diff', 'fs1']), 'C /etc\nD /etc/group\nA /etc/new\nC /etc/passwd\nA /x\nA /x/old\nA /x/sub\nA /x/sub/f\n');
    const id1 = (await ok(['commit', '-m', 'first', '-a', 'me', '-c', 'ENV FOO=bar', 'fs1', 'fsimg:one'])).trim();
    images.push('fsimg:one');
    assert.match(id1, /^sha256:[a-f0-9]{64}$/);
    const out1 = await ok(['run', '--rm', 'fsimg:one', 'sh', '-c', 'cat /etc/new; ls /etc/group 2>&1; tail -1 /etc/passwd; ls /x; echo $FOO']);
    assert.match(out1, /^hi\n.*No such file or directory\nextra\nold\nsub\nbar\n$/s);

    await ok(['run', '--name', 'fs2', 'fsimg:one', 'sh', '-c', 'rm -rf /x && mkdir /x && touch /x/new']);
    assert.equal(await ok(['diff', 'fs2']), 'C /x\nA /x/new\nD /x/old\nD /x/sub\n');
    await ok(['commit', 'fs2', 'fsimg:two']);
    images.push('fsimg:two');
    assert.equal(await ok(['run', '--rm', 'fsimg:two', 'sh', '-c', 'ls -A /x; cat /etc/new']), 'new\nhi\n');
    const inspect = JSON.parse(await ok(['image', 'inspect', 'fsimg:two']))[0];
    assert.equal(inspect.RootFS.Layers.length, 3);
    assert.equal(inspect.Parent, id1);
    const one = JSON.parse(await ok(['image', 'inspect', 'fsimg:one']))[0];
    assert.equal(one.Comment, 'first');
    assert.equal(one.Author, 'me');
    assert.ok(one.Config.Env.includes('FOO=bar'));
    // The layer tar carries OCI whiteouts: export of the image's top layer blob is checked via the history sizes.
    const hist = await d.api('GET', '/images/fsimg:two/history');
    assert.equal(hist.status, 200);
    assert.match(hist.body[0].CreatedBy, /rm -rf \/x/);
    // Nothing changed: an empty-layer commit keeps the layer count.
    await ok(['run', '--name', 'fs3', 'fsimg:two', 'true']);
    assert.equal(await ok(['diff', 'fs3']), '');
    await ok(['commit', 'fs3', 'fsimg:three']);
    images.push('fsimg:three');
    assert.equal(JSON.parse(await ok(['image', 'inspect', 'fsimg:three']))[0].RootFS.Layers.length, 3);
    for (const c of ['fs1', 'fs2', 'fs3']) await ok(['rm', c]);
  });

  test('commit pauses a running container and the docker CLI can commit', async () => {
    await ok(['run', '-d', '--name', 'fsrun', 'busybox', 'sh', '-c', 'echo live > /live; sleep 60']);
    const r = await d.docker(['commit', 'fsrun', 'fsimg:live']);
    assert.equal(r.code, 0, r.stderr);
    images.push('fsimg:live');
    const st = JSON.parse(await ok(['inspect', 'fsrun']))[0].State;
    assert.equal(st.Status, 'running');
    assert.equal(await ok(['run', '--rm', 'fsimg:live', 'cat', '/live']), 'live\n');
    await ok(['rm', '-f', 'fsrun']);
  });

  test('export → import → run shows the same files; import from a URL', async () => {
    await ok(['create', '--name', 'fsexp', 'busybox', 'sh']);
    await ok(['cp', join(import.meta.dirname, 'harness.ts'), 'fsexp:/harness.ts']);
    const tarPath = join(work, 'exp.tar');
    await ok(['export', '-o', tarPath, 'fsexp']);
    const listing = (await runCmd('tar', ['-tf', tarPath])).stdout.split('\n');
    assert.ok(listing.includes('harness.ts'), 'exported file');
    assert.ok(listing.includes('bin/busybox'), 'image file');
    const imported = (await ok(['import', tarPath, 'fsimg:exported'])).trim();
    images.push('fsimg:exported');
    assert.match(imported, /^sha256:/);
    const host = await readFile(join(import.meta.dirname, 'harness.ts'), 'utf8');
    assert.equal(await ok(['run', '--rm', 'fsimg:exported', 'cat', '/harness.ts']), host);
    // export refuses a terminal only: piped stdout works (checked through sh).
    const piped = await sh(`"$BERTH" export fsexp | tar -t | grep -c '^bin/busybox$'`);
    assert.equal(piped.stdout.trim(), '1');

    let server: Server | undefined;
    try {
      server = createServer((req, res) => {
        if (req.url === '/redirect') {
          res.writeHead(302, { Location: '/rootfs.tar' }).end();
          return;
        }
        if (req.url !== '/rootfs.tar') return void res.writeHead(404).end();
        res.writeHead(200, { 'Content-Type': 'application/x-tar' });
        createReadStream(tarPath).pipe(res);
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const out = await ok(['import', `http://127.0.0.1:${port}/redirect`, 'fsimg:url']);
      images.push('fsimg:url');
      assert.match(out, /sha256:[a-f0-9]{64}/);
      assert.equal(await ok(['run', '--rm', 'fsimg:url', 'cat', '/harness.ts']), host);
      const hist = await d.api('GET', '/images/fsimg:url/history');
      assert.match(hist.body[0].Comment, /Imported from http:\/\/127\.0\.0\.1/);
      const missing = await d.berth(['import', `http://127.0.0.1:${port}/nope.tar`]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /404/);
    } finally {
      server?.close();
    }
    await ok(['rm', 'fsexp']);
  });

  test('cp both ways, stopped and running, dirs and "-" tar streams', async () => {
    await ok(['create', '--name', 'fscp', 'busybox', 'sleep', '60']);
    const src = join(work, 'srcdir');
    await mkdir(join(src, 'deep'), { recursive: true });
    await writeFile(join(src, 'a.txt'), 'A');
    await writeFile(join(src, 'deep', 'b.txt'), 'B');
    // Stopped container: a dir as itself, then its contents with "/.", then a file under a new name.
    await ok(['cp', src, 'fscp:/tmp']);
    await ok(['cp', `${src}/.`, 'fscp:/opt']);
    await ok(['cp', join(src, 'a.txt'), 'fscp:/renamed.txt']);
    await ok(['start', 'fscp']);
    assert.equal(await ok(['exec', 'fscp', 'sh', '-c', 'cat /tmp/srcdir/a.txt /tmp/srcdir/deep/b.txt /opt/a.txt /opt/deep/b.txt /renamed.txt']), 'ABABA');
    // Running container, back to the host.
    await ok(['exec', 'fscp', 'sh', '-c', 'mkdir -p /data/in && echo C > /data/in/c.txt && ln -s in/c.txt /data/link']);
    const back = join(work, 'back');
    await ok(['cp', 'fscp:/data', back]);
    assert.equal(await readFile(join(back, 'in', 'c.txt'), 'utf8'), 'C\n');
    await ok(['cp', 'fscp:/data/in/c.txt', join(work, 'c-copy.txt')]);
    assert.equal(await readFile(join(work, 'c-copy.txt'), 'utf8'), 'C\n');
    await ok(['cp', '-L', 'fscp:/data/link', join(work, 'followed.txt')]);
    assert.equal(await readFile(join(work, 'followed.txt'), 'utf8'), 'C\n');
    // "-": tar streams on stdout and stdin.
    const listing = await sh(`"$BERTH" cp fscp:/data - | tar -t | sort`);
    assert.equal(listing.stdout, 'data/\ndata/in/\ndata/in/c.txt\ndata/link\n');
    const piped = await sh(`cd ${src} && tar -c a.txt | "$BERTH" cp - fscp:/data/in`);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(await ok(['exec', 'fscp', 'cat', '/data/in/a.txt']), 'A');
    const notDir = await sh(`tar -c -C ${src} a.txt | "$BERTH" cp - fscp:/data/in/c.txt`);
    assert.notEqual(notDir.code, 0);
    assert.match(notDir.stderr, /must be a directory/);
    const missing = await d.berth(['cp', 'fscp:/nope', work]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Could not find the file \/nope in container fscp/);
    // The docker CLI speaks the same endpoints.
    const dk = await d.docker(['cp', 'fscp:/data/in/c.txt', join(work, 'docker-c.txt')]);
    assert.equal(dk.code, 0, dk.stderr);
    assert.equal(await readFile(join(work, 'docker-c.txt'), 'utf8'), 'C\n');
    const dk2 = await d.docker(['cp', join(src, 'a.txt'), 'fscp:/data/from-docker.txt']);
    assert.equal(dk2.code, 0, dk2.stderr);
    assert.equal(await ok(['exec', 'fscp', 'cat', '/data/from-docker.txt']), 'A');
    await ok(['rm', '-f', 'fscp']);
  });

  test('cp never leaves the container through its symlinks', async () => {
    const marker = `berth-escape-${randomBytes(6).toString('hex')}`;
    const hostFile = join(work, marker);
    await writeFile(hostFile, 'from host\n');
    await ok(['run', '-d', '--name', 'fsesc', 'busybox', 'sh', '-c',
      'ln -s / /escape && ln -s ../../.. /tmp/up && mkdir -p /etc && echo container-shadow > /etc/shadow && sleep 60']);
    await new Promise((r) => setTimeout(r, 300));
    // Into the container through a symlink to "/": lands in the container's /tmp, not the host's.
    await ok(['cp', hostFile, 'fsesc:/escape/tmp/']);
    await ok(['cp', hostFile, 'fsesc:/tmp/up/var/']);
    assert.equal(await ok(['exec', 'fsesc', 'cat', `/tmp/${marker}`]), 'from host\n');
    assert.equal(await ok(['exec', 'fsesc', 'cat', `/var/${marker}`]), 'from host\n');
    await assert.rejects(stat(join('/tmp', marker)), 'nothing on the host /tmp');
    await assert.rejects(stat(join('/var', marker)), 'nothing on the host /var');
    // Out of the container through the same links: the container's file, not the host's.
    const shadow = await sh(`"$BERTH" cp fsesc:/escape/etc/shadow - | tar -xO`);
    assert.equal(shadow.stdout, 'container-shadow\n');
    const up = await sh(`"$BERTH" cp fsesc:/tmp/up/etc/shadow - | tar -xO`);
    assert.equal(up.stdout, 'container-shadow\n');
    // A stream whose members walk through the container's symlink is refused, and nothing lands on the host.
    const evil = join(work, 'evil');
    await mkdir(join(evil, 'escape', 'tmp'), { recursive: true });
    await writeFile(join(evil, 'escape', 'tmp', `${marker}-2`), 'x');
    const r = await sh(`tar -c -C ${evil} escape/tmp/${marker}-2 | "$BERTH" cp - fsesc:/`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /symbolic link/);
    await assert.rejects(stat(join('/tmp', `${marker}-2`)));
    // Members with "..": refused.
    const dots = await sh(`tar -c -C ${work} --transform='s,^,../../,' ${marker} | "$BERTH" cp - fsesc:/tmp`);
    assert.notEqual(dots.code, 0);
    // The container still runs (it was paused and resumed around the extraction).
    assert.equal(JSON.parse(await ok(['inspect', 'fsesc']))[0].State.Status, 'running');
    await ok(['rm', '-f', 'fsesc']);
    await rm(hostFile, { force: true });
  });

  test('leaves no temporary mounts behind', async () => {
    assert.deepEqual(await d.mountsUnder(), []);
  });
});
