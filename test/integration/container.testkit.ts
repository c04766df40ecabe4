/**
 * Shared cases for the container oracle tests (docker, runc, crun): an allowlist profile that permits
 * AF_UNIX sockets only, probes around it, and the check that the filter dumped from a live container
 * decides every probe the way the container's processes really experience it.
 */
import { expect } from 'vitest';
import { execute } from '../../src/bpf/emulate.js';
import { decodeProgram } from '../../src/bpf/instruction.js';
import { dumpFilters, readSeccompStatus } from '../../src/diagnose/inspect.js';
import type { StartedContainer } from '../../src/run/engines/docker.js';
import { formatOutcome, type Probe, type ProbeOutcome } from '../../src/run/probe-format.js';
import { predictOutcome, stackedReturn } from '../../src/run/predict.js';
import { driveProber } from '../../src/run/probe.js';
import { SANDBOX_PROBER } from '../../src/run/rootfs.js';

/**
 * What a runtime's init, a dynamically linked `sleep`, `docker exec`/`runc exec` and the forking
 * prober need on x86_64 (Debian 12: runc 1.1.5, crun 1.8.1, glibc 2.36). restart_syscall matters: the
 * ptrace stop of a filter dump interrupts sleep's clock_nanosleep, which resumes through it.
 */
const BASE_SYSCALLS = [
  'access',
  'arch_prctl',
  'brk',
  'capget',
  'capset',
  'chdir',
  'clock_nanosleep',
  'clone',
  'clone3',
  'close',
  'close_range',
  'dup2',
  'dup3',
  'epoll_create1',
  'epoll_ctl',
  'epoll_pwait',
  'execve',
  'exit',
  'exit_group',
  'faccessat',
  'faccessat2',
  'fchdir',
  'fcntl',
  'fstat',
  'fstatfs',
  'futex',
  'getcwd',
  'getdents64',
  'getegid',
  'geteuid',
  'getgid',
  'getpid',
  'getppid',
  'getrandom',
  'gettid',
  'getuid',
  'ioctl',
  'lseek',
  'madvise',
  'mmap',
  'mprotect',
  'munmap',
  'nanosleep',
  'newfstatat',
  'openat',
  'openat2',
  'pipe2',
  'prctl',
  'pread64',
  'prlimit64',
  'read',
  'readlink',
  'readlinkat',
  'rseq',
  'rt_sigaction',
  'rt_sigprocmask',
  'rt_sigreturn',
  'sched_getaffinity',
  'sched_yield',
  'set_robust_list',
  'set_tid_address',
  'setgid',
  'setgroups',
  'setresgid',
  'setresuid',
  'setsid',
  'setuid',
  'sigaltstack',
  'stat',
  'statfs',
  'tgkill',
  'umask',
  'uname',
  'wait4',
  'waitid',
  'write',
  'alarm',
  'kill',
  'fchown',
  'fchmod',
  'setitimer',
  'getpgrp',
  'getpgid',
  'setpgid',
  'restart_syscall',
  'statx',
];

/**
 * An OCI/Docker profile: ERRNO(EPERM) by default, the base list allowed, socket only for AF_UNIX.
 * `architectures` is given so that runc's ENOSYS stub has an x86_64 section (runc 1.1.5 emits an
 * empty stub when the profile names no architecture).
 */
export const AF_UNIX_ONLY_PROFILE = {
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    { names: BASE_SYSCALLS, action: 'SCMP_ACT_ALLOW' },
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
    },
  ],
};

const NR_SOCKET = 41;
const NR_MKDIRAT = 258;
const NR_CLOSE = 3;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;

/** Probes with the outcome worked out by hand from the profile (and runc's ENOSYS stub). */
export const CONTAINER_PROBES: readonly {
  probe: Probe;
  expected: string | undefined;
  why: string;
  crun?: string;
}[] = [
  {
    probe: { nr: NR_SOCKET, args: [1n, 1n, 0n] },
    expected: undefined,
    why: 'AF_UNIX socket allowed (an fd)',
  },
  { probe: { nr: NR_SOCKET, args: [2n, 1n, 0n] }, expected: 'errno 1', why: 'AF_INET refused' },
  { probe: { nr: NR_SOCKET, args: [10n, 2n, 0n] }, expected: 'errno 1', why: 'AF_INET6 refused' },
  {
    probe: { nr: NR_SOCKET, args: [0x1_0000_0001n, 1n, 0n] },
    expected: 'errno 1',
    why: '64-bit compare: high word set',
  },
  {
    probe: { nr: NR_MKDIRAT, args: [0n, 0n, 0o700n] },
    expected: 'errno 1',
    why: 'not listed: default ERRNO',
  },
  { probe: { nr: NR_CLOSE, args: [0xffffn] }, expected: 'errno 9', why: 'close allowed: EBADF' },
  {
    probe: { nr: 20, abi: 'i386' },
    expected: 'signal 31',
    why: 'i386 not in the profile: bad arch kills',
  },
  {
    probe: { nr: 1000 },
    expected: 'errno 38',
    crun: 'errno 1',
    why: "above the profile's highest number: runc's ENOSYS stub (crun 1.8.1 has none: default ERRNO)",
  },
  {
    probe: { nr: 300 },
    expected: 'errno 1',
    why: 'a hole below the highest number: default ERRNO',
  },
];

/** The seccomp_data the kernel builds for a probe on x86_64. */
function dataFor(p: Probe): {
  nr: number;
  arch: number;
  instructionPointer: bigint;
  args: [bigint, bigint, bigint, bigint, bigint, bigint];
} {
  const args = [0, 1, 2, 3, 4, 5].map((i) =>
    BigInt.asUintN(p.abi === 'i386' ? 32 : 64, p.args?.[i] ?? 0n),
  ) as [bigint, bigint, bigint, bigint, bigint, bigint];
  const nr = p.abi === 'x32' ? p.nr | 0x40000000 : p.nr;
  return {
    nr,
    arch: p.abi === 'i386' ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64,
    instructionPointer: 0n,
    args,
  };
}

/** The outcome each probe should have under `runtime`, `allowed` standing for any allowed call. */
export function expectedDecisions(runtime: 'docker' | 'runc' | 'crun'): string[] {
  return CONTAINER_PROBES.map((c) => {
    const want = runtime === 'crun' ? (c.crun ?? c.expected) : c.expected;
    return want === undefined || want === 'errno 9' ? 'allowed' : want;
  });
}

/** Emulate stacked filters (newest first) on a probe and return the combined return value. */
export function emulateStack(filters: readonly Uint8Array[], p: Probe): number {
  const data = dataFor(p);
  return stackedReturn(filters.map((f) => execute(decodeProgram(f, 'little'), data, 'little').ret));
}

/**
 * Start a container with the AF_UNIX-only profile, dump its filter from the host, probe inside it
 * with `exec`, and check: hand-worked outcomes, and emulation of the dumped filter = real outcomes.
 * `unconfined` runs the same probes without seccomp in the same kind of sandbox (ALLOW baseline).
 */
export async function checkContainerOracle(
  runtime: 'docker' | 'runc' | 'crun',
  start: () => Promise<StartedContainer>,
  unconfined: (probes: readonly Probe[]) => Promise<ProbeOutcome[]>,
): Promise<void> {
  const probes = CONTAINER_PROBES.map((c) => c.probe);
  const baseline = await unconfined(probes);
  const container = await start();
  try {
    const status = await readSeccompStatus(container.pid);
    expect(status.mode).toBe('filter');
    const filters = await dumpFilters(container.pid);
    expect(filters.length).toBe(status.filters);
    expect(filters.length).toBeGreaterThan(0);
    for (const f of filters) expect(f.length).toBeGreaterThan(8);

    const real = await driveProber(
      (args, input) => container.exec([SANDBOX_PROBER, ...args], input, 60_000),
      probes,
      { runtime: 'exec' },
    );
    const realText = real.map(formatOutcome);
    // Hand-worked expectations (the AF_UNIX socket yields some fd).
    CONTAINER_PROBES.forEach((c, i) => {
      const want = runtime === 'crun' ? (c.crun ?? c.expected) : c.expected;
      if (want === undefined) expect(realText[i], c.why).toMatch(/^ok \d+$/);
      else expect(realText[i], c.why).toBe(want);
    });
    // The dumped filter, emulated, predicts every real outcome.
    const emulated = probes.map((p, i) =>
      formatOutcome(
        predictOutcome(emulateStack(filters, p), baseline[i] ?? { kind: 'exit', status: -1 }),
      ),
    );
    expect(emulated).toEqual(realText);
  } finally {
    await container.stop();
  }
}
