/**
 * fast-check arbitraries for valid seccomp programs and inputs biased to their constants
 * (gVisor's "interesting values"), shared by the bpf property tests.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { stmt, type Instruction } from './instruction.js';
import { validate } from './validate.js';

/** Options for `programArb`. */
export interface ProgramArbOptions {
  /** Maximum length before scratch-cell stores are prepended. */
  readonly maxLength?: number;
  /** Allow `ret A` (its value is input-dependent and rarely a known action). */
  readonly retA?: boolean;
  /** Allow DIV/X (division by X == 0 makes the filter return 0). */
  readonly divX?: boolean;
  /** Allow loads of the instruction pointer (a real process cannot choose it). */
  readonly ipLoads?: boolean;
}

const RETURNS = [
  0x7fff0000, 0x00050001, 0x0005000d, 0x00000000, 0x80000000, 0x00030000, 0x7ffc0000, 0x7ff00005,
];
const INTERESTING = [
  0, 1, 2, 3, 4, 0x3b, 0x40000000, 0x7fffffff, 0x80000000, 0xc000003e, 0xffffffff,
];

interface Raw {
  kind: number;
  a: number;
  b: number;
  k: number;
}

const rawArb: fc.Arbitrary<Raw> = fc.record({
  kind: fc.nat(),
  a: fc.nat(),
  b: fc.nat(),
  k: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 0xffffffff })),
});

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40];

/** Map raw draws to one instruction at `pc` of an `n`-instruction program. */
function toInstruction(r: Raw, pc: number, n: number, o: ProgramArbOptions): Instruction {
  const room = n - pc - 2; // largest forward offset that stays in the program
  if (pc === n - 1 || room < 0) {
    return o.retA === true && r.kind % 5 === 0
      ? stmt(0x16)
      : stmt(0x06, RETURNS[r.a % RETURNS.length]);
  }
  const offsets = o.ipLoads === true ? 16 : 14;
  const offset = () => {
    const w = r.a % (offsets + 4);
    if (w >= offsets) return [0, 4, 16, 20][w - offsets] ?? 0;
    return o.ipLoads === true ? 4 * w : w < 2 ? 4 * w : 4 * (w + 2);
  };
  switch (r.kind % 16) {
    case 0:
    case 1:
    case 2:
      return stmt(0x20, offset());
    case 3:
      return stmt(r.a % 2 === 0 ? 0x00 : 0x01, r.k);
    case 4:
      return stmt([0x80, 0x81, 0x07, 0x87, 0x84][r.a % 5] ?? 0x07);
    case 5:
      return stmt(r.a % 2 === 0 ? 0x02 : 0x03, r.b % 16);
    case 6:
      return stmt(r.a % 2 === 0 ? 0x60 : 0x61, r.b % 16);
    case 7: {
      const op = ALU_OPS[r.a % ALU_OPS.length] ?? 0;
      let k = r.k;
      if (op === 0x30 && k === 0) k = 1;
      if (op === 0x60 || op === 0x70) k %= 32;
      return stmt(0x04 | op, k);
    }
    case 8: {
      const op = ALU_OPS[r.a % ALU_OPS.length] ?? 0;
      if (op === 0x30 && o.divX !== true) return stmt(0x04 | 0x08);
      return stmt(0x04 | op | 0x08);
    }
    case 9:
      return { code: 0x05, jt: 0, jf: 0, k: r.b % (room + 1) };
    case 10:
      return stmt(0x06, RETURNS[r.a % RETURNS.length]);
    default: {
      const op = JMP_OPS[r.a % JMP_OPS.length] ?? 0x10;
      const x = r.kind % 7 === 0 ? 0x08 : 0;
      const lim = Math.min(255, room) + 1;
      return { code: 0x05 | op | x, jt: r.b % lim, jf: Math.floor(r.b / 256) % lim, k: r.k };
    }
  }
}

/** Prepend `st M[c]` for every cell read, so the kernel's scratch-memory check passes. */
function initialiseScratch(prog: Instruction[]): Instruction[] {
  const cells = new Set<number>();
  for (const insn of prog) if (insn.code === 0x60 || insn.code === 0x61) cells.add(insn.k);
  return [...[...cells].sort((a, b) => a - b).map((c) => stmt(0x02, c)), ...prog];
}

/** Random programs the kernel accepts. */
export function programArb(o: ProgramArbOptions = {}): fc.Arbitrary<Instruction[]> {
  return fc
    .array(rawArb, { minLength: 1, maxLength: o.maxLength ?? 40 })
    .map((raws) => initialiseScratch(raws.map((r, pc) => toInstruction(r, pc, raws.length, o))));
}

/** Sixteen `seccomp_data` words, each an interesting value, a constant of `prog` (+-1), or random. */
export function wordsArb(prog: readonly Instruction[]): fc.Arbitrary<Uint32Array> {
  const ks = [...new Set(prog.map((i) => i.k))];
  const near = ks.flatMap((k) => [k, (k + 1) >>> 0, (k - 1) >>> 0]);
  const word = fc.oneof(
    fc.constantFrom(...INTERESTING, ...near),
    fc.integer({ min: 0, max: 0xffffffff }),
  );
  return fc.array(word, { minLength: 16, maxLength: 16 }).map((w) => Uint32Array.from(w));
}

/** A program with inputs for it. */
export function programWithInputsArb(
  o: ProgramArbOptions = {},
  inputs = 8,
): fc.Arbitrary<{ prog: Instruction[]; inputs: Uint32Array[] }> {
  return programArb(o).chain((prog) =>
    fc
      .array(wordsArb(prog), { minLength: 1, maxLength: inputs })
      .map((ins) => ({ prog, inputs: ins })),
  );
}

test('generated programs pass the kernel checks', () => {
  fc.assert(
    fc.property(programArb({ retA: true, divX: true, ipLoads: true }), (prog) => {
      validate(prog);
      expect(prog.length).toBeGreaterThan(0);
    }),
    { numRuns: 500 },
  );
});
