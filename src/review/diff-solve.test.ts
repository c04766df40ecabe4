import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { solveWord, wordSatisfies, type WordLiteral } from './diff-solve.js';

const FULL = 0xffffffff;
const lit = (op: WordLiteral['op'], datum: number, holds = true, mask = FULL): WordLiteral => ({
  op,
  mask,
  datum,
  holds,
});

describe('solveWord', () => {
  test.each<[string, WordLiteral[], number | undefined]>([
    ['nothing asked: zero', [], 0],
    ['equality', [lit('eq', 41)], 41],
    ['contradicting equalities', [lit('eq', 1), lit('eq', 2)], undefined],
    ['equality excluded', [lit('eq', 5), lit('eq', 5, false)], undefined],
    ['interval', [lit('gt', 10), lit('ge', 12, false)], 11],
    ['empty interval', [lit('gt', 10), lit('ge', 11, false)], undefined],
    ['above the top', [lit('gt', FULL)], undefined],
    ['below zero', [lit('ge', 0, false)], undefined],
    [
      'point hole in an interval',
      [lit('ge', 3), lit('gt', 3, false), lit('eq', 3, false)],
      undefined,
    ],
    ['masked equality fixes bits', [lit('eq', 0x20000, true, 0x7e020000)], 0x20000],
    ['masked datum outside the mask never holds', [lit('eq', 3, true, 1)], undefined],
    ['masked datum outside the mask: its negation always holds', [lit('eq', 3, false, 1)], 0],
    ['clone without namespace flags', [lit('eq', 0, false, 0x7e020000)], 0x20000],
    ['jset holds', [lit('set', 0x30)], 0x10],
    ['jset holds, low bit excluded', [lit('set', 0x30), lit('eq', 0x10, false, 0x10)], 0x20],
    ['jset with no bits', [lit('set', 0)], undefined],
    ['jset fails: bits zero', [lit('set', 0x30, false), lit('eq', 0x10, true, 0x10)], undefined],
    [
      'both values of one bit excluded',
      [lit('eq', 0, false, 1), lit('eq', 1, false, 1)],
      undefined,
    ],
    ['masked bound', [lit('gt', 5, true, 0xf), lit('ge', 7, false, 0xf)], 6],
    ['masked bound with a range', [lit('gt', 0x0e, true, 0x0f), lit('ge', 0x20)], 0x2f],
  ])('%s', (_name, lits, expected) => {
    const w = solveWord(lits);
    expect(w).toBe(expected);
    if (w !== undefined) for (const l of lits) expect(wordSatisfies(w, l)).toBe(true);
  });

  // Literals whose data and masks lie in the low 8 bits (or a full mask): every class of words is
  // met in [0, 512), so brute force there decides existence exactly.
  const small = fc.record({
    op: fc.constantFrom<WordLiteral['op']>('eq', 'gt', 'ge', 'set'),
    mask: fc.oneof(fc.constant(FULL), fc.integer({ min: 0, max: 0xff })),
    datum: fc.integer({ min: 0, max: 0xff }),
    holds: fc.boolean(),
  });
  test('agrees with brute force on small words', () => {
    fc.assert(
      fc.property(fc.array(small, { maxLength: 7 }), (lits) => {
        let exists = false;
        for (let w = 0; w < 512 && !exists; w++) exists = lits.every((l) => wordSatisfies(w, l));
        const got = solveWord(lits);
        expect(got !== undefined).toBe(exists);
        if (got !== undefined) expect(lits.every((l) => wordSatisfies(got, l))).toBe(true);
      }),
      { numRuns: 400, seed: 12 },
    );
  });
});
