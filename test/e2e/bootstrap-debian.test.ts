// `berth bootstrap debian:bookworm` end to end: debootstrap from the machine's Debian mirror inside berthd, a container
// from the image, and the same layer diffID from a second bootstrap. Downloads ~40 MB and takes minutes, so it runs
// only with BERTH_TEST_DEBOOTSTRAP=1 (not in the default suite). When the digests differ, the assertion lists the
// files whose metadata or sha256 differ between the two layer tars.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, isRoot, runCmd } from './harness.ts';

const enabled = process.env.BERTH_TEST_DEBOOTSTRAP === '1';
const LONG = 15 * 60_000;

interface Bootstrapped {
  id: string;
  diffId: string;
  seconds: number;
  size: number;
}

describe('bootstrap debian:bookworm', { skip: (!enabled && 'set BERTH_TEST_DEBOOTSTRAP=1 (downloads ~40 MB)') || (!isRoot() && 'needs root') }, () => {
  let d: Daemon;
  let first: Bootstrapped;
  const blob = (diffId: string) => join(d.dataRoot, 'image/content/blobs/sha256', diffId.replace(/^sha256:/, ''));
  const tmpLeft = async () => readdir(join(d.dataRoot, 'image/bootstrap-tmp')).catch(() => [] as string[]);

  async function bootstrap(name: string): Promise<Bootstrapped> {
    const t0 = Date.now();
    const r = await d.berth(['bootstrap', name], { timeoutMs: LONG });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const seconds = (Date.now() - t0) / 1000;
    assert.match(r.stderr, /Base system installed successfully/);
    const id = r.stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const img = (await d.api('GET', `/images/${id}/json`)).body;
    assert.equal(img.RootFS.Layers.length, 1);
    const diffId = img.RootFS.Layers[0] as string;
    console.log(`# bootstrap ${name}: ${seconds.toFixed(1)} s, image ${id}, layer ${diffId}, ${(img.Size / 1e6).toFixed(1)} MB, created ${img.Created}`);
    assert.deepEqual(await tmpLeft(), [], 'the debootstrap temp dir is removed');
    return { id, diffId, seconds, size: img.Size };
  }

  /** `mode owner size mtime name` + sha256 per entry of a layer tar, sorted by name. */
  async function listing(diffId: string, dir: string): Promise<Map<string, string>> {
    await mkdir(dir, { recursive: true });
    const tv = await runCmd('tar', ['--numeric-owner', '--full-time', '-tvf', blob(diffId)], { timeoutMs: 120_000 });
    const x = await runCmd('tar', ['-xf', blob(diffId), '-C', dir], { timeoutMs: 120_000 });
    assert.equal(x.code, 0, x.stderr);
    const sums = await runCmd('sh', ['-c', 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum', 'sh', dir], { timeoutMs: 120_000 });
    const out = new Map<string, string>();
    for (const l of tv.stdout.split('\n').filter(Boolean)) {
      const parts = l.split(/\s+/);
      const name = parts.slice(5).join(' ').replace(/ -> .*| link to .*/, '');
      out.set(name.replace(/\/$/, ''), [parts[0], parts[1], parts[2], parts[3], parts[4]].join(' '));
    }
    for (const l of sums.stdout.split('\n').filter(Boolean)) {
      const [sum, path] = [l.slice(0, 64), l.slice(66).replace(/^\.\//, '')];
      out.set(path, `${out.get(path) ?? ''} ${sum}`);
    }
    return out;
  }

  before(async () => {
    d = await Daemon.start();
  });
  after(async () => {
    await d?.destroy();
  });

  test('debootstraps debian:bookworm from the configured mirror', { timeout: LONG }, async () => {
    first = await bootstrap('debian:bookworm');
    const img = (await d.api('GET', '/images/debian:12/json')).body;
    assert.equal(img.Id, first.id, 'debian:12 names the same image');
    assert.deepEqual(img.RepoTags.sort(), ['debian:12', 'debian:bookworm']);
    assert.deepEqual(img.Config.Cmd, ['bash']);
    assert.ok(img.Config.Env.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'));
  });

  test('runs a container from it', { timeout: 120_000 }, async () => {
    const v = await d.berth(['run', '--rm', 'debian:bookworm', 'cat', '/etc/debian_version'], { timeoutMs: 60_000 });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout.trim(), /^12\.\d+$/);
    const apt = await d.berth(['run', '--rm', 'debian:12', 'apt-get', '--version'], { timeoutMs: 60_000 });
    assert.equal(apt.code, 0, apt.stderr);
    assert.match(apt.stdout, /^apt 2\.\d/);
    // Default CMD is bash; its shell sees the runtime's /dev, hostname and resolv.conf.
    const sh = await d.berth(['run', '--rm', 'debian:bookworm', 'bash', '-c', 'test -c /dev/null && id -un && ls /var/lib/apt/lists'], { timeoutMs: 60_000 });
    assert.equal(sh.code, 0, sh.stderr);
    assert.equal(sh.stdout.split('\n')[0], 'root');
    // Owners are dpkg's (not flattened to 0:0); apt's lists and downloaded debs are gone.
    const own = await d.berth(['run', '--rm', 'debian:bookworm', 'sh', '-c',
      'stat -c "%U:%G %a" /etc/shadow; ls -A /var/lib/apt/lists /var/cache/apt/archives | tr "\\n" " "; echo; cat /var/lib/dpkg/status | grep -c "^Package:"'], { timeoutMs: 60_000 });
    assert.equal(own.code, 0, own.stderr);
    const [shadow, lists, pkgs] = own.stdout.split('\n');
    assert.equal(shadow, 'root:shadow 640');
    assert.doesNotMatch(lists!, /\.deb|_Packages|_Release/);
    console.log(`# ${pkgs} packages; /etc/shadow ${shadow}; ${lists}`);
  });

  test('a second bootstrap gives the same layer diffID', { timeout: LONG }, async () => {
    const firstBlob = await stat(blob(first.diffId));
    const firstList = await listing(first.diffId, join(d.tmp, 'one'));
    const second = await bootstrap('debian:12');
    console.log(`# layer tar ${firstBlob.size} bytes; first ${first.seconds.toFixed(1)} s, second ${second.seconds.toFixed(1)} s`);
    if (second.diffId !== first.diffId) {
      const secondList = await listing(second.diffId, join(d.tmp, 'two'));
      const names = [...new Set([...firstList.keys(), ...secondList.keys()])].sort();
      const diff = names.filter((n) => firstList.get(n) !== secondList.get(n)).map((n) => `${n}\n  1: ${firstList.get(n) ?? '(absent)'}\n  2: ${secondList.get(n) ?? '(absent)'}`);
      assert.fail(`layer differs: ${first.diffId} vs ${second.diffId}; ${diff.length} entries differ:\n${diff.slice(0, 60).join('\n')}`);
    }
    assert.equal(second.id, first.id, 'same config (created = the Release date) → same image id');
  });

  test('a bootstrap cancelled by its client leaves no temp dir and no mounts', { timeout: 120_000 }, async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: d.socket, path: '/berth/bootstrap?name=debian:bookworm', method: 'POST' }, (res) => {
        let seen = 0;
        res.on('data', (c: Buffer) => {
          seen += c.toString().split('\n').filter((l) => l.includes('Retrieving') || l.includes('Extracting')).length;
          if (seen >= 3) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => {});
      });
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
      req.end();
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await tmpLeft()).length) await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(await tmpLeft(), []);
    assert.deepEqual(await d.mountsUnder(), []);
    const ps = await runCmd('sh', ['-c', `pgrep -f "[d]ebootstrap.*${d.dataRoot}" || true`]);
    assert.equal(ps.stdout.trim(), '', 'debootstrap and its children are gone');
  });
});
