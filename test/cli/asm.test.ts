import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeProgram, jump, stmt } from '../../src/bpf/index.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sysgate-asm-'));

const SOURCE = `
  ld [4]
  jne #0xc000003e, kill
  ld [0]
  jeq #0, allow, deny
deny:  ret #ERRNO(1)
allow: ret #ALLOW
kill:  ret #KILL_PROCESS
`;

const EXPECTED = [
  stmt(0x20, 4),
  jump(0x15, 0xc000003e, 0, 4),
  stmt(0x20, 0),
  jump(0x15, 0, 1, 0),
  stmt(0x06, 0x50001),
  stmt(0x06, 0x7fff0000),
  stmt(0x06, 0x80000000),
];

function file(name: string, data: string): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

describe('sysgate asm', () => {
  test.each(['little', 'big'] as const)(
    'raw output (%s endian) decodes to the program',
    async (endian) => {
      const out = join(dir, `out-${endian}.bpf`);
      const r = await runCli(['asm', file('a.asm', SOURCE), '-o', out, '--endian', endian]);
      expect(r.code).toBe(0);
      const bytes = readFileSync(out);
      expect(bytes.length).toBe(EXPECTED.length * 8);
      expect(decodeProgram(new Uint8Array(bytes), endian)).toEqual(EXPECTED);
    },
  );

  test('hex output, one instruction per line', async () => {
    const r = await runCli(['asm', file('b.asm', SOURCE), '--format', 'hex', '--arch', 'x86_64']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('2000000004000000');
    expect(r.stdout.split('\n')[1]).toBe('150000043e0000c0');
  });

  test('disasm | asm is the identity on bytes', async () => {
    const out = join(dir, 'c.bpf');
    await runCli(['asm', file('c.asm', SOURCE), '-o', out, '--endian', 'little']);
    const listing = await runCli(['disasm', out, '--endian', 'little']);
    const again = join(dir, 'c2.bpf');
    const r = await runCli([
      'asm',
      file('c.disasm', listing.stdout),
      '-o',
      again,
      '--endian',
      'little',
    ]);
    expect(r.code).toBe(0);
    expect(readFileSync(again)).toEqual(readFileSync(out));
  });

  test.each([
    ['syntax error', 'frob\nret #0', 'asm-syntax'],
    ['refused by the kernel checks', 'ld [2]\nret a', 'invalid-load'],
    ['bad format', 'ret #0', 'usage'],
  ])('%s exits 2', async (name, src, code) => {
    const args = ['asm', file('bad.asm', src)];
    if (name === 'bad format') args.push('--format', 'c');
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`[${code}]`);
  });

  test('--no-validate writes a filter the kernel would refuse', async () => {
    const r = await runCli([
      'asm',
      file('nv.asm', 'ld [2]\nret a'),
      '--no-validate',
      '--format',
      'hex',
      '--endian',
      'little',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('2000000002000000\n1600000000000000\n');
  });
});
