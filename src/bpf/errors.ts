/** Errors of the BPF layer: invalid programs and emulator input, and assembler source errors. */
import { SeccompToolError } from '../document/errors.js';

/**
 * Why a classic BPF program or an emulator input is refused. The load-time codes name the kernel
 * check that fails (see validate.ts); the others come from the builder, the emulator and codegen.
 */
export type BpfErrorCode =
  /** Zero or more than BPF_MAXINSNS (4096) instructions. */
  | 'invalid-instruction-count'
  /** An opcode outside `chk_code_allowed`'s table. */
  | 'invalid-opcode'
  /** DIV or MOD by the constant 0. */
  | 'division-by-zero'
  /** LSH or RSH by a constant >= 32. */
  | 'invalid-shift'
  /** Scratch memory index >= BPF_MEMWORDS (16). */
  | 'invalid-memory-address'
  /** A jump past the last instruction. */
  | 'invalid-jump-target'
  /** An absolute load at an unknown ancillary offset (k >= SKF_AD_OFF as unsigned). */
  | 'invalid-ancillary-load'
  /** The last instruction is not RET. */
  | 'invalid-last-instruction'
  /** A scratch cell read on some path before any write (`check_load_and_stores`). */
  | 'uninitialized-memory'
  /** A load that is not a 4-byte aligned word inside `seccomp_data`. */
  | 'invalid-load'
  /** An opcode classic BPF allows but `seccomp_check_filter` does not (MOD, H/B/IND loads, MSH...). */
  | 'seccomp-forbidden-opcode'
  /** The byte length is not a whole number of 8-byte sock_filter records. */
  | 'invalid-program-size'
  /** Execution ran past the last instruction (emulator). */
  | 'fell-off-end'
  /** seccomp_data of the wrong size (emulator). */
  | 'invalid-input'
  /** A builder label placed twice. */
  | 'duplicate-label'
  /** A builder label not followed by an instruction. */
  | 'dangling-label'
  /** A builder jump to a label never placed. */
  | 'undefined-label'
  /** A builder jump to a label placed earlier (classic BPF jumps go forward only). */
  | 'backward-jump'
  /** A compiled program longer than BPF_MAXINSNS. */
  | 'program-too-long';

/** An invalid classic BPF program or emulator input (gVisor style: a code and a program counter). */
export class BpfError extends SeccompToolError<BpfErrorCode> {
  /** Instruction index the problem is at, or -1 for the whole program. */
  readonly pc: number;

  constructor(code: BpfErrorCode, pc: number, message: string) {
    super(code, pc >= 0 ? `at l${pc}: ${message}` : message);
    this.pc = pc;
  }
}

/** Why a BPF listing cannot be assembled. */
export type AsmErrorCode =
  /** A statement, operand or number the assembler does not understand. */
  | 'asm-syntax'
  /** A label defined twice or used but never defined. */
  | 'asm-label'
  /** A jump backwards or farther than a conditional jump can reach. */
  | 'asm-range';

/** A BPF listing line that cannot be assembled, with its 1-based line and column. */
export class AsmError extends SeccompToolError<AsmErrorCode> {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;

  constructor(code: AsmErrorCode, line: number, column: number, message: string) {
    super(code, `line ${line}, column ${column}: ${message}`);
    this.line = line;
    this.column = column;
  }
}
