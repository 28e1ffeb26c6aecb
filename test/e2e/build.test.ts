// The classic builder end to end: `berth build` and `DOCKER_BUILDKIT=0 docker build` against a real berthd —
// multi-stage builds, the image filesystem and config, content-keyed cache hits and explained misses, .dockerignore,
// failing RUN (docker's message, exit 1, no container, mount or image left with the default rm), heredocs, ADD of a
// tar and of a loopback URL, --target, -q/--iidfile, bad input (parse errors, paths and symlinks leaving the context,
// a huge ignored file), and builder prune.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Daemon, isRoot, runCmd } from './harness.ts';

const MULTI = `FROM busybox AS build
ARG VERSION=1
WORKDIR /src
COPY main.c ./
RUN echo "v$VERSION" > out.txt && md5sum main.c >> out.txt
RUN echo unused-stage-marker > /dev/null

FROM busybox AS unused
RUN echo SHOULD-NOT-RUN

FROM busybox
ENV APP_HOME=/app MODE=prod
WORKDIR /app
COPY --from=build /src/out.txt ./
COPY conf/ /etc/myapp/
COPY . /ctx/
LABEL org.example.name=demo
EXPOSE 8080 9090/udp
HEALTHCHECK --interval=5s --retries=2 CMD true
USER 1000:1000
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/out.txt"]
`;

describe('build', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  let ctx: string;
  let server: Server;
  let url: string;
  const ok = async (args: string[], opts: { input?: string } = {}) => {
    const r = await d.berth(args, { timeoutMs: 120_000, input: opts.input ?? '' });
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
  const usingCacheCount = (out: string) => out.split('\n').filter((l) => l === ' ---> Using cache').length;

  before(async () => {
    d = await Daemon.start();
    await ok(['bootstrap', 'busybox']);
    ctx = join(d.tmp, 'ctx');
    await mkdir(join(ctx, 'conf/sub'), { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), MULTI);
    await writeFile(join(ctx, 'main.c'), 'int main(void) { return 0; }\n');
    await writeFile(join(ctx, 'conf/app.conf'), 'x=1\n');
    await writeFile(join(ctx, 'conf/sub/deep.conf'), 'y=2\n');
    await writeFile(join(ctx, 'secret.txt'), 'do not ship\n');
    await mkdir(join(ctx, 'logs'));
    await writeFile(join(ctx, 'logs/a.log'), 'log\n');
    await writeFile(join(ctx, '.dockerignore'), 'secret.txt\nlogs\n');
    server = createServer((req, res) => {
      if (req.url === '/files/hello.txt') {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
        res.end('hello from loopback\n');
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server?.close();
    await d?.destroy();
  });

  test('multi-stage build: filesystem, config, skipped stage, then all cached', async () => {
    const out = await ok(['build', '-t', 'demo:1', ctx]);
    assert.match(out, /^Sending build context to Berth daemon/m);
    assert.match(out, /^Step 1\/\d+ : FROM busybox AS build$/m);
    assert.doesNotMatch(out, /SHOULD-NOT-RUN/);
    assert.match(out, /^ ---> Running in [0-9a-f]{12}$/m);
    assert.match(out, /^Removing intermediate container [0-9a-f]{12}$/m);
    assert.match(out, /^Successfully built [0-9a-f]{12}$/m);
    assert.match(out, /^Successfully tagged demo:1$/m);

    const run = await ok(['run', '--rm', 'demo:1']);
    assert.match(run, /^v1\n[0-9a-f]{32}  main\.c\n$/);
    const fs = await ok(['run', '--rm', '--entrypoint', 'sh', 'demo:1', '-c',
      'id -u; pwd; cat /etc/myapp/app.conf /etc/myapp/sub/deep.conf; ls -A /ctx; echo $APP_HOME $MODE']);
    assert.equal(fs, '1000\n/app\nx=1\ny=2\n.dockerignore\nDockerfile\nconf\nmain.c\n/app prod\n');

    const [img] = JSON.parse(await ok(['image', 'inspect', 'demo:1']));
    const c = img.Config;
    assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(c.Cmd, ['cat /app/out.txt']);
    assert.ok(c.Env.includes('APP_HOME=/app') && c.Env.includes('MODE=prod'));
    assert.equal(c.WorkingDir, '/app');
    assert.equal(c.User, '1000:1000');
    assert.deepEqual(Object.keys(c.ExposedPorts).sort(), ['8080/tcp', '9090/udp']);
    assert.equal(c.Labels['org.example.name'], 'demo');
    assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000, Retries: 2 });

    // Nothing changed: every step after FROM is a cache hit, same image.
    const again = await ok(['build', '-t', 'demo:1', ctx]);
    const steps = again.split('\n').filter((l) => /^Step \d+\/\d+ : /.test(l) && !/ : FROM /.test(l)).length;
    assert.equal(usingCacheCount(again), steps, again);
    assert.doesNotMatch(again, /Running in/);
    assert.match(again, new RegExp(`Successfully built ${img.Id.slice(7, 19)}`));
    // No container is left behind by a successful build.
    assert.equal((await ok(['ps', '-aq'])).trim(), '');
  });

  test('the real docker CLI (DOCKER_BUILDKIT=0) builds against berthd, with a Dockerfile from outside the context', async () => {
    const r = await runCmd('docker', ['build', '-t', 'demo:docker', ctx], {
      env: { DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(d.tmp, 'docker-config') },
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Step 1\/\d+ : FROM busybox AS build/);
    assert.match(r.stdout, / ---> Using cache/);
    assert.doesNotMatch(r.stdout, /Cache miss/); // only for clients that ask (explaincache=1)
    assert.match(r.stdout, /Successfully tagged demo:docker/);
    // Same context through both CLIs: the second build hits the content-keyed cache, so the image ids are equal.
    const ids = (await ok(['image', 'inspect', '--format', '{{.Id}}', 'demo:1', 'demo:docker'])).trim().split('\n');
    assert.equal(ids[0], ids[1]);
    // The steps are in the history, as docker shows it.
    const hist = await runCmd('docker', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'demo:docker'], {
      env: { DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.tmp, 'docker-config') },
    });
    assert.equal(hist.code, 0, hist.stderr);
    const created = hist.stdout.trim().split('\n');
    assert.match(created[0]!, /#\(nop\)\s+CMD \["cat \/app\/out.txt"\]/);
    for (const re of [/#\(nop\)\s+ENTRYPOINT/, /#\(nop\)\s+USER 1000:1000/, /#\(nop\) COPY dir:[0-9a-f]{64} in \/ctx\//, /#\(nop\) WORKDIR \/app/, /#\(nop\)\s+ENV APP_HOME=\/app MODE=prod/]) {
      assert.ok(created.some((l) => re.test(l)), `${re} in\n${hist.stdout}`);
    }
    assert.ok(created.length >= 11, hist.stdout);

    const outside = join(d.tmp, 'Dockerfile.outside');
    await writeFile(outside, 'FROM busybox\nCOPY conf/app.conf /x.conf\nCMD ["cat", "/x.conf"]\n');
    const r2 = await runCmd('docker', ['build', '-q', '-f', outside, '-t', 'demo:outside', ctx], {
      env: { DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(d.tmp, 'docker-config') },
      timeoutMs: 120_000,
    });
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok(['run', '--rm', 'demo:outside']), 'x=1\n');
  });

  test('a changed file invalidates exactly the COPY reading it and what follows, explained; touch and ignored files do not', async () => {
    // mtime-only change and changes to .dockerignore'd files keep every step cached.
    const future = new Date(Date.now() + 3600_000);
    await utimes(join(ctx, 'conf/app.conf'), future, future);
    await writeFile(join(ctx, 'secret.txt'), 'changed secret\n');
    await writeFile(join(ctx, 'logs/b.log'), 'more\n');
    const same = await ok(['build', ctx]);
    assert.doesNotMatch(same, /Cache miss|Running in/, same);

    await writeFile(join(ctx, 'conf/app.conf'), 'x=2\n');
    const out = await ok(['build', '-t', 'demo:2', ctx]);
    const lines = out.split('\n');
    const stepOf = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const copyConf = stepOf(/ : COPY conf\/ \/etc\/myapp\//);
    assert.ok(copyConf > 0);
    // Everything before it hit the cache (the build stage did not re-run).
    assert.equal(lines.slice(0, copyConf).filter((l) => l.includes('Running in')).length, 0);
    assert.match(lines[copyConf + 1]!, /^ ---> Cache miss: COPY conf\/ \/etc\/myapp\/ — file etc\/myapp\/app\.conf changed \(sha256 [0-9a-f]{8}… → [0-9a-f]{8}…\)$/);
    const after = lines.slice(copyConf + 1);
    assert.equal(after.filter((l) => l === ' ---> Using cache').length, 0, out);
    assert.match(after.join('\n'), /Cache miss: COPY \. \/ctx\/ — parent image changed/);
    assert.equal(await ok(['run', '--rm', '--entrypoint', 'cat', 'demo:2', '/etc/myapp/app.conf']), 'x=2\n');
    const ls = await ok(['run', '--rm', '--entrypoint', 'ls', 'demo:2', '-A', '/ctx']);
    assert.doesNotMatch(ls, /secret|logs/);
  });

  test('a build arg change is explained', async () => {
    const out = await ok(['build', '--build-arg', 'VERSION=2', '-t', 'demo:v2', ctx]);
    assert.match(out, /Cache miss: RUN \|VERSION .* — build arg VERSION changed/);
    assert.match(await ok(['run', '--rm', 'demo:v2']), /^v2\n/);
  });

  test('a failing RUN: the step, command and exit code; no container, mount or image for the failed step (default rm)', async () => {
    const dir = join(d.tmp, 'fail');
    await mkdir(dir);
    await writeFile(join(dir, 'Dockerfile'), `FROM busybox\nENV FAILTEST=${Date.now()}\nRUN echo before-fail && exit 3\n`);
    const allImages = async () => new Set((await ok(['images', '-a', '-q', '--no-trunc'])).trim().split('\n').filter(Boolean));
    const before = await allImages();
    // No --force-rm: rm=true (what both CLIs send by default) removes the failed step's container too.
    const r = await d.berth(['build', dir], { input: '', timeoutMs: 60_000 });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Step 3\/3 : RUN echo before-fail && exit 3$/m);
    assert.match(r.stdout, /before-fail/);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo before-fail && exit 3' returned a non-zero code: 3/);
    assert.equal((await ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(await d.mountsUnder(), []);
    // Only the completed ENV step's image is new (it is build cache); nothing for the failed RUN.
    const added = [...(await allImages())].filter((id) => !before.has(id));
    assert.equal(added.length, 1, added.join(' '));
    const [img] = JSON.parse(await ok(['image', 'inspect', added[0]!]));
    assert.ok(img.Config.Env.some((e: string) => e.startsWith('FAILTEST=')));

    const docker = (args: string[]) => runCmd('docker', args, {
      env: { DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(d.tmp, 'docker-config') }, timeoutMs: 60_000,
    });
    const rd = await docker(['build', dir]);
    assert.equal(rd.code, 1);
    assert.match(rd.stderr, /The command '\/bin\/sh -c echo before-fail && exit 3' returned a non-zero code: 3/);
    assert.equal((await ok(['ps', '-aq'])).trim(), '');
    assert.deepEqual(await d.mountsUnder(), []);
    const rf = await docker(['build', '--force-rm', dir]);
    assert.equal(rf.code, 1);
    assert.equal((await ok(['ps', '-aq'])).trim(), '');
    assert.equal([...(await allImages())].filter((id) => !before.has(id)).length, 1);

    // --rm=false keeps the failed step's container for inspection.
    const kept = await docker(['build', '--rm=false', dir]);
    assert.equal(kept.code, 1);
    const left = (await ok(['ps', '-aq'])).trim().split('\n').filter(Boolean);
    assert.equal(left.length, 1);
    await ok(['rm', left[0]!]);
    assert.deepEqual(await d.mountsUnder(), []);
  });

  test('heredoc RUN and COPY, ADD of a local tar (extracted) and of a loopback URL', async () => {
    const dir = join(d.tmp, 'misc');
    await mkdir(join(dir, 'payload/inner'), { recursive: true });
    await writeFile(join(dir, 'payload/inner/file.txt'), 'from tar\n');
    const tarred = await runCmd('tar', ['-czf', join(dir, 'payload.tar.gz'), '-C', join(dir, 'payload'), '.']);
    assert.equal(tarred.code, 0, tarred.stderr);
    await writeFile(join(dir, 'Dockerfile'), `FROM busybox
RUN <<EOF
echo line1 > /h.txt
echo line2 >> /h.txt
EOF
RUN cat <<EOT > /h2.txt
heredoc-in-command
EOT
COPY <<EOF /etc/greeting
hi there
EOF
ADD payload.tar.gz /unpacked/
ADD ${url}/files/hello.txt /downloads/
`);
    await ok(['build', '-t', 'misc:1', dir]);
    const out = await ok(['run', '--rm', 'misc:1', 'sh', '-c', 'cat /h.txt /h2.txt /etc/greeting /unpacked/inner/file.txt /downloads/hello.txt']);
    assert.equal(out, 'line1\nline2\nheredoc-in-command\nhi there\nfrom tar\nhello from loopback\n');
  });

  test('--target builds only up to that stage; -q and --iidfile', async () => {
    const iid = join(d.tmp, 'iid');
    const out = await ok(['build', '-q', '--target', 'build', '--iidfile', iid, '-t', 'demo:build', ctx]);
    assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(await readFile(iid, 'utf8'), out.trim());
    const loud = await ok(['build', '--target', 'build', ctx]);
    assert.doesNotMatch(loud, /WORKDIR \/app|SHOULD-NOT-RUN/);
    assert.equal(await ok(['run', '--rm', 'demo:build', 'cat', '/src/out.txt']).then((s) => s.split('\n')[0]), 'v1');
  });

  test('bad input: unknown instruction, unterminated heredoc, a source outside the context', async () => {
    const dir = join(d.tmp, 'bad');
    await mkdir(dir);
    const fails = async (dockerfile: string, re: RegExp) => {
      await writeFile(join(dir, 'Dockerfile'), dockerfile);
      const r = await d.berth(['build', dir], { input: '', timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, re);
      return r;
    };
    await fails('FROM busybox\nRUN true\nFROBNICATE now\n', /Dockerfile:3:1: unknown instruction: FROBNICATE/i);
    await fails('FROM busybox\nRUN <<EOF\necho never closed\n', /Dockerfile:2:\d+: unterminated heredoc/);
    await fails('FROM busybox\nCOPY ../x /\n', /forbidden path outside the build context: \.\.\/x/);
    assert.equal((await ok(['ps', '-aq'])).trim(), '');
  });

  test('symlinks in the context never read host files outside it', async () => {
    const marker = `HOST-SECRET-${Date.now()}`;
    const outside = join(d.tmp, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), marker + '\n');
    const dir = join(d.tmp, 'links');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(join(dir, 'sub/real.txt'), 'inside\n');
    await symlink(join(outside, 'secret.txt'), join(dir, 'abs-link'));
    await symlink('../outside/secret.txt', join(dir, 'rel-link'));
    await symlink(outside, join(dir, 'dir-link'));
    await symlink('sub/real.txt', join(dir, 'in-link'));
    const build = async (dockerfile: string) => {
      await writeFile(join(dir, 'Dockerfile'), dockerfile);
      return d.berth(['build', '-q', dir], { input: '', timeoutMs: 60_000 });
    };
    // A link on the source's path is followed inside the context only: pointing outside, it names nothing.
    for (const src of ['abs-link', 'rel-link', 'dir-link/secret.txt', 'dir-link/', 'dir-link/*.txt']) {
      const r = await build(`FROM busybox\nCOPY ${src} /got/\n`);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(marker));
      if (r.code === 0) {
        const c = await ok(['run', '--rm', r.stdout.trim(), 'sh', '-c', 'cat /got/* 2>/dev/null; true']);
        assert.doesNotMatch(c, new RegExp(marker), src);
      } else assert.match(r.stderr, /file not found in build context|no source files/, src);
    }
    // A link inside the context is followed to its target; a whole-directory copy keeps links as links.
    const r = await build('FROM busybox\nCOPY in-link /i.txt\nCOPY . /all/\n');
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.equal(await ok(['run', '--rm', id, 'cat', '/i.txt']), 'inside\n');
    assert.equal(await ok(['run', '--rm', id, 'readlink', '/all/abs-link']), join(outside, 'secret.txt') + '\n');
    const all = await ok(['run', '--rm', id, 'sh', '-c', 'cat /all/abs-link /all/rel-link /all/dir-link/* 2>/dev/null; true']);
    assert.doesNotMatch(all, new RegExp(marker));
  });

  test('a 1 GB file excluded by .dockerignore is never read: small upload, quick build', async () => {
    const dir = join(d.tmp, 'big');
    await mkdir(dir);
    const t = await runCmd('truncate', ['-s', '1G', join(dir, 'big.bin')]);
    assert.equal(t.code, 0, t.stderr);
    await writeFile(join(dir, '.dockerignore'), 'big.bin\n');
    await writeFile(join(dir, 'small.txt'), 'small\n');
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY . /c/\n');
    const t0 = Date.now();
    const out = await ok(['build', '-t', 'big:1', dir]);
    const ms = Date.now() - t0;
    const sent = /^Sending build context to Berth daemon\s+([\d.]+)\s*(B|kB|KB)$/m.exec(out);
    assert.ok(sent, `small context upload expected:\n${out}`);
    assert.ok(ms < 8_000, `took ${ms} ms`);
    assert.equal(await ok(['run', '--rm', 'big:1', 'ls', '-A', '/c']), '.dockerignore\nDockerfile\nsmall.txt\n');
    const rd = await runCmd('docker', ['build', '-q', dir], {
      env: { DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(d.tmp, 'docker-config') }, timeoutMs: 60_000,
    });
    assert.equal(rd.code, 0, rd.stderr);
  });

  test('berth build sends only the contents berthd lacks (incremental context); BERTH_BUILD_CONTEXT=tar is the classic tar', async () => {
    const dir = join(d.tmp, 'incr');
    await mkdir(dir);
    await writeFile(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY blob.bin /blob.bin\nRUN md5sum /blob.bin\n');
    await writeFile(join(dir, 'blob.bin'), randomBytes(2 << 20));
    const upload = (out: string) => {
      const m = /^Sending build context to Berth daemon\s+([\d.]+)\s*(B|kB|MB)$/m.exec(out);
      assert.ok(m, out);
      return Number(m[1]) * ({ B: 1, kB: 1e3, MB: 1e6 } as Record<string, number>)[m[2]!]!;
    };
    const first = await ok(['build', '-q', dir]);
    const again = await ok(['build', dir]);
    assert.ok(upload(again) < 10_000, again);
    assert.match(again, / ---> Using cache/);
    await writeFile(join(dir, 'blob.bin'), randomBytes(2 << 20));
    const changed = await ok(['build', dir]);
    assert.ok(upload(changed) > 2_000_000, changed);
    const classic = await d.berth(['build', dir], { input: '', timeoutMs: 60_000, env: { BERTH_BUILD_CONTEXT: 'tar' } });
    assert.equal(classic.code, 0, classic.stderr);
    assert.ok(upload(classic.stdout) > 2_000_000);
    assert.doesNotMatch(classic.stdout, /Running in/); // same content digests: the classic tar hits the same cache
    assert.match(first.trim(), /^sha256:[0-9a-f]{64}$/);
  });

  test('system df counts the build cache; builder prune frees it', async () => {
    const df = await d.api('GET', '/system/df');
    assert.equal(df.status, 200);
    assert.ok(df.body.BuildCache.length > 0);
    const pr = await ok(['builder', 'prune', '-a', '-f']);
    assert.match(pr, /Total reclaimed space/);
    assert.equal((await d.api('GET', '/system/df')).body.BuildCache.length, 0);
    const out = await ok(['build', ctx]);
    assert.equal(usingCacheCount(out), 0, out);
  });
});
