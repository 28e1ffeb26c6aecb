// `berth compose` and Debian's docker-compose 1.29 against berthd: a three-service project (web built from a
// Dockerfile and published on 127.0.0.1, db with a named volume and a healthcheck, worker waiting for db to be healthy
// and reaching both by name), idempotent up, recreate of a changed service only, down -v leaving nothing behind,
// and bad input that fails with file + key and creates nothing. Traffic stays on loopback and container networks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { Daemon, isRoot, runCmd } from './harness.ts';

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function freePort(): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 9000);
    const ok = await new Promise<boolean>((r) => {
      const s = createServer();
      s.once('error', () => r(false));
      s.listen(p, '0.0.0.0', () => s.close(() => r(true)));
    });
    if (ok) return p;
  }
}

const DOCKER_COMPOSE = ['/usr/bin/docker-compose'].find((p) => existsSync(p));

function composeFile(o: { port: number; web: 'build' | string; workerEnv?: string }): string {
  const web = o.web === 'build' ? `    build: ./web\n    image: ${'${WEB_IMAGE}'}\n` : `    image: ${o.web}\n`;
  return `services:
  web:
${web}    ports: ["127.0.0.1:${o.port}:80"]
  db:
    image: busybox
    command: sh -c 'echo ready > /data/ok; sleep 3600'
    volumes: [dbdata:/data]
    healthcheck:
      test: test -f /data/ok
      interval: 1s
      retries: 10
  worker:
    image: busybox
    environment:
      MODE: ${o.workerEnv ?? 'one'}
    command: sh -c 'timeout 5 wget -qO- http://web/ > /tmp/page && ping -c1 -W2 db > /dev/null && echo reached > /tmp/db; sleep 3600'
    depends_on:
      db:
        condition: service_healthy
      web:
        condition: service_started
volumes:
  dbdata: {}
`;
}

describe('compose', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  let dir: string;
  let hasBuild = false;

  before(async () => {
    d = await Daemon.start();
    const r = await d.berth(['bootstrap', 'busybox']);
    assert.equal(r.code, 0, r.stderr);
    dir = await mkdtemp('/tmp/bt-compose-');
    await mkdir(join(dir, 'web'));
    await writeFile(join(dir, 'web', 'Dockerfile'), 'FROM busybox\nCOPY index.html /www/index.html\nCMD httpd -f -p 80 -h /www\n');
    await writeFile(join(dir, 'web', 'index.html'), 'hello from compose\n');
    await writeFile(join(dir, 'web', '.dockerignore'), '*.tmp\n');
    await writeFile(join(dir, 'web', 'junk.tmp'), 'ignored\n');
    // The classic build endpoint: anything but 404 means the route exists (an empty body is a 400/500).
    const probe = await d.api('POST', '/build');
    hasBuild = probe.status !== 404;
  });

  after(async () => {
    await d?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const compose = (project: string, args: string[], env: Record<string, string> = {}) =>
    d.berth(['compose', '-f', join(dir, 'compose.yaml'), '-p', project, ...args], { timeoutMs: 120_000, env });

  async function leftovers(project: string): Promise<string[]> {
    const f = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }));
    const c = (await d.api('GET', `/containers/json?all=1&filters=${f}`)).body as { Names: string[] }[];
    const n = (await d.api('GET', `/networks?filters=${f}`)).body as { Name: string }[];
    const v = ((await d.api('GET', `/volumes?filters=${f}`)).body as { Volumes: { Name: string }[] | null }).Volumes ?? [];
    return [...c.map((x) => `container ${x.Names[0]}`), ...n.map((x) => `network ${x.Name}`), ...v.map((x) => `volume ${x.Name}`)];
  }

  async function ids(project: string): Promise<Record<string, string>> {
    const r = await compose(project, ['ps', '-a', '--format', '{{.Service}} {{.ID}}']);
    assert.equal(r.code, 0, r.stderr);
    return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
  }

  test('build variant: web built from the project Dockerfile', { skip: false }, async (t) => {
    if (!hasBuild) return t.skip('POST /build is not served by berthd yet');
    await writeFile(join(dir, 'compose.yaml'), composeFile({ port: 1, web: 'build' }));
    const r = await compose('cbuild', ['build'], { WEB_IMAGE: 'cbuild-web:e2e' });
    assert.equal(r.code, 0, r.stderr);
    const img = await d.api('GET', '/images/cbuild-web:e2e/json');
    assert.equal(img.status, 200);
  });

  test('berth compose: up --wait, page on 127.0.0.1, names resolve, idempotent, recreate one, down -v', async () => {
    const port = await freePort();
    let webImage = 'cbuild-web:e2e';
    if (!hasBuild) {
      // No /build yet: make the web image with commit instead.
      webImage = 'compose-web:commit';
      let r = await d.berth(['run', '--name', 'webimg', 'busybox', 'sh', '-c', 'mkdir -p /www && echo hello from compose > /www/index.html']);
      assert.equal(r.code, 0, r.stderr);
      r = await d.berth(['commit', '-c', 'CMD httpd -f -p 80 -h /www', 'webimg', webImage]);
      assert.equal(r.code, 0, r.stderr);
      await d.berth(['rm', '-f', 'webimg']);
    }
    await writeFile(join(dir, 'compose.yaml'), composeFile({ port, web: hasBuild ? 'build' : webImage }));
    const env = { WEB_IMAGE: webImage };
    let r = await compose('cp', ['up', '-d', '--wait'], env);
    assert.equal(r.code, 0, r.stderr);

    assert.equal(await httpGet(port), 'hello from compose\n');
    r = await compose('cp', ['exec', '-T', 'worker', 'sh', '-c', 'cat /tmp/page /tmp/db']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from compose\nreached\n');
    r = await compose('cp', ['exec', '-T', 'web', 'ls', '/www']);
    assert.equal(r.stdout, 'index.html\n', 'the .dockerignore kept junk.tmp out (or the image has only index.html)');

    // Labels as Docker Compose puts them.
    const web = (await d.api('GET', '/containers/cp-web-1/json')).body as { Config: { Labels: Record<string, string> } };
    const labels = web.Config.Labels;
    assert.equal(labels['com.docker.compose.project'], 'cp');
    assert.equal(labels['com.docker.compose.service'], 'web');
    assert.equal(labels['com.docker.compose.container-number'], '1');
    assert.equal(labels['com.docker.compose.oneoff'], 'False');
    assert.equal(labels['com.docker.compose.project.working_dir'], dir);
    assert.equal(labels['com.docker.compose.project.config_files'], join(dir, 'compose.yaml'));
    assert.match(labels['com.docker.compose.config-hash']!, /^[0-9a-f]{64}$/);
    const worker = (await d.api('GET', '/containers/cp-worker-1/json')).body as { Config: { Labels: Record<string, string> } };
    assert.match(worker.Config.Labels['com.docker.compose.depends_on']!, /db:service_healthy:false/);
    const net = (await d.api('GET', '/networks/cp_default')).body as { Labels: Record<string, string> };
    assert.equal(net.Labels['com.docker.compose.network'], 'default');
    const vol = (await d.api('GET', '/volumes/cp_dbdata')).body as { Labels: Record<string, string> };
    assert.equal(vol.Labels['com.docker.compose.volume'], 'dbdata');

    r = await compose('cp', ['ps']);
    assert.match(r.stdout, /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS/);
    assert.match(r.stdout, new RegExp(`cp-web-1 .*127\\.0\\.0\\.1:${port}->80/tcp`));
    assert.match(r.stdout, /cp-db-1 .*\(healthy\)/);
    r = await compose('cp', ['logs', '--no-color', 'db']);
    assert.equal(r.code, 0, r.stderr);
    r = await compose('cp', ['config', '--services']);
    assert.equal(r.stdout, 'db\nweb\nworker\n');

    // Unchanged: nothing recreated. Changed worker environment: only worker recreated.
    const first = await ids('cp');
    r = await compose('cp', ['up', '-d'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await ids('cp'), first);
    await writeFile(join(dir, 'compose.yaml'), composeFile({ port, web: hasBuild ? 'build' : webImage, workerEnv: 'two' }));
    r = await compose('cp', ['up', '-d', '--wait'], env);
    assert.equal(r.code, 0, r.stderr);
    const second = await ids('cp');
    assert.equal(second.web, first.web);
    assert.equal(second.db, first.db);
    assert.notEqual(second.worker, first.worker);

    r = await compose('cp', ['down', '-v', '-t', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await leftovers('cp'), []);
  });

  test("Debian's docker-compose 1.29 against berthd: up -d, ps, logs, exec -T, down -v", { skip: !DOCKER_COMPOSE && 'docker-compose not installed' }, async () => {
    const port = await freePort();
    const webImage = hasBuild ? 'cbuild-web:e2e' : 'compose-web:commit';
    await writeFile(join(dir, 'compose.yaml'), composeFile({ port, web: webImage }));
    const dc = (args: string[]) =>
      runCmd(DOCKER_COMPOSE!, ['-f', join(dir, 'compose.yaml'), '-p', 'dcp', ...args], {
        env: { DOCKER_HOST: d.host, COMPOSE_INTERACTIVE_NO_CLI: '1' },
        timeoutMs: 120_000,
      });
    let r = await dc(['up', '-d']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await httpGet(port), 'hello from compose\n');
    r = await dc(['ps']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dcp_web_1 .* Up .*127\.0\.0\.1:\d+->80\/tcp/);
    assert.match(r.stdout, /dcp_db_1 .* Up \(healthy\)/);
    // worker waited for db to be healthy and reached both by name.
    let out = '';
    for (let i = 0; i < 40 && !out.includes('reached'); i++) {
      r = await dc(['exec', '-T', 'worker', 'sh', '-c', 'cat /tmp/page /tmp/db 2>/dev/null']);
      out = r.stdout;
      if (!out.includes('reached')) await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(out, 'hello from compose\nreached\n');
    r = await dc(['logs', '--no-color', 'db']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Attaching to dcp_db_1/);
    // berth compose sees docker-compose's project by its labels.
    r = await compose('dcp', ['ps', '--services']);
    assert.equal(r.stdout, 'db\nweb\nworker\n');
    r = await dc(['down', '-v', '-t', '1']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await leftovers('dcp'), []);
  });

  test('bad input: clear errors naming file and key, nothing created', async () => {
    const cases: { yaml: string; err: RegExp; env?: Record<string, string> }[] = [
      { yaml: 'services:\n  a: {image: busybox}\nfoo: 1\n', err: /compose\.yaml: additional properties 'foo' not allowed/ },
      {
        yaml: 'services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n',
        err: /compose\.yaml: services\.a\.depends_on: dependency cycle detected: a -> b -> a/,
      },
      { yaml: 'services:\n  a: {image: "busybox${X:?X must be set}"}\n', err: /compose\.yaml: services\.a\.image: required variable X is missing a value: X must be set/ },
      { yaml: 'services:\n  a: {image: busybox, bogus: 1}\n', err: /compose\.yaml: services\.a additional properties 'bogus' not allowed/ },
    ];
    for (const c of cases) {
      await writeFile(join(dir, 'compose.yaml'), c.yaml);
      const r = await compose('bad', ['up', '-d'], c.env);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, c.err);
      assert.deepEqual(await leftovers('bad'), []);
    }

    // A host port something else holds: db and the network were created, then web failed: all rolled back.
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((res) => holder.listen(port, '127.0.0.1', () => res()));
    try {
      await writeFile(
        join(dir, 'compose.yaml'),
        `services:\n  db:\n    image: busybox\n    command: sleep 60\n    volumes: [d:/d]\n  web:\n    image: busybox\n    command: sleep 60\n    depends_on: [db]\n    ports: ["127.0.0.1:${port}:80"]\nvolumes:\n  d: {}\n`,
      );
      const r = await compose('bad', ['up', '-d']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`compose\\.yaml: services\\.web\\.ports: .*port is already allocated`));
      assert.deepEqual(await leftovers('bad'), []);
    } finally {
      holder.close();
    }
  });
});
