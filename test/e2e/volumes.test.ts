// Volumes end to end: named volumes shared between containers and outliving them, in-use protection, image VOLUME
// content copied into a fresh anonymous volume (owners and modes kept) and `rm -v`, read-only binds, tmpfs mounts,
// tmpfs-backed local volumes mounted only while used, --volumes-from, the docker CLI's volume commands, bad names,
// and no mounts left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, exists, isRoot, runCmd } from './harness.ts';

const BAD_NAME = (n: string) =>
  `"${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;

describe('volumes', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  let work: string;
  const ok = async (args: string[]) => {
    const r = await d.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const fails = async (args: string[]) => {
    const r = await d.berth(args);
    assert.notEqual(r.code, 0, `berth ${args.join(' ')} should fail: ${r.stdout}`);
    return r.stderr;
  };
  const volumeMounts = async () => (await d.mountsUnder()).filter((m) => m.startsWith(join(d.dataRoot, 'volumes')));

  before(async () => {
    d = await Daemon.start();
    work = join(d.tmp, 'work');
    await mkdir(work);
    await ok(['bootstrap', 'busybox']);
  });
  after(async () => {
    await d.berth(['rmi', '-f', 'volimg']).catch(() => {});
    await d?.destroy();
  });

  test('a named volume is shared between containers, outlives them and cannot be removed while in use', async () => {
    assert.equal(await ok(['volume', 'create', 'vol1']), 'vol1\n');
    await ok(['run', '--rm', '-v', 'vol1:/v', 'busybox', 'sh', '-c', 'echo hello > /v/f']);
    assert.equal(await ok(['run', '--rm', '-v', 'vol1:/v:ro', 'busybox', 'cat', '/v/f']), 'hello\n');
    assert.match(await fails(['run', '--rm', '-v', 'vol1:/v:ro', 'busybox', 'touch', '/v/g']), /Read-only file system/);
    assert.equal(await readFile(join(d.dataRoot, 'volumes/vol1/_data/f'), 'utf8'), 'hello\n');

    // A stopped container still holds its volume (Docker's rule), a running one of course too.
    const holder = (await ok(['create', '--name', 'holder', '-v', 'vol1:/v', 'busybox', 'true'])).trim();
    const r = await d.api('DELETE', '/volumes/vol1');
    assert.equal(r.status, 409);
    assert.equal(r.body.message, `remove vol1: volume is in use - [${holder}]`);
    assert.match(await fails(['volume', 'rm', 'vol1']), new RegExp(`remove vol1: volume is in use - \\[${holder}\\]`));
    assert.match(await fails(['volume', 'rm', '-f', 'vol1']), /volume is in use/);
    const insp = JSON.parse(await ok(['inspect', 'holder']))[0].Mounts;
    assert.deepEqual(insp, [{
      Type: 'volume', Name: 'vol1', Source: join(d.dataRoot, 'volumes/vol1/_data'), Destination: '/v', Driver: 'local', Mode: 'z', RW: true, Propagation: '',
    }]);
    await ok(['rm', 'holder']);

    // -v NAME creates the volume on demand.
    await ok(['run', '--rm', '-v', 'auto1:/a', 'busybox', 'true']);
    assert.equal(JSON.parse(await ok(['volume', 'inspect', 'auto1']))[0].Name, 'auto1');
    assert.equal(await ok(['volume', 'rm', 'vol1', 'auto1']), 'vol1\nauto1\n');
    assert.equal(await exists(join(d.dataRoot, 'volumes/vol1')), false);
    assert.match(await fails(['volume', 'rm', 'vol1']), /get vol1: no such volume/);
    assert.equal((await d.api('DELETE', '/volumes/vol1?force=1')).status, 204);
  });

  test("an image VOLUME gets the image's content on first use; rm -v removes the anonymous volume", async () => {
    await ok(['run', '--name', 'seedsrc', 'busybox', 'sh', '-c', 'mkdir /data && echo seed > /data/seed && chown 1000:1000 /data/seed && chmod 0640 /data/seed && chmod 0750 /data']);
    const imp = await runCmd('sh', ['-c', `"$BERTH" export seedsrc | "$BERTH" import -c 'VOLUME /data' - volimg`], {
      env: { BERTH_HOST: d.host, BERTH: join(import.meta.dirname, '../../bin/berth') },
    });
    assert.equal(imp.code, 0, imp.stderr);
    await ok(['rm', 'seedsrc']);

    assert.equal(await ok(['run', '--name', 'vc', 'volimg', 'sh', '-c', 'cat /data/seed; stat -c "%u:%g %a" /data/seed /data; echo more > /data/more']),
      'seed\n1000:1000 640\n0:0 750\n');
    const mounts = JSON.parse(await ok(['inspect', 'vc']))[0].Mounts;
    assert.equal(mounts.length, 1);
    const anon = mounts[0].Name as string;
    assert.match(anon, /^[0-9a-f]{64}$/);
    assert.equal(mounts[0].Destination, '/data');
    assert.equal(mounts[0].Mode, '');
    const v = JSON.parse(await ok(['volume', 'inspect', anon]))[0];
    assert.deepEqual(v.Labels, { 'com.docker.volume.anonymous': '' });
    // Second start: the volume is not empty, nothing is copied over it.
    await ok(['start', '-a', 'vc']);
    assert.equal(await readFile(join(v.Mountpoint, 'more'), 'utf8'), 'more\n');
    await ok(['rm', '-v', 'vc']);
    assert.match(await fails(['volume', 'inspect', anon]), /no such volume/);

    // Without -v the anonymous volume stays, and prune (anonymous only by default) removes it; named ones stay.
    await ok(['run', '--name', 'vc2', '-v', '/anon2', 'volimg', 'true']);
    const names = (JSON.parse(await ok(['inspect', 'vc2']))[0].Mounts as { Name: string; Destination: string }[])
      .sort((a, b) => a.Destination.localeCompare(b.Destination)).map((m) => m.Name);
    assert.equal(names.length, 2);
    await ok(['rm', 'vc2']);
    await ok(['volume', 'create', 'keepme']);
    const p = await d.docker(['volume', 'prune', '-f']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^Deleted Volumes:\n/);
    for (const n of names) assert.ok(p.stdout.includes(`${n}\n`), p.stdout);
    assert.match(p.stdout, /Total reclaimed space: \d/);
    assert.equal(await ok(['volume', 'ls', '-q']), 'keepme\n');
    assert.equal(await ok(['volume', 'rm', 'keepme']), 'keepme\n');
  });

  test('binds: read-only, created on demand for -v, required to exist for --mount', async () => {
    const host = join(work, 'bind');
    await mkdir(host);
    await writeFile(join(host, 'x'), 'from host\n');
    const r = await d.berth(['run', '--rm', '-v', `${host}:/b:ro`, 'busybox', 'sh', '-c', 'cat /b/x; touch /b/y']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, 'from host\n');
    assert.match(r.stderr, /Read-only file system/);
    assert.equal(await exists(join(host, 'y')), false);
    await ok(['run', '--rm', '--mount', `type=bind,source=${host},target=/b`, 'busybox', 'touch', '/b/z']);
    assert.equal(await exists(join(host, 'z')), true);
    const made = join(work, 'made/deep');
    await ok(['run', '--rm', '-v', `${made}:/m`, 'busybox', 'touch', '/m/ok']);
    assert.equal(await exists(join(made, 'ok')), true);
    assert.match(await fails(['run', '--rm', '--mount', `type=bind,source=${join(work, 'nope')},target=/b`, 'busybox', 'true']),
      /invalid mount config for type "bind": bind source path does not exist: .*\/nope/);
  });

  test('tmpfs mounts and a tmpfs-backed local volume mounted only while used', async () => {
    const out = await ok(['run', '--rm', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts']);
    assert.match(out, /^tmpfs \/t tmpfs .*size=1024k/);
    await ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=2m', 'tv']);
    const data = join(d.dataRoot, 'volumes/tv/_data');
    await ok(['run', '-d', '--name', 'tvc', '-v', 'tv:/t', 'busybox', 'sh', '-c', 'echo x > /t/f; sleep 60']);
    assert.deepEqual(await volumeMounts(), [data]);
    assert.match(await ok(['exec', 'tvc', 'sh', '-c', 'grep " /t " /proc/mounts; cat /t/f']), /^tmpfs \/t tmpfs .*size=2048k.*\nx\n$/s);
    await ok(['rm', '-f', 'tvc']);
    assert.deepEqual(await volumeMounts(), []);
    assert.deepEqual(await readdir(data), []);
    await ok(['volume', 'rm', 'tv']);
    // --mount type=volume with driver options and labels, from the docker CLI: created on demand with them.
    const dm = await d.docker(['run', '--rm', '--mount', 'type=volume,source=mv,target=/m,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-label=k=v',
      'busybox', 'sh', '-c', 'grep " /m " /proc/mounts']);
    assert.equal(dm.code, 0, dm.stderr);
    assert.match(dm.stdout, /^tmpfs \/m tmpfs /);
    const mv = JSON.parse(await ok(['volume', 'inspect', 'mv']))[0];
    assert.deepEqual([mv.Options, mv.Labels], [{ type: 'tmpfs', device: 'tmpfs' }, { k: 'v' }]);
    assert.deepEqual(await volumeMounts(), []);
    await ok(['volume', 'rm', 'mv']);
  });

  test('--volumes-from shares volumes, with :ro', async () => {
    await ok(['create', '--name', 'vsrc', '-v', 'vf:/shared', '-v', '/anonvf', 'busybox', 'true']);
    await ok(['run', '--rm', '--volumes-from', 'vsrc', 'busybox', 'sh', '-c', 'echo a > /shared/a; echo b > /anonvf/b']);
    assert.equal(await ok(['run', '--rm', '--volumes-from', 'vsrc:ro', 'busybox', 'cat', '/shared/a', '/anonvf/b']), 'a\nb\n');
    assert.match(await fails(['run', '--rm', '--volumes-from', 'vsrc:ro', 'busybox', 'touch', '/shared/c']), /Read-only file system/);
    const anon = (JSON.parse(await ok(['inspect', 'vsrc']))[0].Mounts as { Name: string; Destination: string }[]).find((m) => m.Destination === '/anonvf')!.Name;
    await ok(['rm', '-v', 'vsrc']);
    assert.match(await fails(['volume', 'inspect', anon]), /no such volume/);
    assert.equal(await ok(['volume', 'ls', '-q']), 'vf\n');
    await ok(['volume', 'rm', 'vf']);
  });

  test('the docker CLI: volume create, ls, inspect, rm, prune with filters', async () => {
    const dk = async (args: string[]) => {
      const r = await d.docker(args);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal(await dk(['volume', 'create', '--label', 'team=a', 'dv1']), 'dv1\n');
    assert.equal(await dk(['volume', 'create', 'dv2']), 'dv2\n');
    assert.equal(await dk(['volume', 'ls']), 'DRIVER    VOLUME NAME\nlocal     dv1\nlocal     dv2\n');
    assert.equal(await dk(['volume', 'ls', '-q', '--filter', 'label=team=a']), 'dv1\n');
    assert.equal(await dk(['volume', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Scope}}', '--filter', 'name=dv']), 'dv1 team=a local\ndv2  local\n');
    await dk(['create', '--name', 'dvuser', '-v', 'dv2:/x', 'busybox']);
    assert.equal(await dk(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'dv1\n');
    const v = JSON.parse(await dk(['volume', 'inspect', 'dv1']))[0];
    assert.equal(v.Name, 'dv1');
    assert.equal(v.Driver, 'local');
    assert.equal(v.Scope, 'local');
    assert.equal(v.Mountpoint, join(d.dataRoot, 'volumes/dv1/_data'));
    assert.deepEqual(v.Labels, { team: 'a' });
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(await dk(['volume', 'inspect', '-f', '{{.Driver}}/{{.Name}}', 'dv2']), 'local/dv2\n');
    // prune -a: every unused volume matching the filter; dv2 is in use.
    const p = await dk(['volume', 'prune', '-a', '-f']);
    assert.equal(p, 'Deleted Volumes:\ndv1\n\nTotal reclaimed space: 0B\n');
    const rm = await d.docker(['volume', 'rm', 'dv2']);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /Error response from daemon: remove dv2: volume is in use - \[[0-9a-f]{64}\]/);
    await dk(['rm', 'dvuser']);
    assert.equal(await dk(['volume', 'rm', 'dv2']), 'dv2\n');
    const miss = await d.docker(['volume', 'inspect', 'nosuch']);
    assert.equal(miss.code, 1);
    assert.match(miss.stderr, /no such volume/);
  });

  test('bad names and bad specs are 400s with docker\'s messages', async () => {
    const r = await d.api('POST', '/volumes/create', { Name: 'x/y' });
    assert.equal(r.status, 400);
    assert.equal(r.body.message, `create x/y: ${BAD_NAME('x/y')}`);
    assert.match(await fails(['volume', 'create', 'a']), /"a" includes invalid characters/);
    assert.ok((await fails(['run', '--rm', '-v', 'x/y:/d', 'busybox', 'true'])).includes(BAD_NAME('x/y')));
    assert.match(await fails(['run', '--rm', '-v', 'ok1:rel', 'busybox', 'true']), /invalid mount path: 'rel' mount path must be absolute/);
    assert.match(await fails(['run', '--rm', '-v', 'ok1:/d:bogus', 'busybox', 'true']), /invalid mode: bogus/);
    assert.match(await fails(['run', '--rm', '-v', 'ok1:/d', '-v', 'ok2:/d', 'busybox', 'true']), /Duplicate mount point: \/d/);
    assert.match(await fails(['volume', 'create', '-o', 'bogus=1', 'ok3']), /invalid option: "bogus"/);
    assert.equal((await d.api('GET', '/volumes?filters=' + encodeURIComponent('{"bogus":["1"]}'))).status, 400);
    // Nothing half-made: failed creates left no volumes behind.
    assert.deepEqual((await d.api('GET', '/volumes')).body.Volumes, []);
  });

  test('references and active mounts survive a daemon restart', async () => {
    await ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'rtv']);
    const id = (await ok(['run', '-d', '--name', 'rlive', '-v', 'rtv:/t', '-v', 'rnamed:/n', 'busybox', 'sleep', '60'])).trim();
    await d.stop();
    await d.spawn();
    assert.equal((await d.api('DELETE', '/volumes/rnamed')).body.message, `remove rnamed: volume is in use - [${id}]`);
    assert.deepEqual(await volumeMounts(), [join(d.dataRoot, 'volumes/rtv/_data')]);
    await ok(['rm', '-f', 'rlive']);
    assert.deepEqual(await volumeMounts(), []);
    assert.equal(await ok(['volume', 'rm', 'rtv', 'rnamed']), 'rtv\nrnamed\n');
  });

  test('no mounts or volumes left once everything is removed', async () => {
    assert.deepEqual((await d.api('GET', '/containers/json?all=1')).body, []);
    const left = (await d.mountsUnder()).filter((m) => m.startsWith(d.dataRoot) || m.includes('/rootfs'));
    assert.deepEqual(left, []);
  });
});
