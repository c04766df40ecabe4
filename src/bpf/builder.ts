/**
 * A classic BPF program builder with symbolic labels (gVisor `pkg/bpf/program_builder.go` shape).
 * Jumps name labels; `build()` lays the program out, resolves labels to forward offsets and inserts
 * `ja` trampolines where a conditional target is more than 255 instructions away.
 */
import { BpfError } from './errors.js';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_RET,
  BPF_W,
  MAX_CONDITIONAL_OFFSET,
  isConditionalJump,
  isUnconditionalJump,
  type Instruction,
} from './instruction.js';

/** A jump target: a label name, or `null` for the next instruction (fall through). */
export type JumpTarget = string | null;

/** One emitted instruction before layout. */
interface PendingInstruction {
  /** Opcode. */
  readonly code: number;
  /** Operand (for JA to a label it is filled at layout). */
  readonly k: number;
  /** True target of a conditional, or the target of a JA; undefined for non-jumps. */
  readonly jt?: JumpTarget;
  /** False target of a conditional. */
  readonly jf?: JumpTarget;
}

/** Trampolines needed by one conditional: a `ja` after it for the true side, the false side, or both. */
interface Trampolines {
  t: boolean;
  f: boolean;
}

/**
 * Builds a program from instructions whose jumps name labels. Labels are placed before the next
 * emitted instruction; every jump must go forward (classic BPF has no backward jumps).
 */
export class ProgramBuilder {
  /** Instructions in emission order. */
  private readonly items: PendingInstruction[] = [];
  /** Label name -> index into `items` of the instruction it precedes. */
  private readonly labels = new Map<string, number>();
  /** Counter for `newLabel`. */
  private nextLabel = 0;

  /** Number of instructions emitted so far (before trampolines). */
  get length(): number {
    return this.items.length;
  }

  /** Return a fresh label name that no other call returns; `prefix` only helps debugging. */
  newLabel(prefix = 'L'): string {
    return `.${prefix}${this.nextLabel++}`;
  }

  /** Place `name` before the next emitted instruction. A name may be placed once. */
  label(name: string): this {
    if (this.labels.has(name))
      throw new BpfError('duplicate-label', this.items.length, `label ${name} placed twice`);
    this.labels.set(name, this.items.length);
    return this;
  }

  /** Whether `name` has been placed. */
  hasLabel(name: string): boolean {
    return this.labels.has(name);
  }

  /** Emit a non-jump instruction (`BPF_STMT`). Use `ja`/`jump` for jumps. */
  stmt(code: number, k = 0): this {
    if ((code & 0x07) === BPF_JMP) {
      throw new BpfError(
        'invalid-opcode',
        this.items.length,
        'stmt() cannot emit a jump; use jump() or ja()',
      );
    }
    this.items.push({ code: code & 0xffff, k: k >>> 0 });
    return this;
  }

  /** Emit a conditional jump to labels (`null` = next instruction). */
  jump(code: number, k: number, jt: JumpTarget, jf: JumpTarget): this {
    if (!isConditionalJump(code)) {
      throw new BpfError(
        'invalid-opcode',
        this.items.length,
        `0x${code.toString(16)} is not a conditional jump`,
      );
    }
    this.items.push({ code: code & 0xffff, k: k >>> 0, jt, jf });
    return this;
  }

  /** Emit an unconditional jump to `target`. */
  ja(target: string): this {
    this.items.push({ code: BPF_JMP | BPF_JA, k: 0, jt: target });
    return this;
  }

  /** Emit `A = data[offset]` (`BPF_LD|BPF_W|BPF_ABS`). */
  ld(offset: number): this {
    return this.stmt(BPF_LD | BPF_W | BPF_ABS, offset);
  }

  /** Emit `A &= k`. */
  and(k: number): this {
    return this.stmt(BPF_ALU | BPF_AND | BPF_K, k);
  }

  /** Emit `return k`. */
  ret(k: number): this {
    return this.stmt(BPF_RET | BPF_K, k);
  }

  /** Emit `if (A == k) goto jt else goto jf`. */
  jeq(k: number, jt: JumpTarget, jf: JumpTarget): this {
    return this.jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
  }

  /** Emit `if (A > k) goto jt else goto jf`. */
  jgt(k: number, jt: JumpTarget, jf: JumpTarget): this {
    return this.jump(BPF_JMP | BPF_JGT | BPF_K, k, jt, jf);
  }

  /** Emit `if (A >= k) goto jt else goto jf`. */
  jge(k: number, jt: JumpTarget, jf: JumpTarget): this {
    return this.jump(BPF_JMP | BPF_JGE | BPF_K, k, jt, jf);
  }

  /** Emit `if (A & k) goto jt else goto jf`. */
  jset(k: number, jt: JumpTarget, jf: JumpTarget): this {
    return this.jump(BPF_JMP | BPF_JSET | BPF_K, k, jt, jf);
  }

  /**
   * Lay out the program and return it. Throws `BpfError` for an unknown label
   * (`undefined-label`), a label after the last instruction (`dangling-label`) or a jump that does
   * not go forward (`backward-jump`).
   */
  build(): Instruction[] {
    const n = this.items.length;
    for (const [name, idx] of this.labels) {
      if (idx >= n)
        throw new BpfError(
          'dangling-label',
          idx,
          `label ${name} is not followed by an instruction`,
        );
    }
    const target = (i: number, t: JumpTarget | undefined): number => {
      if (t === null || t === undefined) return i + 1;
      const idx = this.labels.get(t);
      if (idx === undefined)
        throw new BpfError('undefined-label', i, `jump to undefined label ${t}`);
      if (idx <= i)
        throw new BpfError('backward-jump', i, `jump to label ${t} does not go forward`);
      return idx;
    };
    // Targets as item indexes.
    const tTarget = new Int32Array(n);
    const fTarget = new Int32Array(n);
    this.items.forEach((it, i) => {
      if (isUnconditionalJump(it.code)) tTarget[i] = target(i, it.jt);
      else if (isConditionalJump(it.code)) {
        tTarget[i] = target(i, it.jt);
        fTarget[i] = target(i, it.jf);
      }
    });
    // Fixpoint: trampolines only get added, each conditional at most two, so this terminates.
    const tramp: (Trampolines | undefined)[] = new Array<Trampolines | undefined>(n);
    const pos = new Int32Array(n + 1);
    for (;;) {
      let p = 0;
      for (let i = 0; i < n; i++) {
        pos[i] = p;
        const tr = tramp[i];
        p += 1 + (tr?.t ? 1 : 0) + (tr?.f ? 1 : 0);
      }
      pos[n] = p;
      let changed = false;
      for (let i = 0; i < n; i++) {
        const it = this.items[i];
        if (it === undefined || !isConditionalJump(it.code)) continue;
        const tr = tramp[i] ?? { t: false, f: false };
        if (!tr.t && (pos[tTarget[i] ?? 0] ?? 0) - (pos[i] ?? 0) - 1 > MAX_CONDITIONAL_OFFSET) {
          tr.t = true;
          changed = true;
        }
        if (!tr.f && (pos[fTarget[i] ?? 0] ?? 0) - (pos[i] ?? 0) - 1 > MAX_CONDITIONAL_OFFSET) {
          tr.f = true;
          changed = true;
        }
        if (tr.t || tr.f) tramp[i] = tr;
      }
      if (!changed) break;
    }
    const out: Instruction[] = [];
    for (let i = 0; i < n; i++) {
      const it = this.items[i];
      if (it === undefined) continue;
      const here = pos[i] ?? 0;
      if (isUnconditionalJump(it.code)) {
        out.push({ code: it.code, jt: 0, jf: 0, k: (pos[tTarget[i] ?? 0] ?? 0) - here - 1 });
      } else if (isConditionalJump(it.code)) {
        const tr = tramp[i];
        const tAbs = pos[tTarget[i] ?? 0] ?? 0;
        const fAbs = pos[fTarget[i] ?? 0] ?? 0;
        if (tr === undefined) {
          out.push({ code: it.code, jt: tAbs - here - 1, jf: fAbs - here - 1, k: it.k });
        } else {
          // Trampolines sit right after the conditional: true side first, then false side.
          const tSlot = here + 1;
          const fSlot = here + 1 + (tr.t ? 1 : 0);
          const jt = tr.t ? 0 : tAbs - here - 1;
          const jf = tr.f ? fSlot - here - 1 : fAbs - here - 1;
          out.push({ code: it.code, jt, jf, k: it.k });
          if (tr.t) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: tAbs - tSlot - 1 });
          if (tr.f) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: fAbs - fSlot - 1 });
        }
      } else {
        out.push({ code: it.code, jt: 0, jf: 0, k: it.k });
      }
    }
    return out;
  }
}
