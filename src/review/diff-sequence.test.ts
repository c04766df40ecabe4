/**
 * Many diffs in one process. Node 20's V8 (11.3) TurboFan miscompiled diffFilters' region visitor
 * once it was optimised with `combineStacked(leaves.slice(k).map(...))` inlined: one side came out
 * as 0 (KILL_THREAD), and the diff's own emulator check threw (ending `lint --fix` with exit 70). In
 * a process whose optimising compiler runs on the main thread (--no-concurrent-recompilation) the
 * tier-up points are the same every run, and the sequences of seeds 2 and 3 hit it every time
 * before the fix (4 of 4 runs: x32 faccessat2, "ERRNO(38) ENOSYS -> KILL_THREAD").
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { diffFilters, type Difference } from './diff.js';
import { fixSequence } from './diff-sequence.testkit.js';
import { arbProfile, sideOf } from './diff.testkit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KIT = fileURLToPath(new URL('./diff-sequence.testkit.ts', import.meta.url));
const X86 = ['x86_64', 'x86', 'x32'] as const;

/** Seeds 2 and 3: what applyFixes answers for each (the same in every process). */
const EXPECTED = [
  { applied: 59, looser: 10, stackRefuses: 0 },
  { applied: 68, looser: 7, stackRefuses: 0 },
];

describe('many diffs in one process', () => {
  test('the lint --fix sequences of seeds 2 and 3, in this process', () => {
    expect([fixSequence(2), fixSequence(3)]).toEqual(EXPECTED);
  }, 300_000);

  test('the same sequences where the optimising compiler tiers up at the same points every run', () => {
    const script = `const { fixSequence } = await import(${JSON.stringify(KIT)});
console.log(JSON.stringify([fixSequence(2), fixSequence(3)]));`;
    const r = spawnSync(
      process.execPath,
      ['--no-concurrent-recompilation', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.stderr).not.toMatch(/diff: .* the regions say/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual(EXPECTED);
  }, 300_000);

  test('property: diff(a, b) is diff(b, a) mirrored, region for region of decisions', () => {
    const key = (d: Difference, swap: boolean): string =>
      `${d.abi} ${d.syscall} ${swap ? d.newValue : d.oldValue} ${swap ? d.oldValue : d.newValue}`;
    const keys = (ds: readonly Difference[], swap: boolean): string[] =>
      [...new Set(ds.map((d) => key(d, swap)))].sort();
    let compared = 0;
    fc.assert(
      fc.property(arbProfile, arbProfile, (a, b) => {
        const sa = sideOf(a, 'a');
        const sb = sideOf(b, 'b');
        const ab = diffFilters(sa, sb, { abis: X86, maxRegions: 1000 });
        const ba = diffFilters(sb, sa, { abis: X86, maxRegions: 1000 });
        if (ab.truncated.length > 0 || ba.truncated.length > 0) return;
        expect(keys(ab.differences, false)).toEqual(keys(ba.differences, true));
        expect(diffFilters(sa, sa, { abis: X86 }).differences).toEqual([]);
        compared++;
      }),
      { numRuns: 24, seed: 12 },
    );
    expect(compared).toBeGreaterThan(15);
  }, 300_000);
});
