/**
 * How Docker's default seccomp profile (moby/profiles `seccomp/default.json`, 2026 snapshot) treats each
 * syscall, with Docker's documented reason (docs.docker.com/engine/security/seccomp, "Significant syscalls
 * blocked by the default profile", paraphrased) or the moby commit behind the rule.
 *
 * The default action is SCMP_ACT_ERRNO with errno 1 (EPERM); anything not listed here is `blocked`.
 * The tests check every entry against the profile JSON in the shared corpus.
 */
import type { DockerDefaultStatus } from './types.js';

/** Names in the profile's single unconditional ALLOW rule (361 names). */
const UNCONDITIONAL = `
accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1
epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit
exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2
fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat
fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait
futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid
getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom
getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt
get_thread_area gettid gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init
inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
lchown lchown32 lgetxattr link linkat listen listmount listxattr listxattrat llistxattr _llseek lremovexattr lseek
lsetxattr lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod
mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync
munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv
preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink
readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename
renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile
sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32
setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32
setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr setxattrat
shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair
splice stat stat64 statfs statfs64 statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee
tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill
truncate truncate64 ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes vfork
vmsplice wait4 waitid waitpid write writev
`;

/** Reasons for some unconditionally allowed names whose allowance is notable. */
const ALLOWED_NOTES: Readonly<Record<string, string>> = {
  socketcall:
    'Allowed: blocking it broke 32-bit x86 and armv7 programs (a 2026 deny was reverted), although it hides socket() arguments',
  ipc: 'Allowed: the System V IPC multiplexer of 32-bit ABIs',
  clock_adjtime: 'Allowed since 2020: changing the clock still needs CAP_SYS_TIME in the kernel',
  adjtimex: 'Allowed: changing the clock still needs CAP_SYS_TIME in the kernel',
  name_to_handle_at: 'Allowed since 2023: harmless without open_by_handle_at',
  vmsplice: 'Allowed: needed by ordinary programs',
};

type Special = Omit<DockerDefaultStatus, 'caps' | 'arches'> & {
  readonly caps?: readonly string[];
  readonly arches?: readonly string[];
};

const SYS_ADMIN_REASON = 'Privileged operation: allowed only with CAP_SYS_ADMIN';

/** Syscalls with a rule other than the unconditional allow. */
const SPECIAL: Readonly<Record<string, Special>> = {
  // kernel-gated
  ptrace: {
    status: 'kernel-gated',
    minKernel: '4.8',
    caps: ['CAP_SYS_PTRACE'],
    reason:
      'Allowed on kernels >= 4.8 only: earlier kernels let a tracer bypass seccomp; CAP_SYS_PTRACE allows it on any kernel',
  },
  process_vm_readv: {
    status: 'kernel-gated',
    minKernel: '4.8',
    caps: ['CAP_SYS_PTRACE'],
    reason: 'Process inspection: allowed on kernels >= 4.8 (as ptrace), or with CAP_SYS_PTRACE',
  },
  process_vm_writev: {
    status: 'kernel-gated',
    minKernel: '4.8',
    caps: ['CAP_SYS_PTRACE'],
    reason: 'Process inspection: allowed on kernels >= 4.8 (as ptrace), or with CAP_SYS_PTRACE',
  },
  // argument-filtered
  socket: {
    status: 'conditional-args',
    reason: 'Allowed for every family except AF_ALG (38, "Copy Fail") and AF_VSOCK (40)',
  },
  personality: {
    status: 'conditional-args',
    reason:
      'Only PER_LINUX, PER_LINUX32, UNAME26 combinations and the 0xffffffff query: other domains are poorly tested',
  },
  clone: {
    status: 'conditional-args',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Allowed without CLONE_NEW* flags (arg1 on s390); new namespaces need CAP_SYS_ADMIN',
  },
  clone3: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    errnoWhenDenied: 38,
    reason:
      'Its flags cannot be filtered, so without CAP_SYS_ADMIN it fails with ENOSYS and libc falls back to clone',
  },
  // arch-specific
  arch_prctl: {
    status: 'arch-specific',
    arches: ['amd64', 'x32'],
    reason: 'x86-64 thread state; needed there',
  },
  modify_ldt: { status: 'arch-specific', arches: ['amd64', 'x32', 'x86'], reason: 'x86 only' },
  arm_fadvise64_64: {
    status: 'arch-specific',
    arches: ['arm', 'arm64'],
    reason: 'ARM-specific syscall',
  },
  arm_sync_file_range: {
    status: 'arch-specific',
    arches: ['arm', 'arm64'],
    reason: 'ARM-specific syscall',
  },
  breakpoint: { status: 'arch-specific', arches: ['arm', 'arm64'], reason: 'ARM-specific syscall' },
  cacheflush: { status: 'arch-specific', arches: ['arm', 'arm64'], reason: 'ARM-specific syscall' },
  set_tls: { status: 'arch-specific', arches: ['arm', 'arm64'], reason: 'ARM-specific syscall' },
  sync_file_range2: {
    status: 'arch-specific',
    arches: ['ppc64le', 'arm', 'arm64'],
    reason: 'Variant of sync_file_range used on powerpc and ARM',
  },
  swapcontext: { status: 'arch-specific', arches: ['ppc64le'], reason: 'powerpc-specific syscall' },
  s390_pci_mmio_read: {
    status: 'arch-specific',
    arches: ['s390', 's390x'],
    reason: 's390-specific syscall',
  },
  s390_pci_mmio_write: {
    status: 'arch-specific',
    arches: ['s390', 's390x'],
    reason: 's390-specific syscall',
  },
  s390_runtime_instr: {
    status: 'arch-specific',
    arches: ['s390', 's390x'],
    reason: 's390-specific syscall',
  },
  riscv_flush_icache: {
    status: 'arch-specific',
    arches: ['riscv64'],
    reason: 'riscv-specific syscall',
  },
  // capability-gated
  open_by_handle_at: {
    status: 'allowed-with-cap',
    caps: ['CAP_DAC_READ_SEARCH'],
    reason: 'Cause of an old container breakout ("Shocker"); needs CAP_DAC_READ_SEARCH',
  },
  bpf: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN', 'CAP_BPF'],
    reason: 'Could load persistent BPF programs into the kernel; needs CAP_SYS_ADMIN or CAP_BPF',
  },
  perf_event_open: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN', 'CAP_PERFMON'],
    reason: 'Tracing/profiling could leak host information; needs CAP_SYS_ADMIN or CAP_PERFMON',
  },
  fanotify_init: { status: 'allowed-with-cap', caps: ['CAP_SYS_ADMIN'], reason: SYS_ADMIN_REASON },
  fsconfig: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Mount API: privileged (CAP_SYS_ADMIN)',
  },
  fsmount: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Mount API: privileged (CAP_SYS_ADMIN)',
  },
  fsopen: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Mount API: privileged (CAP_SYS_ADMIN)',
  },
  fspick: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Mount API: privileged (CAP_SYS_ADMIN)',
  },
  lookup_dcookie: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Tracing/profiling could leak host information; needs CAP_SYS_ADMIN',
  },
  lsm_get_self_attr: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: SYS_ADMIN_REASON,
  },
  lsm_list_modules: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: SYS_ADMIN_REASON,
  },
  lsm_set_self_attr: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: SYS_ADMIN_REASON,
  },
  mount: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Mounting is privileged (CAP_SYS_ADMIN)',
  },
  mount_setattr: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Mount API: privileged (CAP_SYS_ADMIN)',
  },
  move_mount: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Mount API: privileged (CAP_SYS_ADMIN)',
  },
  open_tree: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Mount API: privileged (CAP_SYS_ADMIN)',
  },
  quotactl: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Could let containers disable their own resource limits; needs CAP_SYS_ADMIN',
  },
  quotactl_fd: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Could let containers disable their own resource limits; needs CAP_SYS_ADMIN',
  },
  setdomainname: { status: 'allowed-with-cap', caps: ['CAP_SYS_ADMIN'], reason: SYS_ADMIN_REASON },
  sethostname: { status: 'allowed-with-cap', caps: ['CAP_SYS_ADMIN'], reason: SYS_ADMIN_REASON },
  setns: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Joining namespaces is privileged; needs CAP_SYS_ADMIN',
  },
  syslog: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN', 'CAP_SYSLOG'],
    reason: 'Kernel log can leak host information; needs CAP_SYS_ADMIN or CAP_SYSLOG',
  },
  umount: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Unmounting is privileged (CAP_SYS_ADMIN)',
  },
  umount2: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Unmounting is privileged (CAP_SYS_ADMIN)',
  },
  unshare: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_ADMIN'],
    reason: 'Creating namespaces (user namespaces included) is privileged; needs CAP_SYS_ADMIN',
  },
  reboot: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_BOOT'],
    reason: 'Do not let containers reboot the host',
  },
  chroot: { status: 'allowed-with-cap', caps: ['CAP_SYS_CHROOT'], reason: 'Needs CAP_SYS_CHROOT' },
  delete_module: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_MODULE'],
    reason: 'Kernel module manipulation; needs CAP_SYS_MODULE',
  },
  init_module: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_MODULE'],
    reason: 'Kernel module manipulation; needs CAP_SYS_MODULE',
  },
  finit_module: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_MODULE'],
    reason: 'Kernel module manipulation; needs CAP_SYS_MODULE',
  },
  acct: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_PACCT'],
    reason: 'Could let containers disable process accounting; needs CAP_SYS_PACCT',
  },
  kcmp: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_PTRACE'],
    reason: 'Process inspection; needs CAP_SYS_PTRACE',
  },
  pidfd_getfd: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_PTRACE'],
    reason: 'Takes descriptors of other processes; needs CAP_SYS_PTRACE',
  },
  process_madvise: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_PTRACE'],
    reason: 'Acts on other processes\u2019 memory; needs CAP_SYS_PTRACE',
  },
  iopl: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_RAWIO'],
    reason: 'Could modify kernel I/O privilege levels; needs CAP_SYS_RAWIO',
  },
  ioperm: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_RAWIO'],
    reason: 'Could modify kernel I/O privilege levels; needs CAP_SYS_RAWIO',
  },
  settimeofday: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_TIME'],
    reason: 'Time is not namespaced; needs CAP_SYS_TIME',
  },
  stime: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_TIME'],
    reason: 'Time is not namespaced; needs CAP_SYS_TIME',
  },
  clock_settime: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_TIME'],
    reason: 'Time is not namespaced; needs CAP_SYS_TIME',
  },
  clock_settime64: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_TIME'],
    reason: 'Time is not namespaced; needs CAP_SYS_TIME',
  },
  vhangup: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_TTY_CONFIG'],
    reason: 'Needs CAP_SYS_TTY_CONFIG',
  },
  get_mempolicy: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_NICE'],
    reason: 'Modifies kernel memory and NUMA settings; needs CAP_SYS_NICE',
  },
  mbind: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_NICE'],
    reason: 'Modifies kernel memory and NUMA settings; needs CAP_SYS_NICE',
  },
  set_mempolicy: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_NICE'],
    reason: 'Modifies kernel memory and NUMA settings; needs CAP_SYS_NICE',
  },
  set_mempolicy_home_node: {
    status: 'allowed-with-cap',
    caps: ['CAP_SYS_NICE'],
    reason: 'Modifies kernel memory and NUMA settings; needs CAP_SYS_NICE',
  },
};

/** Docker's documented reasons for syscalls the default profile never allows. */
const BLOCKED_REASONS: Readonly<Record<string, string>> = {
  add_key: 'The kernel keyring is not namespaced',
  keyctl: 'The kernel keyring is not namespaced',
  request_key: 'The kernel keyring is not namespaced',
  kexec_load: 'Loading a new kernel for later execution; also gated by CAP_SYS_BOOT',
  kexec_file_load: 'Sister of kexec_load; also gated by CAP_SYS_BOOT',
  create_module: 'Kernel module manipulation; obsolete',
  query_module: 'Kernel module manipulation; obsolete',
  get_kernel_syms: 'Retrieves exported kernel and module symbols; obsolete',
  move_pages: 'Modifies kernel memory and NUMA settings',
  migrate_pages: 'Modifies kernel memory and NUMA settings',
  nfsservctl: 'Interface to the kernel NFS daemon; obsolete since Linux 3.1',
  pivot_root: 'Should be a privileged operation',
  swapon: 'Start/stop swapping to a file or device; also gated by CAP_SYS_ADMIN',
  swapoff: 'Start/stop swapping to a file or device; also gated by CAP_SYS_ADMIN',
  sysfs: 'Obsolete',
  _sysctl: 'Obsolete, replaced by /proc/sys',
  uselib: 'Old shared-library syscall, unused for a long time',
  ustat: 'Obsolete',
  userfaultfd:
    'User-space page-fault handling, mostly needed for process migration; widens kernel races',
  vm86: 'In-kernel x86 real-mode virtual machine',
  vm86old: 'In-kernel x86 real-mode virtual machine',
  io_uring_setup:
    'Removed in 2023: io_uring operations bypass seccomp and fuelled many kernel exploits',
  io_uring_enter:
    'Removed in 2023: io_uring operations bypass seccomp and fuelled many kernel exploits',
  io_uring_register:
    'Removed in 2023: io_uring operations bypass seccomp and fuelled many kernel exploits',
  open_tree_attr: 'Newer than the profile (mount API, kernel 6.15)',
  file_getattr: 'Newer than the profile (kernel 6.17)',
  file_setattr: 'Newer than the profile (kernel 6.17)',
  listns: 'Newer than the profile',
  uprobe: 'Newer than the profile',
};

/** Reason of a blocked syscall with no documented reason. */
export const DEFAULT_BLOCKED_REASON =
  'Not in the default allowlist: gets the default action (EPERM)';

function build(): Record<string, DockerDefaultStatus> {
  const out: Record<string, DockerDefaultStatus> = {};
  for (const name of UNCONDITIONAL.split(/\s+/).filter((n) => n !== '')) {
    out[name] = {
      status: 'allowed',
      caps: [],
      arches: [],
      reason: ALLOWED_NOTES[name] ?? 'Allowed unconditionally',
    };
  }
  for (const [name, s] of Object.entries(SPECIAL)) {
    if (name in out) throw new Error(`docker-data: ${name} is both unconditional and special`);
    out[name] = { ...s, caps: s.caps ?? [], arches: s.arches ?? [] };
  }
  for (const [name, reason] of Object.entries(BLOCKED_REASONS)) {
    if (name in out) throw new Error(`docker-data: ${name} is both allowed and blocked`);
    out[name] = { status: 'blocked', caps: [], arches: [], reason };
  }
  return out;
}

/** Docker default-profile status by syscall name; names not listed are blocked with the default reason. */
export const DOCKER_DEFAULT: Readonly<Record<string, DockerDefaultStatus>> = build();
