// Smoke test: a spec from buildSpec really runs under runc on this host (root only; skipped otherwise).
// It checks what the container sees: its ids and groups, and its effective capabilities.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSpec, readHostLimits, specToJson, type HostLimits, type SpecInput } from './oci-spec.ts';

const CGROUP_PARENT = 'berth-spectest';
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

async function findExecutable(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    const p = path.join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    try {
      await access(p);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let runc: string | undefined;
let busybox: string | undefined;
let dir: string;
let host: HostLimits;
const ids: string[] = [];
let seq = 0;

before(async () => {
  if (process.getuid?.() !== 0) return;
  runc = await findExecutable('runc');
  busybox = await firstExisting(BUSYBOX_CANDIDATES);
  if (!runc || !busybox) return;
  dir = await mkdtemp(path.join(tmpdir(), 'berth-spectest-'));
  host = await readHostLimits();
});

after(async () => {
  if (!dir) return;
  for (const id of ids) await run(runc!, ['--root', path.join(dir, 'runc'), 'delete', '-f', id]).catch(() => undefined);
  // runc removes the container's own cgroups but leaves the parent, in every hierarchy (unified included).
  const hierarchies = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
  for (const h of ['', ...hierarchies]) {
    for (const id of ids) await rmdir(path.join('/sys/fs/cgroup', h, CGROUP_PARENT, id)).catch(() => undefined);
    await rmdir(path.join('/sys/fs/cgroup', h, CGROUP_PARENT)).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
});

async function makeRootfs(root: string): Promise<void> {
  await mkdir(path.join(root, 'bin'), { recursive: true });
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await copyFile(busybox!, path.join(root, 'bin/busybox'));
  for (const tool of ['sh', 'echo', 'cat', 'id', 'grep']) await symlink('busybox', path.join(root, 'bin', tool));
  await writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  await writeFile(path.join(root, 'etc/group'), 'root:x:0:\nwheel:x:10:root,app\napp:x:1000:\n');
}

async function runContainer(over: Partial<SpecInput>): Promise<RunResult> {
  const id = `spectest-${process.pid}-${++seq}`;
  ids.push(id);
  const bundle = path.join(dir, id);
  const rootfs = path.join(bundle, 'rootfs');
  await makeRootfs(rootfs);
  const spec = await buildSpec(
    {
      id,
      rootfs,
      readonlyRootfs: false,
      args: ['sh', '-c', 'id; cat /proc/self/status | grep CapEff'],
      env: [],
      cwd: '',
      user: '',
      hostname: id.slice(0, 12),
      tty: false,
      privileged: false,
      capAdd: [],
      capDrop: [],
      securityOpt: [],
      network: { mode: 'none' },
      cgroupsPath: `/${CGROUP_PARENT}/${id}`,
      ...over,
    },
    host,
  );
  await writeFile(path.join(bundle, 'config.json'), specToJson(spec));
  return run(runc!, ['--root', path.join(dir, 'runc'), 'run', '--bundle', bundle, id]);
}

const skipReason = () =>
  process.getuid?.() !== 0 ? 'needs root' : !runc ? 'runc not installed' : !busybox ? 'busybox not installed' : undefined;

test('runc runs the default spec: root with its groups and Docker default capabilities', async (t) => {
  const why = skipReason();
  if (why) return t.skip(why);
  const r = await runContainer({});
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^uid=0\(root\) gid=0\(root\) groups=0\(root\),10\(wheel\)$/m);
  assert.match(r.stdout, /^CapEff:\s+00000000a80425fb$/m);
});

test('runc runs a privileged spec: every capability this host can give', async (t) => {
  const why = skipReason();
  if (why) return t.skip(why);
  const r = await runContainer({ privileged: true, ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 4096 }] });
  assert.equal(r.code, 0, r.stderr);
  const want = host.capBnd.toString(16).padStart(16, '0');
  assert.match(r.stdout, new RegExp(`^CapEff:\\s+${want}$`, 'm'));
});

test('runc runs a non-root user: no effective capabilities, groupAdd applied', async (t) => {
  const why = skipReason();
  if (why) return t.skip(why);
  const r = await runContainer({ user: 'app', groupAdd: ['4242'], capAdd: ['NET_ADMIN'] });
  assert.equal(r.code, 0, r.stderr);
  // The kernel reports supplementary groups sorted.
  assert.match(r.stdout, /^uid=1000\(app\) gid=1000\(app\) groups=10\(wheel\),1000\(app\),4242$/m);
  assert.match(r.stdout, /^CapEff:\s+0000000000000000$/m);
});
