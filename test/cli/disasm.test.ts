import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeProgram, jump, stmt } from '../../src/bpf/index.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sysgate-disasm-'));

// ld arch; x86_64? ld nr; read(0) and execve(59) allowed, else ERRNO(EPERM); other arch: kill.
const prog = [
  stmt(0x20, 4),
  jump(0x15, 0xc000003e, 0, 5),
  stmt(0x20, 0),
  jump(0x15, 0, 2, 0),
  jump(0x15, 59, 1, 0),
  stmt(0x06, 0x50001),
  stmt(0x06, 0x7fff0000),
  stmt(0x06, 0),
];

function file(name: string, data: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

describe('sysgate disasm', () => {
  test('raw little-endian bytes, annotated after the arch the filter checks', async () => {
    const r = await runCli([
      'disasm',
      file('f.bpf', encodeProgram(prog, 'little')),
      '--endian',
      'little',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        ' line  CODE  JT   JF      K',
        '=================================',
        ' 0000: 0x20 0x00 0x00 0x00000004  A = arch',
        ' 0001: 0x15 0x00 0x05 0xc000003e  if (A != 0xc000003e) goto 0007  # AUDIT_ARCH_X86_64',
        ' 0002: 0x20 0x00 0x00 0x00000000  A = sys_number',
        ' 0003: 0x15 0x02 0x00 0x00000000  if (A == 0x0) goto 0006  # read',
        ' 0004: 0x15 0x01 0x00 0x0000003b  if (A == 0x3b) goto 0006  # execve',
        ' 0005: 0x06 0x00 0x00 0x00050001  return ERRNO(1)  # EPERM',
        ' 0006: 0x06 0x00 0x00 0x7fff0000  return ALLOW',
        ' 0007: 0x06 0x00 0x00 0x00000000  return KILL_THREAD',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
  });

  test('--arch names numbers when the filter does not check the arch', async () => {
    const noArch = [stmt(0x20, 0), jump(0x15, 221, 0, 1), stmt(0x06, 0x7fff0000), stmt(0x06, 0)];
    const f = file('noarch.bpf', encodeProgram(noArch, 'little'));
    const plain = await runCli(['disasm', f, '--endian', 'little']);
    expect(plain.stdout).not.toContain('#');
    const named = await runCli(['disasm', f, '--arch', 'aarch64']);
    expect(named.stdout).toContain('if (A != 0xdd) goto 0003  # execve');
  });

  test('hex text input and --json', async () => {
    const hex = Buffer.from(encodeProgram(prog, 'big'))
      .toString('hex')
      .replace(/(.{16})/g, '$1\n');
    const r = await runCli(['disasm', file('f.hex', hex), '--arch', 's390x', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      endian: string;
      valid: boolean;
      instructions: { text: string; comment?: string }[];
    };
    expect(j.endian).toBe('big');
    expect(j.valid).toBe(true);
    expect(j.instructions.map((i) => i.text)).toContain('if (A == 0x3b) goto 0006');
    expect(j.instructions[5]).toMatchObject({ text: 'return ERRNO(1)', comment: 'EPERM' });
  });

  test('a filter the kernel would refuse is listed with a warning', async () => {
    const r = await runCli([
      'disasm',
      file('bad.bpf', encodeProgram([stmt(0x20, 2), stmt(0x16)], 'little')),
      '--endian',
      'little',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('A = data[0x2]');
    expect(r.stderr).toContain('warning[invalid-load]');
  });

  test.each([
    ['truncated bytes', () => file('short.bpf', new Uint8Array(12)), 'invalid-program-size'],
    ['odd hex', () => file('odd.hex', 'abcdef'), 'whole 8-byte'],
  ])('bad input: %s (exit 2)', async (_name, make, msg) => {
    const r = await runCli(['disasm', make()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(msg);
  });

  test('missing file exits 2', async () => {
    const r = await runCli(['disasm', join(dir, 'nope.bpf')]);
    expect(r.code).toBe(2);
  });
});
