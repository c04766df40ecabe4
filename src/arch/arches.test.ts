import { describe, expect, it } from 'vitest';
import { UsageError } from '../document/errors.js';
import {
  ARCH_NAMES,
  ARCHES,
  archByGoArch,
  archByScmpName,
  archBySeccompGoName,
  archesByAuditArch,
  archForAudit,
  archInfo,
  isArchName,
  resolveArch,
} from './arches.js';
import type { ArchName } from './types.js';

describe('ArchInfo records', () => {
  it('has one record per ArchName, in libseccomp order', () => {
    expect(ARCH_NAMES).toHaveLength(20);
    expect(new Set(ARCH_NAMES).size).toBe(20);
    for (const a of ARCHES) expect(archInfo(a.name)).toBe(a);
  });

  // Tokens as libseccomp prints them (seccomp.h / audit.h), written out by hand.
  const tokens: [ArchName, number, 32 | 64, 'little' | 'big'][] = [
    ['x86_64', 0xc000003e, 64, 'little'],
    ['x86', 0x40000003, 32, 'little'],
    ['x32', 0xc000003e, 32, 'little'],
    ['aarch64', 0xc00000b7, 64, 'little'],
    ['arm', 0x40000028, 32, 'little'],
    ['mips', 0x00000008, 32, 'big'],
    ['mipsel', 0x40000008, 32, 'little'],
    ['mips64', 0x80000008, 64, 'big'],
    ['mips64n32', 0xa0000008, 32, 'big'],
    ['mipsel64', 0xc0000008, 64, 'little'],
    ['mipsel64n32', 0xe0000008, 32, 'little'],
    ['ppc', 0x00000014, 32, 'big'],
    ['ppc64', 0x80000015, 64, 'big'],
    ['ppc64le', 0xc0000015, 64, 'little'],
    ['s390', 0x00000016, 32, 'big'],
    ['s390x', 0x80000016, 64, 'big'],
    ['riscv64', 0xc00000f3, 64, 'little'],
    ['loongarch64', 0xc0000102, 64, 'little'],
    ['parisc', 0x0000000f, 32, 'big'],
    ['parisc64', 0x8000000f, 64, 'big'],
  ];
  it.each(tokens)('%s audit token 0x%s', (name, token, bits, endian) => {
    const a = archInfo(name);
    expect(a.auditArch).toBe(token);
    expect(a.bits).toBe(bits);
    expect(a.endian).toBe(endian);
    expect(a.scmpName).toBe(`SCMP_ARCH_${name.toUpperCase()}`);
  });

  it('x32 has the x86_64 audit token, bit 30 in numbers and its own SCMP token', () => {
    const x32 = archInfo('x32');
    expect(x32.nrBias).toBe(0x40000000);
    expect(x32.scmpToken).toBe(0x4000003e);
    expect(archInfo('x86_64').scmpToken).toBe(0xc000003e);
    expect(archesByAuditArch(0xc000003e).map((a) => a.name)).toEqual(['x86_64', 'x32']);
    expect(archForAudit(0xc000003e, 0x40000000)?.name).toBe('x32');
    expect(archForAudit(0xc000003e, 59)?.name).toBe('x86_64');
    expect(archForAudit(0xc000003e)?.name).toBe('x86_64');
    expect(archForAudit(-1073741762)?.name).toBe('x86_64'); // signed form, as python3-seccomp prints it
    expect(archForAudit(0x12345)).toBeUndefined();
  });

  it('marks exactly the arches libseccomp multiplexes', () => {
    expect(ARCHES.filter((a) => a.multiplexed).map((a) => a.name)).toEqual([
      'x86',
      'mips',
      'mipsel',
      'ppc',
      'ppc64',
      'ppc64le',
      's390',
      's390x',
    ]);
  });
});

describe('lookups', () => {
  it.each([
    ['amd64', 'x86_64'],
    ['386', 'x86'],
    ['arm64', 'aarch64'],
    ['arm', 'arm'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['mips64le', 'mipsel64'],
    ['mipsle', 'mipsel'],
    ['riscv64', 'riscv64'],
    ['loong64', 'loongarch64'],
  ])('GOARCH %s -> %s', (go, name) => {
    expect(archByGoArch(go)?.name).toBe(name);
  });

  it('finds by SCMP name, libseccomp-golang name and any spelling', () => {
    expect(archByScmpName('SCMP_ARCH_MIPSEL64N32')?.name).toBe('mipsel64n32');
    expect(archByScmpName('SCMP_ARCH_NOPE')).toBeUndefined();
    expect(archBySeccompGoName('amd64')?.name).toBe('x86_64');
    expect(archBySeccompGoName('loong64')?.name).toBe('loongarch64');
    expect(resolveArch('scmp_arch_x86_64').name).toBe('x86_64');
    expect(resolveArch('i386').name).toBe('x86');
    expect(resolveArch('0xc00000b7').name).toBe('aarch64');
    expect(resolveArch(' riscv64 ').name).toBe('riscv64');
    expect(isArchName('x32')).toBe(true);
    expect(isArchName('amd64')).toBe(false);
    expect(() => resolveArch('vax')).toThrow(UsageError);
    expect(() => archInfo('vax')).toThrow(/unknown architecture 'vax'/);
  });
});
