/**
 * Why Docker's default seccomp profile treats syscalls as it does: Docker's documented reason
 * (docs.docker.com/engine/security/seccomp, "Significant syscalls blocked by the default profile",
 * paraphrased) or the moby commit behind the rule. Only the reasons are written here: each status, with
 * its caps, arches, minimum kernel and errno, is computed from the embedded default profile
 * (`moby/status.ts`), so the two cannot disagree.
 *
 * The default action is SCMP_ACT_ERRNO with errno 1 (EPERM); a name the profile does not allow is
 * `blocked`.
 */
import { DOCKER_DEFAULT_DERIVED } from './moby/status.js';
import type { DockerDefaultStatus } from './types.js';

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

const SYS_ADMIN_REASON = 'Privileged operation: allowed only with CAP_SYS_ADMIN';

/** Reasons of the syscalls the default profile allows only under a condition (caps, arch, kernel, arguments). */
const CONDITIONAL_REASONS: Readonly<Record<string, string>> = {
  // kernel-gated
  ptrace:
    'Allowed on kernels >= 4.8 only: earlier kernels let a tracer bypass seccomp; CAP_SYS_PTRACE allows it on any kernel',
  process_vm_readv:
    'Process inspection: allowed on kernels >= 4.8 (as ptrace), or with CAP_SYS_PTRACE',
  process_vm_writev:
    'Process inspection: allowed on kernels >= 4.8 (as ptrace), or with CAP_SYS_PTRACE',
  // argument-filtered
  socket: 'Allowed for every family except AF_ALG (38, "Copy Fail") and AF_VSOCK (40)',
  personality:
    'Only PER_LINUX, PER_LINUX32, UNAME26 combinations and the 0xffffffff query: other domains are poorly tested',
  clone: 'Allowed without CLONE_NEW* flags (arg1 on s390); new namespaces need CAP_SYS_ADMIN',
  clone3:
    'Its flags cannot be filtered, so without CAP_SYS_ADMIN it fails with ENOSYS and libc falls back to clone',
  // arch-specific
  arch_prctl: 'x86-64 thread state; needed there',
  modify_ldt: 'x86 only',
  arm_fadvise64_64: 'ARM-specific syscall',
  arm_sync_file_range: 'ARM-specific syscall',
  breakpoint: 'ARM-specific syscall',
  cacheflush: 'ARM-specific syscall',
  set_tls: 'ARM-specific syscall',
  sync_file_range2: 'Variant of sync_file_range used on powerpc and ARM',
  swapcontext: 'powerpc-specific syscall',
  s390_pci_mmio_read: 's390-specific syscall',
  s390_pci_mmio_write: 's390-specific syscall',
  s390_runtime_instr: 's390-specific syscall',
  riscv_flush_icache: 'riscv-specific syscall',
  // capability-gated
  open_by_handle_at: 'Cause of an old container breakout ("Shocker"); needs CAP_DAC_READ_SEARCH',
  bpf: 'Could load persistent BPF programs into the kernel; needs CAP_SYS_ADMIN or CAP_BPF',
  perf_event_open:
    'Tracing/profiling could leak host information; needs CAP_SYS_ADMIN or CAP_PERFMON',
  fanotify_init: SYS_ADMIN_REASON,
  fsconfig: 'Mount API: privileged (CAP_SYS_ADMIN)',
  fsmount: 'Mount API: privileged (CAP_SYS_ADMIN)',
  fsopen: 'Mount API: privileged (CAP_SYS_ADMIN)',
  fspick: 'Mount API: privileged (CAP_SYS_ADMIN)',
  lookup_dcookie: 'Tracing/profiling could leak host information; needs CAP_SYS_ADMIN',
  lsm_get_self_attr: SYS_ADMIN_REASON,
  lsm_list_modules: SYS_ADMIN_REASON,
  lsm_set_self_attr: SYS_ADMIN_REASON,
  mount: 'Mounting is privileged (CAP_SYS_ADMIN)',
  mount_setattr: 'Mount API: privileged (CAP_SYS_ADMIN)',
  move_mount: 'Mount API: privileged (CAP_SYS_ADMIN)',
  open_tree: 'Mount API: privileged (CAP_SYS_ADMIN)',
  quotactl: 'Could let containers disable their own resource limits; needs CAP_SYS_ADMIN',
  quotactl_fd: 'Could let containers disable their own resource limits; needs CAP_SYS_ADMIN',
  setdomainname: SYS_ADMIN_REASON,
  sethostname: SYS_ADMIN_REASON,
  setns: 'Joining namespaces is privileged; needs CAP_SYS_ADMIN',
  syslog: 'Kernel log can leak host information; needs CAP_SYS_ADMIN or CAP_SYSLOG',
  umount: 'Unmounting is privileged (CAP_SYS_ADMIN)',
  umount2: 'Unmounting is privileged (CAP_SYS_ADMIN)',
  unshare: 'Creating namespaces (user namespaces included) is privileged; needs CAP_SYS_ADMIN',
  reboot: 'Do not let containers reboot the host',
  chroot: 'Needs CAP_SYS_CHROOT',
  delete_module: 'Kernel module manipulation; needs CAP_SYS_MODULE',
  init_module: 'Kernel module manipulation; needs CAP_SYS_MODULE',
  finit_module: 'Kernel module manipulation; needs CAP_SYS_MODULE',
  acct: 'Could let containers disable process accounting; needs CAP_SYS_PACCT',
  kcmp: 'Process inspection; needs CAP_SYS_PTRACE',
  pidfd_getfd: 'Takes descriptors of other processes; needs CAP_SYS_PTRACE',
  process_madvise: 'Acts on other processes’ memory; needs CAP_SYS_PTRACE',
  iopl: 'Could modify kernel I/O privilege levels; needs CAP_SYS_RAWIO',
  ioperm: 'Could modify kernel I/O privilege levels; needs CAP_SYS_RAWIO',
  settimeofday: 'Time is not namespaced; needs CAP_SYS_TIME',
  stime: 'Time is not namespaced; needs CAP_SYS_TIME',
  clock_settime: 'Time is not namespaced; needs CAP_SYS_TIME',
  clock_settime64: 'Time is not namespaced; needs CAP_SYS_TIME',
  vhangup: 'Needs CAP_SYS_TTY_CONFIG',
  get_mempolicy: 'Modifies kernel memory and NUMA settings; needs CAP_SYS_NICE',
  mbind: 'Modifies kernel memory and NUMA settings; needs CAP_SYS_NICE',
  set_mempolicy: 'Modifies kernel memory and NUMA settings; needs CAP_SYS_NICE',
  set_mempolicy_home_node: 'Modifies kernel memory and NUMA settings; needs CAP_SYS_NICE',
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

/** Reason of a name the default profile allows only under a condition but that has no written reason. */
const CONDITIONAL_FALLBACK_REASON = 'Allowed only under a condition of the default profile';

function build(): Record<string, DockerDefaultStatus> {
  const out: Record<string, DockerDefaultStatus> = {};
  for (const [name, derived] of DOCKER_DEFAULT_DERIVED) {
    const reason =
      derived.status === 'allowed'
        ? (ALLOWED_NOTES[name] ?? 'Allowed unconditionally')
        : derived.status === 'blocked'
          ? (BLOCKED_REASONS[name] ?? DEFAULT_BLOCKED_REASON)
          : (CONDITIONAL_REASONS[name] ?? CONDITIONAL_FALLBACK_REASON);
    out[name] = { ...derived, reason };
  }
  for (const [name, reason] of Object.entries(BLOCKED_REASONS)) {
    out[name] ??= { status: 'blocked', caps: [], arches: [], reason };
  }
  return out;
}

/** Docker default-profile status by syscall name; names not listed are blocked with the default reason. */
export const DOCKER_DEFAULT: Readonly<Record<string, DockerDefaultStatus>> = build();

/**
 * Written reasons that no longer match the profile: a note for a name that is not unconditionally
 * allowed, a conditional reason for one that is not conditional, a blocked reason for one it allows.
 * Empty while the reasons and the embedded profile agree (a test checks it).
 */
export function staleDockerReasons(): readonly string[] {
  const stale: string[] = [];
  const statusOf = (n: string): string => DOCKER_DEFAULT_DERIVED.get(n)?.status ?? 'blocked';
  for (const n of Object.keys(ALLOWED_NOTES))
    if (statusOf(n) !== 'allowed') stale.push(`${n}: allowed note, status ${statusOf(n)}`);
  for (const n of Object.keys(CONDITIONAL_REASONS)) {
    const st = statusOf(n);
    if (st === 'allowed' || st === 'blocked') stale.push(`${n}: conditional reason, status ${st}`);
  }
  for (const n of Object.keys(BLOCKED_REASONS))
    if (statusOf(n) !== 'blocked') stale.push(`${n}: blocked reason, status ${statusOf(n)}`);
  for (const [n, d] of DOCKER_DEFAULT_DERIVED) {
    if (d.status !== 'allowed' && d.status !== 'blocked' && !(n in CONDITIONAL_REASONS))
      stale.push(`${n}: ${d.status} without a written reason`);
  }
  return stale;
}
