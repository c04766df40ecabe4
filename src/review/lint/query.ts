/**
 * Questions the rules ask the decision model beyond engine.ts: whether a syscall runs for some
 * argument vector that also meets an extra condition (clone with a CLONE_NEW* bit set), asked by
 * putting that condition in front of the syscall's DAG and walking the regions of the result (exact,
 * never sampled); the plan of the same profile on another host (an old kernel); and where a rule's
 * action is written.
 */
import { maybeStack } from '../../compile/runtime-versions.js';
import { constantGroups } from '../../arch/constants.js';
import type { ArchName } from '../../arch/types.js';
import { SECCOMP_RET_KILL_PROCESS } from '../../bpf/seccomp.js';
import { buildPlan } from '../../compile/build.js';
import type { FilterPlan, PlanLeaf, PlanNode } from '../../compile/plan.js';
import { joinPointer } from '../../document/pointer.js';
import { ProfileError } from '../../profile/errors.js';
import { resolveProfile, type KernelVersion } from '../../profile/resolve.js';
import type { SyscallRule } from '../../profile/types.js';
import { walkRegions } from '../diff-regions.js';
import { leafRuns } from './engine.js';
import type { LintContext } from './types.js';

/** A leaf no rule decides, standing for "not this region" in a guarded DAG. */
const OUTSIDE: PlanLeaf = {
  kind: 'ret',
  value: SECCOMP_RET_KILL_PROCESS,
  origin: { kind: 'bad-arch' },
};

/**
 * The leaves that let the call run for some argument vector whose argument `arg` has at least one
 * bit of `mask` set in its low word (where every CLONE_NEW* flag lives), and whose low word is not
 * `except` when given (personality's query value 0xffffffff sets no flag), with one vector each.
 */
export function runsWithBits(
  root: PlanNode,
  arg: number,
  mask: number,
  except?: number,
): { leaf: PlanLeaf; args: readonly bigint[] }[] {
  const withBits: PlanNode = {
    kind: 'cmp',
    arg,
    word: 'lo',
    op: 'set',
    mask: 0xffffffff,
    datum: mask >>> 0,
    then: root,
    else: OUTSIDE,
  };
  const guarded: PlanNode =
    except === undefined
      ? withBits
      : {
          kind: 'cmp',
          arg,
          word: 'lo',
          op: 'eq',
          mask: 0xffffffff,
          datum: except >>> 0,
          then: OUTSIDE,
          else: withBits,
        };
  const out = new Map<PlanLeaf, readonly bigint[]>();
  walkRegions([guarded], (r) => {
    const leaf = r.leaves[0];
    if (leaf !== undefined && leaf !== OUTSIDE && leafRuns(leaf) && !out.has(leaf))
      out.set(leaf, r.args);
    return true;
  });
  return [...out].map(([leaf, args]) => ({ leaf, args }));
}

/**
 * Which of the named flags of a constant group (`CLONE_NEW*` of `clone`, `READ_IMPLIES_EXEC` of
 * `personality`) some running region admits in argument `arg` (its low word never `except`).
 */
export function flagsThatRun(
  root: PlanNode,
  arg: number,
  flags: readonly string[],
  group: 'clone' | 'personality' = 'clone',
  except?: number,
): string[] {
  const table = constantGroups()[group];
  return flags.filter((f) => {
    const v = table[f];
    return v !== undefined && runsWithBits(root, arg, v, except).length > 0;
  });
}

/** The namespace flags of clone(2) (include/uapi/linux/sched.h), in bit order. */
export const CLONE_NAMESPACE_FLAGS: readonly string[] = [
  'CLONE_NEWNS',
  'CLONE_NEWCGROUP',
  'CLONE_NEWUTS',
  'CLONE_NEWIPC',
  'CLONE_NEWUSER',
  'CLONE_NEWPID',
  'CLONE_NEWNET',
];

/** unshare(2) also takes CLONE_NEWTIME (Linux 5.6), which clone's flags word cannot hold. */
export const UNSHARE_NAMESPACE_FLAGS: readonly string[] = [
  'CLONE_NEWTIME',
  ...CLONE_NAMESPACE_FLAGS,
];

/** The OR of named clone flags. */
export function cloneMask(flags: readonly string[]): number {
  const table = constantGroups().clone;
  return flags.reduce((m, f) => (m | (table[f] ?? 0)) >>> 0, 0);
}

/** Which argument of clone(2) holds the flags: the second on s390/s390x (its argument order differs). */
export function cloneFlagsArg(abi: ArchName): number {
  return abi === 's390' || abi === 's390x' ? 1 : 0;
}

/**
 * The plan of the context's profile on the same host with another kernel (for minKernel gates);
 * undefined when the stack refuses the profile there or seccomp is off.
 */
export function planForKernel(ctx: LintContext, kernel: KernelVersion): FilterPlan | undefined {
  try {
    const moby = resolveProfile(ctx.profile, { ...ctx.host, kernel });
    if (moby === null) return undefined;
    const v = maybeStack(moby, ctx.host.stack);
    return buildPlan(v.profile, {
      arch: ctx.host.arch,
      libseccomp: ctx.host.libseccomp,
      ...v.planOptions,
    });
  } catch (e) {
    if (e instanceof ProfileError) return undefined;
    throw e;
  }
}

/** The DAG deciding direct number `nr` on `abi` in `plan` (no runc stub above the profile's max). */
export function planRoot(plan: FilterPlan, abi: ArchName, nr: number): PlanNode | undefined {
  const a = plan.arches.find((x) => x.arch === abi);
  if (a === undefined) return undefined;
  return a.syscalls.find((s) => s.nr >>> 0 === nr >>> 0)?.root ?? a.defaultLeaf;
}

/**
 * The pointer of a rule's action: its `action` member in the Docker-shaped formats; the rule itself
 * in Firecracker's, whose actions sit elsewhere.
 */
export function actionPointer(ctx: LintContext, rule: SyscallRule): string {
  return ctx.doc.format === 'firecracker' ? rule.pointer : joinPointer(rule.pointer, 'action');
}

/** Whether fixes may rewrite action strings: the Docker-shaped formats spell them `SCMP_ACT_*`. */
export function writesScmpActions(ctx: LintContext): boolean {
  return ctx.doc.format !== 'firecracker' && ctx.doc.format !== 'libcontainer';
}

/** The pointer of the profile's default action (`/defaultAction` under the profile's own pointer). */
export function defaultActionPointer(ctx: LintContext): string {
  return joinPointer(ctx.doc.pointer ?? '', 'defaultAction');
}
