import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ProgramBuilder } from './builder.js';
import { execute } from './emulate.js';
import { BPF_JA, BPF_JMP, MAX_CONDITIONAL_OFFSET, jump, stmt } from './instruction.js';
import { validate } from './validate.js';

const data = (nr: number) => ({
  nr,
  arch: 0,
  instructionPointer: 0n,
  args: [0n, 0n, 0n, 0n, 0n, 0n] as const,
});

describe('ProgramBuilder', () => {
  test('resolves labels to forward offsets', () => {
    const b = new ProgramBuilder();
    b.ld(0)
      .jeq(1, 'allow', null)
      .jeq(2, 'allow', 'deny')
      .label('deny')
      .ret(0)
      .label('allow')
      .ret(0x7fff0000);
    expect(b.build()).toEqual([
      stmt(0x20, 0),
      jump(0x15, 1, 2, 0),
      jump(0x15, 2, 1, 0),
      stmt(0x06, 0),
      stmt(0x06, 0x7fff0000),
    ]);
  });

  test('ja uses the 32-bit k', () => {
    const b = new ProgramBuilder();
    b.ja('end').ret(1).ret(2).label('end').ret(3);
    expect(b.build()[0]).toEqual(stmt(BPF_JMP | BPF_JA, 2));
  });

  test.each([
    ['undefined-label', (b: ProgramBuilder) => b.ld(0).ja('nowhere').ret(0)],
    ['backward-jump', (b: ProgramBuilder) => b.label('top').ld(0).ja('top').ret(0)],
    ['dangling-label', (b: ProgramBuilder) => b.ret(0).label('end')],
    ['duplicate-label', (b: ProgramBuilder) => b.label('x').ld(0).label('x').ret(0)],
  ])('%s', (code, f) => {
    expect(() => f(new ProgramBuilder()).build()).toThrow(expect.objectContaining({ code }));
  });

  test.each([
    ['true side far', true, false],
    ['false side far', false, true],
    ['both sides far', true, true],
  ])('inserts ja trampolines when the %s', (_name, tFar, fFar) => {
    const b = new ProgramBuilder();
    b.ld(0);
    b.jeq(7, tFar ? 'far_t' : 'near_t', fFar ? 'far_f' : 'near_f');
    b.label('near_t').ret(1);
    b.label('near_f').ret(2);
    for (let i = 0; i < 300; i++) b.ret(100 + i);
    b.label('far_t').ret(3);
    b.label('far_f').ret(4);
    const prog = b.build();
    expect(prog.length).toBe(2 + 2 + 300 + 2 + (tFar ? 1 : 0) + (fFar ? 1 : 0));
    validate(prog);
    for (const insn of prog)
      expect(insn.jt <= MAX_CONDITIONAL_OFFSET && insn.jf <= MAX_CONDITIONAL_OFFSET).toBe(true);
    expect(execute(prog, data(7), 'little').ret).toBe(tFar ? 3 : 1);
    expect(execute(prog, data(8), 'little').ret).toBe(fFar ? 4 : 2);
  });

  test('random chains of far and near jumps keep their meaning', () => {
    // A chain of `if nr == i goto ret_i` tests with the returns after a long padding; the answer for nr = i is i.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 600 }), (n, pad) => {
        const b = new ProgramBuilder();
        b.ld(0);
        for (let i = 0; i < n; i++) b.jeq(i, `r${i}`, null);
        b.ret(0xdead);
        for (let i = 0; i < pad; i++) b.ret(0xbeef);
        for (let i = 0; i < n; i++) b.label(`r${i}`).ret(i);
        const prog = b.build();
        validate(prog);
        for (let i = 0; i < n; i++) expect(execute(prog, data(i), 'little').ret).toBe(i);
        expect(execute(prog, data(n), 'little').ret).toBe(0xdead);
      }),
      { numRuns: 40 },
    );
  });
});
