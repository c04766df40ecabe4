/**
 * Probe values shared by the compiler's differential tests (libseccomp, kernel, Docker, codegen):
 * argument values built from each rule's constants, and a deterministic generator.
 */
import type { SeccompData } from '../../src/bpf/seccomp.js';
import type { ArgCondition, OpName } from '../../src/profile/types.js';

/** Every comparison operator runc accepts. */
export const OPS: readonly OpName[] = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
];

/**
 * The argument values worth probing for a set of rules: each constant (value, valueTwo, their
 * masked forms) minus one, itself, plus one, with the upper half set, and with the upper half
 * flipped, plus the edges of the 32- and 64-bit ranges.
 */
export function interestingValues(
  rules: readonly { readonly args: readonly ArgCondition[] }[],
): bigint[] {
  const s = new Set<bigint>([0n, 1n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn]);
  for (const r of rules) {
    for (const a of r.args) {
      for (const v of [a.value, a.valueTwo, a.value & a.valueTwo, a.valueTwo | ~a.value]) {
        for (const w of [v - 1n, v, v + 1n, v | 0x100000000n, v ^ 0xffffffff00000000n]) {
          s.add(BigInt.asUintN(64, w));
        }
      }
    }
  }
  return [...s];
}

/** Deterministic xorshift32 generator (never 0). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/**
 * What the prober needs, on x86_64, to start and fork under `bwrap --seccomp` (strace of bwrap 0.8 and
 * the static prober; bwrap's pid 1 waits and writes under the filter too).
 */
export const HARNESS: readonly string[] = [
  'execve',
  'brk',
  'arch_prctl',
  'set_tid_address',
  'set_robust_list',
  'rseq',
  'prlimit64',
  'readlink',
  'getrandom',
  'mprotect',
  'newfstatat',
  'read',
  'mmap',
  'munmap',
  'rt_sigaction',
  'rt_sigreturn',
  'write',
  'clone',
  'wait4',
  'alarm',
  'exit',
  'exit_group',
];
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const X32_SYSCALL_BIT = 0x40000000;

/**
 * Probes: x86_64 numbers 0-470 and a few edges, x32 numbers (bit 30) 0-560, i386 numbers 0-470, an
 * unknown arch; each with `perNr` argument vectors from the profile's constants (i386 cut to 32 bits).
 */
export function* probes(values: readonly bigint[], perNr: number): Generator<SeccompData> {
  const next = rng(values.length * 131 + perNr);
  const pick = (): bigint => values[next() % values.length] ?? 0n;
  const sections: readonly [number, readonly number[], number][] = [
    [
      AUDIT_ARCH_X86_64,
      [...Array.from({ length: 471 }, (_, i) => i), 500, 1000, 0x3fffffff, 0xffffffff],
      64,
    ],
    [
      AUDIT_ARCH_X86_64,
      [...Array.from({ length: 561 }, (_, i) => X32_SYSCALL_BIT + i), X32_SYSCALL_BIT + 1000],
      64,
    ],
    [AUDIT_ARCH_I386, [...Array.from({ length: 471 }, (_, i) => i), 1000], 32],
    [AUDIT_ARCH_AARCH64, [0, 63, 198], 64],
  ];
  for (const [arch, nrs, width] of sections) {
    for (const nr of nrs) {
      for (let k = 0; k < perNr; k++) {
        const raw = k === 0 ? [] : [pick(), pick(), pick(), k % 4 === 0 ? pick() : 0n];
        const args = [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(width, raw[i] ?? 0n));
        yield {
          nr: nr | 0,
          arch,
          instructionPointer: 0n,
          args: args as unknown as SeccompData['args'],
        };
      }
    }
  }
}

/** A short text for a probe. */
export function describeProbe(d: SeccompData): string {
  const abi =
    d.arch === AUDIT_ARCH_I386
      ? 'i386'
      : d.arch !== AUDIT_ARCH_X86_64
        ? `arch 0x${d.arch.toString(16)}`
        : (d.nr & X32_SYSCALL_BIT) !== 0
          ? 'x32'
          : 'x86_64';
  return `${abi} nr=${d.nr >>> 0} args=${d.args.map((a) => '0x' + a.toString(16)).join(',')}`;
}

/** `0x` and the unsigned hex of a filter return value. */
export const hex = (n: number): string => '0x' + (n >>> 0).toString(16);
