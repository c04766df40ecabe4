/**
 * The kernel's load-time checks for a seccomp filter, in the kernel's order:
 * `seccomp_prepare_filter` (length), net/core/filter.c `bpf_check_classic` (opcodes, constants, jump
 * ranges, last RET, `check_load_and_stores`), then kernel/seccomp.c `seccomp_check_filter` (the
 * seccomp opcode subset and aligned `seccomp_data` loads). A program that passes loads; one that
 * fails gets EINVAL from seccomp(2).
 */
import { BpfError } from './errors.js';
import { SECCOMP_DATA_SIZE } from './seccomp.js';
import { BPF_MAXINSNS, BPF_MEMWORDS, type Instruction } from './instruction.js';

/** `chk_code_allowed` in net/core/filter.c: every opcode classic BPF knows. */
const CLASSIC_CODES: ReadonlySet<number> = new Set([
  // 32-bit ALU, K and X forms: ADD SUB MUL DIV MOD AND OR XOR LSH RSH, and NEG.
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac,
  0x64, 0x6c, 0x74, 0x7c, 0x84,
  // Loads: LD W/H/B ABS, LD W LEN, LD W/H/B IND, LD IMM, LD MEM, LDX W LEN, LDX B MSH, LDX IMM, LDX MEM.
  0x20,
  0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60, 0x81, 0xb1, 0x01, 0x61,
  // Stores, TAX/TXA, RET K/A.
  0x02, 0x03, 0x07, 0x87, 0x06, 0x16,
  // JA and JEQ/JGE/JGT/JSET with K and X.
  0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d,
]);

/**
 * `seccomp_check_filter` in kernel/seccomp.c: the opcodes seccomp accepts (LD W ABS and the two LEN
 * loads are checked or rewritten separately). MOD is absent on purpose (rejected upstream in 2020).
 */
const SECCOMP_CODES: ReadonlySet<number> = new Set([
  0x06,
  0x16, // RET K, RET A
  0x04,
  0x0c,
  0x14,
  0x1c,
  0x24,
  0x2c,
  0x34,
  0x3c, // ADD SUB MUL DIV, K and X
  0x54,
  0x5c,
  0x44,
  0x4c,
  0xa4,
  0xac,
  0x64,
  0x6c,
  0x74,
  0x7c, // AND OR XOR LSH RSH, K and X
  0x84, // NEG
  0x00,
  0x01,
  0x07,
  0x87,
  0x60,
  0x61,
  0x02,
  0x03, // LD/LDX IMM, TAX, TXA, LD/LDX MEM, ST, STX
  0x05,
  0x15,
  0x1d,
  0x35,
  0x3d,
  0x25,
  0x2d,
  0x45,
  0x4d, // jumps
  0x20,
  0x80,
  0x81, // LD W ABS (k checked), LD W LEN, LDX W LEN
]);

/** SKF_AD_OFF (-0x1000) seen as the u32 `k` is compared in `bpf_check_classic`. */
const SKF_AD_OFF_U32 = 0xfffff000;

/** Whether the conditional jump codes of `check_load_and_stores` (all JMP but JA) include `code`. */
function isCondJump(code: number): boolean {
  switch (code) {
    case 0x15:
    case 0x1d:
    case 0x35:
    case 0x3d:
    case 0x25:
    case 0x2d:
    case 0x45:
    case 0x4d:
      return true;
    default:
      return false;
  }
}

/**
 * `check_load_and_stores`: a forward pass with one bit per scratch cell. Jumps merge their
 * known-written set into their targets; note the kernel carries the set across a RET into the next
 * instruction, which this reproduces.
 */
function checkLoadAndStores(prog: readonly Instruction[]): void {
  const flen = prog.length;
  const masks = new Uint16Array(flen).fill(0xffff);
  let memvalid = 0;
  for (let pc = 0; pc < flen; pc++) {
    const insn = prog[pc];
    if (insn === undefined) break;
    memvalid &= masks[pc] ?? 0xffff;
    switch (insn.code) {
      case 0x02: // BPF_ST
      case 0x03: // BPF_STX
        memvalid = (memvalid | (1 << insn.k)) & 0xffff;
        break;
      case 0x60: // BPF_LD|BPF_MEM
      case 0x61: // BPF_LDX|BPF_MEM
        if ((memvalid & (1 << insn.k)) === 0) {
          throw new BpfError(
            'uninitialized-memory',
            pc,
            `M[${insn.k}] may be read before it is written`,
          );
        }
        break;
      case 0x05: {
        const t = pc + 1 + insn.k;
        masks[t] = (masks[t] ?? 0) & memvalid;
        memvalid = 0xffff;
        break;
      }
      default:
        if (isCondJump(insn.code)) {
          const t = pc + 1 + insn.jt;
          const f = pc + 1 + insn.jf;
          masks[t] = (masks[t] ?? 0) & memvalid;
          masks[f] = (masks[f] ?? 0) & memvalid;
          memvalid = 0xffff;
        }
    }
  }
}

/**
 * Check `prog` exactly as seccomp(2) does before loading it; throws `BpfError{code, pc}` at the
 * first failing check (code is a `BpfErrorCode`).
 */
export function validate(prog: readonly Instruction[]): void {
  const flen = prog.length;
  if (flen === 0 || flen > BPF_MAXINSNS) {
    throw new BpfError(
      'invalid-instruction-count',
      -1,
      `${flen} instructions; a filter has 1 to ${BPF_MAXINSNS}`,
    );
  }
  // bpf_check_classic.
  for (let pc = 0; pc < flen; pc++) {
    const { code, jt, jf, k } = prog[pc] ?? { code: 0, jt: 0, jf: 0, k: 0 };
    if (!CLASSIC_CODES.has(code)) {
      throw new BpfError('invalid-opcode', pc, `unknown opcode 0x${code.toString(16)}`);
    }
    switch (code) {
      case 0x34: // DIV K
      case 0x94: // MOD K
        if (k === 0) throw new BpfError('division-by-zero', pc, 'division by constant 0');
        break;
      case 0x64: // LSH K
      case 0x74: // RSH K
        if (k >= 32) throw new BpfError('invalid-shift', pc, `shift by ${k} (must be < 32)`);
        break;
      case 0x60:
      case 0x61:
      case 0x02:
      case 0x03:
        if (k >= BPF_MEMWORDS)
          throw new BpfError('invalid-memory-address', pc, `scratch cell ${k} (must be < 16)`);
        break;
      case 0x05:
        if (k >= flen - pc - 1)
          throw new BpfError('invalid-jump-target', pc, `ja +${k} leaves the program`);
        break;
      case 0x20:
      case 0x28:
      case 0x30:
        // No ancillary load is valid in seccomp (none is below 64), so any k at or above SKF_AD_OFF fails.
        if (k >= SKF_AD_OFF_U32)
          throw new BpfError('invalid-ancillary-load', pc, `ancillary load at 0x${k.toString(16)}`);
        break;
      default:
        if (isCondJump(code) && (pc + jt + 1 >= flen || pc + jf + 1 >= flen)) {
          throw new BpfError('invalid-jump-target', pc, `jump +${jt}/+${jf} leaves the program`);
        }
    }
  }
  const last = prog[flen - 1]?.code;
  if (last !== 0x06 && last !== 0x16) {
    throw new BpfError('invalid-last-instruction', flen - 1, 'the last instruction must be RET');
  }
  checkLoadAndStores(prog);
  // seccomp_check_filter.
  for (let pc = 0; pc < flen; pc++) {
    const { code, k } = prog[pc] ?? { code: 0, k: 0 };
    if (!SECCOMP_CODES.has(code)) {
      throw new BpfError(
        'seccomp-forbidden-opcode',
        pc,
        `opcode 0x${code.toString(16)} is not allowed in seccomp filters`,
      );
    }
    if (code === 0x20 && (k >= SECCOMP_DATA_SIZE || (k & 3) !== 0)) {
      throw new BpfError(
        'invalid-load',
        pc,
        `load at offset ${k}: must be 4-byte aligned and below ${SECCOMP_DATA_SIZE}`,
      );
    }
  }
}

/** Like `validate` but returns the error instead of throwing (undefined when the kernel would accept). */
export function checkProgram(prog: readonly Instruction[]): BpfError | undefined {
  try {
    validate(prog);
    return undefined;
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
}
