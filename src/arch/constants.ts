/**
 * Symbolic constants users type in (and read from) syscall arguments, capabilities and errno
 * names, with the parser that turns `CLONE_NEWUSER|SIGCHLD` or `0x7E020000` into a bigint.
 *
 * Values are the Linux uapi ones as seen by a seccomp filter on x86_64 / x86 / arm / aarch64 /
 * riscv64 / s390 / ppc (the "generic" layout). Where an ABI numbers things differently the
 * differing names are listed per arch: errno values and signal numbers for mips and parisc,
 * socket types and SOCK_NONBLOCK for mips, SOCK_NONBLOCK/SOCK_CLOEXEC for parisc. Other groups
 * (O_*, MAP_*, ioctl requests) are the generic values only; ppc, mips, sparc and parisc differ
 * for some of them, so on those arches compare numbers, not names.
 */

import { UsageError } from '../document/errors.js';
import { editDistance } from './syscalls.js';
import type { ArchName } from './types.js';

/** Names of the constant groups. */
export type ConstantGroup =
  | 'af'
  | 'sock'
  | 'ipproto'
  | 'clone'
  | 'signal'
  | 'prot'
  | 'map'
  | 'personality'
  | 'prctl'
  | 'ioctl'
  | 'open'
  | 'at'
  | 'cap'
  | 'errno';

/** A name -> value table. */
export type ConstantTable = Readonly<Record<string, number>>;

/** Address families (include/linux/socket.h). */
const AF: ConstantTable = {
  AF_UNSPEC: 0,
  AF_UNIX: 1,
  AF_LOCAL: 1,
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
  AF_ROUTE: 16,
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

/** Socket types and flags (include/linux/net.h, asm-generic fcntl.h for NONBLOCK/CLOEXEC). */
const SOCK: ConstantTable = {
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

/** IP protocols (include/uapi/linux/in.h, in6.h). */
const IPPROTO: ConstantTable = {
  IPPROTO_IP: 0,
  IPPROTO_ICMP: 1,
  IPPROTO_IGMP: 2,
  IPPROTO_IPIP: 4,
  IPPROTO_TCP: 6,
  IPPROTO_EGP: 8,
  IPPROTO_PUP: 12,
  IPPROTO_UDP: 17,
  IPPROTO_IDP: 22,
  IPPROTO_TP: 29,
  IPPROTO_DCCP: 33,
  IPPROTO_IPV6: 41,
  IPPROTO_RSVP: 46,
  IPPROTO_GRE: 47,
  IPPROTO_ESP: 50,
  IPPROTO_AH: 51,
  IPPROTO_ICMPV6: 58,
  IPPROTO_MTP: 92,
  IPPROTO_BEETPH: 94,
  IPPROTO_ENCAP: 98,
  IPPROTO_PIM: 103,
  IPPROTO_COMP: 108,
  IPPROTO_L2TP: 115,
  IPPROTO_SCTP: 132,
  IPPROTO_UDPLITE: 136,
  IPPROTO_MPLS: 137,
  IPPROTO_ETHERNET: 143,
  IPPROTO_RAW: 255,
  IPPROTO_MPTCP: 262,
};

/** clone(2)/unshare(2) flags (include/uapi/linux/sched.h). */
const CLONE: ConstantTable = {
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
  CLONE_CLEAR_SIGHAND: 0x100000000,
  CLONE_INTO_CGROUP: 0x200000000,
};

/** Signal numbers (asm-generic/signal.h; x86, arm, ppc, s390, riscv, loongarch). */
const SIGNAL: ConstantTable = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
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
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** mips signal numbers (arch/mips/include/uapi/asm/signal.h). */
const SIGNAL_MIPS: ConstantTable = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGEMT: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGBUS: 10,
  SIGSEGV: 11,
  SIGSYS: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGUSR1: 16,
  SIGUSR2: 17,
  SIGCHLD: 18,
  SIGPWR: 19,
  SIGWINCH: 20,
  SIGURG: 21,
  SIGIO: 22,
  SIGPOLL: 22,
  SIGSTOP: 23,
  SIGTSTP: 24,
  SIGCONT: 25,
  SIGTTIN: 26,
  SIGTTOU: 27,
  SIGVTALRM: 28,
  SIGPROF: 29,
  SIGXCPU: 30,
  SIGXFSZ: 31,
};

/** parisc signal numbers (arch/parisc/include/uapi/asm/signal.h). */
const SIGNAL_PARISC: ConstantTable = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGSTKFLT: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGBUS: 10,
  SIGSEGV: 11,
  SIGXCPU: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGUSR1: 16,
  SIGUSR2: 17,
  SIGCHLD: 18,
  SIGPWR: 19,
  SIGVTALRM: 20,
  SIGPROF: 21,
  SIGIO: 22,
  SIGPOLL: 22,
  SIGWINCH: 23,
  SIGSTOP: 24,
  SIGTSTP: 25,
  SIGCONT: 26,
  SIGTTIN: 27,
  SIGTTOU: 28,
  SIGURG: 29,
  SIGXFSZ: 30,
  SIGSYS: 31,
};

/** mmap/mprotect protections (asm-generic/mman-common.h). */
const PROT: ConstantTable = {
  PROT_NONE: 0,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  PROT_SEM: 8,
  PROT_GROWSDOWN: 0x01000000,
  PROT_GROWSUP: 0x02000000,
};

/** mmap flags (asm-generic/mman-common.h, mman.h, linux/mman.h; MAP_32BIT is x86 only). */
const MAP: ConstantTable = {
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_SHARED_VALIDATE: 0x03,
  MAP_TYPE: 0x0f,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
  MAP_ANON: 0x20,
  MAP_32BIT: 0x40,
  MAP_GROWSDOWN: 0x100,
  MAP_DENYWRITE: 0x800,
  MAP_EXECUTABLE: 0x1000,
  MAP_LOCKED: 0x2000,
  MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000,
  MAP_NONBLOCK: 0x10000,
  MAP_STACK: 0x20000,
  MAP_HUGETLB: 0x40000,
  MAP_SYNC: 0x80000,
  MAP_FIXED_NOREPLACE: 0x100000,
  MAP_UNINITIALIZED: 0x4000000,
};

/**
 * personality(2) values (include/uapi/linux/personality.h). `PER_QUERY` (0xffffffff, "query
 * only") is sysgate's name for the value Docker's default profile allows; the kernel has none.
 */
const PERSONALITY: ConstantTable = {
  PER_LINUX: 0,
  PER_LINUX32: 0x0008,
  PER_BSD: 0x0006,
  PER_LINUX_32BIT: 0x0800000,
  PER_LINUX32_3GB: 0x8000008,
  PER_SVR4: 0x4100001,
  UNAME26: 0x0020000,
  ADDR_NO_RANDOMIZE: 0x0040000,
  FDPIC_FUNCPTRS: 0x0080000,
  MMAP_PAGE_ZERO: 0x0100000,
  ADDR_COMPAT_LAYOUT: 0x0200000,
  READ_IMPLIES_EXEC: 0x0400000,
  ADDR_LIMIT_32BIT: 0x0800000,
  SHORT_INODE: 0x1000000,
  WHOLE_SECONDS: 0x2000000,
  STICKY_TIMEOUTS: 0x4000000,
  ADDR_LIMIT_3GB: 0x8000000,
  PER_QUERY: 0xffffffff,
};

/** prctl(2) options (include/uapi/linux/prctl.h). */
const PRCTL: ConstantTable = {
  PR_SET_PDEATHSIG: 1,
  PR_GET_PDEATHSIG: 2,
  PR_GET_DUMPABLE: 3,
  PR_SET_DUMPABLE: 4,
  PR_GET_UNALIGN: 5,
  PR_SET_UNALIGN: 6,
  PR_GET_KEEPCAPS: 7,
  PR_SET_KEEPCAPS: 8,
  PR_GET_FPEMU: 9,
  PR_SET_FPEMU: 10,
  PR_GET_FPEXC: 11,
  PR_SET_FPEXC: 12,
  PR_GET_TIMING: 13,
  PR_SET_TIMING: 14,
  PR_SET_NAME: 15,
  PR_GET_NAME: 16,
  PR_GET_ENDIAN: 19,
  PR_SET_ENDIAN: 20,
  PR_GET_SECCOMP: 21,
  PR_SET_SECCOMP: 22,
  PR_CAPBSET_READ: 23,
  PR_CAPBSET_DROP: 24,
  PR_GET_TSC: 25,
  PR_SET_TSC: 26,
  PR_GET_SECUREBITS: 27,
  PR_SET_SECUREBITS: 28,
  PR_SET_TIMERSLACK: 29,
  PR_GET_TIMERSLACK: 30,
  PR_TASK_PERF_EVENTS_DISABLE: 31,
  PR_TASK_PERF_EVENTS_ENABLE: 32,
  PR_MCE_KILL: 33,
  PR_MCE_KILL_GET: 34,
  PR_SET_MM: 35,
  PR_SET_CHILD_SUBREAPER: 36,
  PR_GET_CHILD_SUBREAPER: 37,
  PR_SET_NO_NEW_PRIVS: 38,
  PR_GET_NO_NEW_PRIVS: 39,
  PR_GET_TID_ADDRESS: 40,
  PR_SET_THP_DISABLE: 41,
  PR_GET_THP_DISABLE: 42,
  PR_MPX_ENABLE_MANAGEMENT: 43,
  PR_MPX_DISABLE_MANAGEMENT: 44,
  PR_SET_FP_MODE: 45,
  PR_GET_FP_MODE: 46,
  PR_CAP_AMBIENT: 47,
  PR_SVE_SET_VL: 50,
  PR_SVE_GET_VL: 51,
  PR_GET_SPECULATION_CTRL: 52,
  PR_SET_SPECULATION_CTRL: 53,
  PR_PAC_RESET_KEYS: 54,
  PR_SET_TAGGED_ADDR_CTRL: 55,
  PR_GET_TAGGED_ADDR_CTRL: 56,
  PR_SET_IO_FLUSHER: 57,
  PR_GET_IO_FLUSHER: 58,
  PR_SET_SYSCALL_USER_DISPATCH: 59,
  PR_PAC_SET_ENABLED_KEYS: 60,
  PR_PAC_GET_ENABLED_KEYS: 61,
  PR_SCHED_CORE: 62,
  PR_SME_SET_VL: 63,
  PR_SME_GET_VL: 64,
  PR_SET_MDWE: 65,
  PR_GET_MDWE: 66,
  PR_SET_VMA: 0x53564d41,
  PR_GET_AUXV: 0x41555856,
  PR_CAP_AMBIENT_IS_SET: 1,
  PR_CAP_AMBIENT_RAISE: 2,
  PR_CAP_AMBIENT_LOWER: 3,
  PR_CAP_AMBIENT_CLEAR_ALL: 4,
};

/** Common ioctl requests (asm-generic/ioctls.h, x86/arm/s390/riscv values; ppc/mips/sparc differ). */
const IOCTL: ConstantTable = {
  TCGETS: 0x5401,
  TCSETS: 0x5402,
  TCSETSW: 0x5403,
  TCSETSF: 0x5404,
  TCGETA: 0x5405,
  TCSETA: 0x5406,
  TCSETAW: 0x5407,
  TCSETAF: 0x5408,
  TCSBRK: 0x5409,
  TCXONC: 0x540a,
  TCFLSH: 0x540b,
  TIOCEXCL: 0x540c,
  TIOCNXCL: 0x540d,
  TIOCSCTTY: 0x540e,
  TIOCGPGRP: 0x540f,
  TIOCSPGRP: 0x5410,
  TIOCOUTQ: 0x5411,
  TIOCSTI: 0x5412,
  TIOCGWINSZ: 0x5413,
  TIOCSWINSZ: 0x5414,
  TIOCMGET: 0x5415,
  TIOCMBIS: 0x5416,
  TIOCMBIC: 0x5417,
  TIOCMSET: 0x5418,
  TIOCGSOFTCAR: 0x5419,
  TIOCSSOFTCAR: 0x541a,
  FIONREAD: 0x541b,
  TIOCINQ: 0x541b,
  TIOCLINUX: 0x541c,
  TIOCCONS: 0x541d,
  TIOCGSERIAL: 0x541e,
  TIOCSSERIAL: 0x541f,
  TIOCPKT: 0x5420,
  FIONBIO: 0x5421,
  TIOCNOTTY: 0x5422,
  TIOCSETD: 0x5423,
  TIOCGETD: 0x5424,
  TCSBRKP: 0x5425,
  TIOCSBRK: 0x5427,
  TIOCCBRK: 0x5428,
  TIOCGSID: 0x5429,
  TIOCGPTN: 0x80045430,
  TIOCSPTLCK: 0x40045431,
  TIOCGDEV: 0x80045432,
  TIOCGPKT: 0x80045438,
  TIOCGPTLCK: 0x80045439,
  TIOCGEXCL: 0x80045440,
  TIOCGPTPEER: 0x5441,
  FIONCLEX: 0x5450,
  FIOCLEX: 0x5451,
  FIOASYNC: 0x5452,
  TIOCSERCONFIG: 0x5453,
  TIOCGLCKTRMIOS: 0x5456,
  TIOCSLCKTRMIOS: 0x5457,
  FIOQSIZE: 0x5460,
};

/**
 * open(2) flags (asm-generic/fcntl.h). O_LARGEFILE is the kernel's value; 64-bit glibc defines it
 * as 0 because the kernel forces it there.
 */
const OPEN: ConstantTable = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_ACCMODE: 3,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY: 0o400,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000,
  O_NDELAY: 0o4000,
  O_DSYNC: 0o10000,
  FASYNC: 0o20000,
  O_DIRECT: 0o40000,
  O_LARGEFILE: 0o100000,
  O_DIRECTORY: 0o200000,
  O_NOFOLLOW: 0o400000,
  O_NOATIME: 0o1000000,
  O_CLOEXEC: 0o2000000,
  O_SYNC: 0o4010000,
  O_PATH: 0o10000000,
  O_TMPFILE: 0o20200000,
};

/** *at(2) flags (include/uapi/linux/fcntl.h); AT_FDCWD is -100 (two's complement in 64 bits). */
const AT: ConstantTable = {
  AT_FDCWD: -100,
  AT_SYMLINK_NOFOLLOW: 0x100,
  AT_REMOVEDIR: 0x200,
  AT_SYMLINK_FOLLOW: 0x400,
  AT_NO_AUTOMOUNT: 0x800,
  AT_EMPTY_PATH: 0x1000,
  AT_RECURSIVE: 0x8000,
};

/** Capability numbers (include/uapi/linux/capability.h), CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40. */
export const CAPABILITIES: ConstantTable = Object.freeze({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
});

/** The highest capability number the table knows (`CAP_LAST_CAP`). */
export const CAP_LAST_CAP = 40;

/** errno values shared by every arch (include/uapi/asm-generic/errno-base.h), 1..34. */
const ERRNO_BASE: ConstantTable = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  EWOULDBLOCK: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
};

/** Generic errno values >= 35 (include/uapi/asm-generic/errno.h: x86, arm, ppc, s390, riscv, loongarch). */
const ERRNO_GENERIC: ConstantTable = {
  EDEADLK: 35,
  EDEADLOCK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  EIDRM: 43,
  ECHRNG: 44,
  EL2NSYNC: 45,
  EL3HLT: 46,
  EL3RST: 47,
  ELNRNG: 48,
  EUNATCH: 49,
  ENOCSI: 50,
  EL2HLT: 51,
  EBADE: 52,
  EBADR: 53,
  EXFULL: 54,
  ENOANO: 55,
  EBADRQC: 56,
  EBADSLT: 57,
  EBFONT: 59,
  ENOSTR: 60,
  ENODATA: 61,
  ETIME: 62,
  ENOSR: 63,
  ENONET: 64,
  ENOPKG: 65,
  EREMOTE: 66,
  ENOLINK: 67,
  EADV: 68,
  ESRMNT: 69,
  ECOMM: 70,
  EPROTO: 71,
  EMULTIHOP: 72,
  EDOTDOT: 73,
  EBADMSG: 74,
  EOVERFLOW: 75,
  ENOTUNIQ: 76,
  EBADFD: 77,
  EREMCHG: 78,
  ELIBACC: 79,
  ELIBBAD: 80,
  ELIBSCN: 81,
  ELIBMAX: 82,
  ELIBEXEC: 83,
  EILSEQ: 84,
  ERESTART: 85,
  ESTRPIPE: 86,
  EUSERS: 87,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  ENOTSUP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETOOMANYREFS: 109,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EUCLEAN: 117,
  ENOTNAM: 118,
  ENAVAIL: 119,
  EISNAM: 120,
  EREMOTEIO: 121,
  EDQUOT: 122,
  ENOMEDIUM: 123,
  EMEDIUMTYPE: 124,
  ECANCELED: 125,
  ENOKEY: 126,
  EKEYEXPIRED: 127,
  EKEYREVOKED: 128,
  EKEYREJECTED: 129,
  EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131,
  ERFKILL: 132,
  EHWPOISON: 133,
};

/** mips errno values >= 35 (arch/mips/include/uapi/asm/errno.h). */
const ERRNO_MIPS: ConstantTable = {
  ENOMSG: 35,
  EIDRM: 36,
  ECHRNG: 37,
  EL2NSYNC: 38,
  EL3HLT: 39,
  EL3RST: 40,
  ELNRNG: 41,
  EUNATCH: 42,
  ENOCSI: 43,
  EL2HLT: 44,
  EDEADLK: 45,
  ENOLCK: 46,
  EBADE: 50,
  EBADR: 51,
  EXFULL: 52,
  ENOANO: 53,
  EBADRQC: 54,
  EBADSLT: 55,
  EDEADLOCK: 56,
  EBFONT: 59,
  ENOSTR: 60,
  ENODATA: 61,
  ETIME: 62,
  ENOSR: 63,
  ENONET: 64,
  ENOPKG: 65,
  EREMOTE: 66,
  ENOLINK: 67,
  EADV: 68,
  ESRMNT: 69,
  ECOMM: 70,
  EPROTO: 71,
  EDOTDOT: 73,
  EMULTIHOP: 74,
  EBADMSG: 77,
  ENAMETOOLONG: 78,
  EOVERFLOW: 79,
  ENOTUNIQ: 80,
  EBADFD: 81,
  EREMCHG: 82,
  ELIBACC: 83,
  ELIBBAD: 84,
  ELIBSCN: 85,
  ELIBMAX: 86,
  ELIBEXEC: 87,
  EILSEQ: 88,
  ENOSYS: 89,
  ELOOP: 90,
  ERESTART: 91,
  ESTRPIPE: 92,
  ENOTEMPTY: 93,
  EUSERS: 94,
  ENOTSOCK: 95,
  EDESTADDRREQ: 96,
  EMSGSIZE: 97,
  EPROTOTYPE: 98,
  ENOPROTOOPT: 99,
  EPROTONOSUPPORT: 120,
  ESOCKTNOSUPPORT: 121,
  EOPNOTSUPP: 122,
  ENOTSUP: 122,
  EPFNOSUPPORT: 123,
  EAFNOSUPPORT: 124,
  EADDRINUSE: 125,
  EADDRNOTAVAIL: 126,
  ENETDOWN: 127,
  ENETUNREACH: 128,
  ENETRESET: 129,
  ECONNABORTED: 130,
  ECONNRESET: 131,
  ENOBUFS: 132,
  EISCONN: 133,
  ENOTCONN: 134,
  EUCLEAN: 135,
  ENOTNAM: 137,
  ENAVAIL: 138,
  EISNAM: 139,
  EREMOTEIO: 140,
  ESHUTDOWN: 143,
  ETOOMANYREFS: 144,
  ETIMEDOUT: 145,
  ECONNREFUSED: 146,
  EHOSTDOWN: 147,
  EHOSTUNREACH: 148,
  EALREADY: 149,
  EINPROGRESS: 150,
  ESTALE: 151,
  ECANCELED: 158,
  ENOMEDIUM: 159,
  EMEDIUMTYPE: 160,
  ENOKEY: 161,
  EKEYEXPIRED: 162,
  EKEYREVOKED: 163,
  EKEYREJECTED: 164,
  EOWNERDEAD: 165,
  ENOTRECOVERABLE: 166,
  ERFKILL: 167,
  EHWPOISON: 168,
  EDQUOT: 1133,
};

/** parisc errno values >= 35 (arch/parisc/include/uapi/asm/errno.h). */
const ERRNO_PARISC: ConstantTable = {
  ENOMSG: 35,
  EIDRM: 36,
  ECHRNG: 37,
  EL2NSYNC: 38,
  EL3HLT: 39,
  EL3RST: 40,
  ELNRNG: 41,
  EUNATCH: 42,
  ENOCSI: 43,
  EL2HLT: 44,
  EDEADLK: 45,
  EDEADLOCK: 45,
  ENOLCK: 46,
  EILSEQ: 47,
  ENONET: 50,
  ENODATA: 51,
  ETIME: 52,
  ENOSR: 53,
  ENOSTR: 54,
  ENOPKG: 55,
  ENOLINK: 57,
  EADV: 58,
  ESRMNT: 59,
  ECOMM: 60,
  EPROTO: 61,
  EMULTIHOP: 64,
  EDOTDOT: 66,
  EBADMSG: 67,
  EUSERS: 68,
  EDQUOT: 69,
  ESTALE: 70,
  EREMOTE: 71,
  EOVERFLOW: 72,
  EBADE: 160,
  EBADR: 161,
  EXFULL: 162,
  ENOANO: 163,
  EBADRQC: 164,
  EBADSLT: 165,
  EBFONT: 166,
  ENOTUNIQ: 167,
  EBADFD: 168,
  EREMCHG: 169,
  ELIBACC: 170,
  ELIBBAD: 171,
  ELIBSCN: 172,
  ELIBMAX: 173,
  ELIBEXEC: 174,
  ERESTART: 175,
  ESTRPIPE: 176,
  EUCLEAN: 177,
  ENOTNAM: 178,
  ENAVAIL: 179,
  EISNAM: 180,
  EREMOTEIO: 181,
  ENOMEDIUM: 182,
  EMEDIUMTYPE: 183,
  ENOKEY: 184,
  EKEYEXPIRED: 185,
  EKEYREVOKED: 186,
  EKEYREJECTED: 187,
  ENOTSOCK: 216,
  EDESTADDRREQ: 217,
  EMSGSIZE: 218,
  EPROTOTYPE: 219,
  ENOPROTOOPT: 220,
  EPROTONOSUPPORT: 221,
  ESOCKTNOSUPPORT: 222,
  EOPNOTSUPP: 223,
  ENOTSUP: 223,
  EPFNOSUPPORT: 224,
  EAFNOSUPPORT: 225,
  EADDRINUSE: 226,
  EADDRNOTAVAIL: 227,
  ENETDOWN: 228,
  ENETUNREACH: 229,
  ENETRESET: 230,
  ECONNABORTED: 231,
  ECONNRESET: 232,
  ENOBUFS: 233,
  EISCONN: 234,
  ENOTCONN: 235,
  ESHUTDOWN: 236,
  ETOOMANYREFS: 237,
  ETIMEDOUT: 238,
  ECONNREFUSED: 239,
  EHOSTDOWN: 241,
  EHOSTUNREACH: 242,
  EALREADY: 244,
  EINPROGRESS: 245,
  ENOTEMPTY: 247,
  ENAMETOOLONG: 248,
  ELOOP: 249,
  ENOSYS: 251,
  ECANCELED: 253,
  EOWNERDEAD: 254,
  ENOTRECOVERABLE: 255,
  ERFKILL: 256,
  EHWPOISON: 257,
};

/** mips socket types (arch/mips/include/asm/socket.h: DGRAM and STREAM swapped; O_NONBLOCK 0x80). */
const SOCK_MIPS: ConstantTable = { ...SOCK, SOCK_DGRAM: 1, SOCK_STREAM: 2, SOCK_NONBLOCK: 0x80 };

/** parisc socket flags (arch/parisc/include/uapi/asm/socket.h, fcntl.h). */
const SOCK_PARISC: ConstantTable = { ...SOCK, SOCK_NONBLOCK: 0x40000000, SOCK_CLOEXEC: 0o10000000 };

/** Which numbering family an arch uses for the groups that differ. */
type Family = 'generic' | 'mips' | 'parisc';

/** The numbering family of an arch (undefined arch means generic). */
function familyOf(arch: ArchName | undefined): Family {
  switch (arch) {
    case 'mips':
    case 'mipsel':
    case 'mips64':
    case 'mips64n32':
    case 'mipsel64':
    case 'mipsel64n32':
      return 'mips';
    case 'parisc':
    case 'parisc64':
      return 'parisc';
    case undefined:
    case 'x86_64':
    case 'x86':
    case 'x32':
    case 'aarch64':
    case 'arm':
    case 'ppc':
    case 'ppc64':
    case 'ppc64le':
    case 's390':
    case 's390x':
    case 'riscv64':
    case 'loongarch64':
      return 'generic';
    default: {
      const never: never = arch;
      throw new Error(`unknown arch ${String(never)}`);
    }
  }
}

/** The errno table of an arch family. */
function errnoTable(family: Family): ConstantTable {
  switch (family) {
    case 'generic':
      return { ...ERRNO_BASE, ...ERRNO_GENERIC };
    case 'mips':
      return { ...ERRNO_BASE, ...ERRNO_MIPS };
    case 'parisc':
      return { ...ERRNO_BASE, ...ERRNO_PARISC };
    default: {
      const never: never = family;
      throw new Error(`unknown family ${String(never)}`);
    }
  }
}

/** Every group's table for an arch (generic values unless the arch differs and we know how). */
export function constantGroups(arch?: ArchName): Readonly<Record<ConstantGroup, ConstantTable>> {
  const family = familyOf(arch);
  return {
    af: AF,
    sock: family === 'mips' ? SOCK_MIPS : family === 'parisc' ? SOCK_PARISC : SOCK,
    ipproto: IPPROTO,
    clone: CLONE,
    signal: family === 'mips' ? SIGNAL_MIPS : family === 'parisc' ? SIGNAL_PARISC : SIGNAL,
    prot: PROT,
    map: MAP,
    personality: PERSONALITY,
    prctl: PRCTL,
    ioctl: IOCTL,
    open: OPEN,
    at: AT,
    cap: CAPABILITIES,
    errno: errnoTable(family),
  };
}

/** Group order used when one name is looked up across groups (first hit wins). */
const GROUP_ORDER: readonly ConstantGroup[] = [
  'af',
  'sock',
  'ipproto',
  'clone',
  'signal',
  'prot',
  'map',
  'personality',
  'prctl',
  'ioctl',
  'open',
  'at',
  'cap',
  'errno',
];

const symbolCache = new Map<Family, ReadonlyMap<string, number>>();

/** All symbols of an arch in one map. */
function symbols(arch?: ArchName): ReadonlyMap<string, number> {
  const family = familyOf(arch);
  const hit = symbolCache.get(family);
  if (hit !== undefined) return hit;
  const groups = constantGroups(arch);
  const map = new Map<string, number>();
  for (const g of GROUP_ORDER) {
    for (const [k, v] of Object.entries(groups[g])) if (!map.has(k)) map.set(k, v);
  }
  symbolCache.set(family, map);
  return map;
}

/** The value of a symbolic constant (any group) on `arch`, or undefined. */
export function constantValue(name: string, arch?: ArchName): bigint | undefined {
  const v = symbols(arch).get(name);
  return v === undefined ? undefined : BigInt.asUintN(64, BigInt(v));
}

const MASK64 = (1n << 64n) - 1n;

/** Parses one number term; returns undefined when `t` is not numeric. */
function parseNumber(t: string): bigint | undefined {
  const neg = t.startsWith('-');
  const body = neg ? t.slice(1) : t.startsWith('+') ? t.slice(1) : t;
  let v: bigint;
  if (/^0x[0-9a-f]+$/i.test(body)) v = BigInt(body);
  else if (/^0o[0-7]+$/i.test(body)) v = BigInt(body.toLowerCase());
  else if (/^0b[01]+$/i.test(body)) v = BigInt(body.toLowerCase());
  else if (/^0[0-7]+$/.test(body)) v = BigInt('0o' + body.slice(1));
  else if (/^\d+$/.test(body)) v = BigInt(body);
  else return undefined;
  if (v > MASK64) throw new UsageError(`number '${t}' does not fit in 64 bits`, 'bad-number');
  if (neg) {
    if (v > 1n << 63n) throw new UsageError(`number '${t}' is below -2^63`, 'bad-number');
    return BigInt.asUintN(64, -v);
  }
  return v;
}

/**
 * Parses an argument value as users write it: decimal, `0x` hex, `0o` or leading-0 octal, `0b`
 * binary, negative numbers (two's complement in 64 bits, so `-1` is 0xffffffffffffffff), and
 * symbolic constants combined with `|` (`CLONE_NEWUSER|SIGCHLD`, `O_RDWR|O_CLOEXEC`,
 * `AF_INET`). Symbols resolve with `arch`'s numbering where it differs (mips, parisc). Throws
 * UsageError for an unknown symbol, with the closest known name as a suggestion.
 */
export function parseArgValue(text: string, arch?: ArchName): bigint {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError('empty argument value', 'bad-number');
  const terms = trimmed.split('|').map((t) => t.trim());
  if (terms.includes('')) throw new UsageError(`empty term in '${text}'`, 'bad-number');
  let acc = 0n;
  for (const t of terms) {
    const n = parseNumber(t);
    if (n !== undefined) {
      acc |= n;
      continue;
    }
    const v = constantValue(t, arch);
    if (v !== undefined) {
      acc |= v;
      continue;
    }
    const upper = constantValue(t.toUpperCase(), arch);
    const hint = upper !== undefined ? t.toUpperCase() : suggestConstant(t, arch);
    throw new UsageError(
      `unknown constant '${t}'${hint === undefined ? '' : ` (did you mean ${hint}?)`}`,
      'unknown-constant',
    );
  }
  return acc;
}

/** The known constant name closest to `name` (edit distance <= 2), or undefined. */
export function suggestConstant(name: string, arch?: ArchName): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const cand of symbols(arch).keys()) {
    const d = editDistance(name.toUpperCase(), cand.toUpperCase(), bestD);
    if (d < bestD) {
      bestD = d;
      best = cand;
    }
  }
  return best;
}

/**
 * Renders `value` as `A|B|0x10` from a flag group (bits the group does not name are kept as
 * hex). For enumerations (af, sock types, signals, prctl, errno ...) use {@link constantName}.
 */
export function formatFlags(group: ConstantGroup, value: bigint, arch?: ArchName): string {
  const table = constantGroups(arch)[group];
  let rest = BigInt.asUintN(64, value);
  const parts: string[] = [];
  const singles = Object.entries(table)
    .filter(([, v]) => v > 0 && (BigInt(v) & (BigInt(v) - 1n)) === 0n)
    .sort((a, b) => a[1] - b[1]);
  const seen = new Set<number>();
  for (const [k, v] of singles) {
    const bit = BigInt(v);
    if (seen.has(v)) continue;
    if ((rest & bit) !== 0n) {
      parts.push(k);
      rest &= ~bit;
      seen.add(v);
    }
  }
  if (rest !== 0n || parts.length === 0) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}

/** The first name in `group` whose value is `value` (e.g. `AF_VSOCK` for 40n), or undefined. */
export function constantName(
  group: ConstantGroup,
  value: bigint,
  arch?: ArchName,
): string | undefined {
  for (const [k, v] of Object.entries(constantGroups(arch)[group])) {
    if (BigInt.asUintN(64, BigInt(v)) === BigInt.asUintN(64, value)) return k;
  }
  return undefined;
}

/** errno number of `name` (`EPERM` -> 1; `ENOSYS` -> 38, or 89 on mips, 251 on parisc), or undefined. */
export function errnoNumber(name: string, arch?: ArchName): number | undefined {
  const t = errnoTable(familyOf(arch));
  return Object.hasOwn(t, name) ? t[name] : undefined;
}

/** errno name for a number on `arch` (the primary name: EAGAIN not EWOULDBLOCK), or undefined. */
export function errnoName(n: number, arch?: ArchName): string | undefined {
  const aliases = new Set(['EWOULDBLOCK', 'EDEADLOCK', 'ENOTSUP']);
  let alias: string | undefined;
  for (const [k, v] of Object.entries(errnoTable(familyOf(arch)))) {
    if (v !== n) continue;
    if (!aliases.has(k)) return k;
    alias ??= k;
  }
  return alias;
}

/** Capability number (`CAP_SYS_ADMIN` -> 21; the `CAP_` prefix is optional, any case), or undefined. */
export function capNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  const key = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  return Object.hasOwn(CAPABILITIES, key) ? CAPABILITIES[key] : undefined;
}

/** Capability name for a number (21 -> `CAP_SYS_ADMIN`), or undefined. */
export function capName(n: number): string | undefined {
  for (const [k, v] of Object.entries(CAPABILITIES)) if (v === n) return k;
  return undefined;
}
