import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { assemble } from './asm.js';
import { disassemble } from './disasm.js';
import { canonicalInstruction, jump, stmt, type Instruction } from './instruction.js';
import { programArb } from './arbitrary.test.js';

describe('assemble: hand-written subset', () => {
  test('bpf_asm style with labels', () => {
    const src = `
      ; allow read and write on x86_64
          ld [4]
          jne #0xc000003e, kill
          ld [0]
          jeq #0, allow
          jeq #1, allow, deny
      deny:  ret #ERRNO(1)
      allow: ret #ALLOW
      kill:  ret #KILL_PROCESS
    `;
    expect(assemble(src)).toEqual([
      stmt(0x20, 4),
      jump(0x15, 0xc000003e, 0, 5),
      stmt(0x20, 0),
      jump(0x15, 0, 2, 0),
      jump(0x15, 1, 1, 0),
      stmt(0x06, 0x50001),
      stmt(0x06, 0x7fff0000),
      stmt(0x06, 0x80000000),
    ]);
  });

  test('seccomp-tools style with labels and comments', () => {
    const src = `
      A = arch
      if (A != 0xc000003e) goto kill   # wrong arch
      A = args[1] >> 32
      if (A & 0x1) goto kill
      A = args[1]    // low word
      if (A >= 10) goto kill else goto ok
      ok: return ALLOW
      kill: return KILL
    `;
    expect(assemble(src)).toEqual([
      stmt(0x20, 4),
      jump(0x15, 0xc000003e, 0, 5),
      stmt(0x20, 28),
      jump(0x45, 1, 3, 0),
      stmt(0x20, 24),
      jump(0x35, 10, 1, 0),
      stmt(0x06, 0x7fff0000),
      stmt(0x06, 0),
    ]);
  });

  test.each<[string, Instruction]>([
    ['ld #42', stmt(0x00, 42)],
    ['ldx #-1', stmt(0x01, 0xffffffff)],
    ['ld M[3]', stmt(0x60, 3)],
    ['ldx len', stmt(0x81)],
    ['st M[15]', stmt(0x02, 15)],
    ['stx M[0]', stmt(0x03, 0)],
    ['and #0xff', stmt(0x54, 0xff)],
    ['add x', stmt(0x0c)],
    ['neg', stmt(0x84)],
    ['tax', stmt(0x07)],
    ['txa', stmt(0x87)],
    ['ret a', stmt(0x16)],
    ['ret #0x7fff0000', stmt(0x06, 0x7fff0000)],
    ['ret #SECCOMP_RET_TRAP', stmt(0x06, 0x30000)],
    ['ret TRACE(3)', stmt(0x06, 0x7ff00003)],
    ['A = args[2] & 0xffffffff', stmt(0x20, 32)],
    ['A = instruction_pointer >> 32', stmt(0x20, 12)],
    ['mem[2] = X', stmt(0x03, 2)],
    ['A ^= X', stmt(0xac)],
    ['A <<= 3', stmt(0x64, 3)],
  ])('%s', (line, insn) => {
    expect(assemble(`${line}\nret #0`)[0]).toEqual(insn);
  });

  test.each<[string, string, string]>([
    ['unknown mnemonic', 'frob #1\nret #0', 'asm-syntax'],
    ['undefined label', 'ja nowhere\nret #0', 'asm-label'],
    ['duplicate label', 'a: ret #0\na: ret #0', 'asm-label'],
    ['backward jump', 'top: ld [0]\nja top\nret #0', 'asm-range'],
    ['bad number', 'ld #12z\nret #0', 'asm-syntax'],
    ['action data too big', 'ret ERRNO(70000)', 'asm-syntax'],
  ])('rejects %s', (_name, src, code) => {
    expect(() => assemble(src)).toThrow(expect.objectContaining({ code }));
  });

  test.each<[string, string, number, number]>([
    ['unknown mnemonic', 'ld [0]\n  frob #1\nret #0', 2, 3],
    ['undefined label after a label', 'ld [0]\nx: ja nowhere\nret #0', 2, 4],
    ['duplicate label', 'a: ret #0\n a: ret #0', 2, 2],
    ['bad number in a listing', '0000: 0x06 0x00 0x00 0x00000000  ret #12z', 1, 34],
  ])('%s: the error has the line and column', (_name, src, line, column) => {
    expect(() => assemble(src)).toThrow(
      expect.objectContaining({
        name: 'AsmError',
        line,
        column,
        message: expect.stringMatching(new RegExp(`^line ${line}, column ${column}: `)) as unknown,
      }),
    );
  });

  test('conditional jumps farther than 255 are refused', () => {
    const src = [
      'ld [0]',
      'jeq #1, far',
      ...Array.from({ length: 300 }, () => 'ret #0'),
      'far: ret #1',
    ].join('\n');
    expect(() => assemble(src)).toThrow(expect.objectContaining({ code: 'asm-range' }));
  });
});

describe('round trip', () => {
  const rawInsn: fc.Arbitrary<Instruction> = fc.record({
    code: fc.integer({ min: 0, max: 0xffff }),
    jt: fc.integer({ min: 0, max: 255 }),
    jf: fc.integer({ min: 0, max: 255 }),
    k: fc.integer({ min: 0, max: 0xffffffff }),
  });

  test.each(['little', 'big'] as const)(
    'assemble(disassemble(p)) == p for valid programs (%s)',
    (endian) => {
      fc.assert(
        fc.property(programArb({ retA: true, divX: true, ipLoads: true }), (prog) => {
          expect(assemble(disassemble(prog, { endian }), { endian })).toEqual(prog);
        }),
        { numRuns: 300 },
      );
    },
  );

  test('the decoded column alone assembles to the same program', () => {
    fc.assert(
      fc.property(
        programArb({ retA: true, divX: true, ipLoads: true }).map((p) =>
          p.map(canonicalInstruction),
        ),
        (prog) => {
          const decodedOnly = disassemble(prog, { header: false })
            .split('\n')
            .map((l) => l.slice(34))
            .join('\n');
          expect(assemble(decodedOnly)).toEqual(prog);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('any bytes survive, unknown opcodes through the numeric columns', () => {
    fc.assert(
      fc.property(fc.array(rawInsn, { minLength: 1, maxLength: 30 }), (prog) => {
        expect(assemble(disassemble(prog))).toEqual(prog);
      }),
      { numRuns: 300 },
    );
  });
});
