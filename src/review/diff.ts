/**
 * The semantic diff: the exact difference in decisions between two filters, per ABI, per syscall and
 * per argument region. Each side is one or more classic BPF filters (a compiled profile, a raw
 * filter, or the stack loaded in a live process); each is lifted to plan DAGs (compile/lift.ts) for
 * every syscall number of the ABI, the product of both sides' DAGs is walked region by region
 * (diff-regions.ts), and every region where the kernel's combined decision differs is reported with
 * one argument vector inside it. Every vector is then run through both sides' filters in the
 * emulator (bpf/emulate.ts): a reported difference the emulator does not reproduce is a bug and
 * throws.
 */
import { archInfo } from '../arch/arches.js';
import { syscallEntries } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { compileProgram, execute, type CompiledProgram } from '../bpf/emulate.js';
import type { Instruction } from '../bpf/instruction.js';
import { actionKind, type SeccompActionKind, type SeccompData } from '../bpf/seccomp.js';
import { combineLeaves, combineStacked, decide } from '../compile/decide.js';
import { describeAction } from '../compile/explain.js';
import { liftDecisions, LiftError } from '../compile/lift.js';
import type { DecisionOrigin, FilterPlan, PlanLeaf, PlanNode } from '../compile/plan.js';
import { UsageError } from '../document/errors.js';
import { mobyArchitectures } from '../kb/moby/arch.js';
import { archByScmpName } from '../arch/arches.js';
import {
  describeLiteral,
  simplifyRegion,
  walkRegions,
  type RegionLiteral,
} from './diff-regions.js';

/** One side of a diff: the filters the kernel runs, and the plan when the side is a profile. */
export interface FilterSide {
  /** What the user named (a file, `pid 1234`, `container web`). */
  readonly label: string;
  /** The filters in installation order (oldest first); empty means no seccomp (everything runs). */
  readonly filters: readonly (readonly Instruction[])[];
  /** The plan the filter was compiled from, when the side is a profile: names the deciding rule. */
  readonly plan?: FilterPlan;
}

/** Options of {@link diffFilters}. */
export interface DiffOptions {
  /** The ABIs to compare, in report order. */
  readonly abis: readonly ArchName[];
  /** Regions reported per (ABI, syscall) at most (default 8); the first is always reported. */
  readonly maxRegions?: number;
}

/** How a decision moved: towards ALLOW (looser), away from it (tighter), or sideways (same class). */
export type Change = 'looser' | 'tighter' | 'changed';

/** One region of one syscall where the two sides decide differently. */
export interface Difference {
  /** The ABI. */
  readonly abi: ArchName;
  /** Syscall name. */
  readonly syscall: string;
  /** Number as in `seccomp_data.nr` (x32 numbers include bit 30). */
  readonly nr: number;
  /** The old side's return value (the kernel's combination of its filters). */
  readonly oldValue: number;
  /** The new side's return value. */
  readonly newValue: number;
  /** The old side's action as `explain` spells it (`ERRNO(1) EPERM`). */
  readonly old: string;
  /** The new side's action. */
  readonly new: string;
  /** Looser, tighter or changed. */
  readonly change: Change;
  /** The argument region (a conjunction of word comparisons); empty when it is every argument. */
  readonly region: readonly RegionLiteral[];
  /** One argument vector inside the region, confirmed in the emulator on both sides. */
  readonly args: readonly bigint[];
  /** What decided on the old side, when it is a profile. */
  readonly oldOrigin?: DecisionOrigin;
  /** What decided on the new side, when it is a profile. */
  readonly newOrigin?: DecisionOrigin;
}

/** What {@link diffFilters} returns. */
export interface DiffResult {
  /** The ABIs compared. */
  readonly abis: readonly ArchName[];
  /** Every difference, by ABI (in `abis` order), then syscall number, then region. */
  readonly differences: readonly Difference[];
  /** (ABI, syscall) pairs with more differing regions than `maxRegions`: how many were left out. */
  readonly truncated: readonly { abi: ArchName; syscall: string; omitted: number }[];
  /** Syscalls compared per ABI. */
  readonly compared: number;
}

/** The kernel's precedence of action classes, weakest (closest to running the call) last. */
const PRECEDENCE: readonly SeccompActionKind[] = [
  'kill_process',
  'kill_thread',
  'trap',
  'errno',
  'user_notif',
  'trace',
  'log',
  'allow',
];

/** Whether going from `oldValue` to `newValue` moves towards ALLOW, away from it, or sideways. */
export function changeOf(oldValue: number, newValue: number): Change {
  const a = PRECEDENCE.indexOf(actionKind(oldValue));
  const b = PRECEDENCE.indexOf(actionKind(newValue));
  return b > a ? 'looser' : b < a ? 'tighter' : 'changed';
}

/**
 * The ABIs a host runs, as Docker's default archMap lists them for its arch (x86_64: x86_64, x86,
 * x32); just the arch itself when the map has no entry.
 */
export function hostAbis(arch: ArchName): ArchName[] {
  const go = archInfo(arch).goArch;
  const scmp = go === null ? [] : mobyArchitectures(go);
  const names = scmp.flatMap((s) => {
    const a = archByScmpName(s);
    return a === undefined ? [] : [a.name];
  });
  return names.includes(arch) ? names : [arch];
}

/**
 * The host a list of ABIs belongs to: the first ABI when it heads an archMap entry, else the arch
 * whose entry lists it as a sub-architecture (x86 and x32 belong to x86_64 when `preferred` runs them).
 */
export function hostForAbis(abis: readonly ArchName[], preferred: ArchName): ArchName {
  if (abis.every((a) => hostAbis(preferred).includes(a))) return preferred;
  const first = abis[0] ?? preferred;
  return first;
}

/** A side lifted for one ABI: per filter, the DAG root of every syscall number. */
export interface LiftedSide {
  readonly side: FilterSide;
  readonly roots: readonly Map<number, PlanNode>[];
  readonly compiled: readonly CompiledProgram[];
}

const leafCache = new Map<number, PlanLeaf>();
/** One shared leaf per return value (lifted raw filters carry no rule). */
function rawLeaf(value: number): PlanLeaf {
  let l = leafCache.get(value);
  if (l === undefined) {
    l = { kind: 'ret', value, origin: { kind: 'default' } };
    leafCache.set(value, l);
  }
  return l;
}

/**
 * Lift every filter of `side` for the syscall numbers `nrs` of `abi` (throws UsageError for a filter
 * outside the shape the lifter reads).
 */
export function liftSide(side: FilterSide, abi: ArchName, nrs: readonly number[]): LiftedSide {
  const info = archInfo(abi);
  const roots = side.filters.map((f, i) => {
    try {
      return liftDecisions({ insns: f }, info.auditArch, nrs, info.endian, rawLeaf);
    } catch (e) {
      if (!(e instanceof LiftError)) throw e;
      throw new UsageError(
        `${side.label}${side.filters.length > 1 ? ` (filter ${i})` : ''}: the filter is not in the shape sysgate reads (${e.message})`,
        'unreadable-filter',
      );
    }
  });
  return { side, roots, compiled: side.filters.map((f) => compileProgram(f)) };
}

/** The side's combined return value for `data`, in the emulator. */
function runSide(s: LiftedSide, data: SeccompData, endian: 'little' | 'big'): number {
  return combineStacked(s.compiled.map((p) => execute(p, data, endian).ret));
}

/** Roots of one syscall number on a lifted side, in installation order. */
export function rootsOf(s: LiftedSide, nr: number): PlanNode[] {
  return s.roots.map((m) => {
    const r = m.get(nr >>> 0);
    if (r === undefined) throw new Error(`lift gave no decision for nr ${nr}`);
    return r;
  });
}

/**
 * The exact difference in decisions between `oldSide` and `newSide` on each ABI of `opts.abis`: for
 * every syscall of the ABI's table, every argument region where the kernel's decisions differ, each
 * with one argument vector that the emulator confirms on both sides.
 */
export function diffFilters(
  oldSide: FilterSide,
  newSide: FilterSide,
  opts: DiffOptions,
): DiffResult {
  const max = Math.max(1, opts.maxRegions ?? 8);
  const differences: Difference[] = [];
  const truncated: { abi: ArchName; syscall: string; omitted: number }[] = [];
  let compared = 0;
  for (const abi of opts.abis) {
    const info = archInfo(abi);
    const entries = syscallEntries(abi);
    compared = Math.max(compared, entries.length);
    const nrs = entries.map((e) => e.nr);
    const a = liftSide(oldSide, abi, nrs);
    const b = liftSide(newSide, abi, nrs);
    for (const e of entries) {
      const ra = rootsOf(a, e.nr);
      const rb = rootsOf(b, e.nr);
      const found: Difference[] = [];
      let omitted = 0;
      walkRegions([...ra, ...rb], (region) => {
        const oldValue = combineLeaves(region.leaves, 0, ra.length);
        const newValue = combineLeaves(region.leaves, ra.length);
        if (oldValue === newValue) return true;
        if (found.length >= max) {
          omitted++;
          return omitted < 1000;
        }
        const data: SeccompData = {
          nr: e.nr,
          arch: info.auditArch,
          instructionPointer: 0n,
          args: region.args as SeccompData['args'],
        };
        const ranOld = runSide(a, data, info.endian);
        const ranNew = runSide(b, data, info.endian);
        if (ranOld !== oldValue || ranNew !== newValue) {
          throw new Error(
            `diff: ${abi} ${e.name}(${region.args.join(', ')}): the regions say ${describeAction(oldValue)} -> ${describeAction(newValue)}, the emulator ${describeAction(ranOld)} -> ${describeAction(ranNew)}`,
          );
        }
        found.push({
          abi,
          syscall: e.name,
          nr: e.nr,
          oldValue,
          newValue,
          old: describeAction(oldValue),
          new: describeAction(newValue),
          change: changeOf(oldValue, newValue),
          region: simplifyRegion(region.literals),
          args: region.args,
          ...(oldSide.plan !== undefined && { oldOrigin: decide(oldSide.plan, data).origin }),
          ...(newSide.plan !== undefined && { newOrigin: decide(newSide.plan, data).origin }),
        });
        return true;
      });
      differences.push(...found);
      if (omitted > 0) truncated.push({ abi, syscall: e.name, omitted });
    }
  }
  return { abis: opts.abis, differences, truncated, compared };
}

/** The region of a difference in words (`every argument` when it does not depend on them). */
export function describeRegion(region: readonly RegionLiteral[]): string {
  return region.length === 0 ? 'any arguments' : region.map(describeLiteral).join(' && ');
}
