import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { changeOf, describeRegion, diffFilters, hostAbis } from './diff.js';
import { arbProfile, sideOf, type ProfileDoc } from './diff.testkit.js';

const X86 = ['x86_64', 'x86', 'x32'] as const;
const allow = (
  names: string[],
  args?: ProfileDoc['syscalls'][number]['args'],
): ProfileDoc['syscalls'][number] => ({
  names,
  action: 'SCMP_ACT_ALLOW',
  ...(args ? { args } : {}),
});
const profile = (
  syscalls: ProfileDoc['syscalls'],
  extra: Partial<ProfileDoc> = {},
): ProfileDoc => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  syscalls,
  ...extra,
});

function diff(a: ProfileDoc, b: ProfileDoc, abis: readonly (typeof X86)[number][] = ['x86_64']) {
  return diffFilters(sideOf(a, 'old'), sideOf(b, 'new'), { abis });
}

describe('diffFilters', () => {
  test('a syscall dropped from an allow-list is tighter on every argument', () => {
    const r = diff(profile([allow(['read', 'write'])]), profile([allow(['read'])]));
    expect(
      r.differences.map((d) => [d.syscall, d.old, d.new, d.change, describeRegion(d.region)]),
    ).toEqual([['write', 'ALLOW', 'ERRNO(1) EPERM', 'tighter', 'any arguments']]);
    expect(r.differences[0]?.oldOrigin).toEqual({
      kind: 'rule',
      pointer: '/syscalls/0',
      name: 'write',
    });
    expect(r.differences[0]?.newOrigin).toEqual({ kind: 'default' });
  });

  test('an argument filter widened: the region is the values newly allowed', () => {
    const r = diff(
      profile([allow(['socket'], [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }])]),
      profile([allow(['socket'], [{ index: 0, value: 2, op: 'SCMP_CMP_LE' }])]),
    );
    expect(
      r.differences.map((d) => [d.syscall, d.change, describeRegion(d.region), d.args[0]]),
    ).toEqual([
      ['socket', 'looser', 'args[0].lo != 0x1 && args[0].lo < 0x3 && args[0].hi == 0x0', 0n],
    ]);
  });

  test('several regions of one syscall, each with its own vector', () => {
    const r = diff(
      profile([allow(['personality'], [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }])]),
      profile([allow(['personality'], [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }])]),
    );
    expect(r.differences.map((d) => [d.change, d.args[0]])).toEqual(
      expect.arrayContaining([
        ['tighter', 0n],
        ['looser', 8n],
      ]),
    );
    expect(r.differences).toHaveLength(2);
  });

  test('a 64-bit value differs only in its high word', () => {
    const r = diff(
      profile([allow(['ioctl'], [{ index: 1, value: 4294967296n, op: 'SCMP_CMP_EQ' }])]),
      profile([allow(['ioctl'], [{ index: 1, value: 0n, op: 'SCMP_CMP_EQ' }])]),
    );
    expect(r.differences.map((d) => d.args[1]).sort()).toEqual([0n, 4294967296n]);
  });

  test('an ABI left to the bad-arch action differs on every syscall of that ABI', () => {
    const r = diff(
      profile([allow(['read'])], { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] }),
      profile([allow(['read'])], { architectures: ['SCMP_ARCH_X86_64'] }),
      X86,
    );
    const byAbi = new Map<string, number>();
    for (const d of r.differences) byAbi.set(d.abi, (byAbi.get(d.abi) ?? 0) + 1);
    expect(byAbi.get('x86_64')).toBeUndefined();
    expect(byAbi.get('x32')).toBeUndefined();
    expect(byAbi.get('x86')).toBeGreaterThan(300);
    expect(r.differences.find((d) => d.abi === 'x86')?.new).toBe('KILL_THREAD');
  });

  test('the same errno class with another errno is a change, not looser or tighter', () => {
    const r = diff(profile([allow(['read'])]), profile([allow(['read'])], { defaultErrnoRet: 38 }));
    expect(new Set(r.differences.map((d) => d.change))).toEqual(new Set(['changed']));
  });

  test('no seccomp at all against a profile', () => {
    const r = diffFilters({ label: 'none', filters: [] }, sideOf(profile([allow(['read'])])), {
      abis: ['x86_64'],
    });
    expect(r.differences.every((d) => d.old === 'ALLOW' && d.change === 'tighter')).toBe(true);
    expect(r.differences.some((d) => d.syscall === 'read')).toBe(false);
  });

  test('stacked filters: the kernel takes the strongest action of the stack', () => {
    const a = sideOf(profile([allow(['read', 'write'])]));
    const b = sideOf(
      profile([allow(['read'])], {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['write'], action: 'SCMP_ACT_KILL' }],
      }),
    );
    const stacked = { label: 'stack', filters: [...a.filters, ...b.filters] };
    const r = diffFilters(a, stacked, { abis: ['x86_64'] });
    expect(r.differences.map((d) => [d.syscall, d.new])).toEqual([['write', 'KILL_THREAD']]);
  });

  test('changeOf follows the kernel precedence', () => {
    expect(changeOf(0x50001, 0x7fff0000)).toBe('looser');
    expect(changeOf(0x7ffc0000, 0x7fff0000)).toBe('looser');
    expect(changeOf(0x7fff0000, 0x80000000)).toBe('tighter');
    expect(changeOf(0x50001, 0x50026)).toBe('changed');
  });

  test('host ABIs come from the archMap', () => {
    expect(hostAbis('x86_64')).toEqual(['x86_64', 'x86', 'x32']);
    expect(hostAbis('aarch64')).toEqual(['aarch64', 'arm']);
  });
});

/** Rewrites that keep every decision: rules reordered and split, aliases, conditions reordered. */
function rewrite(doc: ProfileDoc, seed: number): ProfileDoc {
  const rnd = (n: number, salt: number): number => Math.abs((seed * 31 + salt * 17) % n);
  const split = doc.syscalls.flatMap((r) => r.names.map((n) => ({ ...r, names: [n] })));
  const rules = split.map((r, i) => ({
    ...r,
    action: r.action === 'SCMP_ACT_KILL' ? 'SCMP_ACT_KILL_THREAD' : r.action,
    ...(r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === undefined && rnd(2, i) === 0
      ? { errnoRet: 1 }
      : {}),
    ...(r.args ? { args: [...r.args].reverse() } : {}),
  }));
  const order = rules
    .map((r, i) => ({ r, k: rnd(97, i + 1) }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.r);
  return { ...doc, architectures: [...(doc.architectures ?? [])].reverse(), syscalls: order };
}

describe('profiles written differently diff as equal', () => {
  test('reordered, split, aliased', () => {
    fc.assert(
      fc.property(arbProfile, fc.integer({ min: 1, max: 1000 }), (doc, seed) => {
        const r = diffFilters(sideOf(doc), sideOf(rewrite(doc, seed)), { abis: X86 });
        expect(r.differences).toEqual([]);
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  test('and a real change is found (the check can fail)', () => {
    fc.assert(
      fc.property(arbProfile, (doc) => {
        const first = doc.syscalls[0];
        if (first === undefined) return;
        const flipped =
          first.action === 'SCMP_ACT_TRAP' ? 'SCMP_ACT_KILL_PROCESS' : 'SCMP_ACT_TRAP';
        const changed = {
          ...doc,
          syscalls: [{ ...first, action: flipped, args: [] }, ...doc.syscalls.slice(1)],
        };
        if (doc.defaultAction === 'SCMP_ACT_KILL_PROCESS' && flipped === 'SCMP_ACT_KILL_PROCESS')
          return;
        const r = diffFilters(sideOf(doc), sideOf(changed), { abis: ['x86_64'] });
        expect(r.differences.some((d) => first.names.includes(d.syscall))).toBe(true);
      }),
      { numRuns: 20, seed: 8 },
    );
  });
});
