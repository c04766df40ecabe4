import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ACTIONS, OPS, type Profile, type SyscallRule } from './types.js';
import { parseProfile } from './parse.js';
import { writeProfile } from './write.js';

function omitProvenance(r: SyscallRule): Omit<SyscallRule, 'pointer' | 'legacyName'> {
  const copy: Record<string, unknown> = { ...r };
  delete copy.pointer;
  delete copy.legacyName;
  return copy as Omit<SyscallRule, 'pointer' | 'legacyName'>;
}

const strip = (p: Profile): unknown => ({
  ...p,
  syscalls: p.syscalls.map((r) => omitProvenance(r)),
});

describe('writeProfile', () => {
  test('moby key order, 2-space indent, exact 64-bit values, omitempty', () => {
    const p: Profile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: [],
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [
            { index: 0, value: 18446744073709551615n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' },
          ],
          comment: 'c',
          excludes: { arches: [], caps: ['CAP_SYS_ADMIN'] },
          pointer: '/x',
        },
      ],
    };
    expect(writeProfile(p)).toBe(`{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {
      "architecture": "SCMP_ARCH_X86_64",
      "subArchitectures": [
        "SCMP_ARCH_X86"
      ]
    }
  ],
  "syscalls": [
    {
      "names": [
        "clone"
      ],
      "action": "SCMP_ACT_ALLOW",
      "args": [
        {
          "index": 0,
          "value": 18446744073709551615,
          "op": "SCMP_CMP_MASKED_EQ"
        }
      ],
      "comment": "c",
      "excludes": {
        "caps": [
          "CAP_SYS_ADMIN"
        ]
      }
    }
  ]
}
`);
  });

  const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
  const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
  const ruleArb: fc.Arbitrary<SyscallRule> = fc
    .record(
      {
        names: fc.array(name, { maxLength: 4 }),
        action: fc.constantFrom(...ACTIONS),
        errnoRet: fc.nat({ max: 70000 }),
        args: fc.array(
          fc.record({
            index: fc.nat({ max: 5 }),
            value: u64,
            valueTwo: u64,
            op: fc.constantFrom(...OPS),
          }),
          { maxLength: 6 },
        ),
        comment: fc.string({ minLength: 1, maxLength: 20 }),
        includes: fc.record(
          {
            arches: fc.array(fc.constantFrom('amd64', 'arm64'), { maxLength: 2 }),
            caps: fc.array(fc.constant('CAP_SYS_ADMIN'), { maxLength: 1 }),
            minKernel: fc.constantFrom('4.8', '5.10'),
          },
          { requiredKeys: ['arches', 'caps'] },
        ),
        pointer: fc.constant(''),
      },
      { requiredKeys: ['names', 'action', 'args', 'pointer'] },
    )
    .filter(
      (r) =>
        r.includes === undefined ||
        r.includes.arches.length + r.includes.caps.length > 0 ||
        r.includes.minKernel !== undefined,
    );
  const profileArb: fc.Arbitrary<Profile> = fc.record(
    {
      defaultAction: fc.constantFrom(...ACTIONS),
      defaultErrnoRet: fc.nat({ max: 4094 }),
      architectures: fc.array(
        fc.constantFrom('SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'),
        { maxLength: 3 },
      ),
      syscalls: fc.array(ruleArb, { maxLength: 5 }),
      flags: fc.array(
        fc.constantFrom('SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'),
        { maxLength: 2 },
      ),
      listenerPath: fc.string({ minLength: 1, maxLength: 10 }),
      listenerMetadata: fc.string({ minLength: 1, maxLength: 10 }),
    },
    { requiredKeys: ['defaultAction', 'architectures', 'syscalls'] },
  );

  test('random valid profiles round-trip: write -> parse gives the same model, and writing is a fixed point', () => {
    fc.assert(
      fc.property(profileArb, (p) => {
        const text = writeProfile(p);
        const back = parseProfile(text, 'p.json');
        expect(back.format).toBe('docker');
        expect(strip(back.profile)).toEqual(strip(p));
        expect(writeProfile(back.profile)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
