import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  BPF_A,
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
  BPF_LDX,
  BPF_MEM,
  BPF_MISC,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  decodeProgram,
  encodeProgram,
  jump,
  stmt,
  type Instruction,
} from './instruction.js';

describe('opcode constants match include/uapi/linux/bpf_common.h and filter.h', () => {
  // Composite values as they appear in real filters (e.g. libseccomp and seccomp-tools dumps).
  test.each([
    ['BPF_LD|BPF_W|BPF_ABS', BPF_LD | BPF_W | BPF_ABS, 0x20],
    ['BPF_JMP|BPF_JEQ|BPF_K', BPF_JMP | BPF_JEQ | BPF_K, 0x15],
    ['BPF_JMP|BPF_JGT|BPF_K', BPF_JMP | BPF_JGT | BPF_K, 0x25],
    ['BPF_JMP|BPF_JGE|BPF_K', BPF_JMP | BPF_JGE | BPF_K, 0x35],
    ['BPF_JMP|BPF_JSET|BPF_K', BPF_JMP | BPF_JSET | BPF_K, 0x45],
    ['BPF_JMP|BPF_JA', BPF_JMP | BPF_JA, 0x05],
    ['BPF_JMP|BPF_JEQ|BPF_X', BPF_JMP | BPF_JEQ | BPF_X, 0x1d],
    ['BPF_RET|BPF_K', BPF_RET | BPF_K, 0x06],
    ['BPF_RET|BPF_A', BPF_RET | BPF_A, 0x16],
    ['BPF_ALU|BPF_AND|BPF_K', BPF_ALU | BPF_AND | BPF_K, 0x54],
    ['BPF_MISC|BPF_TAX', BPF_MISC | BPF_TAX, 0x07],
    ['BPF_MISC|BPF_TXA', BPF_MISC | BPF_TXA, 0x87],
    ['BPF_LD|BPF_MEM', BPF_LD | BPF_MEM, 0x60],
    ['BPF_LDX|BPF_MEM', BPF_LDX | BPF_MEM, 0x61],
    ['BPF_ST', BPF_ST, 0x02],
    ['BPF_STX', BPF_STX, 0x03],
  ])('%s = %d', (_name, value, expected) => {
    expect(value).toBe(expected);
  });
});

describe('encodeProgram / decodeProgram', () => {
  test('little-endian layout is u16 code, u8 jt, u8 jf, u32 k', () => {
    const bytes = encodeProgram([jump(0x15, 0xc000003e, 1, 2)], 'little');
    expect(Array.from(bytes)).toEqual([0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0]);
  });

  test('big-endian layout swaps code and k only', () => {
    const bytes = encodeProgram([jump(0x15, 0xc000003e, 1, 2)], 'big');
    expect(Array.from(bytes)).toEqual([0x00, 0x15, 0x01, 0x02, 0xc0, 0x00, 0x00, 0x3e]);
  });

  test('stmt normalises k to unsigned 32 bits', () => {
    expect(stmt(BPF_RET | BPF_K, -1).k).toBe(0xffffffff);
  });

  test('rejects a length that is not a multiple of 8', () => {
    expect(() => decodeProgram(new Uint8Array(7), 'little')).toThrow(/not a whole number/);
  });

  const insnArb: fc.Arbitrary<Instruction> = fc.record({
    code: fc.integer({ min: 0, max: 0xffff }),
    jt: fc.integer({ min: 0, max: 255 }),
    jf: fc.integer({ min: 0, max: 255 }),
    k: fc.integer({ min: 0, max: 0xffffffff }),
  });

  test.each(['little', 'big', 'host'] as const)('round trip (%s)', (endian) => {
    fc.assert(
      fc.property(fc.array(insnArb, { maxLength: 50 }), (prog) => {
        expect(decodeProgram(encodeProgram(prog, endian), endian)).toEqual(prog);
      }),
    );
  });
});
