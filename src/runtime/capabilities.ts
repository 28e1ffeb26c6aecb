// Linux capabilities: the kernel's names by number, Docker's default set, and Docker's cap-add/cap-drop rules.
import { invalidArgument } from '../base/errors.ts';

/** Capability names indexed by their number (include/uapi/linux/capability.h, up to CAP_CHECKPOINT_RESTORE = 40). */
export const CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', // 0
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL', // 5
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', // 10
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', // 15
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', // 20
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', // 25
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', // 30
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM', // 35
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE', // 40
]);

const CAP_NUMBER = new Map(CAPABILITIES.map((name, i) => [name, i]));

/** Docker's default set for unprivileged containers, in Docker's order (the order shows up in the spec). */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

const ALL = 'ALL';

export function capabilityNumber(name: string): number | undefined {
  return CAP_NUMBER.get(name);
}

/**
 * Upper-cases, adds the CAP_ prefix and validates, as Docker does for CapAdd/CapDrop. "ALL" passes through.
 * An unknown name is an invalid_argument error with Docker's message: unknown capability: "CAP_X".
 */
export function normalizeCapabilities(list: readonly string[]): string[] {
  return list.map((raw) => {
    let c = raw.trim().toUpperCase();
    if (c === ALL) return c;
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!CAP_NUMBER.has(c)) {
      throw invalidArgument(`unknown capability: ${JSON.stringify(c)}`, 'invalid_capability');
    }
    return c;
  });
}

export interface TweakOptions {
  add?: readonly string[];
  drop?: readonly string[];
  privileged?: boolean;
  /** Starting set; Docker's defaults unless given. */
  base?: readonly string[];
}

/**
 * Docker's rules: privileged → every capability; add ALL → every capability minus the drops; drop ALL → only the
 * adds; otherwise base minus drops, then the adds appended. Duplicates are removed keeping the first.
 */
export function tweakCapabilities(opts: TweakOptions): string[] {
  const base = opts.base ?? DEFAULT_CAPABILITIES;
  if (opts.privileged) return [...CAPABILITIES];
  const add = normalizeCapabilities(opts.add ?? []);
  const drop = normalizeCapabilities(opts.drop ?? []);
  let caps: string[];
  if (add.includes(ALL)) {
    caps = CAPABILITIES.filter((c) => !drop.includes(c));
  } else if (drop.includes(ALL)) {
    caps = add;
  } else {
    caps = [...base.filter((c) => !drop.includes(c)), ...add];
  }
  return [...new Set(caps)];
}

/** The capability bits of a mask (as in /proc/PID/status CapBnd) as names, in number order. */
export function capMaskToNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

export function capNamesToMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const n of names) {
    const i = CAP_NUMBER.get(n);
    if (i !== undefined) mask |= 1n << BigInt(i);
  }
  return mask;
}

/**
 * Keeps only the capabilities present in the bounding set `capBnd`. runc fails with "unable to apply caps" when a
 * spec asks for one the runtime's own bounding set lacks (e.g. CAP_SYS_RESOURCE on this workplace's machines).
 */
export function intersectWithBounding(caps: readonly string[], capBnd: bigint): string[] {
  return caps.filter((c) => {
    const i = CAP_NUMBER.get(c);
    return i !== undefined && ((capBnd >> BigInt(i)) & 1n) === 1n;
  });
}
