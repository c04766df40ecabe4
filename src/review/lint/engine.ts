/**
 * What detectors ask the decision model: over the whole argument space of a syscall's decision DAG
 * (the diff's region walk, exact, never sampled), which regions let the call run and which rule or
 * default decides them.
 */
import type { Exposure } from '../score.js';
import { syscallNumber } from '../../arch/syscalls.js';
import type { ArchName } from '../../arch/types.js';
import { actionKind, actionRuns } from '../../bpf/seccomp.js';
import type { PlanLeaf, PlanNode } from '../../compile/plan.js';
import { walkRegions, type Region } from '../diff-regions.js';
import type { LintContext } from './types.js';

/** Whether a leaf lets the call run (ALLOW or LOG). */
export function leafRuns(leaf: PlanLeaf): boolean {
  return actionRuns(actionKind(leaf.value));
}

/** Every region of one DAG (the partition of the argument space it decides on). */
export function regionsOf(root: PlanNode): Region[] {
  const out: Region[] = [];
  walkRegions([root], (r) => {
    out.push(r);
    return true;
  });
  return out;
}

/** How a syscall fares on one ABI: allowed on every argument vector, on some, or on none (score's). */
export type { Exposure };

/** One syscall's decision on one ABI of the plan. */
export interface SyscallDecision {
  /** The ABI. */
  readonly abi: ArchName;
  /** The direct number. */
  readonly nr: number;
  /** Its regions. */
  readonly regions: readonly Region[];
  /** Allowed on every, some or no argument vector. */
  readonly exposure: Exposure;
  /** The leaves of the regions that let it run (one per distinct leaf). */
  readonly running: readonly PlanLeaf[];
}

/**
 * The decision of `name` on every ABI of the host that has it as a direct call and that the plan
 * covers (ABIs left to the bad-arch action decide nothing). Empty without a plan.
 */
export function syscallDecisions(ctx: LintContext, name: string): SyscallDecision[] {
  const plan = ctx.plan;
  if (plan === undefined) return [];
  const out: SyscallDecision[] = [];
  for (const a of plan.arches) {
    const nr = syscallNumber(a.arch, name);
    if (nr === undefined) continue;
    const root = ctx.decisionRoot(a.arch, nr);
    if (root === undefined) continue;
    const regions = regionsOf(root);
    const running = [...new Set(regions.flatMap((r) => r.leaves.filter(leafRuns)))];
    const runs = regions.filter((r) => r.leaves.every(leafRuns)).length;
    const exposure: Exposure =
      runs === 0 ? 'refused' : runs === regions.length ? 'allowed' : 'conditional';
    out.push({ abi: a.arch, nr, regions, exposure, running });
  }
  return out;
}

/** Findings grouped by pointer: one entry per place, with the ABIs and syscalls it holds for. */
export class ByPointer {
  private readonly map = new Map<string, { abis: Set<ArchName>; syscalls: Set<string> }>();

  /** Record that the node at `pointer` concerns `syscall` on `abi`. */
  add(pointer: string, abi: ArchName, syscall: string): void {
    let e = this.map.get(pointer);
    if (e === undefined) this.map.set(pointer, (e = { abis: new Set(), syscalls: new Set() }));
    e.abis.add(abi);
    e.syscalls.add(syscall);
  }

  /** The groups, in insertion order. */
  entries(): { pointer: string; abis: ArchName[]; syscalls: string[] }[] {
    return [...this.map].map(([pointer, e]) => ({
      pointer,
      abis: [...e.abis],
      syscalls: [...e.syscalls],
    }));
  }
}

/**
 * Where each of `names` runs on every argument vector, on every ABI: the rule (or default) that lets
 * it run, grouped by JSON pointer. `counts` may leave a running leaf out (a gated rule, say).
 */
export function unconditionalAllows(
  ctx: LintContext,
  names: Iterable<string>,
  counts: (leaf: PlanLeaf) => boolean = () => true,
): ByPointer {
  const groups = new ByPointer();
  for (const name of names) {
    for (const d of syscallDecisions(ctx, name)) {
      if (d.exposure !== 'allowed') continue;
      for (const leaf of d.running) {
        if (!counts(leaf)) continue;
        const p = ctx.leafPointer(leaf);
        if (p !== undefined) groups.add(p, d.abi, name);
      }
    }
  }
  return groups;
}
