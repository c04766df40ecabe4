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

/**
 * A family of syscalls that do the same thing, among which the kernel's tables and libc choose: a
 * program built against another libc version, or the same libc on another ABI, makes a different
 * member for the same request. `generate --widen safe` adds the other members of a family whose
 * member the workload was seen making (only members the target ABIs have, no more risky than the
 * one seen, and never a name generation filters by argument).
 */
export interface SyscallFamily {
  /** Short identifier, used in profile comments and the evidence. */
  readonly id: string;
  /** What every member does. */
  readonly does: string;
  /** The members, most common first; a name absent from an ABI's table is skipped there. */
  readonly members: readonly string[];
  /** Where the choice between members is made (libc function and version, man page, kernel). */
  readonly source: string;
}

/**
 * The equivalence families. Sources name the function that picks a member; "man 2 X" is the Linux
 * man-pages entry (man-pages 6.x), which lists the members and the kernel version each appeared in.
 */
export const SYSCALL_FAMILIES: readonly SyscallFamily[] = Object.freeze([
  {
    id: 'sleep',
    does: 'sleep for a relative or absolute time',
    members: ['nanosleep', 'clock_nanosleep', 'clock_nanosleep_time64'],
    source:
      'glibc 2.31 sysdeps/unix/sysv/linux/nanosleep.c (nanosleep calls __clock_nanosleep); musl 1.2.0 src/time/clock_nanosleep.c (SYS_clock_nanosleep_time64, falling back to SYS_nanosleep); man 2 clock_nanosleep',
  },
  {
    id: 'stat',
    does: "read a file's metadata",
    members: [
      'newfstatat',
      'statx',
      'fstat',
      'stat',
      'lstat',
      'fstatat64',
      'stat64',
      'lstat64',
      'fstat64',
    ],
    source:
      'glibc 2.33 io/stat.c, lstat.c, fstat.c (all call fstatat64: newfstatat on 64-bit ABIs, statx then fstatat64 on 32-bit ones, sysdeps/unix/sysv/linux/fstatat64.c); musl 1.2.4 src/stat/fstatat.c (statx first, then fstatat/SYS_stat); man 2 stat, man 2 statx',
  },
  {
    id: 'poll',
    does: 'wait for readiness on a set of descriptors',
    members: [
      'poll',
      'ppoll',
      'ppoll_time64',
      'select',
      '_newselect',
      'pselect6',
      'pselect6_time64',
    ],
    source:
      'glibc sysdeps/unix/sysv/linux/poll.c (ppoll where __NR_poll is absent), select.c (pselect6, pselect6_time64 on 32-bit ABIs since 2.32); musl 1.2.0 src/select/poll.c, select.c (SYS_poll/SYS_select if defined, else SYS_ppoll/SYS_pselect6, _time64 first); man 2 poll, man 2 select',
  },
  {
    id: 'epoll_wait',
    does: 'wait for events on an epoll instance',
    members: ['epoll_wait', 'epoll_pwait', 'epoll_pwait2'],
    source:
      'glibc sysdeps/unix/sysv/linux/epoll_wait.c (epoll_pwait with a NULL mask where __NR_epoll_wait is absent); libuv 1.45 src/unix/linux.c uv__io_poll (epoll_pwait when a signal is blocked); man 2 epoll_wait (epoll_pwait2 since Linux 5.11)',
  },
  {
    id: 'epoll_create',
    does: 'create an epoll instance',
    members: ['epoll_create1', 'epoll_create'],
    source:
      'glibc sysdeps/unix/sysv/linux/epoll_create.c (epoll_create1(0) where __NR_epoll_create is absent); man 2 epoll_create',
  },
  {
    id: 'dup',
    does: 'duplicate a file descriptor',
    members: ['dup', 'dup2', 'dup3'],
    source:
      'glibc sysdeps/unix/sysv/linux/dup2.c (dup3 where __NR_dup2 is absent); man 2 dup (dup2 is dup with a chosen number, dup3 dup2 with flags)',
  },
  {
    id: 'open',
    does: 'open a file by path',
    members: ['openat', 'open', 'creat', 'openat2'],
    source:
      'glibc 2.26 sysdeps/unix/sysv/linux/open64.c (open calls openat(AT_FDCWD)); musl src/fcntl/open.c (SYS_open where defined); man 2 open (creat is open with O_CREAT|O_WRONLY|O_TRUNC), man 2 openat2 (Linux 5.6)',
  },
  {
    id: 'getdents',
    does: 'read directory entries',
    members: ['getdents64', 'getdents'],
    source:
      'glibc 2.30 sysdeps/unix/sysv/linux/getdents64.c (readdir uses getdents64; getdents where only it exists); man 2 getdents',
  },
  {
    id: 'wait',
    does: 'wait for a child process to change state',
    members: ['wait4', 'waitid', 'waitpid'],
    source:
      'glibc sysdeps/unix/sysv/linux/waitpid.c and wait.c (wait4, waitid where __NR_wait4 is absent); musl src/process/waitpid.c (SYS_wait4); man 2 wait4, man 2 waitid',
  },
  {
    id: 'pipe',
    does: 'create a pipe',
    members: ['pipe2', 'pipe'],
    source:
      'glibc sysdeps/unix/sysv/linux/pipe.c (pipe2(fds, 0) where __NR_pipe is absent); musl src/unistd/pipe.c; man 2 pipe',
  },
  {
    id: 'accept',
    does: 'accept a connection on a socket',
    members: ['accept4', 'accept'],
    source:
      'glibc sysdeps/unix/sysv/linux/accept.c (accept4(..., 0) where __NR_accept is absent); man 2 accept',
  },
  {
    id: 'signalfd',
    does: 'create a descriptor for accepting signals',
    members: ['signalfd4', 'signalfd'],
    source:
      'glibc sysdeps/unix/sysv/linux/signalfd.c (signalfd4, signalfd where it is absent); man 2 signalfd',
  },
  {
    id: 'eventfd',
    does: 'create an event-notification descriptor',
    members: ['eventfd2', 'eventfd'],
    source:
      'glibc sysdeps/unix/sysv/linux/eventfd.c (eventfd2, eventfd where it is absent); man 2 eventfd',
  },
  {
    id: 'inotify_init',
    does: 'create an inotify instance',
    members: ['inotify_init1', 'inotify_init'],
    source:
      'glibc sysdeps/unix/sysv/linux/inotify_init.c (inotify_init1(0) where __NR_inotify_init is absent); man 2 inotify_init',
  },
  {
    id: 'rename',
    does: 'rename a file',
    members: ['rename', 'renameat', 'renameat2'],
    source:
      'glibc sysdeps/unix/sysv/linux/rename.c and renameat.c (renameat2 where __NR_renameat is absent, aarch64 since glibc 2.28); man 2 rename',
  },
  {
    id: 'access',
    does: "check a file's accessibility",
    members: ['access', 'faccessat', 'faccessat2'],
    source:
      'glibc 2.33 sysdeps/unix/sysv/linux/faccessat.c (faccessat2 first, faccessat on ENOSYS); access.c (faccessat(AT_FDCWD) where __NR_access is absent); man 2 access',
  },
  {
    id: 'mkdir',
    does: 'create a directory',
    members: ['mkdir', 'mkdirat'],
    source:
      'glibc sysdeps/unix/sysv/linux/mkdir.c (mkdirat where __NR_mkdir is absent); man 2 mkdir',
  },
  {
    id: 'unlink',
    does: 'remove a file',
    members: ['unlink', 'unlinkat'],
    source:
      'glibc sysdeps/unix/sysv/linux/unlink.c (unlinkat(AT_FDCWD, path, 0) where __NR_unlink is absent); man 2 unlink',
  },
  {
    id: 'rmdir',
    does: 'remove a directory',
    members: ['rmdir', 'unlinkat'],
    source:
      'glibc sysdeps/unix/sysv/linux/rmdir.c (unlinkat(AT_FDCWD, path, AT_REMOVEDIR) where __NR_rmdir is absent); man 2 unlinkat',
  },
  {
    id: 'readlink',
    does: 'read a symbolic link',
    members: ['readlink', 'readlinkat'],
    source:
      'glibc sysdeps/unix/sysv/linux/readlink.c (readlinkat where __NR_readlink is absent); man 2 readlink',
  },
  {
    id: 'chmod',
    does: "change a file's mode",
    members: ['chmod', 'fchmod', 'fchmodat', 'fchmodat2'],
    source:
      'glibc sysdeps/unix/sysv/linux/chmod.c (fchmodat where __NR_chmod is absent), glibc 2.39 fchmodat.c (fchmodat2 for AT_SYMLINK_NOFOLLOW); gnulib lib/fchmodat.c (fchmod on an O_PATH descriptor, chmod on /proc/self/fd/N); man 2 chmod (chmod, fchmod, fchmodat)',
  },
  {
    id: 'chown',
    does: "change a file's owner",
    members: ['chown', 'lchown', 'fchown', 'fchownat', 'chown32', 'lchown32', 'fchown32'],
    source:
      'glibc sysdeps/unix/sysv/linux/chown.c, lchown.c (fchownat where absent; the 32-bit-uid calls on x86, arm and s390); man 2 chown (chown, fchown, lchown, fchownat)',
  },
  {
    id: 'link',
    does: 'make a hard link',
    members: ['link', 'linkat'],
    source: 'glibc sysdeps/unix/sysv/linux/link.c (linkat where __NR_link is absent); man 2 link',
  },
  {
    id: 'symlink',
    does: 'make a symbolic link',
    members: ['symlink', 'symlinkat'],
    source:
      'glibc sysdeps/unix/sysv/linux/symlink.c (symlinkat where __NR_symlink is absent); man 2 symlink',
  },
  {
    id: 'utime',
    does: "set a file's timestamps",
    members: ['utimensat', 'utimes', 'utime', 'futimesat', 'utimensat_time64'],
    source:
      'glibc sysdeps/unix/sysv/linux/utimes.c, utime.c, futimens.c (utimensat, utimensat_time64 on 32-bit ABIs since 2.32); man 2 utimensat',
  },
  {
    id: 'lseek',
    does: 'move a file offset',
    members: ['lseek', '_llseek'],
    source: 'glibc sysdeps/unix/sysv/linux/lseek64.c (_llseek on 32-bit ABIs); man 2 llseek',
  },
  {
    id: 'mmap',
    does: 'map memory',
    members: ['mmap', 'mmap2'],
    source: 'glibc sysdeps/unix/sysv/linux/mmap64.c (mmap2 on 32-bit ABIs); man 2 mmap2',
  },
  {
    id: 'fcntl',
    does: 'control a file descriptor',
    members: ['fcntl', 'fcntl64'],
    source: 'glibc sysdeps/unix/sysv/linux/fcntl64.c (fcntl64 on 32-bit ABIs); man 2 fcntl',
  },
  {
    id: 'rlimit',
    does: 'read or set a resource limit',
    members: ['prlimit64', 'getrlimit', 'ugetrlimit', 'setrlimit'],
    source:
      'glibc sysdeps/unix/sysv/linux/getrlimit64.c and setrlimit64.c (prlimit64, getrlimit/ugetrlimit where it fails with ENOSYS); man 2 getrlimit',
  },
  {
    id: 'clock',
    does: 'read a clock',
    members: ['clock_gettime', 'clock_gettime64', 'gettimeofday', 'time'],
    source:
      'glibc 2.31 sysdeps/unix/sysv/linux/clock_gettime.c (vDSO first, then clock_gettime64 on 32-bit ABIs, clock_gettime), gettimeofday.c and time.c (clock_gettime where the vDSO is missing, as under some sandboxes); man 2 clock_gettime',
  },
  {
    id: 'truncate',
    does: 'truncate a file by path',
    members: ['truncate', 'truncate64'],
    source:
      'glibc sysdeps/unix/sysv/linux/truncate64.c (truncate64 on 32-bit ABIs); man 2 truncate',
  },
  {
    id: 'ftruncate',
    does: 'truncate an open file',
    members: ['ftruncate', 'ftruncate64'],
    source:
      'glibc sysdeps/unix/sysv/linux/ftruncate64.c (ftruncate64 on 32-bit ABIs); man 2 ftruncate',
  },
  {
    id: 'sendfile',
    does: 'copy between descriptors in the kernel',
    members: ['sendfile', 'sendfile64'],
    source:
      'glibc sysdeps/unix/sysv/linux/sendfile64.c (sendfile64 on 32-bit ABIs); man 2 sendfile',
  },
  {
    id: 'statfs',
    does: 'read file-system statistics',
    members: ['statfs', 'statfs64', 'fstatfs', 'fstatfs64'],
    source:
      'glibc sysdeps/unix/sysv/linux/statfs64.c, fstatfs64.c (the *64 calls on 32-bit ABIs); man 2 statfs',
  },
  {
    id: 'send',
    does: 'send on a socket',
    members: ['sendto', 'send'],
    source:
      'glibc sysdeps/unix/sysv/linux/send.c (sendto(..., NULL, 0) where __NR_send is absent); man 2 send',
  },
  {
    id: 'recv',
    does: 'receive on a socket',
    members: ['recvfrom', 'recv'],
    source:
      'glibc sysdeps/unix/sysv/linux/recv.c (recvfrom(..., NULL, NULL) where __NR_recv is absent); man 2 recv',
  },
  {
    id: 'rt_sigtimedwait',
    does: 'wait for a signal',
    members: ['rt_sigtimedwait', 'rt_sigtimedwait_time64'],
    source:
      'glibc 2.32 sysdeps/unix/sysv/linux/sigtimedwait.c (rt_sigtimedwait_time64 on 32-bit ABIs); man 2 rt_sigtimedwait',
  },
  {
    id: 'timerfd',
    does: 'arm or read a timer descriptor',
    members: ['timerfd_settime', 'timerfd_settime64', 'timerfd_gettime', 'timerfd_gettime64'],
    source:
      'glibc 2.32 sysdeps/unix/sysv/linux/timerfd_settime.c, timerfd_gettime.c (the _time64 calls on 32-bit ABIs); man 2 timerfd_create',
  },
  {
    id: 'clock_getres',
    does: "read a clock's resolution",
    members: ['clock_getres', 'clock_getres_time64'],
    source:
      'glibc 2.31 sysdeps/unix/sysv/linux/clock_getres.c (clock_getres_time64 on 32-bit ABIs); man 2 clock_getres',
  },
  {
    id: 'uid',
    does: 'read the user and group ids',
    members: [
      'getuid',
      'getuid32',
      'geteuid',
      'geteuid32',
      'getgid',
      'getgid32',
      'getegid',
      'getegid32',
    ],
    source: 'glibc sysdeps/unix/sysv/linux/i386 and arm (the *32 calls, 32-bit ids); man 2 getuid',
  },
]);

/** The families a syscall belongs to (a name may be in two: unlinkat removes files and directories). */
export function familiesOf(name: string): readonly SyscallFamily[] {
  return SYSCALL_FAMILIES.filter((f) => f.members.includes(name));
}

/**
 * A companion: a call that a code path the workload was seen taking makes only sometimes (on an
 * error, a slow peer, a child still alive), so one recording may miss it. `generate --widen
 * families` adds `add` when every group of `when` has a member the profile allows and, if
 * `processes` is given, a process of one of those names made a call.
 */
export interface SyscallCompanion {
  /** Short identifier, used in profile comments and the evidence. */
  readonly id: string;
  /** Groups of syscall names: each group must have at least one allowed member. */
  readonly when: readonly (readonly string[])[];
  /** Process names (comm), one of which must appear in the evidence. */
  readonly processes?: readonly string[];
  /** The calls added. */
  readonly add: readonly string[];
  /** Why the code path makes them only sometimes. */
  readonly reason: string;
  /** The code that makes them. */
  readonly source: string;
}

/** Process names of the POSIX shells (and busybox, whose applets run as its own name or sh). */
const SHELLS = ['sh', 'dash', 'bash', 'ash', 'busybox', 'zsh', 'ksh', 'mksh'] as const;

/** The companions, kept few and each tied to the code that makes the call. */
export const SYSCALL_COMPANIONS: readonly SyscallCompanion[] = Object.freeze([
  {
    id: 'signal-children',
    when: [
      ['wait4', 'waitid', 'waitpid'],
      ['clone', 'clone3', 'fork', 'vfork'],
    ],
    add: ['kill'],
    reason:
      'a process that starts and reaps children signals those still alive when it shuts down early, so kill appears only in runs where a child outlives its work',
    source:
      'CPython 3.11 Lib/multiprocessing/pool.py Pool._terminate_pool (terminate() on each live worker) -> popen_fork.Popen._send_signal (os.kill); Lib/subprocess.py Popen.terminate/kill; POSIX sh kill builtin',
  },
  {
    id: 'shell-sleep',
    when: [['execve'], ['wait4', 'waitid', 'waitpid']],
    processes: SHELLS,
    add: ['nanosleep', 'clock_nanosleep', 'clock_nanosleep_time64'],
    reason:
      'a shell script that runs commands sleeps in its retry and readiness loops only when a condition is not met yet, so a fast run never sleeps',
    source:
      'coreutils 9.1 src/sleep.c (xnanosleep, "cannot read realtime clock" on failure) -> gnulib xnanosleep -> glibc 2.31 nanosleep -> clock_nanosleep; busybox coreutils/sleep.c (nanosleep)',
  },
  {
    id: 'synced-writer',
    when: [['pwrite64'], ['fdatasync', 'fsync']],
    add: ['ftruncate', 'ftruncate64'],
    reason:
      'a program that writes a file at offsets and syncs it is a database or log, which truncates its files when it resets or checkpoints them',
    source:
      'SQLite 3.40 src/os_unix.c unixTruncate (journal_mode=TRUNCATE, journal_size_limit, WAL reset) and unixLockSharedMemory (robust_ftruncate of the -shm file in WAL mode)',
  },
  {
    id: 'tar-extract',
    when: [['mkdirat', 'mkdir'], ['utimensat'], ['fchownat', 'fchown', 'fchown32']],
    processes: ['tar'],
    add: ['symlinkat', 'symlink', 'linkat', 'link', 'fchmodat', 'chmod'],
    reason:
      'tar extracting an archive creates each member by its type, so an archive with symbolic or hard links needs the calls that make them, and restores modes by path',
    source:
      'GNU tar 1.34 src/extract.c extract_archive (per member type: extract_file, extract_dir, extract_symlink -> symlinkat, extract_link -> linkat) and set_stat (fchmodat, fchownat, utimensat)',
  },
  {
    id: 'tar-create',
    when: [
      ['getdents64', 'getdents'],
      ['newfstatat', 'fstatat64', 'lstat', 'statx'],
    ],
    processes: ['tar'],
    add: ['readlinkat', 'readlink'],
    reason: 'tar archiving a tree reads the target of every symbolic link it meets',
    source: 'GNU tar 1.34 src/create.c dump_file0 (S_ISLNK: readlinkat into the member header)',
  },
  {
    id: 'xz-pipe-wait',
    when: [['read'], ['write'], ['fcntl', 'fcntl64']],
    processes: ['xz'],
    add: ['poll', 'ppoll', 'ppoll_time64'],
    reason:
      'xz makes its pipes non-blocking and waits in poll when a read or write would block, which a small input never meets',
    source:
      'xz 5.4 src/xz/file_io.c io_open_src/io_open_dest (O_NONBLOCK on pipes) and io_wait (poll on EAGAIN)',
  },
  {
    id: 'inotify-watch',
    when: [['inotify_add_watch']],
    add: ['inotify_rm_watch'],
    reason: 'a watch added is removed when the watcher is closed, which a short run may not reach',
    source:
      'libuv 1.45 src/unix/linux.c uv_fs_event_stop -> inotify_rm_watch (node fs.watch close); man 7 inotify',
  },
  {
    id: 'timerfd-arm',
    when: [['timerfd_create']],
    add: ['timerfd_settime', 'timerfd_settime64', 'timerfd_gettime', 'timerfd_gettime64'],
    reason:
      'a timer descriptor is armed and read after it is created, on paths a short run may not reach',
    source: 'man 2 timerfd_create (a timer does nothing until timerfd_settime arms it)',
  },
]);

/**
 * Newer syscalls libc tries first, falling back to the older call only when the newer one fails with
 * ENOSYS: a profile that allows the older call but answers the newer one with EPERM breaks the
 * program (glibc 2.33's faccessat2, coreos/coreos-installer#540, moby/moby#41353; the 32-bit
 * `*_time64` calls of Linux 5.1, which glibc 2.34 uses with 64-bit time_t, seccomp/libseccomp#228;
 * fchmodat2, glibc 2.39; close_range, glibc 2.34's closefrom). Older name -> its successors.
 */
export const ENOSYS_SUCCESSORS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  faccessat: ['faccessat2'],
  access: ['faccessat2'],
  fchmodat: ['fchmodat2'],
  close: ['close_range'],
  clock_gettime: ['clock_gettime64'],
  clock_settime: ['clock_settime64'],
  clock_adjtime: ['clock_adjtime64'],
  clock_getres: ['clock_getres_time64'],
  clock_nanosleep: ['clock_nanosleep_time64'],
  timer_gettime: ['timer_gettime64'],
  timer_settime: ['timer_settime64'],
  timerfd_gettime: ['timerfd_gettime64'],
  timerfd_settime: ['timerfd_settime64'],
  utimensat: ['utimensat_time64'],
  pselect6: ['pselect6_time64'],
  ppoll: ['ppoll_time64'],
  io_pgetevents: ['io_pgetevents_time64'],
  recvmmsg: ['recvmmsg_time64'],
  mq_timedsend: ['mq_timedsend_time64'],
  mq_timedreceive: ['mq_timedreceive_time64'],
  semtimedop: ['semtimedop_time64'],
  rt_sigtimedwait: ['rt_sigtimedwait_time64'],
  futex: ['futex_time64'],
  sched_rr_get_interval: ['sched_rr_get_interval_time64'],
});
