/**
 * Generation: evidence -> least-privilege allowlist profile. Every allowed syscall comes from the
 * evidence; argument rules are added where the evidence pins the values (socket families, clone
 * namespace flags, personality); the critical syscalls the workload did not need are listed in an
 * explicit refusal block so a reviewer sees them. Output is deterministic for given evidence and options.
 *
 * Layout of the generated `syscalls` (order matters to libseccomp, docs/semantics.md#libseccomp-rule-order; a name is either
 * unconditional or conditional, never both):
 * 1. one ALLOW rule per knowledge-base category (comment: the category and how much was seen);
 * 2. ALLOW rules for seen syscalls the knowledge base rates critical or high, or seen in only some
 *    of several inputs, one per syscall; then the calls widening added (`widen`, see widen.ts), one
 *    rule per family or companion, its comment saying why;
 * 3. argument rules: `socket` one per family seen (within `socketFamilies` when pinned, and then
 *    `socketpair` too), `clone` without namespace flags (plus each namespace combination seen),
 *    `personality` one per value seen;
 * 4. unless `target: 'bare'`, the syscalls runc and crun make after loading the filter, one per rule;
 * 5. on a multiplexing ABI (x86 with `allAbis`), `socketcall`/`ipc` refused so argument rules hold;
 * 6. `clone3` answered with ENOSYS so libc falls back to `clone`, whose flags seccomp can inspect;
 * 7. the never-allow list (`deny`) and the critical syscalls the workload did not make, refused with
 *    ERRNO(EPERM), one rule per risk entry of the knowledge base (its level and reason in the comment),
 *    unless the default action is that refusal already (see {@link layoutProfile}).
 * Rule comments name the processes that made each allowed syscall ("used by").
 */
import {
  archByScmpName,
  archInfo,
  libseccompKnows,
  multiplexerFor,
  syscallNumber,
  type ArchName,
  type LibseccompVersion,
} from '../arch/index.js';
import { ENOSYS } from '../compile/decide.js';
import { multiplexerReason } from '../compile/multiplexer-check.js';
import { EPERM } from '../runc/action.js';
import {
  BWRAP_INIT,
  categoryLabel,
  categoryOf,
  criticalSyscalls,
  defaultNeverAllow,
  riskOf,
  riskRank,
  RUNTIME_POST_LOAD,
  SYSCALL_CATEGORIES,
  SYSCALL_EQUIVALENTS,
} from '../kb/index.js';
import type { RiskLevel } from '../kb/index.js';
import type { ActionName, ArgCondition, Profile, SyscallRule } from '../profile/types.js';
import { abiFor, commOf, hostAbis } from '../trace/observe.js';
import type { Evidence, EvidenceSyscall } from './evidence.js';
import { splitOutcomes } from './outcomes.js';
import { widen, type Widening, type WidenMode } from './widen.js';
import {
  CLONE_NAMESPACE_MASK,
  familyName,
  namespaceFlagNames,
  personalityName,
} from './symbols.js';

/** What the generated profile does with calls outside the allowlist. */
export type GenerateMode = 'enforce' | 'audit' | 'kill';
/**
 * Where the profile will be loaded: by a container runtime (`docker`: runc, crun or Docker, which make
 * some calls of their own after loading it) or directly before the workload (`bare`, e.g. bwrap).
 */
export type GenerateTarget = 'bare' | 'docker';
/** errno of refused calls in enforce mode. */
export type GenerateErrno = 'EPERM' | 'ENOSYS';

/** Options of {@link generateProfile}. */
export interface GenerateOptions {
  /** `enforce` (default): default ERRNO; `audit`: default LOG (the seeds' phase A); `kill`: default KILL_PROCESS. */
  readonly mode?: GenerateMode;
  /**
   * `docker` (default) adds the syscalls runc and crun make after they load the filter, so the profile
   * works under every engine; `bare` leaves them out, for a filter loaded right before the workload.
   */
  readonly target?: GenerateTarget;
  /** errno for refused calls in enforce mode (default EPERM). */
  readonly errno?: GenerateErrno;
  /** Architecture the profile is for (default: the evidence's host); names are mapped across tables. */
  readonly arch?: ArchName;
  /**
   * Keep every ABI the target arch's kernel runs (x86 and x32 on x86_64) instead of only the native
   * ABI and the compat ABIs the evidence shows calls on (default false).
   */
  readonly allAbis?: boolean;
  /**
   * The libseccomp runc links with (default 2.6, every name; the CLI passes the host's): the refusal
   * and runtime blocks list only names it resolves, since runc skips the others with a warning.
   */
  readonly libseccomp?: LibseccompVersion;
  /**
   * Beyond the recorded calls (widen.ts): `none` (default for the library) adds nothing, `safe` the
   * equivalents of recorded calls, `families` those and the companions of code paths seen in part.
   * The CLI defaults to `safe`.
   */
  readonly widen?: WidenMode;
  /**
   * Syscalls never allowed, whatever the evidence shows (default: the knowledge base's never-allow
   * list, {@link defaultNeverAllow}); each one the evidence shows is refused anyway and reported as
   * a {@link PolicyOverride}. `clone3` stays answered with ENOSYS (EPERM would stop libc falling back
   * to clone).
   */
  readonly deny?: readonly string[];
  /**
   * Address families `socket` and `socketpair` may use, at most (e.g. `[1n]`: AF_UNIX only). The
   * rules allow the families the evidence shows within these, or all of these when the evidence does
   * not tell; a family the evidence shows outside them is refused and reported. Unset: the families
   * seen (`socketpair` unfiltered).
   */
  readonly socketFamilies?: readonly bigint[];
}

/**
 * Evidence a policy control overrode, for a warning: a syscall on the never-allow list the workload
 * made, a socket family outside the pinned ones, or a multiplexer refused although the workload used
 * it, because it would carry pinned or denied calls past their rules.
 */
export type PolicyOverride =
  | {
      readonly kind: 'denied';
      readonly name: string;
      readonly count: number;
      readonly usedBy: readonly string[];
      /** What the profile does with the call: refused, or logged by the audit mode's default. */
      readonly outcome: 'refused' | 'logged';
      /** The container runtime makes it after loading the filter (docker target): the start fails. */
      readonly runtime?: string;
    }
  | {
      readonly kind: 'family';
      readonly name: string;
      readonly family: bigint;
      readonly count: number;
      readonly usedBy: readonly string[];
      /** What the profile does with the call: refused, or logged by the audit mode's default. */
      readonly outcome: 'refused' | 'logged';
    }
  | {
      readonly kind: 'multiplexer';
      readonly name: string;
      readonly abis: readonly ArchName[];
      /** The pinned or denied calls it would let through. */
      readonly carries: readonly string[];
    };

/** An allowed syscall in the intermediate policy: unconditional, or a list of alternative condition sets. */
export interface AllowEntry {
  /** Syscall name. */
  readonly name: string;
  /** `any` for unconditional; otherwise each element is one rule (ANDed conditions). */
  readonly conditions: 'any' | readonly (readonly ArgCondition[])[];
  /** Why the rule is as it is (used in comments). */
  readonly note?: string;
  /** Calls seen, when known (for comments). */
  readonly count?: number;
  /** Inputs (runs) that saw it, out of how many, when some did not. */
  readonly coverage?: { readonly seen: number; readonly of: number };
  /** Not recorded: added by widening, with why. */
  readonly widened?: Widening;
}

/** The intermediate policy shared by generate and merge, laid out into a profile by {@link layoutProfile}. */
export interface Policy {
  /** Default action. */
  readonly defaultAction: ActionName;
  /** `defaultErrnoRet` for an ERRNO default. */
  readonly defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names. */
  readonly architectures: readonly string[];
  /** Architecture the argument indexes are for (s390/s390x swap clone's arguments). */
  readonly arch: ArchName;
  /** Allowed syscalls by name. */
  readonly allow: ReadonlyMap<string, AllowEntry>;
  /** Syscalls the runtime needs (docker target) that are not already in `allow`, with the reason. */
  readonly runtime: ReadonlyMap<string, string>;
  /** Answer clone3 with ENOSYS (unless that is the default anyway). */
  readonly clone3Enosys: boolean;
  /** Critical syscalls refused with ERRNO(EPERM) in an explicit block, with an optional note per name. */
  readonly refuse: ReadonlyMap<string, string | undefined>;
  /** Names dropped because no target arch has them, with the reason. */
  readonly dropped: ReadonlyMap<string, string>;
  /**
   * Multiplexers (`socketcall`, `ipc`) the evidence shows calls through, per target ABI name: there
   * an argument-filtered rule cannot be made to hold (see {@link guardMultiplexers}).
   */
  readonly multiplexed?: ReadonlyMap<ArchName, ReadonlySet<string>>;
  /** Compat ABIs of the target arch left out because the evidence shows no call on them. */
  readonly unseenAbis?: readonly ArchName[];
  /** Multiplexers refused so that argument filters hold (see {@link guardMultiplexers}). */
  readonly guards?: readonly MultiplexerGuard[];
  /** Rules kept as written (merge: filtered rules and other actions), placed after the runtime block. */
  readonly extra?: readonly Omit<SyscallRule, 'pointer'>[];
  /** The calls widening added (also in `allow`, each entry's `widened`). */
  readonly widened?: readonly Widening[];
  /** Process names that made each allowed syscall (evidence `processes`), for the "used by" comments. */
  readonly usedBy?: ReadonlyMap<string, readonly string[]>;
  /** Names refused because the never-allow list holds them (a subset of `refuse`'s keys). */
  readonly denied?: ReadonlySet<string>;
  /**
   * Names whose argument rules are pinned by a policy control (`socketFamilies`): a multiplexer that
   * would carry them past their rules is refused, never the rule widened (see {@link guardMultiplexers}).
   */
  readonly pinned?: ReadonlySet<string>;
  /** Evidence the policy controls overrode, in the order found. */
  readonly overrides?: readonly PolicyOverride[];
}

/** How the comment of a multiplexer guard starts (merge recognises the rule by it). */
export const GUARD_COMMENT_PREFIX = 'multiplexer refused: ';

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The ABIs of an arch's profile: the arch and the compat ABIs its kernel runs. */
export function targetAbis(arch: ArchName): ArchName[] {
  return hostAbis(arch);
}

/** Whether a name is usable on any of the ABIs (the libseccomp version resolves it; default 2.6). */
function knownOn(
  abis: readonly ArchName[],
  name: string,
  version: LibseccompVersion = '2.6',
): boolean {
  return abis.some((a) => libseccompKnows(a, name, version));
}

/** Map a name to the names that exist on the target ABIs (itself, or its modern equivalents). */
export function mapName(name: string, abis: readonly ArchName[]): string[] {
  if (knownOn(abis, name)) return [name];
  return (SYSCALL_EQUIVALENTS[name] ?? []).filter((n) => knownOn(abis, n));
}

function cloneIndex(arch: ArchName): number {
  // s390/s390x swap the first two clone arguments (moby's default profile: arg1 on s390).
  return arch === 's390' || arch === 's390x' ? 1 : 0;
}

/** Condition sets with no duplicates, in a stable order. */
function dedupeConditions(sets: readonly (readonly ArgCondition[])[]): ArgCondition[][] {
  const seen = new Map<string, ArgCondition[]>();
  for (const s of sets) {
    const key = conditionKey(s);
    if (!seen.has(key)) seen.set(key, [...s]);
  }
  return [...seen.entries()].sort(([a], [b]) => cmp(a, b)).map(([, v]) => v);
}

/** A canonical string for a condition set (order-independent). */
export function conditionKey(s: readonly ArgCondition[]): string {
  return s
    .map(
      (c) =>
        `${c.index}:${c.op}:${c.value.toString(16).padStart(16, '0')}:${c.valueTwo.toString(16).padStart(16, '0')}`,
    )
    .sort()
    .join('&');
}

/** Values of one argument label across entries; undefined when any call's value is unknown. */
function knownValues(entries: readonly EvidenceSyscall[], label: string): bigint[] | undefined {
  const out = new Set<bigint>();
  for (const e of entries) {
    const a = e.args[label];
    if (a === undefined || a.values.length === 0) return undefined;
    const seen = a.values.reduce((n, v) => n + v.count, 0);
    // Values are capped per syscall; if some calls are not covered, we do not know them all.
    if (seen < e.count) return undefined;
    for (const v of a.values) {
      if (v.value === undefined) return undefined;
      out.add(BigInt(v.value));
    }
  }
  return [...out].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** The multiplexer (`socketcall`, `ipc`) an evidence entry's calls went through, if any. */
function reachedThrough(s: EvidenceSyscall): string | undefined {
  if (s.name === 'socketcall' || s.name === 'ipc') return s.name;
  const m = multiplexerFor(s.abi, s.name);
  return m !== undefined && s.nr === m.nr ? m.syscall : undefined;
}

/** Build the intermediate policy from evidence. */
export function policyFromEvidence(input: Evidence, opts: GenerateOptions = {}): Policy {
  // Refused and killed audit records are the filter at work, never a reason to allow (outcomes.ts).
  const evidence = splitOutcomes(input).need;
  const mode = opts.mode ?? 'enforce';
  const arch = opts.arch ?? evidence.host;
  const errno = (opts.errno ?? 'EPERM') === 'ENOSYS' ? ENOSYS : EPERM;
  const libseccomp = opts.libseccomp ?? '2.6';
  // Map each call to the ABI that plays the same role on the target (native, 32-bit or x32).
  const targetOf = (s: EvidenceSyscall): ArchName | undefined => {
    const role = (['64', '32', 'x32'] as const).find(
      (pers) => abiFor(evidence.host, pers) === s.abi,
    );
    return role === undefined ? undefined : abiFor(arch, role);
  };
  // Only the ABIs the evidence shows (the native one always: the kernel filters it in any case),
  // so that a workload seen only on x86_64 cannot reach the kernel through int $0x80 or x32.
  const allAbis = targetAbis(arch);
  const seenAbis = new Set(evidence.syscalls.map(targetOf));
  const abis =
    opts.allAbis === true ? allAbis : allAbis.filter((a, i) => i === 0 || seenAbis.has(a));
  const multiplexed = new Map<ArchName, Set<string>>();

  // Group evidence entries per target name.
  const byName = new Map<string, EvidenceSyscall[]>();
  const dropped = new Map<string, string>();
  for (const s of evidence.syscalls) {
    const target = targetOf(s);
    const tgt = target === undefined ? abis : [target];
    const via = reachedThrough(s);
    if (target !== undefined && via !== undefined && archInfo(target).multiplexed)
      multiplexed.set(target, (multiplexed.get(target) ?? new Set<string>()).add(via));
    const names = mapName(s.name, tgt);
    if (names.length === 0) {
      dropped.set(s.name, `not a syscall on ${abis.join('/')}`);
      continue;
    }
    for (const n of names) {
      const list = byName.get(n) ?? [];
      list.push(s);
      byName.set(n, list);
    }
  }

  const critical = new Set(criticalSyscalls());
  const allow = new Map<string, AllowEntry>();
  const refuse = new Map<string, string | undefined>();
  const overrides: PolicyOverride[] = [];
  const countOf = (list: readonly EvidenceSyscall[]): number =>
    list.reduce((n, e) => n + e.count, 0);
  const usedBy = new Map<string, readonly string[]>();
  for (const [name, list] of byName) usedBy.set(name, usersOf(list));
  const pin = opts.socketFamilies === undefined ? undefined : uniqueSorted(opts.socketFamilies);
  const pinned = new Set<string>(pin === undefined ? [] : FAMILY_FILTERED);

  for (const [name, list] of [...byName.entries()].sort(([a], [b]) => cmp(a, b))) {
    const count = countOf(list);
    if (name === 'clone3' || name === 'clone') continue; // handled below
    if (name === 'socket' || (pin !== undefined && name === 'socketpair')) {
      const entry = familyEntry(name, list, count, pin);
      // Outside the allowlist, audit mode's default logs the call; the others refuse it.
      const outcome = mode === 'audit' ? ('logged' as const) : ('refused' as const);
      for (const o of entry.outside) overrides.push({ ...o, outcome });
      if (entry.allow !== undefined) allow.set(name, entry.allow);
      continue;
    }
    if (name === 'personality') {
      const vals = knownValues(list, 'persona');
      if (vals === undefined) {
        allow.set(name, {
          name,
          conditions: 'any',
          count,
          note: 'personality values were not recorded',
        });
      } else {
        allow.set(name, {
          name,
          count,
          conditions: vals.map((v) => [{ index: 0, value: v, valueTwo: 0n, op: 'SCMP_CMP_EQ' }]),
        });
      }
      continue;
    }
    if (critical.has(name)) {
      // A critical call that only ever failed with EPERM is refused with EPERM: the workload already
      // met and handled exactly that outcome.
      const onlyEperm = list.every((e) => (e.errors.EPERM ?? 0) === e.count && e.count > 0);
      if (onlyEperm) {
        refuse.set(name, `seen ${count}x, always failing with EPERM`);
        continue;
      }
    }
    allow.set(name, { name, conditions: 'any', count });
  }

  // clone: allowed without namespace flags, plus each namespace combination seen.
  const cloneList = byName.get('clone') ?? [];
  const clone3List = byName.get('clone3') ?? [];
  if (cloneList.length > 0 || clone3List.length > 0) {
    const idx = cloneIndex(arch);
    const sets: ArgCondition[][] = [
      [{ index: idx, value: CLONE_NAMESPACE_MASK, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }],
    ];
    const flags = cloneList.length > 0 ? knownValues(cloneList, 'flags') : [];
    for (const f of flags ?? []) {
      const ns = f & CLONE_NAMESPACE_MASK;
      if (ns !== 0n)
        sets.push([
          { index: idx, value: CLONE_NAMESPACE_MASK, valueTwo: ns, op: 'SCMP_CMP_MASKED_EQ' },
        ]);
    }
    const notes: string[] = [];
    if (cloneList.length === 0)
      notes.push('clone3 was seen: libc falls back to clone when clone3 fails with ENOSYS');
    if (flags === undefined)
      notes.push('clone flags were not all recorded: namespace flags stay refused');
    allow.set('clone', {
      name: 'clone',
      count: countOf(cloneList),
      conditions: dedupeConditions(sets),
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    });
  }

  // Seen in only some of several inputs (record --runs N): kept, and flagged in the comment.
  const inputs = evidence.meta.inputs;
  if (inputs > 1)
    for (const [name, e] of allow) {
      const seen = Math.max(0, ...(byName.get(name) ?? []).map((x) => x.coverage));
      if (seen > 0 && seen < inputs) allow.set(name, { ...e, coverage: { seen, of: inputs } });
    }

  const runtime = new Map<string, string>();
  // Either target: a filter loaded by bwrap also holds its pid 1 (kb/runtimes.ts BWRAP_INIT).
  for (const [n, why] of Object.entries(BWRAP_INIT))
    if (!allow.has(n) && knownOn(abis, n, libseccomp)) runtime.set(n, why);
  if ((opts.target ?? 'docker') === 'docker') {
    for (const [n, why] of Object.entries(RUNTIME_POST_LOAD)) {
      if (!allow.has(n) && knownOn(abis, n, libseccomp)) runtime.set(n, why);
      refuse.delete(n);
    }
  }

  // The never-allow list wins over the evidence (and over the runtime's needs: the start then fails,
  // which the override says). clone3 is refused already, with the ENOSYS libc's fallback needs. In
  // audit mode only the critical names are refused, like everything the audit twin refuses
  // (twin.ts); the others are not allowed, so the default logs them.
  const denied = new Set<string>();
  const neverAllow = new Set(opts.deny ?? defaultNeverAllow());
  for (const n of [...neverAllow].sort(cmp)) {
    if (n === 'clone3') continue;
    const seen = allow.get(n);
    const why = runtime.get(n);
    allow.delete(n);
    runtime.delete(n);
    const refused = mode !== 'audit' || critical.has(n);
    const outcome = refused ? ('refused' as const) : ('logged' as const);
    const count = seen === undefined ? 0 : countOf(byName.get(n) ?? []);
    if (seen !== undefined)
      overrides.push({ kind: 'denied', name: n, count, usedBy: usedBy.get(n) ?? [], outcome });
    else if (why !== undefined)
      overrides.push({ kind: 'denied', name: n, count: 0, usedBy: [], outcome, runtime: why });
    // A name runc's libseccomp cannot resolve is skipped by runc: the default refuses it anyway.
    if (!knownOn(abis, n, libseccomp)) continue;
    denied.add(n);
    if (!refused) continue;
    const notes = [
      seen === undefined
        ? undefined
        : `the workload made it ${plural(count, 'time')}, refused anyway`,
      why === undefined ? undefined : `runc or crun makes it after loading the filter: ${why}`,
      refuse.get(n),
    ].filter((x): x is string => x !== undefined);
    refuse.set(n, notes.length > 0 ? notes.join('; ') : undefined);
  }

  for (const n of critical) {
    if (allow.has(n) || runtime.has(n) || n === 'clone3' || refuse.has(n)) continue;
    // A name runc's libseccomp cannot resolve would be skipped with a warning: leave it to the default.
    if (knownOn(abis, n, libseccomp)) refuse.set(n, undefined);
  }

  const defaultAction: ActionName =
    mode === 'audit'
      ? 'SCMP_ACT_LOG'
      : mode === 'kill'
        ? 'SCMP_ACT_KILL_PROCESS'
        : 'SCMP_ACT_ERRNO';
  const exact: Policy = {
    defaultAction,
    ...(mode === 'enforce' ? { defaultErrnoRet: errno } : {}),
    architectures: abis.map((a) => archInfo(a).scmpName),
    arch,
    allow,
    runtime,
    clone3Enosys: knownOn(abis, 'clone3') && !(mode === 'enforce' && errno === ENOSYS),
    refuse,
    dropped,
    multiplexed,
    unseenAbis: allAbis.filter((a) => !abis.includes(a)),
    usedBy,
    denied,
    pinned,
    overrides,
  };
  if ((opts.widen ?? 'none') === 'none') return exact;
  // Widening: equivalents and companions, never argument-filtered, critical or high-risk names,
  // nor one numbered above the names the exact profile has (see widen.ts, ceiling).
  const layout = layoutProfile(guardMultiplexers(exact));
  const taken = new Set(layout.syscalls.flatMap((r) => r.names));
  const widened = widen(allow, {
    mode: opts.widen ?? 'none',
    abis,
    libseccomp,
    processes: new Set(evidence.syscalls.flatMap((s) => s.processes)),
    taken,
    ceiling: new Map(
      abis.map((a) => [a, Math.max(-1, ...[...taken].map((n) => syscallNumber(a, n) ?? -1))]),
    ),
  }).filter((w) => !neverAllow.has(w.name) && !pinned.has(w.name)); // the policy controls win
  if (widened.length === 0) return exact;
  const wide = new Map(allow);
  for (const w of widened) wide.set(w.name, { name: w.name, conditions: 'any', widened: w });
  return { ...exact, allow: wide, widened };
}

/** Syscalls whose first argument is the address family: pinned by `socketFamilies`. */
const FAMILY_FILTERED = ['socket', 'socketpair'] as const;

function uniqueSorted(values: readonly bigint[]): bigint[] {
  return [...new Set(values)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/**
 * The process names that made the calls of some evidence entries: as recorded, or the name the
 * kernel gives the executable when an older evidence file holds its path; sorted, no duplicates.
 */
export function usersOf(list: readonly EvidenceSyscall[]): string[] {
  const names = new Set<string>();
  for (const e of list)
    for (const p of e.processes.length > 0 ? e.processes : e.executables)
      names.add(p.includes('/') ? commOf(p) : p);
  return [...names].sort(cmp);
}

/**
 * The rule of a syscall filtered by family (`socket`; `socketpair` when pinned): one condition set
 * per family seen, within the pin when there is one; the pinned families when the evidence does not
 * tell; no rule when no family is left. Families seen outside the pin are returned as overrides.
 */
function familyEntry(
  name: string,
  list: readonly EvidenceSyscall[],
  count: number,
  pin: readonly bigint[] | undefined,
): { allow?: AllowEntry; outside: Omit<Extract<PolicyOverride, { kind: 'family' }>, 'outcome'>[] } {
  const eq = (f: bigint): ArgCondition[] => [
    { index: 0, value: f, valueTwo: 0n, op: 'SCMP_CMP_EQ' },
  ];
  const fams = knownValues(list, 'family');
  if (pin === undefined) {
    if (fams !== undefined)
      return { allow: { name, count, conditions: fams.map(eq) }, outside: [] };
    return {
      allow: {
        name,
        count,
        conditions: 'any',
        note: `${name} families were not recorded, so every family is allowed`,
      },
      outside: [],
    };
  }
  if (fams === undefined)
    return {
      allow: {
        name,
        count,
        conditions: pin.map(eq),
        note: 'families not all recorded: the pinned ones (--socket-families)',
      },
      outside: [],
    };
  const outside = fams
    .filter((f) => !pin.includes(f))
    .map((f) => {
      const users = list.filter((e) =>
        e.args.family?.values.some((v) => v.value !== undefined && BigInt(v.value) === f),
      );
      const n = list.reduce(
        (sum, e) =>
          sum +
          (e.args.family?.values ?? [])
            .filter((v) => v.value !== undefined && BigInt(v.value) === f)
            .reduce((k, v) => k + v.count, 0),
        0,
      );
      return { kind: 'family' as const, name, family: f, count: n, usedBy: usersOf(users) };
    });
  const kept = fams.filter((f) => pin.includes(f));
  if (kept.length === 0) return { outside };
  return { allow: { name, count, conditions: kept.map(eq) }, outside };
}

/** A multiplexer refused so that the argument filters of the calls it multiplexes hold. */
export interface MultiplexerGuard {
  /** `socketcall` or `ipc`. */
  readonly multiplexer: string;
  /** The ABIs where libseccomp would have turned the filtered rules into it. */
  readonly abis: readonly ArchName[];
  /** The argument-filtered names that would have leaked through it. */
  readonly names: readonly string[];
  /** errno it is answered with (differs from the default action, or runc would skip the rule). */
  readonly errnoRet: number;
  /**
   * The workload calls the multiplexer, but it would carry these pinned or denied calls past their
   * rules, so it is refused anyway (its calls through it fail); absent when the workload never called it.
   */
  readonly overrides?: readonly string[];
}

/**
 * Make the argument rules of a policy hold on the multiplexing ABIs it keeps (x86, s390, ppc, mips
 * o32). There libseccomp adds, for a rule on a socket/IPC call, a rule for its multiplexer
 * (`socketcall(SYS_SOCKET)`, `ipc(SHMGET)`...) that keeps only the sub-call number, so "socket only
 * AF_UNIX" would let any family through `socketcall`. When the workload never went through the
 * multiplexer, it is refused outright (an unconditional rule overrides libseccomp's conditional
 * one; the direct calls, nr 359 and up on x86, keep their filters); when it did, the filter cannot
 * be enforced and the rule becomes unconditional, saying why: unless a policy control decided the
 * rule (a pinned family, `policy.pinned`) or the call is on the never-allow list (`policy.denied`,
 * reachable when the multiplexer itself is allowed): then the multiplexer is refused although the
 * workload uses it, the control wins, and the policy's overrides say so.
 */
export function guardMultiplexers(policy: Policy): Policy {
  const leaks = new Map<string, { abis: ArchName[]; names: Set<string> }>();
  const leak = (mux: string, abi: ArchName, name: string): void => {
    const l = leaks.get(mux) ?? { abis: [], names: new Set<string>() };
    if (!l.abis.includes(abi)) l.abis.push(abi);
    l.names.add(name);
    leaks.set(mux, l);
  };
  for (const scmp of policy.architectures) {
    const abi = archByScmpName(scmp)?.name;
    if (abi === undefined || !archInfo(abi).multiplexed) continue;
    for (const e of policy.allow.values()) {
      if (e.conditions === 'any') continue;
      const mux = multiplexerFor(abi, e.name);
      if (mux !== undefined) leak(mux.syscall, abi, e.name);
    }
    // A denied call has no rule, so libseccomp adds no multiplexer rule for it; only a multiplexer
    // allowed outright carries it, past its refusal or past a pin.
    for (const n of [...(policy.denied ?? []), ...(policy.pinned ?? [])]) {
      const mux = multiplexerFor(abi, n);
      if (mux !== undefined && policy.allow.get(mux.syscall)?.conditions === 'any')
        leak(mux.syscall, abi, n);
    }
  }
  if (leaks.size === 0) return policy;
  const allow = new Map(policy.allow);
  const guards: MultiplexerGuard[] = [...(policy.guards ?? [])];
  const overrides: PolicyOverride[] = [...(policy.overrides ?? [])];
  const defaultErrno =
    policy.defaultAction === 'SCMP_ACT_ERRNO' ? (policy.defaultErrnoRet ?? EPERM) : undefined;
  const errnoRet = defaultErrno === ENOSYS ? EPERM : ENOSYS;
  for (const [mux, { abis, names }] of [...leaks.entries()].sort(([a], [b]) => cmp(a, b))) {
    const needed =
      policy.allow.get(mux)?.conditions === 'any' ||
      abis.some((a) => policy.multiplexed?.get(a)?.has(mux) === true);
    const forced = [...names]
      .filter((n) => policy.pinned?.has(n) === true || policy.denied?.has(n) === true)
      .sort(cmp);
    if (needed && forced.length > 0) {
      allow.delete(mux);
      guards.push({
        multiplexer: mux,
        abis,
        names: [...names].sort(cmp),
        errnoRet,
        overrides: forced,
      });
      overrides.push({ kind: 'multiplexer', name: mux, abis, carries: forced });
      continue;
    }
    if (needed) {
      for (const n of names) {
        const e = allow.get(n);
        if (e === undefined) continue;
        allow.set(n, {
          name: n,
          conditions: 'any',
          ...(e.count !== undefined ? { count: e.count } : {}),
          note: `every argument is allowed: the workload calls ${mux}, and ${multiplexerReason(n, mux, abis)}`,
        });
      }
      continue;
    }
    guards.push({ multiplexer: mux, abis, names: [...names].sort(cmp), errnoRet });
  }
  return { ...policy, allow, guards, overrides };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "seen in 2 of 3 inputs: ...", the flag on a syscall some inputs did not see. */
export function coverageText(c: { readonly seen: number; readonly of: number }): string {
  return `seen in only ${c.seen} of ${c.of} inputs (runs): kept, but another run may take a path without it or need its neighbours`;
}

/** How the comment of a rule widening added starts (merge and readers recognise it by it). */
export const WIDENED_COMMENT_PREFIX = 'widened, not recorded: ';

/** The ALLOW rules of the widened entries, one per family or companion, in name order. */
function widenedRules(entries: Iterable<AllowEntry>): Omit<SyscallRule, 'pointer'>[] {
  const groups = new Map<string, Widening[]>();
  for (const e of entries) {
    if (e.widened === undefined) continue;
    const key = `${e.widened.kind} ${e.widened.id}`;
    groups.set(key, [...(groups.get(key) ?? []), e.widened]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .flatMap(([key, list]) => {
      const w = list[0];
      if (w === undefined) return [];
      const names = list.map((x) => x.name).sort(cmp);
      const from = [...new Set(list.flatMap((x) => x.from))].sort(cmp).join(', ');
      return [
        {
          names,
          action: 'SCMP_ACT_ALLOW' as const,
          args: [],
          comment: `${WIDENED_COMMENT_PREFIX}${key} (${from} seen): ${w.kind === 'family' ? `same call as ${from} under another name a kernel table or libc may use` : w.reason}; source: ${w.source}`,
        },
      ];
    });
}

/** `used by a, b` for a comment, or undefined when no process was recorded. */
function usedByText(users: readonly string[] | undefined): string | undefined {
  return users === undefined || users.length === 0 ? undefined : `used by ${users.join(', ')}`;
}

/**
 * The "used by" part of a rule naming several syscalls: the process names once when every syscall
 * has the same, else `a, b: read, write; c: bind` (syscalls grouped by the processes that made them,
 * the largest group first).
 */
function usedByGroups(
  names: readonly string[],
  usedBy: ReadonlyMap<string, readonly string[]> | undefined,
): string | undefined {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const users = usedBy?.get(n) ?? [];
    if (users.length === 0) continue;
    const key = users.join(', ');
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  if (groups.size === 0) return undefined;
  const [only] = groups.keys();
  if (groups.size === 1 && only !== undefined && groups.get(only)?.length === names.length)
    return `used by ${only}`;
  const sorted = [...groups.entries()].sort(([a, x], [b, y]) => y.length - x.length || cmp(a, b));
  return `used by ${sorted.map(([who, ns]) => `${who}: ${ns.join(', ')}`).join('; ')}`;
}

/** Comment of one argument rule. */
function argComment(
  name: string,
  conds: readonly ArgCondition[],
  entry: AllowEntry,
  pinned: boolean,
): string {
  const c = conds[0];
  if ((name === 'socket' || name === 'socketpair') && c !== undefined) {
    const fam = familyName(c.value);
    const which = fam === undefined ? String(c.value) : `${fam} (${c.value})`;
    if (!pinned) return `${name}: only family ${which}, as seen`;
    return `${name}: only family ${which}, ${entry.note === undefined ? 'as seen, within' : 'the families were not all recorded, so'} the pinned families (--socket-families)`;
  }
  if (name === 'personality' && c !== undefined)
    return `personality: only ${personalityName(c.value)}, as seen`;
  if (name === 'clone' && c !== undefined) {
    if (c.valueTwo === 0n)
      return `clone: no namespace flags (CLONE_NEW* mask 0x${CLONE_NAMESPACE_MASK.toString(16)} must be clear)${entry.note === undefined ? '' : `; ${entry.note}`}`;
    return `clone: namespace flags seen: ${namespaceFlagNames(c.valueTwo).join('|')}`;
  }
  return `${name}: argument values seen`;
}

/** Comment of a multiplexer guard (starts with {@link GUARD_COMMENT_PREFIX}). */
function guardComment(g: MultiplexerGuard, policy: Policy): string {
  const list = (names: readonly string[]): string =>
    `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'}`;
  if (g.overrides === undefined)
    return `${GUARD_COMMENT_PREFIX}${list(g.names)} argument-filtered, but ${g.names.map((n) => multiplexerReason(n, g.multiplexer, g.abis)).join('; ')}; the workload never called ${g.multiplexer}, so it is refused and the direct syscalls keep their filters`;
  const pinned = g.overrides.filter((n) => policy.pinned?.has(n) === true);
  const denied = g.overrides.filter((n) => !pinned.includes(n));
  const why = [
    pinned.length > 0
      ? `${list(pinned)} pinned (--socket-families), but ${pinned.map((n) => multiplexerReason(n, g.multiplexer, g.abis)).join('; ')}`
      : undefined,
    denied.length > 0
      ? `${list(denied)} never allowed (--deny), but ${g.multiplexer} would run ${denied.length === 1 ? 'it' : 'them'} on ${g.abis.join('/')} whatever its arguments`
      : undefined,
  ].filter((x): x is string => x !== undefined);
  return `${GUARD_COMMENT_PREFIX}${why.join('; ')}; the workload calls ${g.multiplexer}, which is refused anyway (the policy wins; those calls fail) and the direct syscalls keep their rules`;
}

/**
 * The refusal block: one ERRNO(EPERM) rule per risk entry of the knowledge base (the names that share
 * a level and a reason), never-allow names apart from the critical ones the workload did not make,
 * a name with a note of its own alone; most severe first.
 */
function refusalRules(
  policy: Policy,
  written: (name: string) => boolean,
): Omit<SyscallRule, 'pointer'>[] {
  const groups = new Map<
    string,
    { names: string[]; rank: number; comment: (ns: string[]) => string }
  >();
  for (const [n, note] of policy.refuse) {
    if (!written(n)) continue;
    const risk = riskOf(n);
    const denied = policy.denied?.has(n) === true;
    // Only a policy made from evidence (it has usedBy) knows the workload did not make the call;
    // merge and the audit twin lay out refusals of profiles.
    const tail = [
      denied
        ? 'on the never-allow list (--deny)'
        : policy.usedBy !== undefined
          ? 'the workload did not make it'
          : undefined,
      note,
    ]
      .filter((x): x is string => x !== undefined)
      .map((x) => `; ${x}`)
      .join('');
    const key = `${risk.level}\u0000${risk.reason}\u0000${tail}`;
    const g = groups.get(key) ?? {
      names: [],
      rank: riskRank(risk.level),
      comment: (ns: string[]) =>
        `${ns.join(', ')}: ${risk.level} risk, refused: ${risk.reason}${tail}`,
    };
    g.names.push(n);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, names: g.names.sort(cmp) }))
    .sort((a, b) => a.rank - b.rank || cmp(a.names[0] ?? '', b.names[0] ?? ''))
    .map((g) => ({
      names: g.names,
      action: 'SCMP_ACT_ERRNO' as const,
      errnoRet: EPERM,
      args: [],
      comment: g.comment(g.names),
    }));
}

/** Lay a policy out as a profile (see the module comment for the order). */
export function layoutProfile(policy: Policy): Profile {
  const rules: Omit<SyscallRule, 'pointer'>[] = [];
  const critical = new Set(criticalSyscalls());
  const usedBy = policy.usedBy;

  // 1. unconditional allows grouped by category (critical/high ones apart).
  const unconditional = [...policy.allow.values()].filter(
    (e) => e.conditions === 'any' && e.widened === undefined,
  );
  const risky = unconditional.filter(
    (e) => critical.has(e.name) || e.note !== undefined || e.coverage !== undefined,
  );
  const plain = unconditional.filter((e) => !risky.includes(e));
  for (const cat of SYSCALL_CATEGORIES) {
    const group = plain
      .filter((e) => categoryOf(e.name) === cat)
      .sort((a, b) => cmp(a.name, b.name));
    if (group.length === 0) continue;
    const calls = group.reduce((n, e) => n + (e.count ?? 0), 0);
    const names = group.map((e) => e.name);
    const users = usedByGroups(names, usedBy);
    rules.push({
      names,
      action: 'SCMP_ACT_ALLOW',
      args: [],
      comment: `${categoryLabel(cat)}: ${plural(group.length, 'syscall')}${calls > 0 ? `, ${plural(calls, 'call')} seen` : ''}${users === undefined ? '' : `; ${users}`}`,
    });
  }
  // 2. seen syscalls that need a reviewer's eye.
  for (const e of risky.sort((a, b) => cmp(a.name, b.name))) {
    const risk = riskOf(e.name);
    const parts = [
      critical.has(e.name)
        ? `${risk.level} risk (${risk.reason}), allowed because the workload made it`
        : categoryLabel(categoryOf(e.name)),
      e.count !== undefined && e.count > 0 ? `${plural(e.count, 'call')} seen` : undefined,
      e.coverage !== undefined ? coverageText(e.coverage) : undefined,
      usedByText(usedBy?.get(e.name)),
      e.note,
    ].filter((x): x is string => x !== undefined);
    rules.push({
      names: [e.name],
      action: 'SCMP_ACT_ALLOW',
      args: [],
      comment: `${e.name}: ${parts.join('; ')}`,
    });
  }
  // 2b. what widening added, one rule per family or companion.
  rules.push(...widenedRules(policy.allow.values()));
  // 3. argument rules.
  for (const e of [...policy.allow.values()].sort((a, b) => cmp(a.name, b.name))) {
    if (e.conditions === 'any') continue;
    const users = usedByText(usedBy?.get(e.name));
    for (const conds of e.conditions) {
      const comment = argComment(e.name, conds, e, policy.pinned?.has(e.name) === true);
      rules.push({
        names: [e.name],
        action: 'SCMP_ACT_ALLOW',
        args: conds,
        comment: users === undefined ? comment : `${comment}; ${users}`,
      });
    }
  }
  // 4. runtime needs.
  for (const [n, why] of [...policy.runtime.entries()].sort(([a], [b]) => cmp(a, b))) {
    rules.push({ names: [n], action: 'SCMP_ACT_ALLOW', args: [], comment: `runtime: ${why}` });
  }
  rules.push(...(policy.extra ?? []));
  // 5. multiplexers refused so that argument filters hold.
  for (const g of policy.guards ?? []) {
    rules.push({
      names: [g.multiplexer],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: g.errnoRet,
      args: [],
      comment: guardComment(g, policy),
    });
  }
  // 6. clone3 -> ENOSYS.
  if (policy.clone3Enosys && !policy.allow.has('clone3')) {
    rules.push({
      names: ['clone3'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: ENOSYS,
      args: [],
      comment:
        'clone3: its flags are behind a pointer seccomp cannot read; ENOSYS makes libc fall back to clone, which is filtered',
    });
  }
  // 7. the refusal block, unless the default action is the same refusal. Then no rule can hold it:
  // runc skips a rule equal to the default (docs/semantics.md#runc-equals-default) and libseccomp
  // refuses one (EACCES), and the skipped rule's names would still raise the maximum of runc's ENOSYS
  // stub (#runc-enosys-stub), so newer syscalls such as fchmodat2, whose ENOSYS glibc falls back
  // on, would get EPERM. The default refuses those names anyway; generate reports them instead.
  // Where runc's stub answers numbers above the profile's largest with ENOSYS and the default is
  // something else (kill mode), a refusal numbered above the other rules is left out for the same
  // reason: the stub refuses it with ENOSYS, and the rule would turn ENOSYS for the newer syscalls
  // below it into the default.
  const sameAsDefault =
    policy.defaultAction === 'SCMP_ACT_ERRNO' && (policy.defaultErrnoRet ?? EPERM) === EPERM;
  if (!sameAsDefault) {
    const ceiling = stubCeiling(policy, rules);
    rules.push(
      ...refusalRules(policy, (n) =>
        [...ceiling].every(([abi, max]) => (syscallNumber(abi, n) ?? -1) <= max),
      ),
    );
  }
  return {
    defaultAction: policy.defaultAction,
    ...(policy.defaultErrnoRet !== undefined ? { defaultErrnoRet: policy.defaultErrnoRet } : {}),
    architectures: policy.architectures,
    syscalls: rules.map((r, i) => ({ ...r, pointer: `/syscalls/${i}` })),
  };
}

/**
 * The largest number the rules name on each ABI of the policy, where runc's ENOSYS stub answers the
 * numbers above it with ENOSYS instead of the default (docs/semantics.md#runc-enosys-stub): every
 * default but ALLOW, LOG, TRACE and ERRNO(ENOSYS), which the stub does not change. Empty otherwise.
 */
function stubCeiling(
  policy: Policy,
  rules: readonly Omit<SyscallRule, 'pointer'>[],
): Map<ArchName, number> {
  const noStub =
    policy.defaultAction === 'SCMP_ACT_ALLOW' ||
    policy.defaultAction === 'SCMP_ACT_LOG' ||
    policy.defaultAction === 'SCMP_ACT_TRACE' ||
    (policy.defaultAction === 'SCMP_ACT_ERRNO' && policy.defaultErrnoRet === ENOSYS);
  const out = new Map<ArchName, number>();
  if (noStub) return out;
  const names = rules.flatMap((r) => r.names);
  for (const scmp of policy.architectures) {
    const abi = archByScmpName(scmp)?.name;
    if (abi !== undefined)
      out.set(abi, Math.max(-1, ...names.map((n) => syscallNumber(abi, n) ?? -1)));
  }
  return out;
}

/** A generated profile and the evidence its policy controls overrode. */
export interface GenerateResult {
  /** The profile. */
  readonly profile: Profile;
  /** Evidence the never-allow list and the pinned families overrode, one entry each. */
  readonly overrides: readonly PolicyOverride[];
  /**
   * Every refused name of the policy (never-allow list and critical syscalls), with the knowledge
   * base's risk; written as rules unless the default is that refusal (see {@link layoutProfile}).
   */
  readonly refused: readonly RefusedSyscall[];
  /** The calls widening added. */
  readonly widened: readonly Widening[];
}

/** One syscall a generated profile refuses explicitly or by its default, and why. */
export interface RefusedSyscall {
  /** Syscall name. */
  readonly name: string;
  /** Risk level of allowing it (knowledge base). */
  readonly risk: RiskLevel;
  /** The knowledge base's reason. */
  readonly reason: string;
  /** On the never-allow list (else: a critical syscall the workload did not make). */
  readonly denied: boolean;
  /**
   * Written as a rule; false when the default action is the same refusal, or when runc's ENOSYS stub
   * refuses it (numbered above the profile's other rules, kill mode).
   */
  readonly rule: boolean;
  /** What generation noted (e.g. the workload made it). */
  readonly note?: string;
}

/** Generate a profile, with the evidence the policy controls overrode and the refused names. */
export function generateReport(evidence: Evidence, opts: GenerateOptions = {}): GenerateResult {
  const policy = guardMultiplexers(policyFromEvidence(evidence, opts));
  const profile = layoutProfile(policy);
  const written = new Set(
    profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ERRNO').flatMap((r) => r.names),
  );
  const refused = [...policy.refuse.entries()]
    .sort(([a], [b]) => riskRank(riskOf(a).level) - riskRank(riskOf(b).level) || cmp(a, b))
    .map(([name, note]): RefusedSyscall => ({
      name,
      risk: riskOf(name).level,
      reason: riskOf(name).reason,
      denied: policy.denied?.has(name) === true,
      rule: written.has(name),
      ...(note !== undefined ? { note } : {}),
    }));
  return { profile, overrides: policy.overrides ?? [], refused, widened: policy.widened ?? [] };
}

/** Describe an override for a warning: what the evidence showed and what the policy did instead. */
export function describeOverride(o: PolicyOverride): string {
  switch (o.kind) {
    case 'denied':
      if (o.runtime !== undefined)
        return `${o.name} is on the never-allow list (--deny) but the container runtime makes it after loading the filter (${o.runtime}): under runc or crun the container will not start`;
      return `${o.name} is on the never-allow list (--deny): the workload made it ${plural(o.count, 'time')}${o.usedBy.length > 0 ? ` (${o.usedBy.join(', ')})` : ''}, ${o.outcome === 'refused' ? 'refused anyway' : 'not allowed (the audit default logs it)'}`;
    case 'family': {
      const fam = familyName(o.family);
      return `${o.name}: family ${fam === undefined ? String(o.family) : `${fam} (${o.family})`} is outside --socket-families: the workload used it ${plural(o.count, 'time')}${o.usedBy.length > 0 ? ` (${o.usedBy.join(', ')})` : ''}, ${o.outcome === 'refused' ? 'refused anyway' : 'not allowed (the audit default logs it)'}`;
    }
    case 'multiplexer':
      return `${o.name} refused on ${o.abis.join('/')} although the workload calls it: it would let ${o.carries.join(', ')} past ${o.carries.length === 1 ? 'its rule' : 'their rules'} (its arguments cannot be filtered)`;
    default: {
      const never: never = o;
      return never;
    }
  }
}

/** Generate a least-privilege profile (the model) from evidence. */
export function generateProfile(evidence: Evidence, opts: GenerateOptions = {}): Profile {
  return generateReport(evidence, opts).profile;
}

/** {@link generateProfile}, also returning the calls widening added (for the evidence and notes). */
export function generateWithWidenings(
  evidence: Evidence,
  opts: GenerateOptions = {},
): { profile: Profile; widened: readonly Widening[] } {
  const { profile, widened } = generateReport(evidence, opts);
  return { profile, widened };
}

/** A syscall some of several inputs did not see. */
export interface PartialCoverage {
  /** ABI of the calls. */
  readonly abi: ArchName;
  /** Syscall name. */
  readonly name: string;
  /** Inputs that saw it. */
  readonly seen: number;
  /** Inputs in all. */
  readonly of: number;
}

/** The syscalls seen in only some of the evidence's inputs (none with a single input), by ABI and name. */
export function partialCoverage(evidence: Evidence): PartialCoverage[] {
  const of = evidence.meta.inputs;
  return splitOutcomes(evidence)
    .need.syscalls.filter((s) => s.coverage < of)
    .map((s) => ({ abi: s.abi, name: s.name, seen: s.coverage, of }));
}

/** Names a profile allows in some form (unconditionally or with arguments). */
export function allowedNames(profile: Profile): string[] {
  const s = new Set<string>();
  for (const r of profile.syscalls)
    if (r.action === 'SCMP_ACT_ALLOW') for (const n of r.names) s.add(n);
  return [...s].sort(cmp);
}
