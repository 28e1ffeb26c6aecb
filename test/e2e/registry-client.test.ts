// The engine's registry client end to end: the real docker CLI and `berth` against berthd, with Debian's reference
// registry (docker-registry, htpasswd auth) on 127.0.0.1 and a small loopback HTTP proxy in front of it that counts
// blob GETs, stalls or cuts a download after N bytes, or flips a byte. Search runs against `berth registry serve`
// (the reference registry has no /v1/search).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BERTH, Daemon, isRoot } from './harness.ts';
import { RegistryProc } from './registry-harness.ts';

const execFileP = promisify(execFile);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** HTTP proxy to the registry with fault injection on blob GETs. */
class BlobProxy {
  server!: Server;
  port = 0;
  gets = new Map<string, number>();
  ranges: string[] = [];
  mode: { kind: 'none' } | { kind: 'drop' | 'stall' | 'flip'; digest: string; after: number } = { kind: 'none' };
  private stalled = new Set<import('node:http').ServerResponse>();

  async start(target: number): Promise<void> {
    this.server = createServer((req, res) => {
      const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
      const digest = req.method === 'GET' && m ? m[1]! : undefined;
      if (digest) {
        this.gets.set(digest, (this.gets.get(digest) ?? 0) + 1);
        if (req.headers.range) this.ranges.push(`${digest}:${req.headers.range}`);
      }
      const up = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${target}` } }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        const mode = this.mode;
        if (!digest || mode.kind === 'none' || mode.digest !== digest || (ur.statusCode ?? 0) >= 300) {
          ur.pipe(res);
          return;
        }
        if (mode.kind !== 'flip') this.mode = { kind: 'none' };
        let sent = 0;
        ur.on('data', (chunk: Buffer) => {
          if (sent >= mode.after && mode.kind !== 'flip') return;
          let out = chunk;
          if (mode.kind === 'flip' && sent <= mode.after && sent + chunk.length > mode.after) {
            out = Buffer.from(chunk);
            out[mode.after - sent]! ^= 0xff;
          }
          if (mode.kind !== 'flip' && sent + out.length > mode.after) out = out.subarray(0, mode.after - sent);
          sent += out.length;
          res.write(out);
          if (mode.kind !== 'flip' && sent >= mode.after) {
            ur.destroy();
            if (mode.kind === 'drop') setTimeout(() => res.socket?.destroy(), 50);
            else this.stalled.add(res);
          }
        });
        ur.on('end', () => {
          if (mode.kind === 'flip') res.end();
        });
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  releaseStalled(): void {
    for (const r of this.stalled) r.socket?.destroy();
    this.stalled.clear();
  }

  async stop(): Promise<void> {
    this.releaseStalled();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('registry client', { skip: (!isRoot() && 'needs root') || false }, () => {
  let d: Daemon;
  let work: string;
  let reg: ChildProcess | undefined;
  let regPort = 0;
  const proxy = new BlobProxy();
  let env: Record<string, string>;
  const berth = (args: string[], input?: string) => d.berth(args, { env, input, timeoutMs: 120_000 });
  const ok = async (p: Promise<{ code: number; stdout: string; stderr: string }>) => {
    const r = await p;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return r.stdout;
  };

  before(async () => {
    work = await mkdtemp('/tmp/berth-regclient-');
    const htpasswd = (await execFileP('htpasswd', ['-Bbn', 'alice', 'secret'])).stdout;
    await writeFile(join(work, 'htpasswd'), htpasswd);
    regPort = await freePort();
    await writeFile(join(work, 'config.yml'), [
      'version: 0.1',
      'log: {level: warn}',
      'storage:',
      `  filesystem: {rootdirectory: ${join(work, 'data')}}`,
      'http:',
      `  addr: 127.0.0.1:${regPort}`,
      'auth:',
      `  htpasswd: {realm: basic-realm, path: ${join(work, 'htpasswd')}}`,
      '',
    ].join('\n'));
    reg = spawn('/usr/bin/docker-registry', ['serve', join(work, 'config.yml')], { stdio: ['ignore', 'ignore', 'ignore'] });
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${regPort}/v2/`).then((r) => r.status, () => 0);
      if (up === 401) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await proxy.start(regPort);
    d = await Daemon.start();
    env = { DOCKER_CONFIG: join(d.tmp, 'docker-config') };
    await ok(berth(['bootstrap', 'busybox']));
  });

  after(async () => {
    await d?.destroy();
    await proxy.stop().catch(() => {});
    if (reg?.pid) process.kill(reg.pid, 'SIGTERM');
    await rm(work, { recursive: true, force: true });
  });

  const R = () => `127.0.0.1:${regPort}`;
  const P = () => `127.0.0.1:${proxy.port}`;

  test('docker login, push, rmi, pull, run against an htpasswd registry', async () => {
    const bad = await d.docker(['login', '-u', 'alice', '--password-stdin', R()], { input: 'wrong\n' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unauthorized|401/);
    await ok(d.docker(['login', '-u', 'alice', '--password-stdin', R()], { input: 'secret\n' }));
    await ok(d.docker(['tag', 'busybox', `${R()}/busybox:1`]));
    const id = (await ok(d.docker(['inspect', '-f', '{{.Id}}', `${R()}/busybox:1`]))).trim();
    const push = await ok(d.docker(['push', `${R()}/busybox:1`]));
    assert.match(push, new RegExp(`The push refers to repository \\[${R()}/busybox\\]`));
    assert.match(push, /: Pushed/);
    assert.match(push, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
    assert.match(await ok(d.docker(['push', `${R()}/busybox:1`])), /Layer already exists/);
    await ok(d.docker(['rmi', `${R()}/busybox:1`]));
    const pull = await ok(d.docker(['pull', `${R()}/busybox:1`]));
    assert.match(pull, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/busybox:1/);
    assert.equal((await ok(d.docker(['inspect', '-f', '{{.Id}}', `${R()}/busybox:1`]))).trim(), id);
    assert.equal((await ok(d.docker(['run', '--rm', `${R()}/busybox:1`, 'echo', 'pulled'], ))).trim(), 'pulled');
    const missing = await d.docker(['pull', `${R()}/busybox:nosuch`]);
    assert.match(missing.stderr, /manifest for 127\.0\.0\.1:\d+\/busybox:nosuch not found: manifest unknown/);
  });

  let twoId = '';
  test('berth login/push/pull of a committed 2-layer image keeps its id; cross-repo mount', async () => {
    await ok(berth(['login', '-u', 'alice', '--password-stdin', R()], 'secret\n'));
    await ok(berth(['login', '-u', 'alice', '--password-stdin', P()], 'secret\n'));
    const cfg = await stat(join(d.tmp, 'docker-config', 'config.json'));
    assert.equal(cfg.mode & 0o777, 0o600);
    await ok(berth(['run', '--name', 'mk', 'busybox', 'sh', '-c', 'head -c 2000000 /dev/urandom > /blob; echo two > /two']));
    twoId = (await ok(berth(['commit', 'mk', `${R()}/two:1`]))).trim();
    await ok(berth(['rm', 'mk']));
    const push = await ok(berth(['push', `${R()}/two:1`]));
    assert.match(push, /Mounted from busybox|Layer already exists/);
    assert.match(push, /: Pushed/);
    await ok(berth(['rmi', `${R()}/two:1`]));
    const pull = await ok(berth(['pull', `${R()}/two:1`]));
    assert.match(pull, /Already exists/);
    assert.match(pull, /Pull complete/);
    assert.equal((await ok(berth(['inspect', '-f', '{{.Id}}', `${R()}/two:1`]))).trim(), twoId);
    const layers = JSON.parse(await ok(berth(['inspect', '-f', '{{json .RootFS.Layers}}', twoId]))) as string[];
    assert.equal(layers.length, 2);
  });

  const partialDir = () => join(d.dataRoot, 'image/content/partial');
  const bigLayer = async () => {
    // The committed layer's compressed digest: the biggest blob the registry stores for it.
    const dir = join(work, 'data/docker/registry/v2/blobs/sha256');
    let best = { digest: '', size: 0 };
    for (const p of await readdir(dir)) {
      for (const h of await readdir(join(dir, p))) {
        const s = (await stat(join(dir, p, h, 'data'))).size;
        if (s > best.size) best = { digest: `sha256:${h}`, size: s };
      }
    }
    return best;
  };

  test('concurrent pulls download each layer once', async () => {
    await ok(berth(['rmi', `${R()}/two:1`]));
    await berth(['rmi', 'busybox', `${R()}/busybox:1`]);
    proxy.gets.clear();
    const [a, b] = await Promise.all([berth(['pull', `${P()}/two:1`]), berth(['pull', `${P()}/two:1`])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.ok(proxy.gets.size >= 3, [...proxy.gets.keys()].join());
    for (const [digest, n] of proxy.gets) assert.equal(n, 1, `${digest} fetched ${n} times`);
    assert.equal((await ok(berth(['inspect', '-f', '{{.Id}}', `${P()}/two:1`]))).trim(), twoId);
  });

  test('a pull interrupted mid-layer resumes with Range on the next pull; a cut connection is retried with Range', async () => {
    await ok(berth(['rmi', `${P()}/two:1`]));
    const big = await bigLayer();
    // 1. Cancelled: the download stalls after 300 kB, the client goes away, the partial stays.
    proxy.mode = { kind: 'stall', digest: big.digest, after: 300_000 };
    proxy.ranges = [];
    const cli = spawn(BERTH, ['pull', `${P()}/two:1`], { env: { ...process.env, ...env, BERTH_HOST: d.host }, stdio: 'ignore' });
    let size = 0;
    for (let i = 0; i < 200 && size < 300_000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      size = await stat(join(partialDir(), big.digest.slice(7))).then((s) => s.size, () => 0);
    }
    assert.equal(size, 300_000);
    cli.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    proxy.releaseStalled();
    assert.equal((await berth(['image', 'inspect', `${P()}/two:1`])).code, 1);
    const pull = await ok(berth(['pull', `${P()}/two:1`]));
    assert.match(pull, /Pull complete/);
    assert.ok(proxy.ranges.includes(`${big.digest}:bytes=300000-`), proxy.ranges.join());
    assert.equal((await ok(berth(['inspect', '-f', '{{.Id}}', `${P()}/two:1`]))).trim(), twoId);

    // 2. Cut: the daemon retries by itself and continues where the cut left it.
    await ok(berth(['rmi', `${P()}/two:1`]));
    proxy.mode = { kind: 'drop', digest: big.digest, after: 500_000 };
    proxy.ranges = [];
    await ok(berth(['pull', `${P()}/two:1`]));
    assert.ok(proxy.ranges.includes(`${big.digest}:bytes=500000-`), proxy.ranges.join());
    assert.deepEqual(await readdir(partialDir()), []);
  });

  test('a blob that does not match its digest fails the pull and registers nothing', async () => {
    await ok(berth(['rmi', `${P()}/two:1`]));
    const before = (await ok(berth(['images', '-q', '--no-trunc']))).trim();
    const big = await bigLayer();
    proxy.mode = { kind: 'flip', digest: big.digest, after: 1000 };
    try {
      const r = await berth(['pull', `${P()}/two:1`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /digest mismatch/);
    } finally {
      proxy.mode = { kind: 'none' };
    }
    assert.equal((await ok(berth(['images', '-q', '--no-trunc']))).trim(), before);
    assert.deepEqual(await readdir(partialDir()), []);
  });

  test('docker search and berth search against berth registry serve', async () => {
    const br = await RegistryProc.start();
    try {
      await ok(berth(['bootstrap', 'busybox']));
      await ok(berth(['tag', 'busybox', `${br.address}/team/searchable:1`]));
      await ok(berth(['push', `${br.address}/team/searchable:1`]));
      const out = await ok(d.docker(['search', `${br.address}/searchable`]));
      assert.match(out, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\n/);
      assert.match(out, /team\/searchable\s+0/);
      assert.equal((await ok(berth(['search', '--format', '{{.Name}}:{{.StarCount}}', `${br.address}/searchable`]))).trim(), 'team/searchable:0');
      assert.equal((await ok(berth(['search', '--filter', 'is-official=true', '--format', '{{.Name}}', `${br.address}/searchable`]))).trim(), '');
    } finally {
      await br.stop();
    }
  });
});


