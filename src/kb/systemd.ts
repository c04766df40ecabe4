/**
 * What systemd's `SystemCallFilter=` does on its own, for the `deploy --for systemd` translation.
 *
 * Source: systemd 252 (Debian 12), `src/core/load-fragment.c` `config_parse_syscall_filter`: an
 * allow-list (a filter not starting with `~`) always gets the `@default` group added first ("Accept
 * default syscalls if we are on a whitelist"); the group's members are `src/shared/seccomp-util.c`
 * `syscall_filter_sets[SYSCALL_FILTER_SET_DEFAULT]`, as `systemd-analyze syscall-filter @default`
 * prints them (checked against the installed systemd by `systemd.itest.ts`). `SystemCallArchitectures=`
 * takes `seccomp-util.c` `seccomp_arch_from_string` spellings.
 */
import type { ArchName } from '../arch/types.js';

/** The systemd release the facts below were read from. */
export const SYSTEMD_VERSION = '252';

/** `@default`: the syscalls systemd permits on every allow-list, listed or not. */
export const SYSTEMD_DEFAULT_SET: readonly string[] = Object.freeze(
  (
    'arch_prctl brk cacheflush clock_getres clock_getres_time64 clock_gettime clock_gettime64 ' +
    'clock_nanosleep clock_nanosleep_time64 execve exit exit_group futex futex_time64 futex_waitv ' +
    'get_robust_list get_thread_area getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups ' +
    'getgroups32 getpgid getpgrp getpid getppid getrandom getresgid getresgid32 getresuid getresuid32 ' +
    'getrlimit getsid gettid gettimeofday getuid getuid32 membarrier mmap mmap2 mprotect munmap ' +
    'nanosleep pause prlimit64 restart_syscall riscv_flush_icache riscv_hwprobe rseq rt_sigreturn ' +
    'sched_getaffinity sched_yield set_robust_list set_thread_area set_tid_address set_tls sigreturn ' +
    'time ugetrlimit uretprobe'
  ).split(' '),
);

/** `SystemCallArchitectures=` spelling of each ABI. */
export const SYSTEMD_ARCH: Readonly<Record<ArchName, string>> = Object.freeze({
  x86_64: 'x86-64',
  x86: 'x86',
  x32: 'x32',
  aarch64: 'arm64',
  arm: 'arm',
  mips: 'mips',
  mipsel: 'mips-le',
  mips64: 'mips64',
  mips64n32: 'mips64-n32',
  mipsel64: 'mips64-le',
  mipsel64n32: 'mips64-le-n32',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64-le',
  s390: 's390',
  s390x: 's390x',
  riscv64: 'riscv64',
  loongarch64: 'loongarch64',
  parisc: 'parisc',
  parisc64: 'parisc64',
});
