/** Syscall equivalents, used by generation to map recorded names onto another arch's table. */

/**
 * Older syscalls and their modern replacements, for mapping names to an arch whose table lacks the
 * older one (aarch64 and riscv64 only have the `*at` and `p*` forms).
 */
export const SYSCALL_EQUIVALENTS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  open: ['openat'],
  creat: ['openat'],
  stat: ['newfstatat', 'statx'],
  lstat: ['newfstatat', 'statx'],
  fstat: ['newfstatat', 'fstat'],
  access: ['faccessat', 'faccessat2'],
  faccessat: ['faccessat2'],
  mkdir: ['mkdirat'],
  rmdir: ['unlinkat'],
  unlink: ['unlinkat'],
  rename: ['renameat2', 'renameat'],
  renameat: ['renameat2'],
  link: ['linkat'],
  symlink: ['symlinkat'],
  readlink: ['readlinkat'],
  chmod: ['fchmodat'],
  chown: ['fchownat'],
  lchown: ['fchownat'],
  mknod: ['mknodat'],
  utime: ['utimensat'],
  utimes: ['utimensat'],
  futimesat: ['utimensat'],
  poll: ['ppoll'],
  select: ['pselect6'],
  epoll_wait: ['epoll_pwait'],
  epoll_create: ['epoll_create1'],
  pipe: ['pipe2'],
  dup2: ['dup3'],
  fork: ['clone'],
  vfork: ['clone'],
  getdents: ['getdents64'],
  inotify_init: ['inotify_init1'],
  eventfd: ['eventfd2'],
  signalfd: ['signalfd4'],
  alarm: ['setitimer'],
  getpgrp: ['getpgid'],
  pause: ['ppoll'],
  time: ['clock_gettime'],
  mmap2: ['mmap'],
  stat64: ['newfstatat', 'statx'],
  lstat64: ['newfstatat', 'statx'],
  fstat64: ['fstat'],
  fstatat64: ['newfstatat'],
  fcntl64: ['fcntl'],
  _llseek: ['lseek'],
  ugetrlimit: ['prlimit64'],
  getrlimit: ['prlimit64'],
  setrlimit: ['prlimit64'],
});

/**
 * Calls a profile answers with ENOSYS on purpose, and the call libc makes instead: glibc >= 2.34
 * tries clone3 for threads, fork and posix_spawn and, on ENOSYS, makes the same request with clone,
 * whose flags (the first argument, exit signal in the low byte) a filter can read.
 */
export const ENOSYS_FALLBACKS: Readonly<Record<string, string>> = Object.freeze({
  clone3: 'clone',
});
