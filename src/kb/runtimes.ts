/**
 * Syscalls the container runtimes make after they load the seccomp filter and before they execute the
 * entrypoint, so a profile loaded by them must allow these too (docs/semantics.md#runtime-post-load).
 * Each name carries the reason, used as the comment of the rule `generate --target docker` adds.
 */

/**
 * runc's init after the filter is loaded: runc 1.1.5 traced with no-new-privileges off, plus runc
 * >= 1.2's close_range and openat2, and the Go runtime's signal and memory calls.
 */
export const RUNC_POST_LOAD: Readonly<Record<string, string>> = Object.freeze({
  prctl:
    'runc drops bounding capabilities and keeps caps across setuid (PR_CAPBSET_DROP, PR_SET_KEEPCAPS, PR_CAP_AMBIENT)',
  capget: 'runc reads the capability sets it is about to change',
  capset: "runc applies the container's capability sets",
  setgroups: "runc sets the container user's supplementary groups",
  setgid: "runc switches to the container's group",
  setuid: "runc switches to the container's user",
  chdir: "runc enters the container's working directory",
  getcwd: 'runc checks the working directory',
  openat: 'runc opens /proc/self/fd and the exec FIFO',
  openat2: 'runc >= 1.2 opens paths inside the container with openat2 (RESOLVE_IN_ROOT)',
  read: 'runc reads its sync pipe',
  close: 'runc closes descriptors it must not leak into the container',
  close_range: 'runc >= 1.2 closes leaked descriptors with close_range',
  fcntl: 'runc marks descriptors close-on-exec',
  fstat: 'runc inspects descriptors during the /proc/self/fd sweep',
  newfstatat: 'runc inspects descriptors and looks up the entrypoint',
  fstatfs: 'runc checks that /proc is procfs before trusting it',
  getdents64: 'runc lists /proc/self/fd to close leaked descriptors',
  epoll_ctl: "Go runtime: runc's netpoller",
  epoll_pwait: "Go runtime: runc's netpoller",
  faccessat2: 'runc looks up the entrypoint on PATH (exec.LookPath)',
  write: 'runc writes to the exec FIFO to signal it is ready',
  getppid: 'runc checks its parent is still alive',
  getpid: 'Go runtime and runc identify the process',
  gettid: 'Go runtime identifies threads for signals',
  tgkill: 'Go runtime preempts goroutines with signals',
  futex: 'Go runtime synchronises threads',
  nanosleep: 'Go runtime sleeps while waiting',
  sched_yield: 'Go runtime yields the CPU',
  rt_sigprocmask: 'Go runtime masks signals',
  rt_sigreturn: 'Go runtime returns from signal handlers',
  sigaltstack: 'Go runtime sets signal stacks for new threads',
  mmap: 'Go runtime grows its heap',
  munmap: 'Go runtime releases memory',
  madvise: 'Go runtime returns memory to the kernel',
  exit_group: 'runc exits when starting the entrypoint fails',
  execve: 'runc executes the entrypoint',
});

/**
 * crun's work after the filter is loaded (crun 1.8.1 traced): it switches user and group, applies the
 * capability sets, resets every signal handler, then executes the entrypoint.
 */
export const CRUN_POST_LOAD: Readonly<Record<string, string>> = Object.freeze({
  setresgid: "crun switches to the container's group (setresgid)",
  setresuid: "crun switches to the container's user (setresuid)",
  capset: "crun applies the container's capability sets",
  rt_sigaction: 'crun resets every signal handler to the default before executing the entrypoint',
  execve: 'crun executes the entrypoint',
});

/**
 * What bubblewrap's own pid 1 does under the filter. With `--unshare-pid` (as sysgate's bwrap engine
 * runs it) bwrap forks an init that applies the same seccomp programs as the command ("otherwise the
 * seccomp filters could be bypassed by ptrace()ing pid 1", bubblewrap 0.8.0 bubblewrap.c, main) and
 * then reaps every process of the sandbox with wait() (do_init); refused, it fails with
 * "bwrap: init wait(): Operation not permitted" and the run exits 1 whatever the command did.
 */
export const BWRAP_INIT: Readonly<Record<string, string>> = Object.freeze({
  wait4:
    "bubblewrap's pid 1 (do_init) runs under the same filter and reaps the sandbox's processes with wait()",
});

/**
 * What a profile for either runtime must allow after loading: runc's names, then crun's names runc does
 * not make. A name both make keeps runc's reason.
 */
export const RUNTIME_POST_LOAD: Readonly<Record<string, string>> = Object.freeze({
  ...RUNC_POST_LOAD,
  ...Object.fromEntries(Object.entries(CRUN_POST_LOAD).filter(([n]) => !(n in RUNC_POST_LOAD))),
});
