import { describe, expect, test } from 'vitest';
import { checkProgram, validate } from './validate.js';
import { jump, stmt, type Instruction } from './instruction.js';

const RET = stmt(0x06, 0x7fff0000);

describe('validate (bpf_check_classic + seccomp_check_filter)', () => {
  test.each<[string, Instruction[]]>([
    ['single return', [RET]],
    ['return A', [stmt(0x20, 0), stmt(0x16)]],
    ['load every aligned word', [...Array.from({ length: 16 }, (_, i) => stmt(0x20, 4 * i)), RET]],
    ['ld len and ldx len', [stmt(0x80), stmt(0x81), RET]],
    ['store then load', [stmt(0x02, 15), stmt(0x60, 15), RET]],
    [
      'store on both branches',
      [jump(0x15, 1, 0, 2), stmt(0x02, 3), stmt(0x05, 1), stmt(0x02, 3), stmt(0x61, 3), RET],
    ],
    // The kernel carries the written set across a RET into the next instruction (no jump lands there).
    ['kernel quirk: write before an unreachable read', [stmt(0x02, 0), RET, stmt(0x60, 0), RET]],
    ['jump to the last instruction', [jump(0x15, 0, 1, 1), RET, RET]],
    ['ja to the last instruction', [stmt(0x05, 1), RET, RET]],
    ['4096 instructions', Array.from({ length: 4096 }, () => RET)],
    ['shift by 31', [stmt(0x64, 31), stmt(0x74, 31), RET]],
  ])('accepts: %s', (_name, prog) => {
    expect(checkProgram(prog)).toBeUndefined();
  });

  test.each<[string, Instruction[], string, number]>([
    ['empty', [], 'invalid-instruction-count', -1],
    ['4097 instructions', Array.from({ length: 4097 }, () => RET), 'invalid-instruction-count', -1],
    ['unknown opcode', [stmt(0xff), RET], 'invalid-opcode', 0],
    ['RET X is not an opcode', [stmt(0x0e), RET], 'invalid-opcode', 0],
    ['div by constant 0', [stmt(0x34, 0), RET], 'division-by-zero', 0],
    ['mod by constant 0 (classic check first)', [stmt(0x94, 0), RET], 'division-by-zero', 0],
    ['shift by 32', [RET, stmt(0x64, 32), RET], 'invalid-shift', 1],
    ['scratch cell 16', [stmt(0x02, 16), RET], 'invalid-memory-address', 0],
    ['ja past the end', [stmt(0x05, 1), RET], 'invalid-jump-target', 0],
    ['jt past the end', [jump(0x15, 0, 1, 0), RET], 'invalid-jump-target', 0],
    ['jf past the end', [jump(0x15, 0, 0, 1), RET], 'invalid-jump-target', 0],
    ['ancillary load', [stmt(0x20, 0xfffff000), RET], 'invalid-ancillary-load', 0],
    ['last is not RET', [RET, stmt(0x20, 0)], 'invalid-last-instruction', 1],
    ['read before write', [stmt(0x60, 2), RET], 'uninitialized-memory', 0],
    [
      'written on one branch only',
      [jump(0x15, 1, 0, 1), stmt(0x02, 3), stmt(0x61, 3), RET],
      'uninitialized-memory',
      2,
    ],
    ['unaligned load', [stmt(0x20, 2), RET], 'invalid-load', 0],
    ['load at 64', [stmt(0x20, 64), RET], 'invalid-load', 0],
    ['MOD is not allowed in seccomp', [stmt(0x94, 3), RET], 'seccomp-forbidden-opcode', 0],
    ['half-word load', [stmt(0x28, 0), RET], 'seccomp-forbidden-opcode', 0],
    ['indirect load', [stmt(0x40, 0), RET], 'seccomp-forbidden-opcode', 0],
    ['ldx msh', [stmt(0xb1, 0), RET], 'seccomp-forbidden-opcode', 0],
    // Classic checks run over the whole program before the seccomp ones.
    [
      'classic error wins over an earlier seccomp error',
      [stmt(0x28, 0), stmt(0x34, 0), RET],
      'division-by-zero',
      1,
    ],
  ])('rejects: %s', (_name, prog, code, pc) => {
    const e = checkProgram(prog);
    expect({ code: e?.code, pc: e?.pc }).toEqual({ code, pc });
    expect(() => {
      validate(prog);
    }).toThrow(e?.message ?? '');
  });

  test('errors render as "at l<pc>: reason"', () => {
    expect(checkProgram([stmt(0x20, 2), RET])?.message).toMatch(/^at l0: /);
  });
});
