/**
 * Disassembler in seccomp-tools' layout: ` line  CODE  JT   JF      K`, one line per instruction with
 * a decoded column (`A = sys_number`, `if (A == 0x3b) goto 0012`, `return ERRNO(1)`). This layer names
 * only `seccomp_data` fields and SECCOMP_RET_* actions; callers add symbolic comments (syscall and
 * AUDIT_ARCH names) through an `annotate` callback.
 */
import {
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
} from './seccomp.js';
import { A_UNKNOWN, flowFacts } from './analysis.js';
import type { Instruction } from './instruction.js';

/** What an annotation is asked about. */
export type AnnotationSubject =
  /** A comparison of A, holding `seccomp_data.nr` or `.arch`, with the constant `value`. */
  | {
      readonly kind: 'compare';
      readonly field: 'nr' | 'arch';
      readonly value: number;
      /** The arch token every path to this instruction tested equal, if known. */
      readonly arch: number | undefined;
    }
  /** A `return K`. */
  | { readonly kind: 'return'; readonly value: number };

/** Returns a short comment for an instruction, or undefined for none. Must not contain a newline. */
export type Annotator = (
  subject: AnnotationSubject,
  pc: number,
  insn: Instruction,
) => string | undefined;

/** Options of `disassemble`. */
export interface DisasmOptions {
  /** Byte order of the target, which decides which word of a u64 field is its high half (default little). */
  readonly endian?: 'little' | 'big';
  /** Adds `# comment` to lines the caller can name. */
  readonly annotate?: Annotator;
  /** Print the two header lines (default true). */
  readonly header?: boolean;
}

/** One decoded instruction. */
export interface DisasmLine {
  /** Instruction index. */
  readonly pc: number;
  /** The four raw fields. */
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
  /** The decoded statement, e.g. `if (A == 0x3b) goto 0012`. */
  readonly text: string;
  /** The annotation, when the callback gave one. */
  readonly comment?: string;
}

/** seccomp-tools' header line. */
export const DISASM_HEADER = ' line  CODE  JT   JF      K\n=================================';

/** Action names, in the spelling used in listings and accepted by the assembler. */
export const ACTION_NAMES: readonly (readonly [string, number])[] = [
  ['KILL_PROCESS', SECCOMP_RET_KILL_PROCESS],
  ['KILL_THREAD', SECCOMP_RET_KILL_THREAD],
  ['TRAP', SECCOMP_RET_TRAP],
  ['ERRNO', SECCOMP_RET_ERRNO],
  ['USER_NOTIF', SECCOMP_RET_USER_NOTIF],
  ['TRACE', SECCOMP_RET_TRACE],
  ['LOG', SECCOMP_RET_LOG],
  ['ALLOW', SECCOMP_RET_ALLOW],
];

/** `0x` + lower-case hex. */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** A pc as seccomp-tools prints it: four decimal digits. */
export function formatPc(pc: number): string {
  return String(pc).padStart(4, '0');
}

/** `ALLOW`, `ERRNO(1)`, `TRACE(5)`, or a hex literal for an action the kernel does not define. */
export function formatReturnValue(ret: number): string {
  const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = ret & SECCOMP_RET_DATA;
  const entry = ACTION_NAMES.find(([, v]) => v === action);
  if (entry === undefined) return hex(ret);
  const [name] = entry;
  return data !== 0 || action === SECCOMP_RET_ERRNO ? `${name}(${data})` : name;
}

/** The name of the `seccomp_data` word at `offset` (`sys_number`, `args[1] >> 32`...). */
export function dataFieldName(offset: number, endian: 'little' | 'big'): string {
  if (offset === 0) return 'sys_number';
  if (offset === 4) return 'arch';
  if (offset >= 64 || (offset & 3) !== 0) return `data[${hex(offset)}]`;
  const field = offset < 16 ? 'instruction_pointer' : `args[${(offset - 16) >> 3}]`;
  const firstWord = (offset & 4) === 0;
  const low = firstWord === (endian === 'little');
  return low ? `${field} & 0xffffffff` : `${field} >> 32`;
}

const ALU_OPS: Readonly<Record<number, string>> = {
  0x00: '+=',
  0x10: '-=',
  0x20: '*=',
  0x30: '/=',
  0x40: '|=',
  0x50: '&=',
  0x60: '<<=',
  0x70: '>>=',
  0x90: '%=',
  0xa0: '^=',
};

const JUMP_OPS: Readonly<Record<number, readonly [string, string]>> = {
  0x10: ['A == $', 'A != $'],
  0x20: ['A > $', 'A <= $'],
  0x30: ['A >= $', 'A < $'],
  0x40: ['A & $', '!(A & $)'],
};

/** The decoded statement for one instruction (no comment). */
export function decodeInstruction(
  insn: Instruction,
  pc: number,
  endian: 'little' | 'big' = 'little',
): string {
  const { code, jt, jf, k } = insn;
  switch (code) {
    case 0x20:
      return `A = ${dataFieldName(k, endian)}`;
    case 0x80:
      return 'A = len';
    case 0x81:
      return 'X = len';
    case 0x00:
      return `A = ${hex(k)}`;
    case 0x01:
      return `X = ${hex(k)}`;
    case 0x60:
      return `A = mem[${k}]`;
    case 0x61:
      return `X = mem[${k}]`;
    case 0x02:
      return `mem[${k}] = A`;
    case 0x03:
      return `mem[${k}] = X`;
    case 0x07:
      return 'X = A';
    case 0x87:
      return 'A = X';
    case 0x84:
      return 'A = -A';
    case 0x06:
      return `return ${formatReturnValue(k)}`;
    case 0x16:
      return 'return A';
    case 0x05:
      return `goto ${formatPc(pc + 1 + k)}`;
    default:
      break;
  }
  if ((code & 0xff07) === 0x04) {
    const op = ALU_OPS[code & 0xf0];
    if (op !== undefined) return `A ${op} ${(code & 0x08) !== 0 ? 'X' : hex(k)}`;
  }
  if ((code & 0xff07) === 0x05) {
    const ops = JUMP_OPS[code & 0xf0];
    if (ops !== undefined) {
      const operand = (code & 0x08) !== 0 ? 'X' : hex(k);
      const [pos, neg] = ops;
      const t = formatPc(pc + 1 + jt);
      const f = formatPc(pc + 1 + jf);
      if (jf === 0) return `if (${pos.replace('$', operand)}) goto ${t}`;
      if (jt === 0) return `if (${neg.replace('$', operand)}) goto ${f}`;
      return `if (${pos.replace('$', operand)}) goto ${t} else goto ${f}`;
    }
  }
  return '???';
}

/** Decode every instruction, with annotations. */
export function disassembleLines(
  prog: readonly Instruction[],
  opts: DisasmOptions = {},
): DisasmLine[] {
  const endian = opts.endian ?? 'little';
  const annotate = opts.annotate;
  const facts = annotate === undefined ? undefined : flowFacts(prog);
  return prog.map((insn, pc) => {
    const text = decodeInstruction(insn, pc, endian);
    let comment: string | undefined;
    if (annotate !== undefined && facts !== undefined) {
      const a = facts.accumulator[pc] ?? A_UNKNOWN;
      const isCmpK =
        (insn.code & 0x07) === 0x05 && (insn.code & 0xf0) !== 0 && (insn.code & 0x08) === 0;
      if (isCmpK && (a === 0 || a === 4)) {
        comment = annotate(
          { kind: 'compare', field: a === 0 ? 'nr' : 'arch', value: insn.k, arch: facts.arch[pc] },
          pc,
          insn,
        );
      } else if (insn.code === 0x06) {
        comment = annotate({ kind: 'return', value: insn.k }, pc, insn);
      }
    }
    const line = { pc, code: insn.code, jt: insn.jt, jf: insn.jf, k: insn.k, text };
    return comment === undefined || comment === ''
      ? line
      : { ...line, comment: comment.replace(/\n/g, ' ') };
  });
}

/** Format one decoded line in seccomp-tools' layout. */
export function formatDisasmLine(line: DisasmLine): string {
  const code = line.code.toString(16).padStart(2, '0');
  const jt = line.jt.toString(16).padStart(2, '0');
  const jf = line.jf.toString(16).padStart(2, '0');
  const k = line.k.toString(16).padStart(8, '0');
  const base = ` ${formatPc(line.pc)}: 0x${code} 0x${jt} 0x${jf} 0x${k}  ${line.text}`;
  return line.comment === undefined ? base : `${base}  # ${line.comment}`;
}

/** The whole listing, header included unless `opts.header` is false; ends with a newline. */
export function disassemble(prog: readonly Instruction[], opts: DisasmOptions = {}): string {
  const lines = disassembleLines(prog, opts).map(formatDisasmLine);
  if (opts.header ?? true) lines.unshift(DISASM_HEADER);
  return lines.join('\n') + '\n';
}
