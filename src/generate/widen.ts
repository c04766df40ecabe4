/**
 * Widening: what a second run of the workload would very likely need beyond what one recording saw,
 * each addition with its reason. Exactly-recorded is the floor (`none`); `safe` adds the other
 * members of the equivalence families (kb/equivalents.ts) of the calls allowed unconditionally;
 * `families` adds, on top, the companions of code paths the evidence shows (a process that reaps
 * children may signal them, a shell that runs commands may sleep).
 *
 * What widening never does (the property test in widen.test.ts checks it with the decision model):
 * - add a critical or high-risk call, or one riskier than the family member seen (a family's
 *   `waitid`, rated low, is not added for a `wait4`, rated info);
 * - touch an argument-filtered decision: a name generation filters by argument (socket, clone,
 *   clone3, personality) is never a candidate, a family with a member allowed only for some
 *   arguments gets nothing, and a name allowed in any form already is left as it is;
 * - add a name no target ABI has (libseccomp of the target version must resolve it), so a name
 *   absent on one ABI is skipped there;
 * - add a socket or IPC call on an ABI that multiplexes them (x86, s390, ppc, mips o32): there
 *   libseccomp also adds a rule for socketcall/ipc with that sub-call, which would change the
 *   multiplexer's decisions (generate.ts guardMultiplexers);
 * - change a refusal into another: runc answers every syscall numbered above the profile's highest
 *   name with ENOSYS (its stub, docs/semantics.md), and glibc falls back from a newer call on ENOSYS
 *   only (faccessat2 to faccessat, close_range to a loop of close); a name numbered above that
 *   ceiling on a kept ABI would turn those ENOSYS answers into the default EPERM, so it is left out.
 */
import {
  libseccompKnows,
  multiplexerFor,
  syscallNumber,
  type ArchName,
  type LibseccompVersion,
} from '../arch/index.js';
import {
  criticalSyscalls,
  riskOf,
  riskRank,
  SYSCALL_COMPANIONS,
  SYSCALL_FAMILIES,
} from '../kb/index.js';
import type { EvidenceWidening } from './evidence.js';
import type { AllowEntry } from './generate.js';

/** How far generation goes beyond the recorded calls. */
export type WidenMode = 'none' | 'safe' | 'families';

/** The widening modes, narrowest first. */
export const WIDEN_MODES: readonly WidenMode[] = ['none', 'safe', 'families'];

/** One call added by widening, with why (the evidence file's `widened` entries). */
export type Widening = EvidenceWidening;

/** Names whose rules generation builds from argument values: widening never adds or changes them. */
export const ARGUMENT_RULED: ReadonlySet<string> = new Set([
  'socket',
  'clone',
  'clone3',
  'personality',
]);

/** What {@link widen} needs besides the allowed calls. */
export interface WidenContext {
  /** The mode. */
  readonly mode: WidenMode;
  /** The target ABIs of the profile. */
  readonly abis: readonly ArchName[];
  /** The libseccomp the profile is for. */
  readonly libseccomp: LibseccompVersion;
  /** Process names seen in the evidence (for companions tied to a program, such as a shell). */
  readonly processes: ReadonlySet<string>;
  /** Names the exact profile has in any rule (allowed, refused, runtime): never candidates. */
  readonly taken?: ReadonlySet<string>;
  /**
   * Per kept ABI, the highest number among the exact profile's names: runc's ENOSYS stub answers
   * everything above it, so no candidate may be numbered higher on an ABI that has it.
   */
  readonly ceiling?: ReadonlyMap<ArchName, number>;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The calls to add to `allow` (the recorded policy) under `ctx.mode`, sorted by name; each name at
 * most once (the first family or companion that justifies it).
 */
export function widen(allow: ReadonlyMap<string, AllowEntry>, ctx: WidenContext): Widening[] {
  if (ctx.mode === 'none') return [];
  const critical = new Set(criticalSyscalls());
  const out = new Map<string, Widening>();
  const underCeiling = (name: string): boolean =>
    ctx.abis.every((a) => {
      const nr = syscallNumber(a, name);
      const max = ctx.ceiling?.get(a);
      return nr === undefined || max === undefined || nr <= max;
    });
  const usable = (name: string): boolean =>
    !allow.has(name) &&
    ctx.taken?.has(name) !== true &&
    !out.has(name) &&
    !ARGUMENT_RULED.has(name) &&
    !critical.has(name) &&
    ctx.abis.some((a) => libseccompKnows(a, name, ctx.libseccomp)) &&
    ctx.abis.every((a) => multiplexerFor(a, name) === undefined) &&
    underCeiling(name);

  for (const f of SYSCALL_FAMILIES) {
    const seen = f.members.filter((m) => allow.has(m));
    if (seen.length === 0) continue;
    // An argument rule on a member is a decision the evidence made: its equivalents get nothing.
    if (seen.some((m) => allow.get(m)?.conditions !== 'any')) continue;
    // A member is added only if it is no more severe than every member seen (riskRank: 0 is
    // critical, higher is less severe).
    const bound = Math.max(...seen.map((m) => riskRank(riskOf(m).level)));
    for (const m of f.members) {
      if (!usable(m) || riskRank(riskOf(m).level) < bound) continue;
      out.set(m, {
        name: m,
        kind: 'family',
        id: f.id,
        from: seen,
        reason: `${f.does}: the kernel's table or libc may pick ${m} where ${seen.join(', ')} was seen`,
        source: f.source,
      });
    }
  }

  if (ctx.mode === 'families') {
    for (const c of SYSCALL_COMPANIONS) {
      const groups = c.when.map((g) => g.filter((n) => allow.has(n)));
      if (groups.some((g) => g.length === 0)) continue;
      if (c.processes !== undefined && !c.processes.some((p) => ctx.processes.has(p))) continue;
      for (const n of c.add) {
        // Companions add only calls of the lowest risk level.
        if (!usable(n) || riskOf(n).level !== 'info') continue;
        out.set(n, {
          name: n,
          kind: 'companion',
          id: c.id,
          from: groups.flat(),
          reason: c.reason,
          source: c.source,
        });
      }
    }
  }
  return [...out.values()].sort((a, b) => cmp(a.name, b.name));
}
