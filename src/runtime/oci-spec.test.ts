import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isBerthError } from '../base/errors.ts';
import type { Spec } from '../spec/oci-runtime.ts';
import { CAPABILITIES, DEFAULT_CAPABILITIES } from './capabilities.ts';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  buildSpec,
  mergeEnv,
  parseCapBnd,
  parseProcLimits,
  parseSecurityOptions,
  readHostDevices,
  specToJson,
  type HostLimits,
  type SpecInput,
} from './oci-spec.ts';

// This workplace's daemon: no CAP_SYS_RESOURCE, NOFILE hard 20000, unlimited core.
const HOST: HostLimits = {
  capBnd: 0x1fffeffffffn,
  rlimits: {
    RLIMIT_NOFILE: { soft: 20000, hard: 20000 },
    RLIMIT_NPROC: { soft: 96365, hard: 96365 },
    RLIMIT_CORE: { soft: 0, hard: Infinity },
  },
  kernelRelease: '6.1.0',
  arch: 'amd64',
  devices: [{ path: '/dev/kvm', type: 'c', major: 10, minor: 232, fileMode: 0o660, uid: 0, gid: 0 }],
};

let dir: string;
let rootfs: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-spec-'));
  rootfs = path.join(dir, 'rootfs');
  await mkdir(path.join(rootfs, 'etc'), { recursive: true });
  await writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33:www:/var/www:/bin/false\n');
  await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\nwww-data:x:33:\nadm:x:4:web\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const input = (over: Partial<SpecInput> = {}): SpecInput => ({
  id: 'c1',
  rootfs,
  readonlyRootfs: false,
  args: ['/bin/sh', '-c', 'true'],
  env: [],
  cwd: '',
  user: '',
  hostname: 'c1host',
  tty: false,
  privileged: false,
  capAdd: [],
  capDrop: [],
  securityOpt: [],
  network: { mode: 'none' },
  cgroupsPath: '/berth/c1',
  ...over,
});
const build = (over: Partial<SpecInput> = {}, host: HostLimits = HOST) => buildSpec(input(over), host);
const mount = (s: Spec, dest: string) => s.mounts!.find((m) => m.destination === dest);
const nsTypes = (s: Spec) => s.linux!.namespaces!.map((n) => n.type);
const invalid = (re: RegExp) => (e: unknown) => isBerthError(e, 'invalid_argument') && re.test((e as Error).message);

test('default spec matches Docker defaults', async () => {
  const s = await build();
  assert.equal(s.ociVersion, '1.0.2-dev');
  assert.equal(s.process!.terminal, false);
  assert.equal(s.process!.consoleSize, undefined);
  assert.deepEqual(s.process!.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(s.process!.args, ['/bin/sh', '-c', 'true']);
  assert.equal(s.process!.cwd, '/');
  assert.deepEqual(s.process!.env, [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOSTNAME=c1host',
    'HOME=/root',
  ]);
  assert.equal(s.process!.noNewPrivileges, undefined);
  assert.deepEqual(s.root, { path: rootfs, readonly: false });
  assert.equal(s.hostname, 'c1host');
  assert.deepEqual(nsTypes(s), ['mount', 'network', 'uts', 'pid', 'ipc']);
  assert.equal(s.linux!.cgroupsPath, '/berth/c1');
  assert.deepEqual(s.linux!.devices, []);
  assert.deepEqual(s.linux!.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.deepEqual(s.linux!.readonlyPaths, DEFAULT_READONLY_PATHS);

  const caps = s.process!.capabilities!;
  assert.deepEqual(caps.bounding, DEFAULT_CAPABILITIES);
  assert.deepEqual(caps.effective, DEFAULT_CAPABILITIES);
  assert.deepEqual(caps.permitted, DEFAULT_CAPABILITIES);
  assert.equal(caps.inheritable, undefined);
  assert.equal(caps.ambient, undefined);

  assert.deepEqual(s.mounts!.map((m) => m.destination), [
    '/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm',
  ]);
  assert.deepEqual(mount(s, '/proc'), { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] });
  assert.deepEqual(mount(s, '/dev')!.options, ['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
  assert.deepEqual(mount(s, '/dev/pts')!.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  assert.ok(mount(s, '/sys')!.options!.includes('ro'));
  assert.deepEqual(mount(s, '/sys/fs/cgroup')!.options, ['ro', 'nosuid', 'noexec', 'nodev', 'relatime']);
  assert.deepEqual(mount(s, '/dev/shm')!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);

  const rules = s.linux!.resources!.devices!;
  assert.deepEqual(rules[0], { allow: false, access: 'rwm' });
  for (const [major, minor] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2], [10, 200]]) {
    assert.ok(rules.some((r) => r.allow && r.type === 'c' && r.major === major && r.minor === minor), `${major}:${minor}`);
  }
  assert.ok(rules.some((r) => r.allow && r.type === 'c' && r.major === 136 && r.minor === undefined));
  assert.ok(rules.some((r) => r.allow && r.type === 'b' && r.major === undefined && r.access === 'm'));

  assert.equal(s.linux!.seccomp!.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.linux!.seccomp!.defaultErrnoRet, 38);
  assert.deepEqual(s.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
});

test('default network sysctls where the kernel has them; user sysctls win', async () => {
  const s = await build({ sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024', 'kernel.shmmax': '1000' } });
  assert.equal(s.linux!.sysctl!['net.ipv4.ip_unprivileged_port_start'], '1024');
  assert.equal(s.linux!.sysctl!['kernel.shmmax'], '1000');
  const hasPing = await access('/proc/sys/net/ipv4/ping_group_range').then(() => true, () => false);
  assert.equal(s.linux!.sysctl!['net.ipv4.ping_group_range'], hasPing ? '0 2147483647' : undefined);
});

test('tty adds TERM=xterm; image env overrides PATH in place; bare NAME unsets', async () => {
  const s = await build({ tty: true, env: ['PATH=/custom', 'A=1', 'HOSTNAME', 'HOME=/h'] });
  assert.equal(s.process!.terminal, true);
  assert.deepEqual(s.process!.env, ['PATH=/custom', 'TERM=xterm', 'A=1', 'HOME=/h']);
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4', 'C=5', 'A']), ['B=3', 'C=5']);
});

test('capabilities are intersected with the host bounding set (no CAP_SYS_RESOURCE here)', async () => {
  const s = await build({ capAdd: ['ALL'] });
  const caps = s.process!.capabilities!;
  assert.ok(!caps.bounding!.includes('CAP_SYS_RESOURCE'));
  assert.equal(caps.bounding!.length, CAPABILITIES.length - 1);
  assert.deepEqual(caps.effective, caps.bounding);
  assert.deepEqual(caps.permitted, caps.bounding);
  // Asked for explicitly, it is still dropped rather than failing runc.
  const one = await build({ capAdd: ['sys_resource', 'NET_ADMIN'], capDrop: ['MKNOD'] });
  assert.ok(one.process!.capabilities!.bounding!.includes('CAP_NET_ADMIN'));
  assert.ok(!one.process!.capabilities!.bounding!.includes('CAP_SYS_RESOURCE'));
  assert.ok(!one.process!.capabilities!.bounding!.includes('CAP_MKNOD'));
  // With SYS_ADMIN the seccomp profile lets mount through.
  const admin = await build({ capAdd: ['SYS_ADMIN'] });
  assert.ok(admin.linux!.seccomp!.syscalls!.some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes('mount')));
});

test('unknown capability is rejected', async () => {
  await assert.rejects(build({ capAdd: ['CAP_FLY'] }), invalid(/unknown capability: "CAP_FLY"/));
  await assert.rejects(build({ capDrop: ['nope'] }), invalid(/unknown capability: "CAP_NOPE"/));
});

test('privileged: every host capability, no seccomp, rw /sys and cgroup, no masks, all devices', async () => {
  const s = await build({ privileged: true, maskedPaths: ['/proc/kcore'], securityOpt: ['seccomp=unconfined'] });
  const caps = s.process!.capabilities!;
  assert.equal(caps.bounding!.length, 40);
  assert.ok(caps.bounding!.includes('CAP_SYS_ADMIN'));
  assert.ok(!caps.bounding!.includes('CAP_SYS_RESOURCE'));
  assert.equal(s.linux!.seccomp, undefined);
  assert.ok(!mount(s, '/sys')!.options!.includes('ro'));
  assert.ok(!mount(s, '/sys/fs/cgroup')!.options!.includes('ro'));
  assert.equal(s.linux!.maskedPaths, undefined);
  assert.equal(s.linux!.readonlyPaths, undefined);
  assert.deepEqual(s.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  assert.deepEqual(s.linux!.devices, HOST.devices);
});

test('security options: unconfined, builtin, custom profile, no-new-privileges', async () => {
  assert.equal((await build({ securityOpt: ['seccomp=unconfined'] })).linux!.seccomp, undefined);
  assert.equal((await build({ securityOpt: ['seccomp:unconfined'] })).linux!.seccomp, undefined);
  assert.equal((await build({ securityOpt: ['seccomp=builtin'] })).linux!.seccomp!.defaultErrnoRet, 38);
  const profile = JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
    syscalls: [
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    ],
  });
  const s = await build({ securityOpt: [`seccomp=${profile}`, 'apparmor=docker-default', 'label=disable'] });
  assert.deepEqual(s.linux!.seccomp, {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  });
  await assert.rejects(build({ securityOpt: ['seccomp={oops'] }), invalid(/Decoding seccomp profile failed/));

  assert.equal((await build({ securityOpt: ['no-new-privileges'] })).process!.noNewPrivileges, true);
  assert.equal((await build({ securityOpt: ['no-new-privileges:true'] })).process!.noNewPrivileges, true);
  assert.equal((await build({ securityOpt: ['no-new-privileges=false'] })).process!.noNewPrivileges, undefined);
  assert.deepEqual(parseSecurityOptions(['no-new-privileges=1']), { noNewPrivileges: true, seccomp: 'default' });
  await assert.rejects(build({ securityOpt: ['no-new-privileges=maybe'] }), invalid(/invalid --security-opt 2/));
  await assert.rejects(build({ securityOpt: ['bogus'] }), invalid(/invalid --security-opt 1/));
  await assert.rejects(build({ securityOpt: ['foo=bar'] }), invalid(/invalid --security-opt 2/));
});

test('rlimits: NOFILE default clamped to host hard; user limits checked against it', async () => {
  const s = await build({ ulimits: [{ Name: 'nproc', Soft: 100, Hard: 200 }, { Name: 'core', Soft: -1, Hard: -1 }] });
  assert.deepEqual(s.process!.rlimits, [
    { type: 'RLIMIT_NPROC', hard: 200, soft: 100 },
    { type: 'RLIMIT_CORE', hard: Infinity, soft: Infinity },
    { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 },
  ]);
  assert.match(specToJson(s), /"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615/);
  // Plain JSON.stringify too: RLIM_INFINITY must never turn into null (Go would read 0).
  assert.match(JSON.stringify(s), /"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615/);
  assert.match(JSON.stringify(s), /"type":"RLIMIT_NOFILE","hard":20000,"soft":20000/);
  const own = await build({ ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 4096 }] });
  assert.deepEqual(own.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 1024 }]);
  // A host with a big limit gets Docker's 1048576.
  const big = await build({}, { ...HOST, rlimits: { RLIMIT_NOFILE: { soft: 1024, hard: 4194304 } } });
  assert.deepEqual(big.process!.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }]);

  await assert.rejects(build({ ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 65536 }] }), invalid(/nofile=1024:65536 is above the daemon's own hard limit \(20000\)/));
  await assert.rejects(build({ ulimits: [{ Name: 'nofile', Soft: -1, Hard: -1 }] }), invalid(/above the daemon's own hard limit/));
  await assert.rejects(build({ ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] }), invalid(/soft limit must be less than or equal to hard limit: 10 > 5/));
  await assert.rejects(build({ ulimits: [{ Name: 'wings', Soft: 1, Hard: 1 }] }), invalid(/invalid ulimit type: wings/));
});

test('user from the rootfs: ids, groups, HOME, and no effective caps for non-root', async () => {
  const s = await build({ user: 'web', groupAdd: ['root'] });
  assert.deepEqual(s.process!.user, { uid: 33, gid: 33, additionalGids: [33, 4, 0] });
  assert.ok(s.process!.env!.includes('HOME=/var/www'));
  const caps = s.process!.capabilities!;
  assert.deepEqual(caps.bounding, DEFAULT_CAPABILITIES);
  assert.equal(caps.effective, undefined);
  assert.equal(caps.permitted, undefined);
  assert.deepEqual((await build({ user: '1234:5678' })).process!.user, { uid: 1234, gid: 5678, additionalGids: [5678] });
  await assert.rejects(build({ user: 'ghost' }), invalid(/^unable to find user ghost: no matching entries in passwd file$/));
});

test('namespaces for host and joined modes; hostname dropped with host UTS', async () => {
  const hostNet = await build({ network: { mode: 'host' }, pidMode: 'host', ipcMode: 'host', utsMode: 'host' });
  assert.deepEqual(nsTypes(hostNet), ['mount']);
  assert.equal(hostNet.hostname, undefined);
  assert.equal(hostNet.linux!.sysctl, undefined);
  assert.deepEqual(mount(hostNet, '/dev/shm'), {
    destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'],
  });
  const joined = await build({ network: { mode: 'netns', path: '/run/netns/berth-c1' }, cgroupnsMode: 'private' });
  assert.deepEqual(joined.linux!.namespaces, [
    { type: 'mount' }, { type: 'network', path: '/run/netns/berth-c1' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' },
    { type: 'cgroup' },
  ]);
  await assert.rejects(build({ network: { mode: 'host' }, sysctls: { 'net.core.somaxconn': '1' } }), invalid(/not allowed in host network namespace/));
  await assert.rejects(build({ ipcMode: 'host', sysctls: { 'kernel.shmmax': '1' } }), invalid(/not allowed in host IPC namespace/));
});

test('--init wraps the command and binds docker-init read-only (not with host PID)', async () => {
  const s = await build({ init: { hostPath: '/usr/bin/tini' }, args: ['sleep', '1'] });
  assert.deepEqual(s.process!.args, ['/sbin/docker-init', '--', 'sleep', '1']);
  assert.deepEqual(mount(s, '/sbin/docker-init'), {
    destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini', options: ['bind', 'ro'],
  });
  const hostPid = await build({ init: { hostPath: '/usr/bin/tini' }, args: ['sleep', '1'], pidMode: 'host' });
  assert.deepEqual(hostPid.process!.args, ['sleep', '1']);
});

test('etc files, extra mounts, readonly rootfs, shm size, overrides', async () => {
  const s = await build({
    readonlyRootfs: true,
    shmSize: 1 << 20,
    etcFiles: { hosts: '/x/hosts', hostname: '/x/hostname', resolvConf: '/x/resolv.conf' },
    extraMounts: [
      { source: '/data/deep', destination: '/srv/a/b', options: ['rbind', 'rprivate'] },
      { source: 'tmpfs', destination: '/run', type: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] },
    ],
    maskedPaths: ['/proc/kcore'],
    readonlyPaths: [],
  });
  assert.equal(s.root!.readonly, true);
  assert.deepEqual(s.mounts!.map((m) => m.destination), [
    '/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm',
    '/run', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts', '/srv/a/b',
  ]);
  assert.deepEqual(mount(s, '/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: '/x/hosts', options: ['rbind', 'ro', 'rprivate'] });
  assert.deepEqual(mount(s, '/proc')!.options, ['nosuid', 'noexec', 'nodev']);
  assert.deepEqual(mount(s, '/dev/shm')!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=1048576']);
  assert.deepEqual(mount(s, '/srv/a/b')!.options, ['rbind', 'rprivate']);
  assert.deepEqual(s.linux!.maskedPaths, ['/proc/kcore']);
  assert.deepEqual(s.linux!.readonlyPaths, []);
  // A user mount on a default destination replaces it; a user /dev replaces everything under /dev.
  const over = await build({ extraMounts: [{ source: '/host/dev', destination: '/dev', options: ['rbind'] }] });
  assert.deepEqual(over.mounts!.map((m) => m.destination), ['/proc', '/sys', '/sys/fs/cgroup', '/dev']);
  const rw = await build({ etcFiles: { hosts: '/x/hosts' } });
  assert.deepEqual(mount(rw, '/etc/hosts')!.options, ['rbind', 'rprivate']);
});

test('resources map to linux.resources like Docker', async () => {
  const s = await build({
    resources: {
      memory: 512 << 20, memoryReservation: 256 << 20, cpuShares: 512, nanoCpus: 1.5e9, cpusetCpus: '0',
      pidsLimit: 64, oomKillDisable: true,
    },
    oomScoreAdj: 500,
    domainname: 'example.org',
  });
  const r = s.linux!.resources!;
  assert.deepEqual(r.memory, { limit: 512 << 20, reservation: 256 << 20, swap: 1024 << 20, disableOOMKiller: true });
  assert.deepEqual(r.cpu, { period: 100000, quota: 150000, shares: 512, cpus: '0' });
  assert.deepEqual(r.pids, { limit: 64 });
  assert.equal(s.process!.oomScoreAdj, 500);
  assert.equal(s.domainname, 'example.org');

  const t = await build({ resources: { memory: 64 << 20, memorySwap: 128 << 20, cpuQuota: 50000, cpuPeriod: 100000, pidsLimit: 0 } });
  assert.deepEqual(t.linux!.resources!.memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(t.linux!.resources!.cpu, { period: 100000, quota: 50000 });
  assert.deepEqual(t.linux!.resources!.pids, { limit: -1 });
  // -1 swap: unlimited, so no swap limit written.
  assert.deepEqual((await build({ resources: { memory: 64 << 20, memorySwap: -1 } })).linux!.resources!.memory, { limit: 64 << 20 });
  assert.equal((await build()).linux!.resources!.memory, undefined);

  await assert.rejects(build({ resources: { nanoCpus: 1e9, cpuQuota: 50000 } }), invalid(/Nano CPUs and CPU Quota/));
  await assert.rejects(build({ resources: { memory: 1 << 20 } }), invalid(/Minimum memory limit allowed is 6MB/));
  await assert.rejects(build({ resources: { memory: 64 << 20, memorySwap: 32 << 20 } }), invalid(/memoryswap limit should be larger/));
});

test('input validation: command and working directory', async () => {
  await assert.rejects(build({ args: [] }), invalid(/No command specified/));
  await assert.rejects(build({ cwd: 'rel/dir' }), invalid(/needs to be an absolute path/));
  assert.equal((await build({ cwd: '/app/../srv/' })).process!.cwd, '/srv');
  assert.equal((await build({ cwd: '/' })).process!.cwd, '/');
});

test('host limit parsing', () => {
  const limits = parseProcLimits(`Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max stack size            8388608              unlimited            bytes
Max open files            20000                20000                files
Max nice priority         0                    0
`);
  assert.deepEqual(limits, {
    RLIMIT_CPU: { soft: Infinity, hard: Infinity },
    RLIMIT_STACK: { soft: 8388608, hard: Infinity },
    RLIMIT_NOFILE: { soft: 20000, hard: 20000 },
    RLIMIT_NICE: { soft: 0, hard: 0 },
  });
  assert.equal(parseCapBnd('CapPrm:\t000001ffffffffff\nCapBnd:\t000001fffeffffff\n'), 0x1fffeffffffn);
});

test('host device scan finds /dev/null as 1:3', async () => {
  const devs = await readHostDevices();
  assert.deepEqual(
    devs.find((d) => d.path === '/dev/null'),
    { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  );
  assert.ok(!devs.some((d) => d.path.startsWith('/dev/pts/')));
});
