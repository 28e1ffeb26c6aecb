import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../base/errors.ts';
import type { LinuxSeccomp } from '../spec/oci-runtime.ts';
import { DEFAULT_CAPABILITIES } from './capabilities.ts';
import {
  compileSeccompProfile,
  defaultSeccompProfile,
  dockerArch,
  parseSeccompProfile,
  type SeccompProfile,
} from './seccomp-default.ts';

const compile = (caps: readonly string[] = DEFAULT_CAPABILITIES, arch = 'amd64', kernelRelease = '6.1.0') =>
  compileSeccompProfile(defaultSeccompProfile(), { arch, capabilities: caps, kernelRelease })!;

/** Names allowed with no argument condition. */
const allowedAlways = (s: LinuxSeccomp) =>
  new Set(s.syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
const errnoFor = (s: LinuxSeccomp, name: string) =>
  s.syscalls!.filter((r) => r.action === 'SCMP_ACT_ERRNO' && r.names.includes(name)).map((r) => r.errnoRet);

test('default profile: ENOSYS default, x86_64 and aarch64 arch maps', () => {
  const p = defaultSeccompProfile();
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 38);
  assert.deepEqual(p.archMap, [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ]);
});

test('compiled for amd64 with Docker default caps', () => {
  const s = compile();
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 38);
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const ok = allowedAlways(s);
  for (const n of ['read', 'write', 'openat', 'execve', 'futex', 'rt_sigreturn', 'epoll_pwait', 'io_uring_setup',
    'statx', 'faccessat2', 'close_range', 'arch_prctl', 'modify_ldt', 'chroot', 'ptrace', 'getrandom', 'ioctl']) {
    assert.ok(ok.has(n), `${n} should be allowed`);
  }
  for (const n of ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'reboot', 'keyctl', 'bpf', 'kexec_load',
    'init_module', 'swapon', 'perf_event_open', 'syslog']) {
    assert.ok(!ok.has(n), `${n} should not be allowed`);
    assert.deepEqual(errnoFor(s, n), [1], `${n} should be EPERM`);
  }
  // Arch-specific calls of other arches are gone.
  assert.ok(!ok.has('cacheflush'));
  assert.ok(!ok.has('s390_runtime_instr'));
  // clone: only without namespace flags, in argument 0 on x86.
  const clone = s.syscalls!.filter((r) => r.names.includes('clone'));
  assert.deepEqual(clone, [{
    names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
  }]);
  assert.deepEqual(errnoFor(s, 'clone3'), [38]);
  // socket: anything but AF_VSOCK; personality: five allowed values.
  assert.deepEqual(s.syscalls!.find((r) => r.names.includes('socket'))!.args, [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }]);
  assert.equal(s.syscalls!.filter((r) => r.names.includes('personality')).length, 5);
});

test('CAP_SYS_ADMIN unlocks mount & co and unconditional clone/clone3', () => {
  const s = compile([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
  const ok = allowedAlways(s);
  for (const n of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'bpf', 'perf_event_open', 'syslog']) {
    assert.ok(ok.has(n), n);
    assert.deepEqual(errnoFor(s, n), [], `${n} has no errno rule`);
  }
  assert.ok(!s.syscalls!.some((r) => r.names.includes('clone') && r.args));
});

test('CAP_BPF alone unlocks bpf only', () => {
  const s = compile([...DEFAULT_CAPABILITIES, 'CAP_BPF']);
  assert.ok(allowedAlways(s).has('bpf'));
  assert.deepEqual(errnoFor(s, 'bpf'), []);
  assert.deepEqual(errnoFor(s, 'mount'), [1]);
});

test('ptrace: allowed from kernel 4.8, EPERM before unless CAP_SYS_PTRACE', () => {
  const old = compile(DEFAULT_CAPABILITIES, 'amd64', '4.4.0-210-generic');
  assert.ok(!allowedAlways(old).has('ptrace'));
  assert.deepEqual(errnoFor(old, 'ptrace'), [1]);
  const oldPtrace = compile([...DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE'], 'amd64', '4.4.0');
  assert.ok(allowedAlways(oldPtrace).has('ptrace'));
  assert.deepEqual(errnoFor(oldPtrace, 'ptrace'), []);
  assert.deepEqual(errnoFor(compile(), 'ptrace'), []);
});

test('arm64 gets the ARM arch map and calls, not the x86 ones', () => {
  const s = compile(DEFAULT_CAPABILITIES, 'arm64');
  assert.deepEqual(s.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  const ok = allowedAlways(s);
  assert.ok(ok.has('cacheflush'));
  assert.ok(!ok.has('arch_prctl'));
});

test('no syscall is both allowed unconditionally and denied, for any capability mix', () => {
  const mixes = [[], DEFAULT_CAPABILITIES, [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYSLOG'],
    ['CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_NICE', 'CAP_SYS_TIME', 'CAP_SYS_MODULE', 'CAP_SYS_BOOT']];
  for (const caps of mixes) {
    for (const arch of ['amd64', 'arm64']) {
      const s = compile(caps, arch);
      const ok = allowedAlways(s);
      for (const r of s.syscalls!) {
        if (r.action !== 'SCMP_ACT_ERRNO') continue;
        for (const n of r.names) assert.ok(!ok.has(n), `${n} allowed and denied with ${caps.join(',')} on ${arch}`);
      }
    }
  }
});

test('dockerArch maps Node arch names', () => {
  assert.equal(dockerArch('x64'), 'amd64');
  assert.equal(dockerArch('arm64'), 'arm64');
  assert.equal(dockerArch('ia32'), 'x86');
});

test('custom profile: name form, includes/excludes, passthrough of architectures', () => {
  const p = parseSeccompProfile(JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { name: 'read', action: 'SCMP_ACT_ALLOW' },
      { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [] },
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, excludes: { caps: ['CAP_FOWNER'] } },
      { names: ['cacheflush'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
      { names: ['kcmp'], action: 'SCMP_ACT_LOG', includes: { minKernel: '99.0' } },
    ],
  }));
  const s = compileSeccompProfile(p, { arch: 'amd64', capabilities: ['CAP_CHOWN'], kernelRelease: '6.1.0' })!;
  assert.deepEqual(s, {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    ],
  });
});

test('profile errors are invalid_argument', () => {
  const isInvalid = (re: RegExp) => (e: unknown) => isBerthError(e, 'invalid_argument') && re.test((e as Error).message);
  assert.throws(() => parseSeccompProfile('{nope'), isInvalid(/^Decoding seccomp profile failed/));
  assert.throws(() => parseSeccompProfile('{"defaultAction":"SCMP_ACT_MAYBE"}'), isInvalid(/unknown action/));
  assert.throws(
    () => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_ALMOST"}]}]}'),
    isInvalid(/unknown operator/),
  );
  const both: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    archMap: [{ architecture: 'SCMP_ARCH_X86_64' }],
  };
  const opts = { arch: 'amd64', capabilities: [], kernelRelease: '6.1' };
  assert.throws(() => compileSeccompProfile(both, opts), isInvalid(/both 'architectures' and 'archMap'/));
  const nameAndNames: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ERRNO' }],
  };
  assert.throws(() => compileSeccompProfile(nameAndNames, opts), isInvalid(/both 'name' and 'names'/));
});

test('an empty profile means no seccomp (Docker treats it as disabled)', () => {
  assert.equal(compileSeccompProfile(parseSeccompProfile('{}') , { arch: 'amd64', capabilities: [], kernelRelease: '6.1' }), undefined);
});
