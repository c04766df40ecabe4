/**
 * A classic BPF interpreter over `struct seccomp_data`, with the kernel's unsigned 32-bit semantics
 * (net/core/filter.c `bpf_convert_filter` + kernel/bpf/core.c). It runs any program seccomp accepts;
 * it does not validate (see validate.ts) but throws `BpfError` when execution leaves the rules.
 */
import { BpfError } from './errors.js';
import {
  SECCOMP_DATA_ARCH_OFFSET,
  SECCOMP_DATA_ARGS_OFFSET,
  SECCOMP_DATA_IP_OFFSET,
  SECCOMP_DATA_NR_OFFSET,
  SECCOMP_DATA_SIZE,
  type SeccompData,
} from './seccomp.js';
import { BPF_MEMWORDS, resolveEndian, type Endian, type Instruction } from './instruction.js';

/** What one run of a filter produced. */
export interface RunResult {
  /** The filter's 32-bit return value (action and data), unsigned. */
  readonly ret: number;
  /** Instructions executed, the final RET included. */
  readonly executed: number;
}

/** A run with the program counters visited, in order. */
export interface EmulateResult extends RunResult {
  /** Every pc executed, the last one being the RET. */
  readonly path: number[];
}

/** Number of 32-bit words in `struct seccomp_data`. */
export const SECCOMP_DATA_WORDS = SECCOMP_DATA_SIZE / 4;

/**
 * The 16 words a `BPF_LD|BPF_W|BPF_ABS` can read, word i being the u32 at offset 4i in the given byte
 * order: on little-endian machines word 4 is args[0]'s low half, on big-endian its high half.
 */
export function seccompDataWords(
  data: SeccompData,
  endian: Endian,
  out: Uint32Array = new Uint32Array(SECCOMP_DATA_WORDS),
): Uint32Array {
  const le = resolveEndian(endian) === 'little';
  out[SECCOMP_DATA_NR_OFFSET / 4] = data.nr >>> 0;
  out[SECCOMP_DATA_ARCH_OFFSET / 4] = data.arch >>> 0;
  const put = (offset: number, v: bigint): void => {
    const u = BigInt.asUintN(64, v);
    const lo = Number(u & 0xffffffffn);
    const hi = Number(u >> 32n);
    out[offset / 4] = le ? lo : hi;
    out[offset / 4 + 1] = le ? hi : lo;
  };
  put(SECCOMP_DATA_IP_OFFSET, data.instructionPointer);
  for (let i = 0; i < 6; i++) put(SECCOMP_DATA_ARGS_OFFSET + 8 * i, data.args[i] ?? 0n);
  return out;
}

/** The 16 words of a 64-byte `seccomp_data` buffer read in the given byte order. */
export function bytesToWords(bytes: Uint8Array, endian: Endian): Uint32Array {
  if (bytes.length !== SECCOMP_DATA_SIZE) {
    throw new BpfError(
      'invalid-input',
      -1,
      `seccomp_data must be ${SECCOMP_DATA_SIZE} bytes, got ${bytes.length}`,
    );
  }
  const le = resolveEndian(endian) === 'little';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(SECCOMP_DATA_WORDS);
  for (let i = 0; i < SECCOMP_DATA_WORDS; i++) out[i] = v.getUint32(4 * i, le);
  return out;
}

/** Scratch memory shared by all runs (reset per run); runs are synchronous so sharing is safe. */
const scratch = new Uint32Array(BPF_MEMWORDS);

/** Result slot reused by the core loop so that a run allocates nothing per instruction. */
let lastExecuted = 0;

/**
 * The interpreter loop. Returns the return value; the instruction count is left in `lastExecuted`.
 * `path`, when given, receives every pc executed.
 */
function runCore(prog: CompiledProgram, words: Uint32Array, path: number[] | null): number {
  const codes = prog.code;
  const jts = prog.jt;
  const jfs = prog.jf;
  const ks = prog.k;
  const len = codes.length;
  let a = 0;
  let x = 0;
  let pc = 0;
  let executed = 0;
  scratch.fill(0);
  for (;;) {
    if (pc >= len) {
      lastExecuted = executed;
      throw new BpfError('fell-off-end', pc, 'execution ran past the last instruction');
    }
    const k = ks[pc] ?? 0;
    const code = codes[pc] ?? 0xffff;
    executed++;
    if (path !== null) path.push(pc);
    switch (code) {
      // Loads into A.
      case 0x20: // BPF_LD|BPF_W|BPF_ABS
        if (k >= SECCOMP_DATA_SIZE || (k & 3) !== 0) {
          throw new BpfError(
            'invalid-load',
            pc,
            `load of offset ${k} is outside seccomp_data or unaligned`,
          );
        }
        a = words[k >>> 2] ?? 0;
        break;
      case 0x80: // BPF_LD|BPF_W|BPF_LEN: seccomp_check_filter rewrites it to LD IMM 64
        a = SECCOMP_DATA_SIZE;
        break;
      case 0x00: // BPF_LD|BPF_IMM
        a = k;
        break;
      case 0x60: // BPF_LD|BPF_MEM
        a = scratch[k & 15] ?? 0;
        break;
      // Loads into X.
      case 0x81: // BPF_LDX|BPF_W|BPF_LEN
        x = SECCOMP_DATA_SIZE;
        break;
      case 0x01: // BPF_LDX|BPF_IMM
        x = k;
        break;
      case 0x61: // BPF_LDX|BPF_MEM
        x = scratch[k & 15] ?? 0;
        break;
      // Stores.
      case 0x02: // BPF_ST
        scratch[k & 15] = a;
        break;
      case 0x03: // BPF_STX
        scratch[k & 15] = x;
        break;
      // ALU with K.
      case 0x04: // ADD K
        a = (a + k) >>> 0;
        break;
      case 0x14: // SUB K
        a = (a - k) >>> 0;
        break;
      case 0x24: // MUL K
        a = Math.imul(a, k) >>> 0;
        break;
      case 0x34: // DIV K (k != 0 is a load-time check)
        if (k === 0) {
          lastExecuted = executed;
          return 0;
        }
        a = Math.floor(a / k) >>> 0;
        break;
      case 0x94: // MOD K
        if (k === 0) {
          lastExecuted = executed;
          return 0;
        }
        a = (a % k) >>> 0;
        break;
      case 0x44: // OR K
        a = (a | k) >>> 0;
        break;
      case 0x54: // AND K
        a = (a & k) >>> 0;
        break;
      case 0xa4: // XOR K
        a = (a ^ k) >>> 0;
        break;
      case 0x64: // LSH K (k < 32 is a load-time check)
        a = (a << k) >>> 0;
        break;
      case 0x74: // RSH K
        a = a >>> k;
        break;
      case 0x84: // NEG
        a = -a >>> 0;
        break;
      // ALU with X. Division by X == 0 makes the filter return 0 (bpf_convert_filter inserts that check).
      case 0x0c:
        a = (a + x) >>> 0;
        break;
      case 0x1c:
        a = (a - x) >>> 0;
        break;
      case 0x2c:
        a = Math.imul(a, x) >>> 0;
        break;
      case 0x3c:
        if (x === 0) {
          lastExecuted = executed;
          return 0;
        }
        a = Math.floor(a / x) >>> 0;
        break;
      case 0x9c:
        if (x === 0) {
          lastExecuted = executed;
          return 0;
        }
        a = (a % x) >>> 0;
        break;
      case 0x4c:
        a = (a | x) >>> 0;
        break;
      case 0x5c:
        a = (a & x) >>> 0;
        break;
      case 0xac:
        a = (a ^ x) >>> 0;
        break;
      // Shifts by X use the low 5 bits, as the eBPF interpreter and the JITs do for 32-bit ALU ops.
      case 0x6c:
        a = (a << (x & 31)) >>> 0;
        break;
      case 0x7c:
        a = a >>> (x & 31);
        break;
      // Jumps (forward only; offsets relative to the next instruction).
      case 0x05: // JA
        pc += k;
        break;
      case 0x15: // JEQ K
        pc += a === k ? (jts[pc] ?? 0) : (jfs[pc] ?? 0);
        break;
      case 0x25: // JGT K
        pc += a > k ? (jts[pc] ?? 0) : (jfs[pc] ?? 0);
        break;
      case 0x35: // JGE K
        pc += a >= k ? (jts[pc] ?? 0) : (jfs[pc] ?? 0);
        break;
      case 0x45: // JSET K
        pc += (a & k) !== 0 ? (jts[pc] ?? 0) : (jfs[pc] ?? 0);
        break;
      case 0x1d: // JEQ X
        pc += a === x ? (jts[pc] ?? 0) : (jfs[pc] ?? 0);
        break;
      case 0x2d: // JGT X
        pc += a > x ? (jts[pc] ?? 0) : (jfs[pc] ?? 0);
        break;
      case 0x3d: // JGE X
        pc += a >= x ? (jts[pc] ?? 0) : (jfs[pc] ?? 0);
        break;
      case 0x4d: // JSET X
        pc += (a & x) !== 0 ? (jts[pc] ?? 0) : (jfs[pc] ?? 0);
        break;
      // Returns.
      case 0x06: // RET K
        lastExecuted = executed;
        return k;
      case 0x16: // RET A
        lastExecuted = executed;
        return a;
      // Misc.
      case 0x07: // TAX
        x = a;
        break;
      case 0x87: // TXA
        a = x;
        break;
      default:
        lastExecuted = executed;
        throw new BpfError(
          'invalid-opcode',
          pc,
          `opcode 0x${code.toString(16)} is not allowed in seccomp filters`,
        );
    }
    pc++;
  }
}

/**
 * A program in struct-of-arrays form for fast repeated runs. Build it once with `compileProgram`
 * and pass it instead of the instruction array when running many inputs.
 */
export interface CompiledProgram {
  /** Opcodes. */
  readonly code: Uint16Array;
  /** True offsets. */
  readonly jt: Uint8Array;
  /** False offsets. */
  readonly jf: Uint8Array;
  /** Operands. */
  readonly k: Uint32Array;
}

/** Convert `prog` to the form the interpreter runs (a copy: later changes to `prog` are not seen). */
export function compileProgram(prog: readonly Instruction[]): CompiledProgram {
  const n = prog.length;
  const out = {
    code: new Uint16Array(n),
    jt: new Uint8Array(n),
    jf: new Uint8Array(n),
    k: new Uint32Array(n),
  };
  prog.forEach((insn, i) => {
    out.code[i] = insn.code;
    out.jt[i] = insn.jt;
    out.jf[i] = insn.jf;
    out.k[i] = insn.k;
  });
  return out;
}

function compiled(prog: readonly Instruction[] | CompiledProgram): CompiledProgram {
  return 'code' in prog ? prog : compileProgram(prog);
}

/**
 * Run `prog` on pre-split words (see `seccompDataWords`); no path recorded. The fastest entry
 * point when `prog` is a `CompiledProgram` (about 10^8 instructions per second).
 */
export function executeWords(
  prog: readonly Instruction[] | CompiledProgram,
  words: Uint32Array,
): RunResult {
  const ret = runCore(compiled(prog), words, null) >>> 0;
  return { ret, executed: lastExecuted };
}

/** Run `prog` on `data` without recording the path. */
export function execute(
  prog: readonly Instruction[] | CompiledProgram,
  data: SeccompData,
  endian: Endian,
): RunResult {
  return executeWords(prog, seccompDataWords(data, endian));
}

/** Run `prog` on `data` and record every pc executed. */
export function emulate(
  prog: readonly Instruction[] | CompiledProgram,
  data: SeccompData,
  endian: Endian,
): EmulateResult {
  const path: number[] = [];
  const ret = runCore(compiled(prog), seccompDataWords(data, endian), path) >>> 0;
  return { ret, executed: lastExecuted, path };
}

/** Run `prog` on a raw 64-byte `seccomp_data` buffer in the given byte order, recording the path. */
export function emulateBytes(
  prog: readonly Instruction[] | CompiledProgram,
  bytes: Uint8Array,
  endian: Endian,
): EmulateResult {
  const path: number[] = [];
  const ret = runCore(compiled(prog), bytesToWords(bytes, endian), path) >>> 0;
  return { ret, executed: lastExecuted, path };
}
