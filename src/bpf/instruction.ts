/**
 * Classic BPF instructions: opcode constants spelled as in the kernel headers, the `struct sock_filter`
 * record, and its 8-byte wire encoding. Knows nothing about seccomp or syscalls.
 */
import { BpfError } from './errors.js';

// Instruction classes (include/uapi/linux/bpf_common.h).
/** Class: load into A. */
export const BPF_LD = 0x00;
/** Class: load into X. */
export const BPF_LDX = 0x01;
/** Class: store A into scratch memory. */
export const BPF_ST = 0x02;
/** Class: store X into scratch memory. */
export const BPF_STX = 0x03;
/** Class: arithmetic on A. */
export const BPF_ALU = 0x04;
/** Class: jumps (always forward). */
export const BPF_JMP = 0x05;
/** Class: return. */
export const BPF_RET = 0x06;
/** Class: register transfers (TAX/TXA). */
export const BPF_MISC = 0x07;

// Load sizes (bpf_common.h BPF_SIZE).
/** Size: 32-bit word. */
export const BPF_W = 0x00;
/** Size: 16-bit half word. */
export const BPF_H = 0x08;
/** Size: byte. */
export const BPF_B = 0x10;

// Load modes (bpf_common.h BPF_MODE).
/** Mode: immediate `k`. */
export const BPF_IMM = 0x00;
/** Mode: absolute offset `k` into the input. */
export const BPF_ABS = 0x20;
/** Mode: offset X + k into the input. */
export const BPF_IND = 0x40;
/** Mode: scratch memory cell `k`. */
export const BPF_MEM = 0x60;
/** Mode: input length. */
export const BPF_LEN = 0x80;
/** Mode: IP header length hack (sockets only). */
export const BPF_MSH = 0xa0;

// ALU operations (bpf_common.h BPF_OP).
/** ALU: A += src. */
export const BPF_ADD = 0x00;
/** ALU: A -= src. */
export const BPF_SUB = 0x10;
/** ALU: A *= src. */
export const BPF_MUL = 0x20;
/** ALU: A /= src (unsigned). */
export const BPF_DIV = 0x30;
/** ALU: A |= src. */
export const BPF_OR = 0x40;
/** ALU: A &= src. */
export const BPF_AND = 0x50;
/** ALU: A <<= src. */
export const BPF_LSH = 0x60;
/** ALU: A >>= src (logical). */
export const BPF_RSH = 0x70;
/** ALU: A = -A. */
export const BPF_NEG = 0x80;
/** ALU: A %= src (not allowed by seccomp_check_filter). */
export const BPF_MOD = 0x90;
/** ALU: A ^= src. */
export const BPF_XOR = 0xa0;

// Jump operations (bpf_common.h BPF_OP).
/** Jump always, by 32-bit `k`. */
export const BPF_JA = 0x00;
/** Jump if A == src. */
export const BPF_JEQ = 0x10;
/** Jump if A > src (unsigned). */
export const BPF_JGT = 0x20;
/** Jump if A >= src (unsigned). */
export const BPF_JGE = 0x30;
/** Jump if A & src != 0. */
export const BPF_JSET = 0x40;

// Operand source (bpf_common.h BPF_SRC).
/** Source: the constant `k`. */
export const BPF_K = 0x00;
/** Source: register X. */
export const BPF_X = 0x08;

// Return value source (include/uapi/linux/filter.h BPF_RVAL).
/** Return register A. */
export const BPF_A = 0x10;

// Misc operations (filter.h BPF_MISCOP).
/** X = A. */
export const BPF_TAX = 0x00;
/** A = X. */
export const BPF_TXA = 0x80;

/** Longest program the kernel accepts (bpf_common.h BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Number of scratch memory cells (filter.h BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;
/** Size of one encoded `struct sock_filter`. */
export const SOCK_FILTER_SIZE = 8;
/** Largest conditional jump offset: jt and jf are u8, so a farther target needs a `ja` trampoline. */
export const MAX_CONDITIONAL_OFFSET = 255;

/** Instruction class of an opcode (`BPF_CLASS`). */
export function bpfClass(code: number): number {
  return code & 0x07;
}
/** Load size of an opcode (`BPF_SIZE`). */
export function bpfSize(code: number): number {
  return code & 0x18;
}
/** Load mode of an opcode (`BPF_MODE`). */
export function bpfMode(code: number): number {
  return code & 0xe0;
}
/** ALU or jump operation of an opcode (`BPF_OP`). */
export function bpfOp(code: number): number {
  return code & 0xf0;
}
/** Operand source of an opcode (`BPF_SRC`). */
export function bpfSrc(code: number): number {
  return code & 0x08;
}

/** One `struct sock_filter` (include/uapi/linux/filter.h). */
export interface Instruction {
  /** 16-bit opcode. */
  readonly code: number;
  /** Jump offset when the condition holds (u8), relative to the next instruction. */
  readonly jt: number;
  /** Jump offset when the condition fails (u8), relative to the next instruction. */
  readonly jf: number;
  /** Generic 32-bit operand, always kept as an unsigned number in [0, 2^32). */
  readonly k: number;
}

/** Build a non-jump instruction, like the kernel's `BPF_STMT(code, k)`. */
export function stmt(code: number, k = 0): Instruction {
  return { code: code & 0xffff, jt: 0, jf: 0, k: k >>> 0 };
}

/** Build a jump instruction, like the kernel's `BPF_JUMP(code, k, jt, jf)`. */
export function jump(code: number, k: number, jt: number, jf: number): Instruction {
  return { code: code & 0xffff, jt: jt & 0xff, jf: jf & 0xff, k: k >>> 0 };
}

/** Whether two instructions are identical in all four fields. */
export function sameInstruction(a: Instruction, b: Instruction): boolean {
  return a.code === b.code && a.jt === b.jt && a.jf === b.jf && a.k === b.k;
}

/** Whether `code` is a conditional jump (any JMP except JA). */
export function isConditionalJump(code: number): boolean {
  return bpfClass(code) === BPF_JMP && bpfOp(code) !== BPF_JA;
}

/** Whether `code` is an unconditional jump (`BPF_JMP|BPF_JA`). */
export function isUnconditionalJump(code: number): boolean {
  return code === (BPF_JMP | BPF_JA);
}

/** Whether `code` ends execution (`BPF_RET`). */
export function isReturn(code: number): boolean {
  return bpfClass(code) === BPF_RET;
}

/** Byte order of an encoded program; `host` is the machine running this code. */
export type Endian = 'little' | 'big' | 'host';

/** The byte order of the machine running this code. */
export function hostEndian(): 'little' | 'big' {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'little' : 'big';
}

/** Resolve `host` to the concrete byte order. */
export function resolveEndian(endian: Endian): 'little' | 'big' {
  return endian === 'host' ? hostEndian() : endian;
}

/**
 * Serialize to the bytes of a `struct sock_filter[]`: per instruction u16 code, u8 jt, u8 jf, u32 k,
 * the multi-byte fields in the byte order of the machine that will load the filter.
 */
export function encodeProgram(insns: readonly Instruction[], endian: Endian = 'host'): Uint8Array {
  const le = resolveEndian(endian) === 'little';
  const buf = new Uint8Array(insns.length * SOCK_FILTER_SIZE);
  const v = new DataView(buf.buffer);
  insns.forEach((insn, i) => {
    const o = i * SOCK_FILTER_SIZE;
    v.setUint16(o, insn.code & 0xffff, le);
    v.setUint8(o + 2, insn.jt & 0xff);
    v.setUint8(o + 3, insn.jf & 0xff);
    v.setUint32(o + 4, insn.k >>> 0, le);
  });
  return buf;
}

/** Parse the bytes of a `struct sock_filter[]`; the length must be a multiple of 8. */
export function decodeProgram(bytes: Uint8Array, endian: Endian = 'host'): Instruction[] {
  if (bytes.length % SOCK_FILTER_SIZE !== 0) {
    throw new BpfError(
      'invalid-program-size',
      -1,
      `${bytes.length} bytes is not a whole number of 8-byte sock_filter records`,
    );
  }
  const le = resolveEndian(endian) === 'little';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = [];
  for (let o = 0; o < bytes.length; o += SOCK_FILTER_SIZE) {
    out.push({
      code: v.getUint16(o, le),
      jt: v.getUint8(o + 2),
      jf: v.getUint8(o + 3),
      k: v.getUint32(o + 4, le),
    });
  }
  return out;
}

/**
 * Which fields an opcode ignores, as a bit set: 1 = jt and jf, 2 = k. Non-jumps ignore jt/jf; JA
 * ignores jt/jf; X-source ALU/jumps, NEG, TAX, TXA, RET A and the LEN loads ignore k.
 */
export function ignoredFields(code: number): number {
  const cls = code & 0x07;
  let mask = cls === BPF_JMP && (code & 0xf0) !== BPF_JA ? 0 : 1;
  const src = code & 0x08;
  if (
    (cls === BPF_ALU && (src === BPF_X || (code & 0xf0) === BPF_NEG)) ||
    (cls === BPF_JMP && (code & 0xf0) !== BPF_JA && src === BPF_X) ||
    code === (BPF_MISC | BPF_TAX) ||
    code === (BPF_MISC | BPF_TXA) ||
    code === (BPF_RET | BPF_A) ||
    code === (BPF_LD | BPF_W | BPF_LEN) ||
    code === (BPF_LDX | BPF_W | BPF_LEN)
  ) {
    mask |= 2;
  }
  return mask;
}

/** The instruction with the fields its opcode ignores set to 0 (same behaviour, canonical bytes). */
export function canonicalInstruction(insn: Instruction): Instruction {
  const ignored = ignoredFields(insn.code);
  return {
    code: insn.code,
    jt: (ignored & 1) !== 0 ? 0 : insn.jt,
    jf: (ignored & 1) !== 0 ? 0 : insn.jf,
    k: (ignored & 2) !== 0 ? 0 : insn.k,
  };
}
