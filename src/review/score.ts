/**
 * The attack surface of a filter per ABI: which syscalls it lets run on every argument (allowed),
 * on some arguments only (conditional), or never (refused), counted per risk level of the knowledge
 * base (kb/risk-data.ts), and the reduction against another filter (Docker's default by default).
 * Decided on the whole argument space with the diff's region walk, not by sampling.
 */
import { syscallEntries } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { actionKind, actionRuns } from '../bpf/seccomp.js';
import { combineLeaves } from '../compile/decide.js';
import { riskOf } from '../kb/index.js';
import { RISK_LEVELS, type RiskLevel } from '../kb/types.js';
import { walkRegions } from './diff-regions.js';
import { liftSide, rootsOf, type FilterSide } from './diff.js';

/** What a filter lets a syscall do. */
export type Exposure = 'allowed' | 'conditional' | 'refused';

/** Counts of one risk level. */
export interface RiskCount {
  /** Syscalls of the level allowed on every argument. */
  readonly allowed: number;
  /** Syscalls of the level allowed on some arguments only. */
  readonly conditional: number;
}

/** The surface of one filter on one ABI. */
export interface AbiSurface {
  /** The ABI. */
  readonly abi: ArchName;
  /** Syscalls in the ABI's table. */
  readonly syscalls: number;
  /** Names allowed on every argument vector (ALLOW or LOG), by number. */
  readonly allowed: readonly string[];
  /** Names allowed on some argument vectors only. */
  readonly conditional: readonly string[];
  /** How many are refused on every argument vector. */
  readonly refused: number;
  /** Counts per risk level, most severe first. */
  readonly byRisk: Readonly<Record<RiskLevel, RiskCount>>;
}

/** How a syscall fares under `roots`: allowed everywhere, somewhere, or nowhere. */
function exposureOf(roots: Parameters<typeof walkRegions>[0]): Exposure {
  const seen = { runs: false, stops: false };
  walkRegions(roots, (r) => {
    const v = combineLeaves(r.leaves);
    if (actionRuns(actionKind(v))) seen.runs = true;
    else seen.stops = true;
    return !(seen.runs && seen.stops);
  });
  return seen.runs ? (seen.stops ? 'conditional' : 'allowed') : 'refused';
}

/** The surface of `side` on each ABI of `abis`. */
export function attackSurface(side: FilterSide, abis: readonly ArchName[]): AbiSurface[] {
  return abis.map((abi) => {
    const entries = syscallEntries(abi);
    const lifted = liftSide(
      side,
      abi,
      entries.map((e) => e.nr),
    );
    const allowed: string[] = [];
    const conditional: string[] = [];
    const byRisk = Object.fromEntries(
      RISK_LEVELS.map((l) => [l, { allowed: 0, conditional: 0 }]),
    ) as Record<RiskLevel, { allowed: number; conditional: number }>;
    for (const e of entries) {
      const x = exposureOf(rootsOf(lifted, e.nr));
      if (x === 'refused') continue;
      (x === 'allowed' ? allowed : conditional).push(e.name);
      byRisk[riskOf(e.name).level][x]++;
    }
    return {
      abi,
      syscalls: entries.length,
      allowed,
      conditional,
      refused: entries.length - allowed.length - conditional.length,
      byRisk,
    };
  });
}

/** A surface against a reference: the fraction of the reference's reachable syscalls removed. */
export interface SurfaceReduction {
  /** The ABI. */
  readonly abi: ArchName;
  /** 1 - (allowed + conditional) / the reference's; null when the reference allows nothing. */
  readonly total: number | null;
  /** The same per risk level. */
  readonly byRisk: Readonly<Record<RiskLevel, number | null>>;
  /** Syscalls the profile lets run (on some arguments at least) that the reference never does. */
  readonly beyond: readonly string[];
}

function fraction(mine: number, ref: number): number | null {
  return ref === 0 ? null : 1 - mine / ref;
}

/** How much smaller `mine` is than `ref` on one ABI (both from {@link attackSurface}). */
export function surfaceReduction(mine: AbiSurface, ref: AbiSurface): SurfaceReduction {
  const reach = (s: AbiSurface): number => s.allowed.length + s.conditional.length;
  const refReach = new Set([...ref.allowed, ...ref.conditional]);
  const byRisk = Object.fromEntries(
    RISK_LEVELS.map((l) => {
      const m = mine.byRisk[l];
      const r = ref.byRisk[l];
      return [l, fraction(m.allowed + m.conditional, r.allowed + r.conditional)];
    }),
  ) as Record<RiskLevel, number | null>;
  return {
    abi: mine.abi,
    total: fraction(reach(mine), reach(ref)),
    byRisk,
    beyond: [...mine.allowed, ...mine.conditional].filter((n) => !refReach.has(n)),
  };
}
