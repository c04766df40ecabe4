import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  mergeIdenticalReturns,
  optimize,
  removeDeadCode,
  removeRedundantLoads,
  removeZeroLengthJumps,
  simplifySameTargetConditionals,
  threadJumps,
  type OptimizerPass,
} from './optimize.js';
import { executeWords } from './emulate.js';
import { ProgramBuilder } from './builder.js';
import { jump, stmt, type Instruction } from './instruction.js';
import { checkProgram } from './validate.js';
import { programWithInputsArb } from './arbitrary.test.js';

const ld = (k: number) => stmt(0x20, k);
const ret = (k: number) => stmt(0x06, k);
const ja = (k: number) => stmt(0x05, k);
const jeq = (k: number, jt: number, jf: number) => jump(0x15, k, jt, jf);

interface Case {
  readonly name: string;
  readonly pass: OptimizerPass;
  readonly before: Instruction[];
  readonly after: Instruction[];
}

// gVisor optimizer_test.go style: each pass on instructions before and after.
const cases: Case[] = [
  {
    name: 'threadJumps: conditional to ja goes to the ja target',
    pass: threadJumps,
    before: [ld(0), jeq(1, 1, 0), ret(1), ja(1), ret(2), ret(3)],
    after: [ld(0), jeq(1, 3, 0), ret(1), ret(3), ret(2), ret(3)],
  },
  {
    name: 'threadJumps: ja to ret becomes the ret',
    pass: threadJumps,
    before: [ld(0), jeq(1, 0, 1), ja(1), ret(1), ret(2)],
    after: [ld(0), jeq(1, 2, 1), ret(2), ret(1), ret(2)],
  },
  {
    name: 'threadJumps: both sides through ja chains',
    pass: threadJumps,
    before: [ld(0), jeq(1, 0, 2), ja(2), ret(9), ja(0), ld(4), ret(2)],
    after: [ld(0), jeq(1, 3, 3), ja(2), ret(9), ja(0), ld(4), ret(2)],
  },
  {
    name: 'threadJumps: nothing to do',
    pass: threadJumps,
    before: [ld(0), jeq(1, 0, 1), ret(1), ret(2)],
    after: [ld(0), jeq(1, 0, 1), ret(1), ret(2)],
  },
  {
    name: 'simplifySameTargetConditionals',
    pass: simplifySameTargetConditionals,
    before: [ld(0), jeq(1, 1, 1), ret(1), ret(2)],
    after: [ld(0), ja(1), ret(1), ret(2)],
  },
  {
    name: 'removeZeroLengthJumps re-aims jumps over the removed ja',
    pass: removeZeroLengthJumps,
    before: [ld(0), jeq(1, 1, 0), ja(0), ret(1)],
    after: [ld(0), jeq(1, 0, 0), ret(1)],
  },
  {
    name: 'removeDeadCode',
    pass: removeDeadCode,
    before: [ld(0), jeq(1, 2, 3), ret(1), ret(2), ret(3), ret(4), ret(5)],
    after: [ld(0), jeq(1, 0, 1), ret(3), ret(4)],
  },
  {
    name: 'removeRedundantLoads: the same word on every path',
    pass: removeRedundantLoads,
    before: [ld(0), jeq(1, 0, 1), ret(1), ld(0), jeq(2, 0, 1), ret(2), ret(3)],
    after: [ld(0), jeq(1, 0, 1), ret(1), jeq(2, 0, 1), ret(2), ret(3)],
  },
  {
    name: 'removeRedundantLoads: keeps a load after A changed on one path',
    pass: removeRedundantLoads,
    before: [ld(0), jeq(1, 0, 1), stmt(0x54, 1), ld(0), ret(1)],
    after: [ld(0), jeq(1, 0, 1), stmt(0x54, 1), ld(0), ret(1)],
  },
  {
    name: 'removeRedundantLoads: a jump into the removed load lands on the next instruction',
    pass: removeRedundantLoads,
    before: [ld(4), jeq(7, 0, 1), ld(4), ld(4), ret(1)],
    after: [ld(4), jeq(7, 0, 0), ret(1)],
  },
  {
    name: 'mergeIdenticalReturns re-aims at the last copy',
    pass: mergeIdenticalReturns,
    before: [ld(0), jeq(1, 0, 1), ret(7), jeq(2, 0, 1), ret(8), ret(7)],
    after: [ld(0), jeq(1, 3, 1), ret(7), jeq(2, 0, 1), ret(8), ret(7)],
  },
];

describe('optimizer passes', () => {
  test.each(cases)('$name', ({ pass, before, after }) => {
    const r = pass(before);
    expect(r.prog).toEqual(after);
    expect(r.changed).toBe(JSON.stringify(before) !== JSON.stringify(after));
  });
});

describe('optimize', () => {
  test('libseccomp-shaped chain shrinks to one return per action', () => {
    const b = new ProgramBuilder();
    b.ld(4).jeq(0xc000003e, null, 'kill');
    b.ld(0);
    for (let nr = 0; nr < 5; nr++) {
      const next = b.newLabel();
      b.jeq(nr, null, next).ret(0x7fff0000).label(next).ld(0);
    }
    b.ret(0x50001).label('kill').ret(0);
    const { prog, stats } = optimize(b.build());
    expect(prog).toEqual([
      ld(4),
      jeq(0xc000003e, 0, 8),
      ld(0),
      jeq(0, 4, 0),
      jeq(1, 3, 0),
      jeq(2, 2, 0),
      jeq(3, 1, 0),
      jeq(4, 0, 1),
      ret(0x7fff0000),
      ret(0x50001),
      ret(0),
    ]);
    expect(stats.before).toBe(20);
    expect(stats.after).toBe(11);
  });

  test('keeps what programs return and keeps them loadable', () => {
    fc.assert(
      fc.property(
        programWithInputsArb({ retA: true, divX: true, ipLoads: true, maxLength: 60 }, 16),
        ({ prog, inputs }) => {
          const { prog: opt } = optimize(prog);
          expect(checkProgram(opt)).toBeUndefined();
          expect(opt.length).toBeLessThanOrEqual(prog.length);
          for (const words of inputs) {
            const a = executeWords(prog, words);
            const b = executeWords(opt, words);
            expect(b.ret).toBe(a.ret);
            expect(b.executed).toBeLessThanOrEqual(a.executed);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('is a fixpoint', () => {
    fc.assert(
      fc.property(programWithInputsArb({ maxLength: 60 }, 1), ({ prog }) => {
        const once = optimize(prog).prog;
        expect(optimize(once).prog).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });
});
