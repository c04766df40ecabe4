import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { RuntimeError } from '../document/errors.js';
import {
  formatOutcome,
  formatProbes,
  parseOutcome,
  parseOutcomes,
  probeSeccompData,
  type ProbeOutcome,
} from './probe-format.js';

describe('formatProbes', () => {
  test.each([
    { probe: { nr: 39 }, line: '27\n' },
    { probe: { nr: 258, args: [0n, 0n, 0o700n] }, line: '102 0 0 1c0\n' },
    { probe: { nr: -1, args: [-100n] }, line: 'ffffffffffffffff ffffffffffffff9c\n' },
    { probe: { nr: 20, abi: 'i386' as const }, line: '14 abi=i386\n' },
    { probe: { nr: 39, abi: 'native' as const }, line: '27\n' },
    { probe: { nr: 39, abi: 'x32' as const }, line: '27 abi=x32\n' },
  ])('$line', ({ probe, line }) => {
    expect(formatProbes([probe])).toBe(line);
  });

  test('refuses more than six arguments', () => {
    expect(() => formatProbes([{ nr: 1, args: [0n, 0n, 0n, 0n, 0n, 0n, 0n] }])).toThrow(RangeError);
  });
});

describe('parseOutcome', () => {
  const table: [string, ProbeOutcome][] = [
    ['ok 0', { kind: 'ok', value: 0n }],
    ['ok -5', { kind: 'ok', value: -5n }],
    ['ok 140737488355328', { kind: 'ok', value: 140737488355328n }],
    ['err 1', { kind: 'errno', errno: 1 }],
    ['trap 7', { kind: 'trap', data: 7 }],
    ['sig 31', { kind: 'signal', signal: 31 }],
    ['exit 5', { kind: 'exit', status: 5 }],
  ];
  test.each(table)('%s', (line, outcome) => {
    expect(parseOutcome(line)).toEqual(outcome);
  });

  test.each(['', 'ok', 'ok x', 'boom 1', 'err 1 2'])('refuses %j', (line) => {
    expect(() => parseOutcome(line)).toThrow(RuntimeError);
  });

  test('parseOutcomes ignores an incomplete last line', () => {
    expect(parseOutcomes('err 1\nok 2\nsi').map(formatOutcome)).toEqual(['errno 1', 'ok 2']);
  });

  test('every 64-bit value survives the prober line format', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
        expect(parseOutcome(`ok ${v}`)).toEqual({ kind: 'ok', value: v });
      }),
    );
  });
});

describe('probeSeccompData', () => {
  // AUDIT_ARCH_X86_64 0xc000003e, AUDIT_ARCH_I386 0x40000003 (include/uapi/linux/audit.h).
  test.each([
    { probe: { nr: 41, args: [2n] }, nr: 41, arch: 0xc000003e, arg0: 2n },
    {
      probe: { nr: 41, args: [-1n], abi: 'x32' as const },
      nr: 0x40000029,
      arch: 0xc000003e,
      arg0: 2n ** 64n - 1n,
    },
    {
      probe: { nr: 359, args: [-1n], abi: 'i386' as const },
      nr: 359,
      arch: 0x40000003,
      arg0: 0xffffffffn,
    },
  ])('$probe.abi $probe.nr', ({ probe, nr, arch, arg0 }) => {
    const d = probeSeccompData(probe, 'x86_64');
    expect(d).toMatchObject({ nr, arch, instructionPointer: 0n });
    expect(d.args).toEqual([arg0, 0n, 0n, 0n, 0n, 0n]);
  });

  test('an ABI the prober cannot enter is a usage error', () => {
    expect(() => probeSeccompData({ nr: 1, abi: 'i386' }, 'aarch64')).toThrow(/cannot enter/);
  });
});
