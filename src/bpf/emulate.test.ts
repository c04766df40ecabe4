import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  compileProgram,
  emulate,
  emulateBytes,
  execute,
  executeWords,
  seccompDataWords,
} from './emulate.js';
import { encodeSeccompData, type SeccompData } from './seccomp.js';
import { jump, stmt, type Instruction } from './instruction.js';

const sd = (nr: number, args: readonly bigint[] = [], arch = 0xc000003e, ip = 0n): SeccompData => ({
  nr,
  arch,
  instructionPointer: ip,
  args: [args[0] ?? 0n, args[1] ?? 0n, args[2] ?? 0n, args[3] ?? 0n, args[4] ?? 0n, args[5] ?? 0n],
});

// Opcodes written as numbers on purpose: an independent check of the constants' use in emulate.ts.
const LD_ABS = 0x20,
  RET_K = 0x06,
  RET_A = 0x16,
  JEQ_K = 0x15,
  JA = 0x05;

describe('emulate', () => {
  test.each<[string, Instruction[], SeccompData, 'little' | 'big', number, number[]]>([
    ['return constant', [stmt(RET_K, 0x7fff0000)], sd(0), 'little', 0x7fff0000, [0]],
    ['load nr, return A', [stmt(LD_ABS, 0), stmt(RET_A)], sd(59), 'little', 59, [0, 1]],
    ['load arch', [stmt(LD_ABS, 4), stmt(RET_A)], sd(0), 'little', 0xc000003e, [0, 1]],
    ['negative nr is u32', [stmt(LD_ABS, 0), stmt(RET_A)], sd(-1), 'little', 0xffffffff, [0, 1]],
    [
      'args[0] low word on LE',
      [stmt(LD_ABS, 16), stmt(RET_A)],
      sd(0, [0x1122334455667788n]),
      'little',
      0x55667788,
      [0, 1],
    ],
    [
      'args[0] high word on LE',
      [stmt(LD_ABS, 20), stmt(RET_A)],
      sd(0, [0x1122334455667788n]),
      'little',
      0x11223344,
      [0, 1],
    ],
    [
      'args[0] high word first on BE',
      [stmt(LD_ABS, 16), stmt(RET_A)],
      sd(0, [0x1122334455667788n]),
      'big',
      0x11223344,
      [0, 1],
    ],
    [
      'args[5] low word on LE',
      [stmt(LD_ABS, 56), stmt(RET_A)],
      sd(0, [0n, 0n, 0n, 0n, 0n, 0xabcdefn]),
      'little',
      0xabcdef,
      [0, 1],
    ],
    [
      'ip high word on BE',
      [stmt(LD_ABS, 8), stmt(RET_A)],
      sd(0, [], 0, 0x7fff00000000n),
      'big',
      0x7fff,
      [0, 1],
    ],
    [
      'negative arg is sign-extended by the caller',
      [stmt(LD_ABS, 20), stmt(RET_A)],
      sd(0, [-1n]),
      'little',
      0xffffffff,
      [0, 1],
    ],
    [
      'jeq taken',
      [stmt(LD_ABS, 0), jump(JEQ_K, 59, 1, 0), stmt(RET_K, 1), stmt(RET_K, 2)],
      sd(59),
      'little',
      2,
      [0, 1, 3],
    ],
    [
      'jeq not taken',
      [stmt(LD_ABS, 0), jump(JEQ_K, 59, 1, 0), stmt(RET_K, 1), stmt(RET_K, 2)],
      sd(60),
      'little',
      1,
      [0, 1, 2],
    ],
    ['ja skips', [stmt(JA, 1), stmt(RET_K, 1), stmt(RET_K, 2)], sd(0), 'little', 2, [0, 2]],
    [
      'jgt is unsigned',
      [stmt(LD_ABS, 0), jump(0x25, 5, 0, 1), stmt(RET_K, 1), stmt(RET_K, 2)],
      sd(-1),
      'little',
      1,
      [0, 1, 2],
    ],
    [
      'jge equal',
      [stmt(LD_ABS, 0), jump(0x35, 5, 0, 1), stmt(RET_K, 1), stmt(RET_K, 2)],
      sd(5),
      'little',
      1,
      [0, 1, 2],
    ],
    [
      'jset',
      [stmt(LD_ABS, 0), jump(0x45, 0x40000000, 0, 1), stmt(RET_K, 1), stmt(RET_K, 2)],
      sd(0x40000001),
      'little',
      1,
      [0, 1, 2],
    ],
    [
      'jeq x',
      [stmt(0x01, 7), stmt(LD_ABS, 0), jump(0x1d, 0, 0, 1), stmt(RET_K, 1), stmt(RET_K, 2)],
      sd(7),
      'little',
      1,
      [0, 1, 2, 3],
    ],
    [
      'scratch memory round trip',
      [stmt(0x00, 42), stmt(0x02, 3), stmt(0x00, 0), stmt(0x61, 3), stmt(0x87), stmt(RET_A)],
      sd(0),
      'little',
      42,
      [0, 1, 2, 3, 4, 5],
    ],
    ['ld len is 64', [stmt(0x80), stmt(RET_A)], sd(0), 'little', 64, [0, 1]],
    ['ldx len is 64', [stmt(0x81), stmt(0x87), stmt(RET_A)], sd(0), 'little', 64, [0, 1, 2]],
    ['neg', [stmt(0x00, 1), stmt(0x84), stmt(RET_A)], sd(0), 'little', 0xffffffff, [0, 1, 2]],
    [
      'div by X == 0 returns 0',
      [stmt(0x00, 9), stmt(0x01, 0), stmt(0x3c), stmt(RET_K, 5)],
      sd(0),
      'little',
      0,
      [0, 1, 2],
    ],
    [
      'lsh by X uses the low 5 bits',
      [stmt(0x00, 1), stmt(0x01, 33), stmt(0x6c), stmt(RET_A)],
      sd(0),
      'little',
      2,
      [0, 1, 2, 3],
    ],
  ])('%s', (_name, prog, data, endian, ret, path) => {
    const r = emulate(prog, data, endian);
    expect(r.ret).toBe(ret);
    expect(r.path).toEqual(path);
    expect(r.executed).toBe(path.length);
    expect(execute(prog, data, endian)).toEqual({ ret, executed: path.length });
    expect(emulateBytes(prog, encodeSeccompData(data, endian), endian)).toEqual(r);
  });

  test.each<[string, Instruction[], string]>([
    ['unaligned load', [stmt(LD_ABS, 2), stmt(RET_A)], 'invalid-load'],
    ['load past seccomp_data', [stmt(LD_ABS, 64), stmt(RET_A)], 'invalid-load'],
    ['half-word load', [stmt(0x28, 0), stmt(RET_A)], 'invalid-opcode'],
    ['falls off the end', [stmt(LD_ABS, 0)], 'fell-off-end'],
    ['jump out of range', [stmt(JA, 5), stmt(RET_K, 0)], 'fell-off-end'],
  ])('throws on %s', (_name, prog, code) => {
    expect(() => emulate(prog, sd(0), 'little')).toThrow(expect.objectContaining({ code }));
  });

  // ALU semantics checked against BigInt arithmetic mod 2^32, an independent model.
  const M = 1n << 32n;
  const alu: [string, number, (a: bigint, b: bigint) => bigint | undefined][] = [
    ['add', 0x00, (a, b) => (a + b) % M],
    ['sub', 0x10, (a, b) => (((a - b) % M) + M) % M],
    ['mul', 0x20, (a, b) => (a * b) % M],
    ['div', 0x30, (a, b) => (b === 0n ? undefined : a / b)],
    ['or', 0x40, (a, b) => a | b],
    ['and', 0x50, (a, b) => a & b],
    ['lsh', 0x60, (a, b) => (a << (b % 32n)) % M],
    ['rsh', 0x70, (a, b) => a >> (b % 32n)],
    ['xor', 0xa0, (a, b) => a ^ b],
  ];
  const u32 = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.constantFrom(0, 1, 31, 32, 0x7fffffff, 0x80000000, 0xffffffff),
  );
  test.each(alu)('ALU %s with K and X matches BigInt', (_name, op, model) => {
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        const want = model(BigInt(a), BigInt(b));
        const viaX = [stmt(0x00, a), stmt(0x01, b), stmt(0x04 | op | 0x08), stmt(RET_A)];
        expect(execute(viaX, sd(0), 'little').ret).toBe(want === undefined ? 0 : Number(want));
        if (want !== undefined && !((op === 0x60 || op === 0x70) && b >= 32)) {
          const viaK = [stmt(0x00, a), stmt(0x04 | op, b), stmt(RET_A)];
          expect(execute(viaK, sd(0), 'little').ret).toBe(Number(want));
        }
      }),
    );
  });

  test('seccompDataWords agrees with encodeSeccompData for both byte orders', () => {
    const big = fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        big,
        fc.array(big, { minLength: 6, maxLength: 6 }),
        fc.constantFrom('little' as const, 'big' as const),
        (nr, arch, ip, args, endian) => {
          const data = sd(nr, args, arch, ip);
          const bytes = encodeSeccompData(data, endian);
          const v = new DataView(bytes.buffer);
          const words = seccompDataWords(data, endian);
          for (let i = 0; i < 16; i++)
            expect(words[i]).toBe(v.getUint32(4 * i, endian === 'little'));
          const prog = [stmt(LD_ABS, 0), stmt(RET_A)];
          expect(executeWords(prog, words).ret).toBe(nr >>> 0);
        },
      ),
    );
  });
});

describe('compileProgram', () => {
  test('runs like the instruction array it came from', () => {
    const prog = [stmt(0x20, 0), jump(0x15, 59, 1, 0), stmt(0x06, 1), stmt(0x20, 16), stmt(0x16)];
    const cp = compileProgram(prog);
    for (const nr of [0, 59, 60]) {
      const data = sd(nr, [BigInt(nr) * 3n]);
      expect(emulate(cp, data, 'little')).toEqual(emulate(prog, data, 'little'));
    }
  });
});
