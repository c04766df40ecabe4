/**
 * Forward data-flow facts about classic BPF programs. Jumps only go forward, so one pass in pc order
 * sees every predecessor of an instruction before the instruction itself.
 */
import { SECCOMP_DATA_ARCH_OFFSET, SECCOMP_DATA_SIZE } from './seccomp.js';
import type { Instruction } from './instruction.js';

/** `accumulator[pc]` value: A holds nothing known. */
export const A_UNKNOWN = -1;
/** `accumulator[pc]` value: no path reaches this instruction. */
export const A_UNREACHABLE = -2;

/** Facts holding on entry to each instruction, on every path that reaches it. */
export interface FlowFacts {
  /** Offset of the `seccomp_data` word A holds, or A_UNKNOWN, or A_UNREACHABLE. */
  readonly accumulator: Int32Array;
  /** The `seccomp_data.arch` value every path has tested equal, when one is known. */
  readonly arch: readonly (number | undefined)[];
}

/** Whether `code` writes the accumulator A (loads into A, ALU, TXA). */
function writesA(code: number): boolean {
  const cls = code & 0x07;
  return cls === 0x00 || cls === 0x04 || code === 0x87;
}

/** Compute `FlowFacts` for `prog`; out-of-range jump targets are ignored (validate first). */
export function flowFacts(prog: readonly Instruction[]): FlowFacts {
  const n = prog.length;
  const acc = new Int32Array(n).fill(A_UNREACHABLE);
  const arch: (number | undefined | null)[] = new Array<number | undefined | null>(n).fill(null);
  if (n === 0) return { accumulator: acc, arch: [] };
  acc[0] = A_UNKNOWN;
  arch[0] = undefined;
  const merge = (pc: number, a: number, ar: number | undefined): void => {
    if (pc >= n) return;
    const cur = acc[pc] ?? A_UNREACHABLE;
    if (cur === A_UNREACHABLE) {
      acc[pc] = a;
      arch[pc] = ar;
      return;
    }
    if (cur !== a) acc[pc] = A_UNKNOWN;
    if (arch[pc] !== ar) arch[pc] = undefined;
  };
  for (let pc = 0; pc < n; pc++) {
    const a = acc[pc] ?? A_UNREACHABLE;
    if (a === A_UNREACHABLE) continue;
    const ar = arch[pc] ?? undefined;
    const insn = prog[pc];
    if (insn === undefined) break;
    const code = insn.code;
    const cls = code & 0x07;
    if (cls === 0x06) continue; // RET
    if (cls === 0x05) {
      if ((code & 0xf0) === 0x00) {
        merge(pc + 1 + insn.k, a, ar);
      } else {
        // A JEQ K on the arch word pins the arch on the true side.
        const tArch = code === 0x15 && a === SECCOMP_DATA_ARCH_OFFSET ? insn.k : ar;
        merge(pc + 1 + insn.jt, a, tArch);
        merge(pc + 1 + insn.jf, a, ar);
      }
      continue;
    }
    let next = a;
    if (code === 0x20) next = insn.k < SECCOMP_DATA_SIZE && (insn.k & 3) === 0 ? insn.k : A_UNKNOWN;
    else if (writesA(code)) next = A_UNKNOWN;
    merge(pc + 1, next, ar);
  }
  return {
    accumulator: acc,
    arch: arch.map((v) => (v === null ? undefined : v)),
  };
}
