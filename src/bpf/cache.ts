/**
 * The kernel's constant-action cache (Linux >= 5.11, kernel/seccomp.c `seccomp_cache_prepare_bitmap`
 * and `seccomp_is_const_allow`). When a filter is attached, the kernel runs it once per syscall
 * number knowing only `nr` and `arch`; a number whose path reaches `RET ALLOW` through
 * constant-only instructions gets its bit set and never runs the filters again
 * (docs/semantics.md#kernel-action-cache).
 *
 * Arch-specific exceptions (x86_64 `uretprobe`, always cached since 6.14) live above this layer:
 * classic BPF knows no syscall names.
 */
import { SECCOMP_RET_ALLOW } from './seccomp.js';
import type { Instruction } from './instruction.js';

/**
 * `seccomp_is_const_allow`: whether `prog` returns SECCOMP_RET_ALLOW for (`arch`, `nr`) using only
 * `LD|W|ABS` of nr (offset 0) or arch (offset 4), `JA`, `JEQ/JGE/JGT/JSET` with K, `ALU|AND|K` and
 * `RET|K`. Any other instruction on the path (argument or IP loads, X, RET A, other ALU, LD IMM/MEM)
 * makes the answer false, as does a RET K other than ALLOW.
 */
export function isConstAllow(prog: readonly Instruction[], arch: number, nr: number): boolean {
  let reg = 0;
  const len = prog.length;
  for (let pc = 0; pc < len; pc++) {
    const insn = prog[pc];
    if (insn === undefined) break;
    const k = insn.k;
    switch (insn.code) {
      case 0x20: // BPF_LD|BPF_W|BPF_ABS
        if (k === 0) reg = nr >>> 0;
        else if (k === 4) reg = arch >>> 0;
        else return false; // non-constant value load
        break;
      case 0x06: // BPF_RET|BPF_K
        return k === SECCOMP_RET_ALLOW;
      case 0x05: // BPF_JMP|BPF_JA
        pc += k;
        break;
      case 0x15: // BPF_JMP|BPF_JEQ|BPF_K
        pc += reg === k ? insn.jt : insn.jf;
        break;
      case 0x35: // BPF_JMP|BPF_JGE|BPF_K
        pc += reg >= k ? insn.jt : insn.jf;
        break;
      case 0x25: // BPF_JMP|BPF_JGT|BPF_K
        pc += reg > k ? insn.jt : insn.jf;
        break;
      case 0x45: // BPF_JMP|BPF_JSET|BPF_K
        pc += (reg & k) !== 0 ? insn.jt : insn.jf;
        break;
      case 0x54: // BPF_ALU|BPF_AND|BPF_K
        reg = (reg & k) >>> 0;
        break;
      default:
        return false; // unknown instruction
    }
  }
  return false; // ran off the end
}

/**
 * `seccomp_cache_prepare_bitmap` for one filter and one arch: entry `nr` of the result is 1 when
 * syscall `nr` (0 <= nr < `size`, the arch's NR_syscalls) is cached as always-allowed. `prev` is the
 * bitmap of the previously attached filter (stacked filters can only clear bits); without it every
 * bit starts set, as before any filter.
 */
export function cacheBitmap(
  prog: readonly Instruction[],
  arch: number,
  size: number,
  prev?: Uint8Array,
): Uint8Array {
  const bitmap = new Uint8Array(size);
  for (let nr = 0; nr < size; nr++) {
    if (prev !== undefined && prev[nr] !== 1) continue;
    bitmap[nr] = isConstAllow(prog, arch, nr) ? 1 : 0;
  }
  return bitmap;
}

/** The syscall numbers set in a bitmap from `cacheBitmap`. */
export function cachedNumbers(bitmap: Uint8Array): number[] {
  const out: number[] = [];
  bitmap.forEach((bit, nr) => {
    if (bit === 1) out.push(nr);
  });
  return out;
}
