/**
 * A long run of diffs in one process, as `lint --fix` makes them: random profiles, each with its
 * rules that equal the default action removed (the fix of the action-equals-default rule), checked by
 * applyFixes (both compiled for the case host and diffed on x86_64, x86 and x32). Node 20's optimising
 * compiler once miscompiled diffFilters' region visitor after a few hundred diffs (compile/decide.ts
 * `combineLeaves`); the sequences here are the ones that hit it.
 */
import fc from 'fast-check';
import { runcActionValue } from '../runc/action.js';
import { CASE_HOST, compactJson } from './lint/case-kit.js';
import { applyFixes } from './lint/fix.js';

const NAMES = [
  'read',
  'write',
  'getpid',
  'socket',
  'clone',
  'clone3',
  'mount',
  'unshare',
  'ptrace',
  'gettpid',
  'io_uring_setup',
  'pread64',
  'socketcall',
];
const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_LOG', 'SCMP_ACT_KILL_PROCESS'];
const OPS = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

interface SeqRule {
  readonly names: string[];
  readonly action: string;
  readonly errnoRet?: number;
  readonly args?: { index: number; value: number; valueTwo: number; op: string }[];
}
interface SeqProfile {
  readonly defaultAction: string;
  readonly architectures: string[];
  readonly syscalls: SeqRule[];
}

const condition = fc.record({
  index: fc.integer({ min: 0, max: 5 }),
  value: fc.constantFrom(0, 1, 2, 38, 40, 0x7e020000),
  valueTwo: fc.constantFrom(0, 1),
  op: fc.constantFrom(...OPS),
});
const rule: fc.Arbitrary<SeqRule> = fc
  .record({
    names: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }),
    action: fc.constantFrom(...ACTIONS),
    errnoRet: fc.option(fc.constantFrom(0, 1, 38), { nil: undefined }),
    args: fc.array(condition, { maxLength: 2 }),
  })
  .map((r) => ({
    names: r.names,
    action: r.action,
    ...(r.action === 'SCMP_ACT_ERRNO' && r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
    ...(r.args.length === 0 ? {} : { args: r.args }),
  }));
const profile: fc.Arbitrary<SeqProfile> = fc.record({
  defaultAction: fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_ALLOW', 'SCMP_ACT_KILL_PROCESS'),
  architectures: fc.constantFrom(
    ['SCMP_ARCH_X86_64'],
    ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ),
  syscalls: fc.array(rule, { minLength: 1, maxLength: 5 }),
});

const value = (action: string, errnoRet?: number): number =>
  runcActionValue(action as Parameters<typeof runcActionValue>[0], errnoRet);

/** What a sequence did: fixes applied, and refused (by reason: looser, or the stack refuses). */
export interface SequenceResult {
  applied: number;
  looser: number;
  stackRefuses: number;
}

/**
 * Run the sequence of `seed` (`runs` random profiles): every profile with some but not all rules
 * equal to its default gets those rules removed through applyFixes. Removing them can still loosen
 * a decision (runc's ENOSYS stub covers the numbers above the highest syscall the profile names,
 * skipped rules included), so some fixes are refused. Throws whatever applyFixes throws (the diff's
 * consistency check among it).
 */
export function fixSequence(seed: number, runs = 200): SequenceResult {
  const out: SequenceResult = { applied: 0, looser: 0, stackRefuses: 0 };
  for (const p of fc.sample(profile, { numRuns: runs, seed })) {
    const def = value(p.defaultAction);
    const removed = p.syscalls.flatMap((r, i) =>
      value(r.action, r.errnoRet) === def ? [`/syscalls/${i}`] : [],
    );
    if (removed.length === 0 || removed.length === p.syscalls.length) continue;
    const edits = removed.map((pointer) => ({ op: 'remove' as const, pointer }));
    const r = applyFixes(
      compactJson(p) + '\n',
      'p.json',
      [{ description: 'remove', edits }],
      CASE_HOST,
    );
    const why = r.refused ?? '';
    if (r.applied === 1) out.applied++;
    else if (why.startsWith('the fix would let')) out.looser++;
    else if (why.startsWith('the fixed profile is refused')) out.stackRefuses++;
    else throw new Error(`seed ${seed}: the fix was refused: ${why}`);
  }
  return out;
}
