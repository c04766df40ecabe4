import { describe, expect, test } from 'vitest';
import { ARCH_NAMES, syscallNumber, type ArchName } from '../arch/index.js';
import {
  criticalSyscalls,
  familiesOf,
  isKnownSyscall,
  riskOf,
  SYSCALL_COMPANIONS,
  SYSCALL_EQUIVALENTS,
  SYSCALL_FAMILIES,
  type SyscallFamily,
} from './index.js';

function family(id: string): SyscallFamily {
  const f = SYSCALL_FAMILIES.find((x) => x.id === id);
  if (f === undefined) throw new Error(`no family ${id}`);
  return f;
}

/** The members of a family an ABI's table has. */
function on(abi: ArchName, id: string): string[] {
  return family(id).members.filter((m) => syscallNumber(abi, m) !== undefined);
}

describe('SYSCALL_FAMILIES: members per ABI, as the arch tables have them', () => {
  // [family, ABI, the members that ABI has]: a member absent on an ABI is skipped there.
  test.each<[string, ArchName, string[]]>([
    ['sleep', 'x86_64', ['nanosleep', 'clock_nanosleep']],
    ['sleep', 'aarch64', ['nanosleep', 'clock_nanosleep']],
    ['sleep', 'x86', ['nanosleep', 'clock_nanosleep', 'clock_nanosleep_time64']],
    ['sleep', 'arm', ['nanosleep', 'clock_nanosleep', 'clock_nanosleep_time64']],
    ['stat', 'x86_64', ['newfstatat', 'statx', 'fstat', 'stat', 'lstat']],
    ['stat', 'aarch64', ['newfstatat', 'statx', 'fstat']],
    [
      'stat',
      'x86',
      ['statx', 'fstat', 'stat', 'lstat', 'fstatat64', 'stat64', 'lstat64', 'fstat64'],
    ],
    ['stat', 'riscv64', ['newfstatat', 'statx', 'fstat']],
    ['poll', 'x86_64', ['poll', 'ppoll', 'select', 'pselect6']],
    ['poll', 'aarch64', ['ppoll', 'pselect6']],
    [
      'poll',
      'x86',
      ['poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6', 'pselect6_time64'],
    ],
    ['poll', 'arm', ['poll', 'ppoll', 'ppoll_time64', '_newselect', 'pselect6', 'pselect6_time64']],
    ['epoll_wait', 'x86_64', ['epoll_wait', 'epoll_pwait', 'epoll_pwait2']],
    ['epoll_wait', 'aarch64', ['epoll_pwait', 'epoll_pwait2']],
    ['dup', 'x86_64', ['dup', 'dup2', 'dup3']],
    ['dup', 'aarch64', ['dup', 'dup3']],
    ['open', 'x86_64', ['openat', 'open', 'creat', 'openat2']],
    ['open', 'aarch64', ['openat', 'openat2']],
    ['getdents', 'aarch64', ['getdents64']],
    ['wait', 'x86_64', ['wait4', 'waitid']],
    ['wait', 'x86', ['wait4', 'waitid', 'waitpid']],
    ['pipe', 'aarch64', ['pipe2']],
    ['accept', 'x86_64', ['accept4', 'accept']],
    ['accept', 'x86', ['accept4']],
    ['signalfd', 'aarch64', ['signalfd4']],
    ['eventfd', 'aarch64', ['eventfd2']],
    ['inotify_init', 'aarch64', ['inotify_init1']],
    ['inotify_init', 'x86_64', ['inotify_init1', 'inotify_init']],
    ['rename', 'x86_64', ['rename', 'renameat', 'renameat2']],
    ['rename', 'aarch64', ['renameat', 'renameat2']],
    ['rename', 'riscv64', ['renameat2']],
    ['ftruncate', 'x86', ['ftruncate', 'ftruncate64']],
    ['ftruncate', 'x86_64', ['ftruncate']],
  ])('%s on %s', (id, abi, members) => {
    expect(on(abi, id)).toEqual(members);
  });

  test('ids are unique; every family has two members or more and a source', () => {
    const ids = SYSCALL_FAMILIES.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of SYSCALL_FAMILIES) {
      expect(new Set(f.members).size, f.id).toBe(f.members.length);
      expect(f.members.length, f.id).toBeGreaterThanOrEqual(2);
      expect(f.source, f.id).toMatch(/glibc|musl|man \d|libuv|kernel/);
    }
  });

  test('every member is a syscall of some ABI and in the knowledge base', () => {
    for (const f of SYSCALL_FAMILIES)
      for (const m of f.members) {
        expect(isKnownSyscall(m), m).toBe(true);
        expect(
          ARCH_NAMES.some((a) => syscallNumber(a, m) !== undefined),
          `${f.id}: ${m}`,
        ).toBe(true);
      }
  });

  test('on every ABI a family is either absent or has a member (never half a name table)', () => {
    // Each family has at least one member on every ABI of the 64-bit and 32-bit mainstream.
    for (const abi of ['x86_64', 'aarch64', 'x86', 'arm', 'riscv64', 'ppc64le', 's390x'] as const)
      for (const f of SYSCALL_FAMILIES) {
        if (f.id === 'uid' || f.id === 'send' || f.id === 'recv') continue; // checked below
        expect(on(abi, f.id).length, `${f.id} on ${abi}`).toBeGreaterThan(0);
      }
    for (const abi of ARCH_NAMES) expect(on(abi, 'send').length).toBeGreaterThan(0);
  });

  test('no member is critical or high risk, and none is a name generation filters by argument', () => {
    const critical = new Set(criticalSyscalls());
    for (const f of SYSCALL_FAMILIES)
      for (const m of f.members) {
        expect(critical.has(m), `${f.id}: ${m} is ${riskOf(m).level}`).toBe(false);
        expect(['socket', 'clone', 'clone3', 'personality'], m).not.toContain(m);
      }
  });

  test('the older-to-newer map used across arch tables agrees with the families', () => {
    // Every SYSCALL_EQUIVALENTS pair that is the same call by another name sits in one family.
    const pairs: [string, string][] = [
      ['open', 'openat'],
      ['stat', 'newfstatat'],
      ['lstat', 'statx'],
      ['poll', 'ppoll'],
      ['select', 'pselect6'],
      ['epoll_wait', 'epoll_pwait'],
      ['pipe', 'pipe2'],
      ['dup2', 'dup3'],
      ['getdents', 'getdents64'],
      ['inotify_init', 'inotify_init1'],
      ['eventfd', 'eventfd2'],
      ['signalfd', 'signalfd4'],
      ['rename', 'renameat2'],
    ];
    for (const [a, b] of pairs) {
      expect(SYSCALL_EQUIVALENTS[a], a).toContain(b);
      expect(
        familiesOf(a).some((f) => f.members.includes(b)),
        `${a} and ${b} in one family`,
      ).toBe(true);
    }
  });

  test('familiesOf: unlinkat is in two families, socket in none', () => {
    expect(familiesOf('unlinkat').map((f) => f.id)).toEqual(['unlink', 'rmdir']);
    expect(familiesOf('socket')).toEqual([]);
  });
});

describe('SYSCALL_COMPANIONS', () => {
  test('each adds only info-level calls the tables have, triggered by real names, with a source', () => {
    for (const c of SYSCALL_COMPANIONS) {
      expect(c.when.length, c.id).toBeGreaterThan(0);
      for (const n of [...c.when.flat(), ...c.add])
        expect(isKnownSyscall(n), `${c.id}: ${n}`).toBe(true);
      for (const n of c.add) expect(riskOf(n).level, `${c.id}: ${n}`).toBe('info');
      expect(c.source, c.id).toMatch(/\S+\.(c|py)|man \d/);
    }
  });
});
