/**
 * System calls that leave the calling process as it was, whatever their arguments: none has a pointer
 * argument (nothing is written into the caller's memory), none sets an id, a limit, a mask, a signal
 * disposition, a mapping or an open file, and none blocks. Each returns a fact about the process or
 * the machine. Names of every ABI (the i386 `*32` calls included); the list is short on purpose:
 * a name belongs here only when every argument vector is harmless.
 *
 * The prober (run/probe.ts) issues such calls, when a filter lets them run, one after another in one
 * process instead of forking a child for each: none of them can change what a later probe sees.
 */
export const STATE_FREE_SYSCALLS: ReadonlySet<string> = new Set([
  'getpid',
  'getppid',
  'gettid',
  'getuid',
  'geteuid',
  'getgid',
  'getegid',
  'getuid32',
  'geteuid32',
  'getgid32',
  'getegid32',
  'getpgrp',
  'getpgid',
  'getsid',
  'sched_yield',
  'getpriority',
  'sched_getscheduler',
  'sched_get_priority_max',
  'sched_get_priority_min',
  'ioprio_get',
]);
