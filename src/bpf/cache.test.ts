import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { cacheBitmap, cachedNumbers, isConstAllow } from './cache.js';
import { executeWords } from './emulate.js';
import { ProgramBuilder } from './builder.js';
import { jump, stmt, type Instruction } from './instruction.js';
import { programArb, wordsArb } from './arbitrary.test.js';

const ARCH = 0xc000003e;
const ALLOW = 0x7fff0000;
const ERRNO1 = 0x50001;

/** ld arch; jne X86_64 -> kill; ld nr; nr 0,1 allowed; nr 2 allowed if args[0] == 0; else ERRNO(1). */
function sample(): Instruction[] {
  const b = new ProgramBuilder();
  b.ld(4).jeq(ARCH, null, 'kill');
  b.ld(0).jeq(0, 'allow', null).jeq(1, 'allow', null).jeq(2, 'arg', 'deny');
  b.label('arg').ld(16).jeq(0, 'allow', 'deny');
  b.label('deny').ret(ERRNO1);
  b.label('allow').ret(ALLOW);
  b.label('kill').ret(0);
  return b.build();
}

describe('isConstAllow (seccomp_is_const_allow)', () => {
  test.each<[string, number, number, boolean]>([
    ['allowed by number', ARCH, 0, true],
    ['allowed by number (second)', ARCH, 1, true],
    ['depends on an argument', ARCH, 2, false],
    ['denied', ARCH, 3, false],
    ['wrong arch is killed', 0x40000003, 0, false],
  ])('%s', (_name, arch, nr, want) => {
    expect(isConstAllow(sample(), arch, nr)).toBe(want);
  });

  test.each<[string, Instruction[], boolean]>([
    ['ret ALLOW', [stmt(0x06, ALLOW)], true],
    ['ret LOG is not ALLOW', [stmt(0x06, 0x7ffc0000)], false],
    ['ret A clears the bit even when A is ALLOW', [stmt(0x00, ALLOW), stmt(0x16)], false],
    ['ld imm clears the bit', [stmt(0x00, 0), stmt(0x06, ALLOW)], false],
    ['ja is followed', [stmt(0x05, 1), stmt(0x06, 0), stmt(0x06, ALLOW)], true],
    [
      'and k is emulated',
      [stmt(0x20, 0), stmt(0x54, 0), jump(0x15, 0, 0, 1), stmt(0x06, ALLOW), stmt(0x06, 0)],
      true,
    ],
    ['or k is not', [stmt(0x20, 0), stmt(0x44, 0), stmt(0x06, ALLOW)], false],
    ['jeq x is not', [stmt(0x20, 0), jump(0x1d, 0, 0, 0), stmt(0x06, ALLOW)], false],
    ['ip load is not', [stmt(0x20, 8), stmt(0x06, ALLOW)], false],
    ['tax is not', [stmt(0x07), stmt(0x06, ALLOW)], false],
    [
      'jset on nr',
      [stmt(0x20, 0), jump(0x45, 0x40000000, 1, 0), stmt(0x06, ALLOW), stmt(0x06, 0)],
      true,
    ],
  ])('%s', (_name, prog, want) => {
    expect(isConstAllow(prog, ARCH, 5)).toBe(want);
  });

  test('a cached syscall is allowed whatever its arguments (soundness against the emulator)', () => {
    fc.assert(
      fc.property(
        programArb().chain((p) => fc.tuple(fc.constant(p), wordsArb(p))),
        fc.integer({ min: 0, max: 500 }),
        ([prog, words], nr) => {
          words[0] = nr;
          words[1] = ARCH;
          if (isConstAllow(prog, ARCH, nr)) expect(executeWords(prog, words).ret).toBe(ALLOW);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('cacheBitmap (seccomp_cache_prepare_bitmap)', () => {
  test('sets the bits of constant-allowed numbers', () => {
    expect(cachedNumbers(cacheBitmap(sample(), ARCH, 10))).toEqual([0, 1]);
  });

  test('a stacked filter can only clear bits', () => {
    const prev = cacheBitmap(
      [stmt(0x20, 0), jump(0x15, 1, 1, 0), stmt(0x06, ALLOW), stmt(0x06, 0)],
      ARCH,
      10,
    );
    expect(cachedNumbers(prev)).toEqual([0, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(cachedNumbers(cacheBitmap(sample(), ARCH, 10, prev))).toEqual([0]);
  });
});
