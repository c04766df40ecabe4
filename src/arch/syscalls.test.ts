import { describe, expect, it } from 'vitest';
import { ARCH_NAMES } from './arches.js';
import {
  allSyscallNames,
  IPC_SUBCALLS,
  ipcSubcall,
  libseccompKnows,
  libseccompNumber,
  multiplexerFor,
  requireSyscallNumber,
  socketcallSubcall,
  SOCKETCALL_SUBCALLS,
  syscallEntries,
  syscallEntry,
  syscallInfo,
  syscallName,
  syscallNames,
  syscallArity,
  syscallNumber,
} from './syscalls.js';
import type { ArchName } from './types.js';
import { UsageError } from '../document/errors.js';

describe('syscallNumber / syscallName', () => {
  // Numbers from the kernel's tables (arch/*/entry/syscalls/*.tbl, unistd.h), as in seccomp_data.nr.
  const cases: [ArchName, string, number][] = [
    ['x86_64', 'read', 0],
    ['x86_64', 'socket', 41],
    ['x86_64', 'futex_requeue', 456],
    ['x86', 'socket', 359],
    ['x86', 'socketcall', 102],
    ['x86', 'ipc', 117],
    ['x86', 'shmget', 395],
    ['x32', 'read', 0x40000000],
    ['x32', 'rt_sigaction', 0x40000000 + 512],
    ['x32', 'execve', 0x40000000 + 520],
    ['aarch64', 'openat', 56],
    ['arm', 'socket', 281],
    ['arm', 'cacheflush', 0xf0002],
    ['mips', 'read', 4003],
    ['mipsel', 'socket', 4183],
    ['mips64', 'read', 5000],
    ['mipsel64', 'read', 5000],
    ['mips64n32', 'read', 6000],
    ['mipsel64n32', 'read', 6000],
    ['ppc64le', 'socket', 326],
    ['s390x', 'socket', 359],
    ['s390', 'socketcall', 102],
    ['riscv64', 'riscv_hwprobe', 258],
    ['loongarch64', 'read', 63],
    ['parisc', 'socket', 17],
    ['x86_64', 'statmount', 457],
    ['x86_64', 'uretprobe', 335],
  ];
  it.each(cases)('%s %s = %d', (arch, name, nr) => {
    expect(syscallNumber(arch, name)).toBe(nr);
    expect(syscallName(arch, nr)).toBe(name);
  });

  it('has no direct accept on x86 (only through socketcall)', () => {
    expect(syscallNumber('x86', 'accept')).toBeUndefined();
    expect(syscallNumber('x86_64', 'socketcall')).toBeUndefined();
  });

  it('x32 numbers all carry bit 30, and no other table has it', () => {
    for (const a of ARCH_NAMES) {
      for (const e of syscallEntries(a)) {
        expect((e.nr & 0x40000000) !== 0, `${a} ${e.name}`).toBe(a === 'x32');
      }
    }
  });

  it('mips ABIs stay in their number ranges', () => {
    const ranges: Partial<Record<ArchName, [number, number]>> = {
      mips: [4000, 4999],
      mipsel: [4000, 4999],
      mips64: [5000, 5999],
      mipsel64: [5000, 5999],
      mips64n32: [6000, 6999],
      mipsel64n32: [6000, 6999],
    };
    for (const [a, [lo, hi]] of Object.entries(ranges) as [ArchName, [number, number]][]) {
      for (const e of syscallEntries(a))
        expect(e.nr >= lo && e.nr <= hi, `${a} ${e.name}`).toBe(true);
    }
  });

  it('is a bijection per arch', () => {
    for (const a of ARCH_NAMES) {
      const es = syscallEntries(a);
      expect(new Set(es.map((e) => e.nr)).size).toBe(es.length);
      expect(new Set(es.map((e) => e.name)).size).toBe(es.length);
      for (const e of es) expect(syscallName(a, syscallNumber(a, e.name) ?? -1)).toBe(e.name);
    }
  });

  it('lists names in number order and all names sorted', () => {
    const names = syscallNames('x86_64');
    expect(names.slice(0, 3)).toEqual(['read', 'write', 'open']);
    const all = allSyscallNames();
    expect([...all].sort()).toEqual(all);
    expect(all).toContain('socketcall');
    expect(all).toContain('riscv_hwprobe');
  });
});

describe('kernel versions and libseccomp knowledge', () => {
  it.each([
    ['read', '3.0'],
    ['clone3', '5.3'],
    ['faccessat2', '5.8'],
    ['statmount', '6.8'],
    ['mseal', '6.10'],
    ['uretprobe', '6.11'],
    ['setxattrat', '6.13'],
    ['riscv_hwprobe', '6.4'],
  ])('%s was added in %s', (name, kv) => {
    expect(syscallInfo(name)?.kernel).toBe(kv);
  });

  it('keeps per-arch kernel versions from the csv', () => {
    expect(syscallEntry('x86', 'socket')?.kernel).toBe('3.10');
    expect(syscallEntry('s390x', 'socket')?.kernel).toBe('4.3');
    expect(syscallEntry('x86_64', 'socket')?.kernel).toBe('3.0');
    // The csv's generic-arch columns say 3.0; we take max(syscall version, arch's first release).
    expect(syscallEntry('aarch64', 'clone3')?.kernel).toBe('5.3');
    expect(syscallEntry('loongarch64', 'read')?.kernel).toBe('5.19');
  });

  it('syscallInfo gives per-arch numbers', () => {
    const info = syscallInfo('socket');
    expect(info?.numbers.x86).toBe(359);
    expect(info?.numbers.x86_64).toBe(41);
    expect(info?.numbers.x32).toBe(0x40000000 + 41);
    expect(syscallInfo('no_such_call')).toBeUndefined();
  });

  // Debian's 2.5.4 lacks these names, so runc drops rules for them (docs/semantics.md#runc-unknown-names).
  const newer = [
    'statmount',
    'listmount',
    'mseal',
    'setxattrat',
    'getxattrat',
    'listxattrat',
    'removexattrat',
  ];
  it.each(newer)('%s: known to 2.6, not to 2.5.4', (name) => {
    expect(libseccompKnows('x86_64', name, '2.5.4')).toBe(false);
    expect(libseccompKnows('x86_64', name, '2.6')).toBe(true);
  });

  it('handles uretprobe, riscv_hwprobe, loongarch64 and multiplexed names', () => {
    expect(libseccompKnows('x86_64', 'uretprobe', '2.5.4')).toBe(false);
    expect(libseccompKnows('x86_64', 'uretprobe', '2.6')).toBe(true);
    // 2.6.0 resolves x32 uretprobe although the kernel's x32 table lacks it (measured on the build).
    expect(libseccompKnows('x32', 'uretprobe', '2.6')).toBe(true);
    expect(libseccompKnows('riscv64', 'riscv_hwprobe', '2.5.4')).toBe(false);
    expect(libseccompKnows('loongarch64', 'read', '2.5.4')).toBe(false);
    expect(libseccompKnows('loongarch64', 'read', '2.6')).toBe(true);
    expect(libseccompKnows('x86', 'accept', '2.5.4')).toBe(true);
    expect(libseccompKnows('x86_64', 'read', '2.5.4')).toBe(true);
    expect(libseccompKnows('x86_64', 'socketcall', '2.6')).toBe(false);
  });
});

// What libseccomp 2.6.0, built from its release tarball (scripts/build-oracles.mjs), resolves; the
// whole tables are compared with that build by syscalls.itest.ts.
describe('libseccompNumber', () => {
  it.each([
    ['x86_64', 'read', '2.5.4', 0],
    ['x86_64', 'statmount', '2.5.4', undefined],
    ['x86_64', 'statmount', '2.6', 457],
    ['x86_64', 'open_tree_attr', '2.6', undefined],
    ['aarch64', 'open_tree_attr', '2.6', undefined],
    ['x32', 'uretprobe', '2.6', 0x40000000 + 335],
    ['x32', 'map_shadow_stack', '2.6', 0x40000000 + 453],
    ['x32', 'uretprobe', '2.5.4', undefined],
    ['x86', 'socketcall', '2.6', 102],
    ['x86', 'accept', '2.6', undefined],
  ] as const)('%s %s under %s: %s', (arch, name, version, nr) => {
    expect(libseccompNumber(arch, name, version)).toBe(nr);
  });
});

describe('multiplexers', () => {
  // include/uapi/linux/net.h and include/uapi/linux/ipc.h
  it('has the kernel sub-call numbers', () => {
    expect(socketcallSubcall('socket')).toBe(1);
    expect(socketcallSubcall('accept')).toBe(5);
    expect(socketcallSubcall('sendmmsg')).toBe(20);
    expect(socketcallSubcall('read')).toBeUndefined();
    expect(socketcallSubcall('toString')).toBeUndefined();
    expect(ipcSubcall('semop')).toBe(1);
    expect(ipcSubcall('semtimedop')).toBe(4);
    expect(ipcSubcall('msgsnd')).toBe(11);
    expect(ipcSubcall('shmctl')).toBe(24);
    expect(Object.keys(SOCKETCALL_SUBCALLS)).toHaveLength(20);
    expect(Object.keys(IPC_SUBCALLS)).toHaveLength(12);
  });

  it.each([
    ['x86', 'socket', { syscall: 'socketcall', nr: 102, call: 1 }],
    ['x86', 'shmget', { syscall: 'ipc', nr: 117, call: 23 }],
    ['mips', 'connect', { syscall: 'socketcall', nr: 4102, call: 3 }],
    ['mipsel', 'semop', { syscall: 'ipc', nr: 4117, call: 1 }],
    ['ppc', 'bind', { syscall: 'socketcall', nr: 102, call: 2 }],
    ['ppc64le', 'msgget', { syscall: 'ipc', nr: 117, call: 13 }],
    ['s390', 'recvmmsg', { syscall: 'socketcall', nr: 102, call: 19 }],
    ['s390x', 'socket', { syscall: 'socketcall', nr: 102, call: 1 }],
  ] as const)('%s %s', (arch, name, want) => {
    expect(multiplexerFor(arch, name)).toEqual(want);
  });

  it.each([
    'x86_64',
    'x32',
    'aarch64',
    'arm',
    'mips64',
    'mips64n32',
    'riscv64',
    'loongarch64',
    'parisc',
  ] as const)('%s does not multiplex', (arch) => {
    expect(multiplexerFor(arch, 'socket')).toBeUndefined();
  });

  it('ignores non-socket names', () => {
    expect(multiplexerFor('x86', 'read')).toBeUndefined();
  });
});

describe('requireSyscallNumber', () => {
  it('suggests a close name', () => {
    expect(() => requireSyscallNumber('x86_64', 'opennat')).toThrow(/did you mean openat/);
    expect(() => requireSyscallNumber('x86_64', 'opennat')).toThrow(UsageError);
    expect(() => requireSyscallNumber('aarch64', 'open')).toThrow(/open does not exist on aarch64/);
    expect(requireSyscallNumber('x86_64', 'open')).toBe(2);
  });
});

describe('syscallArity (strace tables)', () => {
  it.each([
    ['x86_64', 'getpid', 0],
    ['x86_64', 'socket', 3],
    ['x86_64', 'pread64', 4],
    ['x86', 'pread64', 5],
    ['aarch64', 'clone3', 2],
    ['x86_64', 'mmap', 6],
  ] as const)('%s %s takes %d', (arch, name, n) => {
    expect(syscallArity(arch, name)).toBe(n);
  });

  // mips o32 passes two aligned 64-bit pairs for fadvise64 and sync_file_range: 7 slots.
  it('every ABI has an arity for most of its syscalls, all within 0-7', () => {
    for (const arch of ARCH_NAMES) {
      const names = syscallNames(arch);
      const known = names.filter((n) => syscallArity(arch, n) !== undefined);
      expect(known.length / names.length, arch).toBeGreaterThan(0.8);
      for (const n of known) expect(syscallArity(arch, n)).toBeLessThanOrEqual(7);
    }
  });

  it('is undefined for a name the ABI does not have', () => {
    expect(syscallArity('aarch64', 'open')).toBeUndefined();
  });
});
