import { describe, expect, test } from 'vitest';
import { ProgramBuilder } from './builder.js';
import {
  decodeInstruction,
  disassemble,
  disassembleLines,
  formatReturnValue,
  type Annotator,
} from './disasm.js';
import { jump, stmt, type Instruction } from './instruction.js';

describe('decodeInstruction', () => {
  test.each<[string, Instruction, string]>([
    ['nr', stmt(0x20, 0), 'A = sys_number'],
    ['arch', stmt(0x20, 4), 'A = arch'],
    ['ip low (LE)', stmt(0x20, 8), 'A = instruction_pointer & 0xffffffff'],
    ['ip high (LE)', stmt(0x20, 12), 'A = instruction_pointer >> 32'],
    ['args[0] low (LE)', stmt(0x20, 16), 'A = args[0] & 0xffffffff'],
    ['args[5] high (LE)', stmt(0x20, 60), 'A = args[5] >> 32'],
    ['unaligned load', stmt(0x20, 2), 'A = data[0x2]'],
    ['ld imm', stmt(0x00, 59), 'A = 0x3b'],
    ['ldx imm', stmt(0x01, 1), 'X = 0x1'],
    ['ld len', stmt(0x80), 'A = len'],
    ['ld mem', stmt(0x60, 3), 'A = mem[3]'],
    ['ldx mem', stmt(0x61, 3), 'X = mem[3]'],
    ['st', stmt(0x02, 15), 'mem[15] = A'],
    ['stx', stmt(0x03, 0), 'mem[0] = X'],
    ['and k', stmt(0x54, 0xff), 'A &= 0xff'],
    ['add x', stmt(0x0c), 'A += X'],
    ['rsh k', stmt(0x74, 4), 'A >>= 0x4'],
    ['neg', stmt(0x84), 'A = -A'],
    ['tax', stmt(0x07), 'X = A'],
    ['txa', stmt(0x87), 'A = X'],
    ['ret allow', stmt(0x06, 0x7fff0000), 'return ALLOW'],
    ['ret errno', stmt(0x06, 0x50001), 'return ERRNO(1)'],
    ['ret errno 0', stmt(0x06, 0x50000), 'return ERRNO(0)'],
    ['ret kill thread', stmt(0x06, 0), 'return KILL_THREAD'],
    ['ret kill process', stmt(0x06, 0x80000000), 'return KILL_PROCESS'],
    ['ret trace data', stmt(0x06, 0x7ff00007), 'return TRACE(7)'],
    ['ret unknown action', stmt(0x06, 0x12340005), 'return 0x12340005'],
    ['ret A', stmt(0x16), 'return A'],
    ['ja', stmt(0x05, 3), 'goto 0014'],
    ['jeq, true side', jump(0x15, 0x3b, 2, 0), 'if (A == 0x3b) goto 0013'],
    ['jeq, false side', jump(0x15, 0x3b, 0, 2), 'if (A != 0x3b) goto 0013'],
    ['jeq, both sides', jump(0x15, 0x3b, 1, 2), 'if (A == 0x3b) goto 0012 else goto 0013'],
    ['jgt negated', jump(0x25, 5, 0, 1), 'if (A <= 0x5) goto 0012'],
    ['jge negated', jump(0x35, 5, 0, 1), 'if (A < 0x5) goto 0012'],
    ['jset', jump(0x45, 0x40000000, 1, 0), 'if (A & 0x40000000) goto 0012'],
    ['jset negated', jump(0x45, 0x40000000, 0, 1), 'if (!(A & 0x40000000)) goto 0012'],
    ['jeq x', jump(0x1d, 0, 1, 0), 'if (A == X) goto 0012'],
    ['unknown opcode', stmt(0xff), '???'],
  ])('%s', (_name, insn, text) => {
    expect(decodeInstruction(insn, 10, 'little')).toBe(text);
  });

  test('big-endian swaps the word halves', () => {
    expect(decodeInstruction(stmt(0x20, 16), 0, 'big')).toBe('A = args[0] >> 32');
    expect(decodeInstruction(stmt(0x20, 20), 0, 'big')).toBe('A = args[0] & 0xffffffff');
  });

  test('formatReturnValue', () => {
    expect(formatReturnValue(0x7fc00000)).toBe('USER_NOTIF');
    expect(formatReturnValue(0x7ffc0000)).toBe('LOG');
    expect(formatReturnValue(0x30002)).toBe('TRAP(2)');
  });
});

/** A two-arch filter in libseccomp's shape, with an argument check. */
function twoArch(): Instruction[] {
  const b = new ProgramBuilder();
  b.ld(4).jeq(0xc000003e, null, 'i386');
  b.ld(0).jge(0x40000000, 'kill', null).jeq(0, 'allow', null).jeq(59, 'args', 'deny');
  b.label('args').ld(20).jeq(0, null, 'deny').ld(16).jeq(0x3b, 'allow', 'deny');
  b.label('i386').jeq(0x40000003, null, 'kill').ld(0).jeq(3, 'allow', 'deny');
  b.label('deny').ret(0x50001);
  b.label('allow').ret(0x7fff0000);
  b.label('kill').ret(0);
  return b.build();
}

// Test stand-in for the arch layer: names for the two arches and a few numbers.
const annotate: Annotator = (s) => {
  if (s.kind === 'return') return s.value === 0x50001 ? 'EPERM' : undefined;
  if (s.field === 'arch')
    return { 0xc000003e: 'AUDIT_ARCH_X86_64', 0x40000003: 'AUDIT_ARCH_I386' }[s.value];
  const names: Record<number, Record<number, string>> = {
    0xc000003e: { 0: 'read', 59: 'execve' },
    0x40000003: { 3: 'read' },
  };
  return s.arch === undefined ? undefined : names[s.arch]?.[s.value];
};

describe('disassemble', () => {
  test('golden: two arches, plain', async () => {
    await expect(disassemble(twoArch())).toMatchFileSnapshot(
      '../../test/golden/bpf/two-arch.disasm',
    );
  });

  test('golden: two arches, annotated', async () => {
    await expect(disassemble(twoArch(), { annotate })).toMatchFileSnapshot(
      '../../test/golden/bpf/two-arch.annotated.disasm',
    );
  });

  test('golden: every seccomp opcode, big-endian', async () => {
    const prog = [
      stmt(0x20, 16),
      stmt(0x20, 20),
      stmt(0x20, 8),
      stmt(0x80),
      stmt(0x81),
      stmt(0x00, 7),
      stmt(0x01, 9),
      stmt(0x02, 0),
      stmt(0x03, 1),
      stmt(0x60, 0),
      stmt(0x61, 1),
      stmt(0x07),
      stmt(0x87),
      stmt(0x84),
      ...[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0].flatMap((op) => [
        stmt(0x04 | op, 3),
        stmt(0x0c | op),
      ]),
      jump(0x15, 1, 0, 0),
      jump(0x1d, 0, 1, 0),
      jump(0x25, 2, 0, 1),
      jump(0x2d, 0, 1, 1),
      jump(0x35, 3, 1, 0),
      jump(0x3d, 0, 0, 1),
      jump(0x45, 4, 1, 0),
      jump(0x4d, 0, 0, 1),
      stmt(0x05, 0),
      stmt(0x16),
      stmt(0x06, 0x7ff00001),
      stmt(0x06, 0x30000),
      stmt(0x06, 0x7fc00000),
      stmt(0x06, 0x80000000),
    ];
    await expect(disassemble(prog, { endian: 'big' })).toMatchFileSnapshot(
      '../../test/golden/bpf/all-opcodes.be.disasm',
    );
  });

  test('the annotator sees the arch pinned by the dominating arch check', () => {
    const seen: [number, number | undefined][] = [];
    disassembleLines(twoArch(), {
      annotate: (s) => {
        if (s.kind === 'compare' && s.field === 'nr') seen.push([s.value, s.arch]);
        return undefined;
      },
    });
    expect(seen).toEqual([
      [0x40000000, 0xc000003e],
      [0, 0xc000003e],
      [59, 0xc000003e],
      [3, 0x40000003],
    ]);
  });
});
