/**
 * diff's counterexamples confirmed by the running kernel: random profile pairs over syscalls that are
 * harmless with any argument (see kernel-differential.itest.ts), both compiled for an x86_64 host
 * (x86_64, x86, x32), diffed; every reported argument vector is then issued as a real system call
 * (static prober in a bubblewrap sandbox, the filter loaded in the forked child right before it)
 * under the old filter and under the new one, and the kernel's outcome on each side must be the one
 * the reported action implies (what the same call does unfiltered, for ALLOW and LOG). ERRNO rules
 * carry distinct errnos, so the kernel's answer names the action.
 * Both profiles allow getrandom first: runc's ENOSYS stub then covers the same numbers on both sides
 * (it starts above the highest named syscall), so every difference is on a probed syscall.
 * Runs when CI=true (and then fails without bwrap or the prober), else only where bwrap exists.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { archInfo } from '../../src/arch/arches.js';
import { encodeProgram } from '../../src/bpf/instruction.js';
import { diffFilters, type Difference } from '../../src/review/diff.js';
import { sideOf, type ProfileDoc } from '../../src/review/diff.testkit.js';
import { ensureProber, hasTool, kernelDisagreements, probeForData } from '../oracle/kernel.js';

const enabled = process.env.CI === 'true' || hasTool('bwrap');
const ABIS = ['x86_64', 'x86', 'x32'] as const;
/** Harmless whatever the arguments, with the same unfiltered outcome in every sandbox run. */
const PROBED = [
  'personality',
  'close',
  'lseek',
  'umask',
  'getuid',
  'uname',
  'access',
  'sched_yield',
];

const cond = fc.record({
  index: fc.integer({ min: 0, max: 1 }),
  op: fc.constantFrom('SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_GE'),
  value: fc.constantFrom(0, 1, 2, 8, 0xffffffff),
});
const action = fc.constantFrom(
  { action: 'SCMP_ACT_ALLOW' },
  { action: 'SCMP_ACT_LOG' },
  { action: 'SCMP_ACT_ERRNO', errnoRet: 2001 },
  { action: 'SCMP_ACT_ERRNO', errnoRet: 2002 },
  { action: 'SCMP_ACT_TRAP' },
  { action: 'SCMP_ACT_KILL_PROCESS' },
);
const profile: fc.Arbitrary<ProfileDoc> = fc
  .array(
    fc.record({
      names: fc.uniqueArray(fc.constantFrom(...PROBED), { minLength: 1, maxLength: 3 }),
      act: action,
      args: fc.array(cond, { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((rules) => ({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 2000,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['getrandom'], action: 'SCMP_ACT_ALLOW' },
      ...rules.map((r) => ({
        names: r.names,
        ...r.act,
        // One condition per argument index (runc splits two on one index into alternatives).
        ...(r.args.length > 0 && {
          args: [...new Map(r.args.map((c) => [c.index, c])).values()],
        }),
      })),
    ],
  }));

describe.runIf(enabled)('diff counterexamples on the kernel', () => {
  test('every reported vector decides on the kernel as the diff says, on both sides', async () => {
    ensureProber();
    const pairs = fc.sample(fc.tuple(profile, profile), { numRuns: 40, seed: 21 });
    let confirmed = 0;
    const changes = new Map<string, number>();
    const problems: string[] = [];
    for (const [i, [a, b]] of pairs.entries()) {
      let sa, sb;
      try {
        sa = sideOf(a, 'old');
        sb = sideOf(b, 'new');
      } catch (e) {
        if (e instanceof Error && e.name === 'ProfileError') continue; // libseccomp refuses it
        throw e;
      }
      const d = diffFilters(sa, sb, { abis: ABIS, maxRegions: 4 });
      const outside = d.differences.filter((x) => !PROBED.includes(x.syscall));
      expect(outside.map((x) => `${x.abi} ${x.syscall}`)).toEqual([]);
      if (d.differences.length === 0) continue;
      const probes = d.differences.map((x: Difference) =>
        probeForData({
          nr: x.nr,
          arch: archInfo(x.abi).auditArch,
          instructionPointer: 0n,
          args: x.args as unknown as Parameters<typeof probeForData>[0]['args'],
        }),
      );
      for (const [side, s, rets] of [
        ['old', sa, d.differences.map((x) => x.oldValue)],
        ['new', sb, d.differences.map((x) => x.newValue)],
      ] as const) {
        const bytes = s.filters.map((f) => encodeProgram(f, 'little'));
        const bad = await kernelDisagreements(bytes, probes, rets);
        for (const x of bad) {
          const at = d.differences[x.index];
          problems.push(
            `pair ${i} ${side}: ${at?.abi} ${at?.syscall}(${(x.probe.args ?? []).join(', ')}): expected ${x.expected}, kernel ${x.actual}`,
          );
        }
      }
      confirmed += d.differences.length;
      for (const x of d.differences) changes.set(x.change, (changes.get(x.change) ?? 0) + 1);
    }
    console.log(
      `diff-kernel: ${confirmed} counterexamples run on both sides (${[...changes].map(([k, n]) => `${n} ${k}`).join(', ')})`,
    );
    expect(problems).toEqual([]);
    expect(confirmed).toBeGreaterThan(50);
  });
});
