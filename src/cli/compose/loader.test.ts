// Loader golden tests: files in temp dirs, resolved model compared with expectations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, normalizeProjectName } from './loader.ts';
import { parsePortShort, shellSplit } from './normalize.ts';
import { configHash, createPlan, startOrder } from './planner.ts';

function project(files: Record<string, string>, o: { env?: Record<string, string>; files?: string[]; profiles?: string[]; name?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'compose-t-'));
  try {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    return { dir, p: loadProject({ cwd: dir, env: o.env ?? {}, files: o.files, profiles: o.profiles, projectName: o.name }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('project name: -p, env, name:, directory', () => {
  assert.equal(normalizeProjectName('My.App_1-x'), 'myapp_1-x');
  assert.equal(project({ 'compose.yaml': 'services: {a: {image: x}}' }, { name: 'pp' }).p.name, 'pp');
  assert.equal(project({ 'compose.yaml': 'name: fromfile\nservices: {a: {image: x}}' }, { env: { COMPOSE_PROJECT_NAME: 'envname' } }).p.name, 'envname');
  assert.equal(project({ 'compose.yaml': 'name: fromfile\nservices: {a: {image: x}}' }).p.name, 'fromfile');
  const { dir, p } = project({ 'docker-compose.yml': 'version: "2"\nservices: {a: {image: x}}' });
  assert.equal(p.name, normalizeProjectName(dir.split('/').pop()!));
  assert.deepEqual(Object.keys(p.networks), ['default']);
});

test('short syntaxes become long ones', () => {
  const { dir, p } = project({
    'compose.yaml': `
services:
  web:
    image: nginx
    command: echo "a b" 'c d'
    entrypoint: /bin/sh -c
    environment: [A=1, B]
    ports: ["127.0.0.1:8080:80/tcp", "3000-3001:4000-4001", 53/udp, {target: 90, published: 9090}]
    volumes: [data:/data, ./src:/src:ro, /abs:/abs, /anon, {type: tmpfs, target: /t}]
    networks: {front: {aliases: [w]}, back: null}
    depends_on: [db]
    extra_hosts: {h: 1.2.3.4}
    x-ignored: 1
  db: {image: busybox, networks: [back]}
networks: {front: {}, back: {external: true, name: backnet}}
volumes: {data: {}}
x-top: {}
`,
  }, { env: { B: 'bee' } });
  const web = p.services.web!;
  assert.deepEqual(web.command, ['echo', 'a b', 'c d']);
  assert.deepEqual(web.entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(web.environment, { A: '1', B: null });
  assert.deepEqual(web.ports, [
    { mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'tcp' },
    { mode: 'ingress', target: 4000, published: '3000', protocol: 'tcp' },
    { mode: 'ingress', target: 4001, published: '3001', protocol: 'tcp' },
    { mode: 'ingress', target: 53, protocol: 'udp' },
    { mode: 'ingress', target: 90, published: '9090', protocol: 'tcp' },
  ]);
  assert.deepEqual(web.volumes, [
    { type: 'volume', source: 'data', target: '/data' },
    { type: 'bind', source: join(dir, 'src'), target: '/src', read_only: true, bind: { create_host_path: true } },
    { type: 'bind', source: '/abs', target: '/abs', bind: { create_host_path: true } },
    { type: 'volume', target: '/anon' },
    { type: 'tmpfs', target: '/t' },
  ]);
  assert.deepEqual(web.depends_on, { db: { condition: 'service_started', required: true } });
  assert.deepEqual(web.extra_hosts, ['h:1.2.3.4']);
  assert.equal(p.networks.front!.name, `${p.name}_front`);
  assert.equal(p.networks.back!.name, 'backnet');
  assert.equal(p.volumes.data!.name, `${p.name}_data`);
  assert.ok(!p.networks.default, 'no service uses the default network');

  const plan = createPlan(p, web, { number: 1, hash: 'h' });
  assert.equal(plan.name, `${p.name}-web-1`);
  assert.deepEqual(plan.body.Env, ['A=1', 'B=bee']);
  assert.equal(plan.body.HostConfig!.NetworkMode, 'backnet');
  assert.deepEqual(plan.body.NetworkingConfig, { EndpointsConfig: { backnet: { Aliases: ['web'] } } });
  assert.deepEqual(plan.extraNetworks, [{ name: `${p.name}_front`, aliases: ['web', 'w'], ipv4: undefined }]);
  assert.deepEqual(plan.body.HostConfig!.PortBindings!['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: '8080' }]);
  assert.deepEqual(plan.body.HostConfig!.Binds, [`${join(dir, 'src')}:/src:ro`, '/abs:/abs:rw']);
  assert.deepEqual(plan.body.HostConfig!.Mounts, [
    { Type: 'volume', Target: '/data', Source: `${p.name}_data` },
    { Type: 'volume', Target: '/anon' },
    { Type: 'tmpfs', Target: '/t' },
  ]);
  assert.equal(plan.body.Labels!['com.docker.compose.project'], p.name);
  assert.equal(plan.body.Labels!['com.docker.compose.oneoff'], 'False');
  assert.equal(plan.body.Labels!['com.docker.compose.depends_on'], 'db:service_started:false');
});

test('-f files merge in order; extends; profiles', () => {
  const { p } = project({
    'compose.yaml': `
services:
  base: {image: busybox, environment: {A: '1', B: '2'}, ports: ['80'], command: [a], labels: {x: '1'}}
  web: {extends: base, environment: {B: '3'}}
  other: {extends: {file: sub/more.yaml, service: tpl}}
  debug: {image: busybox, profiles: [dbg]}
`,
    'override.yaml': `
services:
  base: {environment: {C: '4'}, ports: ['8001:81'], command: [b], cap_add: [NET_ADMIN]}
`,
    'sub/more.yaml': `services: {tpl: {image: alpine, env_file: vars.env, volumes: ['./d:/d']}}`,
  }, { files: ['compose.yaml', 'override.yaml'] });
  const base = p.services.base!;
  assert.deepEqual(base.environment, { A: '1', B: '2', C: '4' });
  assert.deepEqual(base.ports!.map((x) => x.published), [undefined, '8001']);
  assert.deepEqual(base.command, ['b']);
  assert.deepEqual(base.cap_add, ['NET_ADMIN']);
  assert.deepEqual(p.services.web!.environment, { A: '1', B: '3' });
  assert.deepEqual(p.services.web!.labels, { x: '1' });
  assert.match(p.services.other!.env_file![0]!, /sub\/vars\.env$/);
  assert.match(p.services.other!.volumes![0]!.source!, /sub\/d$/);
  assert.deepEqual(Object.keys(p.disabledServices), ['debug']);
});

test('profiles: --profile and COMPOSE_PROFILES enable', () => {
  const files = { 'compose.yaml': 'services: {a: {image: x}, b: {image: x, profiles: [p1]}, c: {image: x, profiles: [p2]}}' };
  assert.deepEqual(Object.keys(project(files, { profiles: ['p1'] }).p.services).sort(), ['a', 'b']);
  assert.deepEqual(Object.keys(project(files, { env: { COMPOSE_PROFILES: 'p1,p2' } }).p.services).sort(), ['a', 'b', 'c']);
});

test('validation errors name the file and key', () => {
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {image: x}}\nfoo: 1\n' }), /^Error: compose\.yaml: additional properties 'foo' not allowed$/);
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {image: x, imgae: y}}' }), /compose\.yaml: services\.a additional properties 'imgae' not allowed/);
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {image: x, depends_on: [b]}, b: {image: x, depends_on: [a]}}' }), /compose\.yaml: services\.a\.depends_on: dependency cycle detected: a -> b -> a/);
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {image: "${IMG:?set IMG}"}}' }), /compose\.yaml: services\.a\.image: required variable IMG is missing a value: set IMG/);
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {image: x, ports: ["8080:80"]}, b: {image: x, ports: ["8080:81"]}}' }), /compose\.yaml: services\.b\.ports: host port 8080\/tcp is already published by service "a"/);
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {image: x, volumes: ["nope:/x"]}}' }), /refers to undefined volume nope/);
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {image: x, depends_on: [zz]}}' }), /depends on undefined service "zz"/);
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {build: {context: ., bogus: 1}}}' }), /services\.a\.build additional properties 'bogus' not allowed/);
  assert.throws(() => project({ 'compose.yaml': 'services: {a: {command: x}}' }), /neither an image nor a build context/);
});

test('start order, hash stability, helpers', () => {
  const { p } = project({ 'compose.yaml': 'services: {w: {image: x, depends_on: {d: {condition: service_healthy}}}, d: {image: x}, a: {image: x}}' });
  assert.deepEqual(startOrder(p.services), ['a', 'd', 'w']);
  const h1 = configHash(p.services.w!, {});
  assert.equal(h1, configHash(structuredClone(p.services.w!), {}));
  assert.notEqual(h1, configHash(p.services.w!, { X: '1' }));
  assert.equal(configHash({ ...p.services.w!, deploy: { replicas: 3 } }, {}), configHash({ ...p.services.w!, deploy: {} }, {}));
  assert.deepEqual(shellSplit(`sh -c 'echo "hi there"; x' a\\ b`), ['sh', '-c', 'echo "hi there"; x', 'a b']);
  assert.deepEqual(parsePortShort('8080-8081:80-81'), [
    { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
    { mode: 'ingress', target: 81, published: '8081', protocol: 'tcp' },
  ]);
  assert.throws(() => parsePortShort('80:90:100:5'), /invalid port/);
});
