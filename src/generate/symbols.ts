/**
 * The symbolic constants generation needs to read strace's abbreviated output (`AF_UNIX`,
 * `CLONE_VM|SIGCHLD`) and to name recorded values in comments. Values are the generic Linux ones
 * (include/uapi/linux/socket.h via include/linux/socket.h, include/uapi/linux/sched.h,
 * include/uapi/linux/personality.h, include/uapi/linux/prctl.h, include/uapi/asm-generic/mman-common.h,
 * include/uapi/asm-generic/signal.h as used by x86 and arm64). A fuller table in the arch layer takes
 * precedence when it exists.
 */
import { constantValue } from '../arch/index.js';
import type { SymbolResolver } from '../trace/observe.js';

/** Address families (include/linux/socket.h). */
export const ADDRESS_FAMILIES: Readonly<Record<string, number>> = {
  AF_UNSPEC: 0,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_AX25: 3,
  AF_IPX: 4,
  AF_APPLETALK: 5,
  AF_NETROM: 6,
  AF_BRIDGE: 7,
  AF_ATMPVC: 8,
  AF_X25: 9,
  AF_INET6: 10,
  AF_ROSE: 11,
  AF_DECnet: 12,
  AF_NETBEUI: 13,
  AF_SECURITY: 14,
  AF_KEY: 15,
  AF_NETLINK: 16,
  AF_PACKET: 17,
  AF_ASH: 18,
  AF_ECONET: 19,
  AF_ATMSVC: 20,
  AF_RDS: 21,
  AF_SNA: 22,
  AF_IRDA: 23,
  AF_PPPOX: 24,
  AF_WANPIPE: 25,
  AF_LLC: 26,
  AF_IB: 27,
  AF_MPLS: 28,
  AF_CAN: 29,
  AF_TIPC: 30,
  AF_BLUETOOTH: 31,
  AF_IUCV: 32,
  AF_RXRPC: 33,
  AF_ISDN: 34,
  AF_PHONET: 35,
  AF_IEEE802154: 36,
  AF_CAIF: 37,
  AF_ALG: 38,
  AF_NFC: 39,
  AF_VSOCK: 40,
  AF_KCM: 41,
  AF_QIPCRTR: 42,
  AF_SMC: 43,
  AF_XDP: 44,
  AF_MCTP: 45,
};

/** Socket types and type flags (include/linux/net.h, x86/arm64 values). */
const SOCKET_TYPES: Readonly<Record<string, number>> = {
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_RDM: 4,
  SOCK_SEQPACKET: 5,
  SOCK_DCCP: 6,
  SOCK_PACKET: 10,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
};

/** clone flags (include/uapi/linux/sched.h). */
export const CLONE_FLAGS: Readonly<Record<string, number>> = {
  CLONE_NEWTIME: 0x80,
  CLONE_VM: 0x100,
  CLONE_FS: 0x200,
  CLONE_FILES: 0x400,
  CLONE_SIGHAND: 0x800,
  CLONE_PIDFD: 0x1000,
  CLONE_PTRACE: 0x2000,
  CLONE_VFORK: 0x4000,
  CLONE_PARENT: 0x8000,
  CLONE_THREAD: 0x10000,
  CLONE_NEWNS: 0x20000,
  CLONE_SYSVSEM: 0x40000,
  CLONE_SETTLS: 0x80000,
  CLONE_PARENT_SETTID: 0x100000,
  CLONE_CHILD_CLEARTID: 0x200000,
  CLONE_DETACHED: 0x400000,
  CLONE_UNTRACED: 0x800000,
  CLONE_CHILD_SETTID: 0x1000000,
  CLONE_NEWCGROUP: 0x2000000,
  CLONE_NEWUTS: 0x4000000,
  CLONE_NEWIPC: 0x8000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
  CLONE_IO: 0x80000000,
};

/**
 * The namespace bits a clone(2) flags word can carry: CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|
 * CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET = 0x7E020000, the mask moby's default profile
 * uses. CLONE_NEWTIME (0x80) overlaps the exit-signal byte of clone and only works with clone3/unshare.
 */
export const CLONE_NAMESPACE_MASK = 0x7e020000n;

/** Personality values (include/uapi/linux/personality.h). */
const PERSONALITY: Readonly<Record<string, number>> = {
  PER_LINUX: 0,
  PER_LINUX_32BIT: 0x800000,
  PER_LINUX32: 0x8,
  PER_BSD: 0x6,
  UNAME26: 0x20000,
  ADDR_NO_RANDOMIZE: 0x40000,
  FDPIC_FUNCPTRS: 0x80000,
  MMAP_PAGE_ZERO: 0x100000,
  ADDR_COMPAT_LAYOUT: 0x200000,
  READ_IMPLIES_EXEC: 0x400000,
  ADDR_LIMIT_32BIT: 0x800000,
  SHORT_INODE: 0x1000000,
  WHOLE_SECONDS: 0x2000000,
  STICKY_TIMEOUTS: 0x4000000,
  ADDR_LIMIT_3GB: 0x8000000,
};

/** prctl options seen in ordinary workloads (include/uapi/linux/prctl.h). */
const PRCTL: Readonly<Record<string, number>> = {
  PR_SET_PDEATHSIG: 1,
  PR_GET_PDEATHSIG: 2,
  PR_GET_DUMPABLE: 3,
  PR_SET_DUMPABLE: 4,
  PR_GET_KEEPCAPS: 7,
  PR_SET_KEEPCAPS: 8,
  PR_SET_NAME: 15,
  PR_GET_NAME: 16,
  PR_GET_SECCOMP: 21,
  PR_SET_SECCOMP: 22,
  PR_CAPBSET_READ: 23,
  PR_CAPBSET_DROP: 24,
  PR_GET_SECUREBITS: 27,
  PR_SET_SECUREBITS: 28,
  PR_SET_TIMERSLACK: 29,
  PR_SET_MM: 35,
  PR_SET_CHILD_SUBREAPER: 36,
  PR_GET_CHILD_SUBREAPER: 37,
  PR_SET_NO_NEW_PRIVS: 38,
  PR_GET_NO_NEW_PRIVS: 39,
  PR_SET_THP_DISABLE: 41,
  PR_CAP_AMBIENT: 47,
  PR_SET_VMA: 0x53564d41,
};

/** Memory protection bits (include/uapi/asm-generic/mman-common.h). */
const PROT: Readonly<Record<string, number>> = {
  PROT_NONE: 0,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  PROT_SEM: 8,
  PROT_GROWSDOWN: 0x01000000,
  PROT_GROWSUP: 0x02000000,
};

/** Signal numbers (x86 and arm64; include/uapi/asm-generic/signal.h). */
const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** IP protocols (include/uapi/linux/in.h) and common netlink protocols (include/uapi/linux/netlink.h). */
const PROTOCOLS: Readonly<Record<string, number>> = {
  IPPROTO_IP: 0,
  IPPROTO_ICMP: 1,
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
  IPPROTO_IPV6: 41,
  IPPROTO_ICMPV6: 58,
  IPPROTO_RAW: 255,
  NETLINK_ROUTE: 0,
  NETLINK_AUDIT: 9,
  NETLINK_KOBJECT_UEVENT: 15,
};

const ALL: ReadonlyMap<string, bigint> = new Map(
  [
    ADDRESS_FAMILIES,
    SOCKET_TYPES,
    CLONE_FLAGS,
    PERSONALITY,
    PRCTL,
    PROT,
    SIGNALS,
    PROTOCOLS,
    { PF_UNIX: 1, PF_LOCAL: 1, AF_LOCAL: 1, PF_INET: 2, PF_INET6: 10, PF_NETLINK: 16 },
  ].flatMap((t) => Object.entries(t).map(([k, v]) => [k, BigInt(v)] as const)),
);

/**
 * Resolve one symbol of strace's abbreviated output, or undefined when unknown: the arch layer's
 * constant tables first, this file's table as the fallback.
 */
export const resolveSymbol: SymbolResolver = (symbol) => constantValue(symbol) ?? ALL.get(symbol);

/** The AF_* name of an address family number (`AF_UNIX` for 1), or undefined. */
export function familyName(value: bigint): string | undefined {
  for (const [k, v] of Object.entries(ADDRESS_FAMILIES)) if (BigInt(v) === value) return k;
  return undefined;
}

/** The CLONE_NEW* names of the namespace bits in a clone flags word (empty when none). */
export function namespaceFlagNames(flags: bigint): string[] {
  return Object.entries(CLONE_FLAGS)
    .filter(
      ([k, v]) => k.startsWith('CLONE_NEW') && k !== 'CLONE_NEWTIME' && (flags & BigInt(v)) !== 0n,
    )
    .map(([k]) => k);
}

/** A readable form of a personality value (`PER_LINUX`, `PER_LINUX|ADDR_NO_RANDOMIZE`, `query`). */
export function personalityName(value: bigint): string {
  if (value === 0xffffffffn) return 'query (0xffffffff)';
  const base = value & 0xffn;
  const baseName =
    Object.entries(PERSONALITY).find(([k, v]) => k.startsWith('PER_') && BigInt(v) === base)?.[0] ??
    `0x${base.toString(16)}`;
  const flags = Object.entries(PERSONALITY)
    .filter(([k, v]) => !k.startsWith('PER_') && (value & BigInt(v)) !== 0n)
    .map(([k]) => k);
  return [baseName, ...flags].join('|');
}
