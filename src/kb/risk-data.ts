/**
 * Risk of allowing a syscall unconditionally (no capability gate, no argument filter).
 *
 * Sources (docs/semantics.md#syscall-risk): the Docker docs' "significant syscalls blocked by the
 * default profile", the moby profile history and the kCTF VRP write-up. CVE ids are cited only where those
 * sources tie them to the syscall. Names not listed here are `info`: ordinary kernel attack surface.
 */
import type { RiskLevel, SyscallRisk } from './types.js';

interface RiskSpec {
  readonly level: RiskLevel;
  readonly reason: string;
  readonly cves?: readonly string[];
  readonly essential?: boolean;
  readonly escalation?: { readonly level: RiskLevel; readonly when: string };
}

const table: Record<string, SyscallRisk> = {};

/** Give every name in `names` the same risk entry. */
function risk(names: string, spec: RiskSpec): void {
  const entry: SyscallRisk = {
    level: spec.level,
    reason: spec.reason,
    cves: spec.cves ?? [],
    essential: spec.essential ?? false,
    ...(spec.escalation ? { escalation: spec.escalation } : {}),
  };
  for (const name of names.split(/\s+/).filter((n) => n !== '')) {
    if (name in table) throw new Error(`risk-data: ${name} listed twice`);
    table[name] = entry;
  }
}

// ---- critical ---------------------------------------------------------------------------------------
risk('init_module finit_module delete_module', {
  level: 'critical',
  reason: 'Loads or unloads kernel code: full host compromise',
});
risk('kexec_load kexec_file_load', {
  level: 'critical',
  reason: 'Replaces the running kernel; Docker never allows it',
});
risk('open_by_handle_at', {
  level: 'critical',
  reason:
    '"Shocker" (2014): brute-forced file handles read files of the host outside the container root',
});
risk('bpf', {
  level: 'critical',
  reason: 'eBPF verifier bugs give kernel read/write',
  cves: ['CVE-2017-16995', 'CVE-2020-8835', 'CVE-2021-3490', 'CVE-2021-31440'],
});
risk('io_uring_setup io_uring_enter io_uring_register', {
  level: 'critical',
  reason:
    'Large exploited attack surface (about 60 % of kCTF VRP 2022 exploits); its operations bypass seccomp',
  cves: ['CVE-2021-41073', 'CVE-2022-29582', 'CVE-2023-2598'],
});
risk('unshare', {
  level: 'critical',
  reason:
    'A new user namespace grants CAP_SYS_ADMIN/CAP_NET_ADMIN inside it, which reaches many kernel exploits',
  cves: ['CVE-2022-0185', 'CVE-2022-0492', 'CVE-2021-22555', 'CVE-2023-32233', 'CVE-2024-1086'],
});
risk('clone', {
  level: 'critical',
  reason: 'Without a CLONE_NEW* argument mask it creates namespaces, the same path as unshare',
  cves: ['CVE-2022-0185', 'CVE-2022-0492'],
  essential: true,
});
risk('clone3', {
  level: 'critical',
  reason:
    'Flags live in user memory and cannot be filtered; deny it with ENOSYS so libc falls back to clone',
});
risk('mount fsopen fsconfig fsmount fspick move_mount open_tree open_tree_attr mount_setattr', {
  level: 'critical',
  reason:
    'Mounts cgroupfs, procfs or devices (the CVE-2022-0492 release_agent escape); CVE-2022-0185 is in fsconfig',
  cves: ['CVE-2022-0492', 'CVE-2022-0185'],
});
risk('umount umount2', {
  level: 'critical',
  reason:
    'Removes the mounts that mask host paths (/proc, /sys entries) and undoes the container setup',
});
risk('setns', {
  level: 'critical',
  reason:
    'Joins host or other containers\u2019 namespaces when a namespace fd or /proc path is reachable',
});
risk('iopl ioperm', {
  level: 'critical',
  reason: 'Raw x86 I/O port access to host hardware',
});

// ---- high -------------------------------------------------------------------------------------------
risk('ptrace', {
  level: 'high',
  reason: 'Reads and writes other processes; before 4.8 a tracer could bypass seccomp',
  cves: ['CVE-2019-13272'],
  escalation: { level: 'critical', when: 'kernel < 4.8' },
});
risk('keyctl add_key request_key', {
  level: 'high',
  reason: 'The kernel keyring is not namespaced; a common heap-spray primitive',
  cves: ['CVE-2016-0728'],
});
risk('userfaultfd', {
  level: 'high',
  reason: 'Stalls page faults to widen kernel race windows; used in many exploits',
});
risk('perf_event_open', {
  level: 'high',
  reason: 'Kernel information leaks and a history of privilege escalations',
  cves: ['CVE-2013-2094'],
});
risk('process_vm_readv process_vm_writev pidfd_getfd process_madvise', {
  level: 'high',
  reason: 'Reads or writes other processes\u2019 memory or file descriptors',
});
risk('socket', {
  level: 'high',
  reason:
    'Without a family filter it reaches AF_ALG, AF_VSOCK and AF_PACKET (CAP_NET_RAW is a Docker default cap)',
  cves: ['CVE-2026-31431', 'CVE-2021-26708', 'CVE-2017-7308', 'CVE-2020-14386'],
});
risk('pivot_root chroot', {
  level: 'high',
  reason: 'Changes the root; chroot escapes are possible with CAP_SYS_CHROOT',
});
risk('swapon swapoff', {
  level: 'high',
  reason: 'Host-wide swap configuration: denial of service',
});
risk('reboot', {
  level: 'high',
  reason:
    'With CAP_SYS_BOOT it reboots the host when the host PID namespace is shared; in a PID namespace it kills the container init',
});

// ---- medium -----------------------------------------------------------------------------------------
risk('socketcall', {
  level: 'medium',
  reason: 'Multiplexer whose socket arguments sit behind a pointer the filter cannot read',
  escalation: { level: 'high', when: 'socket() has argument filters' },
});
risk('ipc', {
  level: 'medium',
  reason: 'Multiplexer whose System V IPC arguments sit behind a pointer the filter cannot read',
  escalation: { level: 'high', when: 'System V IPC syscalls have argument filters' },
});
risk('kcmp', { level: 'medium', reason: 'Leaks the ordering of kernel pointers (KASLR)' });
risk('personality', {
  level: 'medium',
  reason: 'Unfiltered, it enables MMAP_PAGE_ZERO and READ_IMPLIES_EXEC tricks',
  cves: ['CVE-2009-1895'],
});
risk('modify_ldt', {
  level: 'medium',
  reason: 'x86 LDT code paths with past bugs',
  cves: ['CVE-2017-17053'],
});
risk('vm86 vm86old', { level: 'medium', reason: 'Legacy x86 real-mode code paths' });
risk('move_pages migrate_pages', {
  level: 'medium',
  reason: 'NUMA page moves; a missing permission check leaked memory layout',
  cves: ['CVE-2017-14140'],
});
risk('mbind set_mempolicy get_mempolicy set_mempolicy_home_node', {
  level: 'medium',
  reason: 'NUMA memory policy is not namespaced; use-after-free history',
  cves: ['CVE-2018-10675'],
});
risk('settimeofday clock_settime clock_settime64 stime', {
  level: 'medium',
  reason: 'Sets the host clock (time is not namespaced) when CAP_SYS_TIME is held',
});
risk('syslog lookup_dcookie', { level: 'medium', reason: 'Kernel pointer and information leaks' });
risk('acct quotactl quotactl_fd', {
  level: 'medium',
  reason: 'Can switch off process accounting or disk limits',
});
risk('fanotify_init', { level: 'medium', reason: 'Filesystem-wide event monitoring' });
risk('vmsplice', {
  level: 'medium',
  reason: 'Pipe/page-cache code with exploited bugs',
  cves: ['CVE-2008-0600', 'CVE-2020-29374'],
  essential: true,
});
risk('splice', {
  level: 'medium',
  reason: 'Dirty Pipe: overwrites read-only page cache, including shared image layers',
  cves: ['CVE-2022-0847'],
  essential: true,
});
risk('tee', {
  level: 'medium',
  reason: 'Same pipe-buffer code as splice (Dirty Pipe class)',
  essential: true,
});
risk('uselib ustat sysfs _sysctl nfsservctl', {
  level: 'medium',
  reason: 'Legacy code with no users; always block',
});
risk('create_module query_module get_kernel_syms', {
  level: 'medium',
  reason: 'Obsolete kernel-module interfaces; always block',
});
risk('pciconfig_read pciconfig_write pciconfig_iobase rtas', {
  level: 'medium',
  reason: 'Direct access to PCI configuration space or firmware',
});

// ---- low --------------------------------------------------------------------------------------------
risk('madvise', {
  level: 'low',
  reason: 'Dirty COW (vDSO container-escape PoC)',
  cves: ['CVE-2016-5195'],
  essential: true,
});
risk('waitid', {
  level: 'low',
  reason: 'Arbitrary kernel write bug demonstrated as a Docker escape',
  cves: ['CVE-2017-5123'],
  essential: true,
});
risk('setsockopt', {
  level: 'low',
  reason: 'Netfilter and packet-socket bugs (these need capabilities)',
  cves: ['CVE-2016-3134', 'CVE-2021-22555', 'CVE-2017-7308'],
  essential: true,
});
risk('ioctl', {
  level: 'low',
  reason: 'Huge attack surface; TIOCSTI terminal injection; filter by request number if needed',
  cves: ['CVE-2017-5226'],
  essential: true,
});
risk('futex', {
  level: 'low',
  reason: 'towelroot futex requeue bug',
  cves: ['CVE-2014-3153'],
  essential: true,
});
risk('msgsnd setxattr', { level: 'low', reason: 'Kernel heap-spray primitives', essential: true });
risk('memfd_create execveat', { level: 'low', reason: 'Fileless execution' });
risk('name_to_handle_at', { level: 'low', reason: 'Harmless without open_by_handle_at' });
risk('sethostname setdomainname', {
  level: 'low',
  reason: 'Changes UTS names (namespaced per container)',
});
risk('vhangup', { level: 'low', reason: 'Hangs up the controlling terminal' });
risk('adjtimex clock_adjtime clock_adjtime64', {
  level: 'low',
  reason: 'Read-only without CAP_SYS_TIME; with it, tunes the host clock',
});
risk('mknod mknodat', {
  level: 'low',
  reason: 'Device nodes need CAP_MKNOD (a Docker default cap) and the device cgroup to allow them',
});
risk('s390_pci_mmio_read s390_pci_mmio_write s390_sthyi', {
  level: 'low',
  reason: 'Hardware and hypervisor access on s390',
});
risk(
  'afs_syscall break gtty stty lock mpx prof profil ulimit getpmsg putpmsg security tuxcall vserver ftime idle bdflush',
  { level: 'low', reason: 'Not implemented by current kernels; nothing needs it' },
);

// ---- info -------------------------------------------------------------------------------------------
risk('landlock_create_ruleset landlock_add_rule landlock_restrict_self seccomp', {
  level: 'info',
  reason: 'Sandboxing syscalls; safe to allow',
});

/** Risk entries by syscall name (names not listed: {@link DEFAULT_RISK}). */
export const SYSCALL_RISKS: Readonly<Record<string, SyscallRisk>> = table;

/** Risk of a syscall with no entry in {@link SYSCALL_RISKS}. */
export const DEFAULT_RISK: SyscallRisk = {
  level: 'info',
  reason: 'No container-specific risk known beyond ordinary kernel attack surface',
  cves: [],
  essential: false,
};
