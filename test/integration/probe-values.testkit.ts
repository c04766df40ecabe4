/**
 * Probe values shared by the compiler's differential tests (libseccomp, kernel, Docker, codegen):
 * argument values built from each rule's constants, and a deterministic generator.
 */
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
