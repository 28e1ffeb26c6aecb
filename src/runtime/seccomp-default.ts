// Seccomp: Docker's profile file format, Berth's default profile in that format, and the compilation of a profile
// into the OCI `linux.seccomp` for one architecture and capability set (Docker's include/exclude filtering).
//
// The default profile allows what Docker's default allows. Two differences, on purpose:
//  - Unknown syscalls fail with ENOSYS (38), not EPERM. New glibc tries clone3, faccessat2, etc. first and falls back
//    to the old call only on ENOSYS; under an EPERM default such programs fail outright.
//  - Because ENOSYS reads as "not implemented", syscalls that exist but that Docker's profile denies (mount without
//    CAP_SYS_ADMIN, keyctl, ptrace on old kernels, ...) get explicit EPERM rules so tools still report
//    "Operation not permitted", as under Docker.
import { invalidArgument } from '../base/errors.ts';
import type {
  LinuxSeccomp,
  LinuxSeccompAction,
  LinuxSeccompArg,
  LinuxSeccompOperator,
  LinuxSyscall,
} from '../spec/oci-runtime.ts';

/** Docker's `includes`/`excludes` filter. Arch names are Docker's (amd64, x86, x32, arm64, arm, ...). */
export interface SeccompFilter {
  arches?: string[];
  caps?: string[];
  /** "major.minor" */
  minKernel?: string;
}

export interface SeccompProfileSyscall {
  name?: string;
  names?: string[];
  action: LinuxSeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface SeccompArchMap {
  architecture: string;
  subArchitectures?: string[] | null;
}

/** The JSON profile format `docker run --security-opt seccomp=FILE` takes. */
export interface SeccompProfile {
  defaultAction: LinuxSeccompAction | '';
  defaultErrnoRet?: number;
  architectures?: string[] | null;
  archMap?: SeccompArchMap[] | null;
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompProfileSyscall[] | null;
}

const EPERM = 1;
const ENOSYS = 38;
const AF_VSOCK = 40;
// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

// Syscalls every container may make, grouped by what they are for.
const ALLOWED: Record<string, string[]> = {
  files: [
    'access', 'chdir', 'chmod', 'chown', 'chown32', 'close', 'close_range', 'copy_file_range', 'creat', 'dup', 'dup2',
    'dup3', 'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate', 'fchdir', 'fchmod', 'fchmodat',
    'fchown', 'fchown32', 'fchownat', 'fcntl', 'fcntl64', 'fdatasync', 'flock', 'fstat', 'fstat64', 'fstatat64',
    'fstatfs', 'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64', 'futimesat', 'getcwd', 'getdents', 'getdents64',
    'ioctl', 'lchown', 'lchown32', 'link', 'linkat', '_llseek', 'lseek', 'lstat', 'lstat64', 'mkdir', 'mkdirat',
    'mknod', 'mknodat', 'name_to_handle_at', 'newfstatat', 'open', 'openat', 'openat2', 'pipe', 'pipe2', 'pread64',
    'preadv', 'preadv2', 'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv',
    'rename', 'renameat', 'renameat2', 'rmdir', 'sendfile', 'sendfile64', 'splice', 'stat', 'stat64', 'statfs',
    'statfs64', 'statx', 'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'tee', 'truncate',
    'truncate64', 'umask', 'unlink', 'unlinkat', 'utime', 'utimensat', 'utimensat_time64', 'utimes', 'vmsplice',
    'write', 'writev',
  ],
  xattrs: [
    'fgetxattr', 'flistxattr', 'fremovexattr', 'fsetxattr', 'getxattr', 'lgetxattr', 'listxattr', 'llistxattr',
    'lremovexattr', 'lsetxattr', 'removexattr', 'setxattr',
  ],
  waiting: [
    'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait',
    'epoll_wait_old', 'eventfd', 'eventfd2', 'fanotify_mark', 'inotify_add_watch', 'inotify_init', 'inotify_init1',
    'inotify_rm_watch', 'poll', 'ppoll', 'ppoll_time64', 'pselect6', 'pselect6_time64', 'select', '_newselect',
    'signalfd', 'signalfd4', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime',
    'timerfd_settime64',
  ],
  asyncIo: [
    'io_cancel', 'io_destroy', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64', 'io_setup', 'io_submit',
    'io_uring_enter', 'io_uring_register', 'io_uring_setup',
  ],
  memory: [
    'brk', 'madvise', 'membarrier', 'memfd_create', 'memfd_secret', 'mincore', 'mlock', 'mlock2', 'mlockall', 'mmap',
    'mmap2', 'mprotect', 'mremap', 'msync', 'munlock', 'munlockall', 'munmap', 'pkey_alloc', 'pkey_free',
    'pkey_mprotect', 'remap_file_pages',
  ],
  processes: [
    'execve', 'execveat', 'exit', 'exit_group', 'fork', 'vfork', 'futex', 'futex_time64', 'futex_waitv', 'getcpu',
    'getpgid', 'getpgrp', 'getpid', 'getppid', 'getpriority', 'getrandom', 'getrlimit', 'ugetrlimit', 'getrusage',
    'getsid', 'gettid', 'get_robust_list', 'set_robust_list', 'get_thread_area', 'set_thread_area',
    'set_tid_address', 'ioprio_get', 'ioprio_set', 'kill', 'tgkill', 'tkill', 'pidfd_open', 'pidfd_send_signal',
    'prctl', 'prlimit64', 'process_mrelease', 'restart_syscall', 'rseq', 'seccomp', 'setpgid', 'setpriority',
    'setrlimit', 'setsid', 'sysinfo', 'times', 'uname', 'wait4', 'waitid', 'waitpid', 'landlock_add_rule',
    'landlock_create_ruleset', 'landlock_restrict_self',
  ],
  credentials: [
    'capget', 'capset', 'getegid', 'getegid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getgroups',
    'getgroups32', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32', 'getuid', 'getuid32', 'setfsgid',
    'setfsgid32', 'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups', 'setgroups32', 'setregid',
    'setregid32', 'setresgid', 'setresgid32', 'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setuid',
    'setuid32',
  ],
  scheduling: [
    'sched_getaffinity', 'sched_getattr', 'sched_getparam', 'sched_get_priority_max', 'sched_get_priority_min',
    'sched_getscheduler', 'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_setaffinity',
    'sched_setattr', 'sched_setparam', 'sched_setscheduler', 'sched_yield',
  ],
  signals: [
    'alarm', 'pause', 'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn',
    'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sigaltstack', 'sigprocmask',
    'sigreturn',
  ],
  clocks: [
    'adjtimex', 'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64', 'clock_gettime',
    'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'getitimer', 'setitimer', 'gettimeofday',
    'nanosleep', 'time', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64',
    'timer_settime', 'timer_settime64',
  ],
  sockets: [
    'accept', 'accept4', 'bind', 'connect', 'getpeername', 'getsockname', 'getsockopt', 'listen', 'recv', 'recvfrom',
    'recvmmsg', 'recvmmsg_time64', 'recvmsg', 'send', 'sendmmsg', 'sendmsg', 'sendto', 'setsockopt', 'shutdown',
    'socketcall', 'socketpair',
  ],
  sysvIpcAndMqueues: [
    'ipc', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'semctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64',
    'shmat', 'shmctl', 'shmdt', 'shmget', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive',
    'mq_timedreceive_time64', 'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink',
  ],
};

// Syscalls a capability unlocks (Docker grants them when the capability is in the bounding set).
const BY_CAPABILITY: [caps: string[], names: string[]][] = [
  [['CAP_DAC_READ_SEARCH'], ['open_by_handle_at']],
  [
    ['CAP_SYS_ADMIN'],
    [
      'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount',
      'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname',
      'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare',
    ],
  ],
  [['CAP_SYS_BOOT'], ['reboot']],
  [['CAP_SYS_CHROOT'], ['chroot']],
  [['CAP_SYS_MODULE'], ['delete_module', 'init_module', 'finit_module']],
  [['CAP_SYS_PACCT'], ['acct']],
  [['CAP_SYS_PTRACE'], ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace']],
  [['CAP_SYS_RAWIO'], ['iopl', 'ioperm']],
  [['CAP_SYS_TIME'], ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
  [['CAP_SYS_TTY_CONFIG'], ['vhangup']],
  [['CAP_SYS_NICE'], ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node']],
  [['CAP_SYSLOG'], ['syslog']],
  [['CAP_BPF'], ['bpf']],
  [['CAP_PERFMON'], ['perf_event_open']],
];

// Architecture-specific calls, by Docker arch name.
const BY_ARCH: [arches: string[], names: string[]][] = [
  [['ppc64le'], ['sync_file_range2', 'swapcontext']],
  [['arm', 'arm64'], ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls']],
  [['amd64', 'x32'], ['arch_prctl']],
  [['amd64', 'x32', 'x86'], ['modify_ldt']],
  [['s390', 's390x'], ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr']],
  [['riscv64'], ['riscv_flush_icache']],
];

// Denied with EPERM when the capability that would allow them is absent (see the file comment). clone/clone3 are
// left out: clone has an argument-filtered allow rule and clone3 must stay ENOSYS. The new mount API (fsopen,
// open_tree, ...) is left at ENOSYS so mount(8) falls back to mount(2), which then says EPERM.
const EPERM_WITHOUT_CAPABILITY: [caps: string[], names: string[], minKernel?: string][] = [
  [['CAP_DAC_READ_SEARCH'], ['open_by_handle_at']],
  [
    ['CAP_SYS_ADMIN'],
    [
      'fanotify_init', 'lookup_dcookie', 'mount', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns',
      'umount', 'umount2', 'unshare',
    ],
  ],
  [['CAP_SYS_ADMIN', 'CAP_BPF'], ['bpf']],
  [['CAP_SYS_ADMIN', 'CAP_PERFMON'], ['perf_event_open']],
  [['CAP_SYS_ADMIN', 'CAP_SYSLOG'], ['syslog']],
  [['CAP_SYS_BOOT'], ['reboot']],
  [['CAP_SYS_CHROOT'], ['chroot']],
  [['CAP_SYS_MODULE'], ['delete_module', 'init_module', 'finit_module']],
  [['CAP_SYS_PACCT'], ['acct']],
  [['CAP_SYS_PTRACE'], ['kcmp', 'pidfd_getfd', 'process_madvise']],
  // Allowed to everyone from 4.8 on (the kernel then checks ptrace against seccomp itself).
  [['CAP_SYS_PTRACE'], ['process_vm_readv', 'process_vm_writev', 'ptrace'], '4.8'],
  [['CAP_SYS_RAWIO'], ['iopl', 'ioperm']],
  [['CAP_SYS_TIME'], ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
  [['CAP_SYS_TTY_CONFIG'], ['vhangup']],
  [['CAP_SYS_NICE'], ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node']],
];

// Denied to every container (host-global state or kernel attack surface), with EPERM as Docker answers.
const EPERM_ALWAYS = [
  'add_key', 'keyctl', 'request_key', 'kexec_file_load', 'kexec_load', 'pivot_root', 'swapoff', 'swapon',
  'userfaultfd', 'move_pages', 'migrate_pages',
];

const allow = (names: string[], extra: Partial<SeccompProfileSyscall> = {}): SeccompProfileSyscall => ({
  names,
  action: 'SCMP_ACT_ALLOW',
  ...extra,
});

/** Berth's default profile, in Docker's profile format. A fresh object each call. */
export function defaultSeccompProfile(): SeccompProfile {
  const syscalls: SeccompProfileSyscall[] = [
    allow(Object.values(ALLOWED).flat()),
    allow(['process_vm_readv', 'process_vm_writev', 'ptrace'], { includes: { minKernel: '4.8' } }),
    allow(['socket'], { args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] }),
    // personality(2) only with the harmless personas: PER_LINUX, PER_LINUX32, UNAME26 (with either), and query.
    ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((p) =>
      allow(['personality'], { args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }] }),
    ),
    ...BY_ARCH.map(([arches, names]) => allow(names, { includes: { arches } })),
    ...BY_CAPABILITY.map(([caps, names]) => allow(names, { includes: { caps } })),
    // Without CAP_SYS_ADMIN, clone may not create namespaces (s390 swaps the first two clone arguments).
    allow(['clone'], {
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    }),
    allow(['clone'], {
      args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      includes: { arches: ['s390', 's390x'] },
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    }),
    // clone3 flags live in memory seccomp cannot inspect: ENOSYS makes libc fall back to clone.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    ...EPERM_WITHOUT_CAPABILITY.map(([caps, names, minKernel]): SeccompProfileSyscall => ({
      names,
      action: 'SCMP_ACT_ERRNO',
      errnoRet: EPERM,
      excludes: minKernel ? { caps, minKernel } : { caps },
    })),
    { names: EPERM_ALWAYS, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
  ];
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: ENOSYS,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls,
  };
}

// Docker's architecture names → libseccomp's.
const NATIVE_TO_SECCOMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mipsel64n32: 'SCMP_ARCH_MIPSEL64N32',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
};

/** Docker's name for a Node `process.arch` value. */
export function dockerArch(nodeArch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: 'x86', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[nodeArch] ?? nodeArch;
}

const ACTIONS = new Set<string>([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
const OPS = new Set<string>([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
]);

const bad = (msg: string) => invalidArgument(`Decoding seccomp profile failed: ${msg}`, 'invalid_seccomp_profile');

function parseKernel(v: string): { major: number; minor: number } {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw bad(`invalid kernel version: ${JSON.stringify(v)}`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** Parses the JSON text of a Docker seccomp profile (what the CLI inlines into `seccomp=...`). */
export function parseSeccompProfile(text: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('profile is not a JSON object');
  const p = raw as SeccompProfile;
  if (p.defaultAction !== undefined && p.defaultAction !== '' && !ACTIONS.has(p.defaultAction)) {
    throw bad(`unknown action ${JSON.stringify(p.defaultAction)}`);
  }
  if (p.syscalls != null && !Array.isArray(p.syscalls)) throw bad('"syscalls" must be an array');
  for (const s of p.syscalls ?? []) {
    if (!ACTIONS.has(s.action)) throw bad(`unknown action ${JSON.stringify(s.action)}`);
    for (const a of s.args ?? []) {
      if (!OPS.has(a.op)) throw bad(`unknown operator ${JSON.stringify(a.op)}`);
    }
    if (s.includes?.minKernel) parseKernel(s.includes.minKernel);
    if (s.excludes?.minKernel) parseKernel(s.excludes.minKernel);
  }
  return p;
}

export interface CompileOptions {
  /** Docker arch name of the host (amd64, arm64, ...). */
  arch: string;
  /** The container's bounding capability set, after every adjustment. */
  capabilities: readonly string[];
  /** Running kernel release, e.g. os.release(). */
  kernelRelease: string;
}

function kernelAtLeast(release: string, min: string): boolean {
  const have = parseKernel(release);
  const want = parseKernel(min);
  return have.major > want.major || (have.major === want.major && have.minor >= want.minor);
}

/**
 * Turns a Docker-format profile into the OCI seccomp object for this arch and capability set, filtering rules by
 * includes (all conditions must hold) and excludes (any condition drops the rule). Returns undefined for a profile
 * that has neither a default action nor syscalls (Docker treats that as seccomp disabled).
 */
export function compileSeccompProfile(profile: SeccompProfile, opts: CompileOptions): LinuxSeccomp | undefined {
  if (!profile.defaultAction && (profile.syscalls ?? []).length === 0) return undefined;
  if ((profile.architectures ?? []).length > 0 && (profile.archMap ?? []).length > 0) {
    throw invalidArgument(
      "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'",
      'invalid_seccomp_profile',
    );
  }
  if (!profile.defaultAction) throw bad('"defaultAction" is required');
  let architectures = [...(profile.architectures ?? [])];
  const native = NATIVE_TO_SECCOMP[opts.arch];
  const mapped = (profile.archMap ?? []).find((a) => a.architecture === native);
  if (mapped) architectures = [mapped.architecture, ...(mapped.subArchitectures ?? [])];

  const caps = new Set(opts.capabilities);
  const syscalls: LinuxSyscall[] = [];
  for (const call of profile.syscalls ?? []) {
    if (call.name && (call.names ?? []).length > 0) {
      throw invalidArgument(
        "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'",
        'invalid_seccomp_profile',
      );
    }
    const ex = call.excludes;
    if (ex) {
      if (ex.arches?.includes(opts.arch)) continue;
      if (ex.caps?.some((c) => caps.has(c))) continue;
      if (ex.minKernel && kernelAtLeast(opts.kernelRelease, ex.minKernel)) continue;
    }
    const inc = call.includes;
    if (inc) {
      if (inc.arches?.length && !inc.arches.includes(opts.arch)) continue;
      if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) continue;
      if (inc.minKernel && !kernelAtLeast(opts.kernelRelease, inc.minKernel)) continue;
    }
    const out: LinuxSyscall = { names: call.name ? [call.name] : [...(call.names ?? [])], action: call.action };
    if (call.errnoRet !== undefined) out.errnoRet = call.errnoRet;
    if (call.args && call.args.length > 0) out.args = call.args.map((a) => ({ ...a }));
    syscalls.push(out);
  }

  const result: LinuxSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) result.defaultErrnoRet = profile.defaultErrnoRet;
  if (architectures.length > 0) result.architectures = architectures;
  if (profile.flags?.length) result.flags = [...profile.flags];
  if (profile.listenerPath) result.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) result.listenerMetadata = profile.listenerMetadata;
  result.syscalls = syscalls;
  return result;
}
