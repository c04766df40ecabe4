import { describe, expect, test } from 'vitest';
import { hostArch } from './host.js';

describe('hostArch', () => {
  test.each([
    ['x64', true, 'x86_64'],
    ['ia32', true, 'x86'],
    ['arm64', true, 'aarch64'],
    ['arm', true, 'arm'],
    ['ppc64', true, 'ppc64le'],
    ['ppc64', false, 'ppc64'],
    ['s390x', false, 's390x'],
    ['riscv64', true, 'riscv64'],
    ['loong64', true, 'loongarch64'],
    ['mips64el', true, 'mipsel64'],
  ])('%s (LE %s) -> %s', (nodeArch, le, want) => {
    expect(hostArch(nodeArch, le)).toBe(want);
  });

  test('an unknown host arch asks for --arch', () => {
    expect(() => hostArch('wasm32')).toThrow(/pass --arch/);
  });
});
