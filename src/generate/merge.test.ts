import { describe, expect, test } from 'vitest';
import type { ArgCondition, Profile, SyscallRule } from '../profile/types.js';
import { checkForRunc as checkProfile } from '../runc/check.js';
import type { Evidence, EvidenceSyscall } from './evidence.js';
import { mergeEvidence, mergeProfiles } from './merge.js';

const eq = (index: number, value: bigint): ArgCondition => ({
  index,
  value,
  valueTwo: 0n,
  op: 'SCMP_CMP_EQ',
});
const rule = (
  names: string[],
  args: ArgCondition[] = [],
  extra: Partial<SyscallRule> = {},
): SyscallRule => ({
  names,
  action: 'SCMP_ACT_ALLOW',
  args,
  pointer: '',
  ...extra,
});
const profile = (syscalls: SyscallRule[], extra: Partial<Profile> = {}): Profile => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls,
  ...extra,
});

/** name -> 'any' or the sorted list of condition sets, from the merged profile. */
function allowMap(p: Profile): Record<string, 'any' | string[]> {
  const out: Record<string, 'any' | string[]> = {};
  for (const r of p.syscalls) {
    if (r.action !== 'SCMP_ACT_ALLOW') continue;
    for (const n of r.names) {
      if (r.args.length === 0) out[n] = 'any';
      else if (out[n] !== 'any')
        out[n] = [
          ...(out[n] ?? []),
          r.args.map((a) => `${a.index}${a.op}${a.value}/${a.valueTwo}`).join('&'),
        ].sort();
    }
  }
  return out;
}

describe('mergeProfiles', () => {
  test.each([
    {
      name: 'union of unconditional allows',
      inputs: [profile([rule(['read', 'write'])]), profile([rule(['write', 'openat'])])],
      want: { read: 'any', write: 'any', openat: 'any' },
    },
    {
      name: 'argument rules are united, not widened',
      inputs: [profile([rule(['socket'], [eq(0, 1n)])]), profile([rule(['socket'], [eq(0, 2n)])])],
      want: { socket: ['0SCMP_CMP_EQ1/0', '0SCMP_CMP_EQ2/0'] },
    },
    {
      name: 'an unconditional allow in one input wins over argument rules',
      inputs: [profile([rule(['socket'], [eq(0, 1n)])]), profile([rule(['socket'])])],
      want: { socket: 'any' },
    },
    {
      name: 'a repeated argument index is an OR (runc splits it), kept as separate rules',
      inputs: [profile([rule(['personality'], [eq(0, 0n), eq(0, 8n)])])],
      want: { personality: ['0SCMP_CMP_EQ0/0', '0SCMP_CMP_EQ8/0'] },
    },
    {
      name: 'the same condition twice is kept once',
      inputs: [profile([rule(['socket'], [eq(0, 1n)])]), profile([rule(['socket'], [eq(0, 1n)])])],
      want: { socket: ['0SCMP_CMP_EQ1/0'] },
    },
  ])('$name', ({ inputs, want }) => {
    const merged = mergeProfiles(inputs);
    expect(allowMap(merged)).toEqual(want);
    expect(checkProfile(merged).filter((i) => i.severity === 'error')).toEqual([]);
  });

  test('refusals survive only for syscalls no input allows; clone3 ENOSYS kept; strictest default', () => {
    const a = profile(
      [
        rule(['read']),
        rule(['clone3'], [], { action: 'SCMP_ACT_ERRNO', errnoRet: 38 }),
        rule(['ptrace', 'mount'], [], { action: 'SCMP_ACT_ERRNO', errnoRet: 1 }),
      ],
      { defaultAction: 'SCMP_ACT_LOG' },
    );
    const b = profile([rule(['ptrace'])], { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] });
    const m = mergeProfiles([a, b]);
    expect(m.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(m.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    expect(allowMap(m)).toEqual({ read: 'any', ptrace: 'any' });
    expect(m.syscalls.find((r) => r.names.includes('clone3'))).toMatchObject({
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38,
    });
    // mount stays refused, by the default ERRNO(EPERM): a block equal to it would be skipped by runc.
    expect(m.syscalls.some((r) => r.names.includes('mount'))).toBe(false);
    const logged = mergeProfiles([a]);
    expect(logged.syscalls.find((r) => r.names.includes('mount'))?.action).toBe('SCMP_ACT_ERRNO');
    expect(
      m.syscalls.filter((r) => r.action !== 'SCMP_ACT_ALLOW').flatMap((r) => r.names),
    ).not.toContain('ptrace');
  });
});

const sc = (
  name: string,
  count: number,
  extra: Partial<EvidenceSyscall> = {},
): EvidenceSyscall => ({
  abi: 'x86_64',
  name,
  count,
  coverage: 1,
  errors: {},
  firstSeen: { source: 's', line: 1 },
  processes: [],
  executables: [],
  args: {},
  logged: {},
  ...extra,
});
const ev = (syscalls: EvidenceSyscall[], source: string): Evidence => ({
  format: 'sysgate-evidence',
  version: 1,
  host: 'x86_64',
  meta: { inputs: 1, sources: [source] },
  totals: {
    calls: syscalls.reduce((n, s) => n + s.count, 0),
    syscalls: syscalls.length,
    processes: 1,
  },
  syscalls,
});

describe('mergeEvidence', () => {
  test('counts, errors and argument values summed; coverage counts inputs', () => {
    const fam = (v: string, count: number) => ({
      family: { index: 0, values: [{ value: v, text: v, count }] },
    });
    const a = ev(
      [
        sc('read', 10, { errors: { EINTR: 1 } }),
        sc('socket', 1, { args: fam('1', 1), processes: ['a'] }),
      ],
      'a',
    );
    const b = ev(
      [
        sc('read', 5, { errors: { EINTR: 2, EAGAIN: 1 } }),
        sc('socket', 2, { args: fam('1', 2), processes: ['b'] }),
        sc('write', 3),
      ],
      'b',
    );
    const c = ev([sc('read', 1)], 'c');
    const m = mergeEvidence([a, b, c]);
    expect(m.meta.inputs).toBe(3);
    expect(m.meta.sources).toEqual(['a', 'b', 'c']);
    const read = m.syscalls.find((s) => s.name === 'read');
    expect(read?.count).toBe(16);
    expect(read?.coverage).toBe(3);
    expect(read?.errors).toEqual({ EAGAIN: 1, EINTR: 3 });
    const socket = m.syscalls.find((s) => s.name === 'socket');
    expect(socket?.coverage).toBe(2);
    expect(socket?.args.family?.values).toEqual([{ value: '1', text: '1', count: 3 }]);
    expect(socket?.processes).toEqual(['a', 'b']);
    expect(m.syscalls.find((s) => s.name === 'write')?.coverage).toBe(1);
    expect(m.totals.calls).toBe(16 + 3 + 3);
    // Merging merged evidence again keeps coverage additive.
    expect(mergeEvidence([m, c]).syscalls.find((s) => s.name === 'read')?.coverage).toBe(4);
  });

  test('evidence from different hosts is refused', () => {
    expect(() => mergeEvidence([ev([], 'a'), { ...ev([], 'b'), host: 'aarch64' }])).toThrow(
      /x86_64 and aarch64/,
    );
  });
});
