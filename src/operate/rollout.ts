/**
 * Phased rollout of a profile as a state machine with gates (the documents' three phases):
 * - Phase A, audit: the profile's audit twin everywhere (default LOG, the critical syscalls still
 *   refused; with `critical: 'kill'` they kill, which the kernel logs even without
 *   SECCOMP_FILTER_FLAG_LOG, for runtimes that refuse seccomp flags such as runc 1.1);
 * - Phase B, canary: the enforcing profile (plus what was accepted) on a subset of hosts/containers;
 * - Phase C, everywhere: the same enforcing profile on every host.
 *
 * A phase moves on only through {@link promote}, which refuses while its gate fails: the window has
 * not elapsed, nothing was observed, a critical call was refused or killed, or a call outside the
 * profile was logged and not accepted. Every record is decided by the profile the next phase would
 * enforce, through the decision model (`compile/decide`, via `operate/violations`).
 *
 * The phase profiles log `execve` (allowed, LOG instead of ALLOW) as a heartbeat while the rollout
 * is observed (phases A and B): every exec under the profile writes one record, so "nothing
 * observed" means the logs are not the hosts' or the profile was not loaded, never "the profile is
 * perfect". Phase C's profile allows it plainly.
 *
 * Pure: the caller stores the files and appends the events (the state directory is the audit
 * trail); the clock is a parameter.
 */
import { createHash } from 'node:crypto';
import { ENOSYS } from '../compile/decide.js';
import { UsageError } from '../document/errors.js';
import { buildPlan } from '../compile/build.js';
import type { FilterPlan } from '../compile/plan.js';
import { auditTwin, FILTER_FLAG_LOG } from '../generate/twin.js';
import { criticalSyscalls, riskOf } from '../kb/index.js';
import { resolveProfile, type ResolveHost } from '../profile/resolve.js';
import type { Profile, SyscallRule } from '../profile/types.js';
import { writeProfile } from '../profile/write.js';
import {
  archByScmpName,
  libseccompKnows,
  type ArchName,
  type LibseccompVersion,
} from '../arch/index.js';
import type { ViolationGroup, ViolationReport } from './violations.js';

/** The `format` marker of a rollout state file. */
export const ROLLOUT_FORMAT = 'sysgate-rollout';
/** The state file version this code writes and reads. */
export const ROLLOUT_VERSION = 1;
/** The default observation window of a phase: 7 days. */
export const DEFAULT_WINDOW_MS = 7 * 86_400_000;
/** The syscall logged as the heartbeat in phases A and B. */
export const HEARTBEAT_SYSCALL = 'execve';
/** Comment of the heartbeat rule (also how it is recognised). */
export const HEARTBEAT_COMMENT =
  'rollout heartbeat: execve runs and is logged, so an observed phase always has records';

/** The phases in order. */
export const PHASES = ['A', 'B', 'C'] as const;
/** A rollout phase. */
export type Phase = (typeof PHASES)[number];

/** What each phase is, in one line. */
export const PHASE_TEXT: Readonly<Record<Phase, string>> = {
  A: 'audit: the audit twin everywhere (calls outside the profile logged and run; critical calls refused)',
  B: 'canary: the enforcing profile on a subset of hosts or containers',
  C: 'everywhere: the enforcing profile on every host',
};

/** How the phase A twin treats the critical syscalls. */
export type CriticalMode = 'errno' | 'kill';

/** A call accepted at a promotion. */
export interface AcceptedCall {
  /** Syscall name. */
  readonly name: string;
  /** Risk level of allowing it (knowledge base). */
  readonly risk: string;
  /** Why it is risky. */
  readonly riskReason: string;
  /** Whether it is on the critical list (accepted with a reason). */
  readonly critical: boolean;
  /** The operator's reason (required for critical calls). */
  readonly reason?: string;
  /** The phase it was accepted in. */
  readonly phase: Phase;
  /** ISO time. */
  readonly at: string;
}

/** The state file (`rollout.json` in the state directory). */
export interface RolloutState {
  readonly format: typeof ROLLOUT_FORMAT;
  readonly version: typeof ROLLOUT_VERSION;
  /** The enforcing profile as given: where it came from and the sha256 of its bytes. */
  readonly profile: { readonly source: string; readonly sha256: string };
  /** The host the profile was resolved for (names are decided on it). */
  readonly host: {
    readonly arch: ResolveHost['arch'];
    readonly caps: readonly string[];
    readonly kernel: string;
    readonly libseccomp: LibseccompVersion;
  };
  /** The current phase. */
  readonly phase: Phase;
  /** ISO time the current phase began. */
  readonly phaseStartedAt: string;
  /** Window each phase is observed for, in ms, and as given. */
  readonly windowMs: number;
  readonly window: string;
  /** How phase A treats critical calls. */
  readonly critical: CriticalMode;
  /** Calls accepted so far (they are allowed by the phase B and C profiles). */
  readonly accepted: readonly AcceptedCall[];
  /** The profile file of each phase reached, in the state directory. */
  readonly files: Partial<Readonly<Record<Phase, string>>>;
}

/** One line of the decision log (`log.jsonl`, append-only). */
export type RolloutEvent =
  | {
      readonly event: 'start';
      readonly at: string;
      readonly phase: 'A';
      readonly profile: RolloutState['profile'];
      readonly window: string;
      readonly critical: CriticalMode;
      readonly file: string;
    }
  | {
      readonly event: 'promote';
      readonly at: string;
      readonly from: Phase;
      readonly to: Phase;
      readonly accepted: readonly AcceptedCall[];
      readonly observed: GateObservation;
      readonly file: string;
    }
  | {
      readonly event: 'refused';
      readonly at: string;
      readonly phase: Phase;
      readonly reasons: readonly GateReason[];
      readonly observed: GateObservation;
    };

/** Why a gate does not pass. */
export interface GateReason {
  readonly code:
    | 'final'
    | 'window'
    | 'nothing-observed'
    | 'critical-refused'
    | 'critical-logged'
    | 'not-accepted'
    | 'arguments'
    | 'arch'
    | 'unknown-syscall';
  /** One sentence. */
  readonly message: string;
  /** The syscall, for per-call reasons. */
  readonly syscall?: string;
  /** Records behind it. */
  readonly count?: number;
}

/** What the gate saw. */
export interface GateObservation {
  /** Seccomp records since the phase began. */
  readonly records: number;
  /** Of which heartbeat records (execve logged). */
  readonly heartbeat: number;
  /** Records the kernel's rate limit dropped (not counted). */
  readonly suppressed: number;
}

/** A gate verdict. */
export interface GateVerdict {
  /** Whether the phase may be promoted (with the accepted calls given). */
  readonly pass: boolean;
  /** Why not (empty when it passes). */
  readonly reasons: readonly GateReason[];
  /** Records seen. */
  readonly observed: GateObservation;
  /** When the window ends (ISO). */
  readonly windowEnds: string;
  /** Calls the operator could accept (`--accept`), with their risk. */
  readonly acceptable: readonly { name: string; risk: string; reason: string; count: number }[];
  /** Critical calls that need `--accept-critical NAME --reason TEXT`. */
  readonly critical: readonly { name: string; risk: string; reason: string; count: number }[];
}

/** The host the rollout decides names on. */
export interface RolloutHost extends ResolveHost {
  readonly libseccomp: LibseccompVersion;
}

/** Usage errors of the state machine (bad accept, bad window, not a state file): exit 2. */
export class RolloutUsageError extends UsageError {
  constructor(message: string) {
    super(message, 'rollout');
  }
}

const RUNS = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);

/** The sha256 of a profile file's bytes, hex. */
export function profileHash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A window such as `7d`, `1h`, `30m`, `0s`, `2w` in ms (undefined when it is not one). */
export function parseWindow(text: string): number | undefined {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]] ?? 0;
  return Number(m[1]) * unit;
}

/** A rule without its source pointer (rules of a written profile get new ones). */
function bare(r: SyscallRule, pointer: string): SyscallRule {
  return { ...r, pointer };
}

function renumber(rules: readonly Omit<SyscallRule, 'pointer'>[]): SyscallRule[] {
  return rules.map((r, i) => bare(r as SyscallRule, `/syscalls/${i}`));
}

/**
 * Log {@link HEARTBEAT_SYSCALL} instead of allowing it: the unconditional ALLOW rule naming it loses
 * the name and a LOG rule of its own follows. Unchanged (and `false`) when no such rule exists.
 */
export function withHeartbeat(profile: Profile): { profile: Profile; heartbeat: boolean } {
  const idx = profile.syscalls.findIndex(
    (r) =>
      r.action === 'SCMP_ACT_ALLOW' && r.args.length === 0 && r.names.includes(HEARTBEAT_SYSCALL),
  );
  if (idx < 0) return { profile, heartbeat: false };
  const rules: Omit<SyscallRule, 'pointer'>[] = [];
  profile.syscalls.forEach((r, i) => {
    if (i !== idx) {
      rules.push(r);
      return;
    }
    const rest = r.names.filter((n) => n !== HEARTBEAT_SYSCALL);
    if (rest.length > 0) rules.push({ ...r, names: rest });
    rules.push({
      names: [HEARTBEAT_SYSCALL],
      action: 'SCMP_ACT_LOG',
      args: [],
      comment: HEARTBEAT_COMMENT,
    });
  });
  return { profile: { ...profile, syscalls: renumber(rules) }, heartbeat: true };
}

/** Critical refusals kill instead (the kernel logs KILL without SECCOMP_FILTER_FLAG_LOG). */
function criticalKills(profile: Profile): Profile {
  const critical = new Set(criticalSyscalls());
  return {
    ...profile,
    syscalls: renumber(
      profile.syscalls.map((r) => {
        if (r.action !== 'SCMP_ACT_ERRNO' || r.errnoRet === ENOSYS) return r;
        if (!r.names.every((n) => critical.has(n))) return r;
        return {
          names: r.names,
          args: r.args,
          pointer: r.pointer,
          action: 'SCMP_ACT_KILL_PROCESS' as const,
          comment: `rollout phase A: critical calls kill (logged without SECCOMP_FILTER_FLAG_LOG)${r.comment === undefined ? '' : `; ${r.comment}`}`,
        };
      }),
    ),
  };
}

/** With `errno` mode the phase profiles carry SECCOMP_FILTER_FLAG_LOG so refusals are recorded. */
function withLogFlag(profile: Profile, mode: CriticalMode): Profile {
  if (mode === 'kill') return profile;
  const flags = [
    ...new Set([...(profile.flags ?? ['SECCOMP_FILTER_FLAG_SPEC_ALLOW']), FILTER_FLAG_LOG]),
  ];
  return { ...profile, flags };
}

/** Critical names refused by `profile` that libseccomp `version` cannot name on its arches. */
export function unnameable(profile: Profile, version: LibseccompVersion): string[] {
  const abis = profile.architectures
    .map((a) => archByScmpName(a)?.name)
    .filter((a): a is ArchName => a !== undefined);
  const critical = new Set(criticalSyscalls());
  const out = new Set<string>();
  for (const r of profile.syscalls) {
    if (RUNS.has(r.action)) continue;
    for (const n of r.names)
      if (critical.has(n) && abis.length > 0 && !abis.some((a) => libseccompKnows(a, n, version)))
        out.add(n);
  }
  return [...out].sort();
}

/** The phase A profile: the audit twin, with the heartbeat (and critical kills in `kill` mode). */
export function phaseAProfile(
  original: Profile,
  mode: CriticalMode,
  libseccomp: LibseccompVersion = '2.6',
): { profile: Profile; notes: string[] } {
  const twin = auditTwin(original, { logRefusals: mode === 'errno', libseccomp });
  const notes = twin.notes.filter((n) => !n.startsWith('refusals (ERRNO) are not recorded'));
  let p = twin.profile;
  if (mode === 'kill') {
    p = criticalKills(p);
    notes.push(
      'critical calls kill the process in phase A (the kernel logs KILL without SECCOMP_FILTER_FLAG_LOG, which runc 1.1 refuses)',
    );
  } else
    notes.push(
      'the profile carries SECCOMP_FILTER_FLAG_LOG so refused critical calls are recorded (crun, runc >= 1.2; runc 1.1 refuses flags: use --critical kill)',
    );
  const unnamed = unnameable(p, libseccomp);
  if (unnamed.length > 0)
    notes.push(
      `libseccomp ${libseccomp} cannot name the critical ${unnamed.join(', ')}: runc skips them, so they get the default LOG (run phase A where libseccomp 2.6 is linked to refuse them)`,
    );
  const hb = withHeartbeat(p);
  if (!hb.heartbeat)
    notes.push(
      `no unconditional rule allows ${HEARTBEAT_SYSCALL}: no heartbeat, so a phase with no violation observes nothing and cannot be promoted`,
    );
  return { profile: hb.profile, notes };
}

/**
 * The enforcing profile with the accepted calls allowed: each accepted name leaves the rules that
 * refused it, and one ALLOW rule per acceptance follows, its comment saying who accepted what, the
 * risk and (for critical calls) the reason.
 */
export function targetProfile(original: Profile, accepted: readonly AcceptedCall[]): Profile {
  if (accepted.length === 0) return original;
  const names = new Set(accepted.map((a) => a.name));
  const rules: Omit<SyscallRule, 'pointer'>[] = [];
  for (const r of original.syscalls) {
    if (RUNS.has(r.action) || r.args.length > 0) {
      rules.push(r);
      continue;
    }
    const rest = r.names.filter((n) => !names.has(n));
    if (rest.length > 0) rules.push({ ...r, names: rest });
  }
  const plain = accepted.filter((a) => !a.critical);
  const groups = new Map<string, AcceptedCall[]>();
  for (const a of plain)
    groups.set(`${a.phase} ${a.at}`, [...(groups.get(`${a.phase} ${a.at}`) ?? []), a]);
  for (const list of groups.values()) {
    const first = list[0];
    if (first === undefined) continue;
    rules.push({
      names: list.map((a) => a.name).sort(),
      action: 'SCMP_ACT_ALLOW',
      args: [],
      comment: `rollout: accepted in phase ${first.phase} at ${first.at}: ${list.map((a) => `${a.name} (${a.risk} risk)`).join(', ')}`,
    });
  }
  for (const a of accepted.filter((x) => x.critical))
    rules.push({
      names: [a.name],
      action: 'SCMP_ACT_ALLOW',
      args: [],
      comment: `rollout: CRITICAL ${a.name} accepted in phase ${a.phase} at ${a.at} (${a.risk} risk: ${a.riskReason}); reason: ${a.reason ?? ''}`,
    });
  return { ...original, syscalls: renumber(rules) };
}

/** The profile of `phase` for the original profile and the accepted calls. */
export function phaseProfile(
  original: Profile,
  phase: Phase,
  mode: CriticalMode,
  accepted: readonly AcceptedCall[],
): Profile {
  if (phase === 'A') return phaseAProfile(original, mode).profile;
  const target = withLogFlag(targetProfile(original, accepted), mode);
  return phase === 'B' ? withHeartbeat(target).profile : target;
}

/** The file name of a phase's profile in the state directory. */
export function phaseFile(phase: Phase): string {
  return `phase-${phase.toLowerCase()}.json`;
}

/** Inputs of {@link startRollout}. */
export interface StartInput {
  /** The enforcing profile, plain (resolved for the host). */
  readonly profile: Profile;
  /** Where it came from, and its bytes (hashed). */
  readonly source: string;
  readonly text: string | Uint8Array;
  readonly host: RolloutHost;
  readonly window?: string;
  readonly critical?: CriticalMode;
  /** The clock (ms since the epoch). */
  readonly now: number;
}

/** What {@link startRollout} and {@link promote} produce: files to store and one event to append. */
export interface Transition {
  readonly state: RolloutState;
  /** File name in the state directory -> content. */
  readonly files: Readonly<Record<string, string>>;
  readonly event: RolloutEvent;
  readonly notes: readonly string[];
}

/** Begin phase A. */
export function startRollout(input: StartInput): Transition {
  const window = input.window ?? '7d';
  const windowMs = parseWindow(window);
  if (windowMs === undefined)
    throw new RolloutUsageError(
      `window: expected a duration such as 7d, 1h, 30m, 0s (got '${window}')`,
    );
  const critical = input.critical ?? 'errno';
  const at = new Date(input.now).toISOString();
  const a = phaseAProfile(input.profile, critical, input.host.libseccomp);
  const profile = { source: input.source, sha256: profileHash(input.text) };
  const state: RolloutState = {
    format: ROLLOUT_FORMAT,
    version: ROLLOUT_VERSION,
    profile,
    host: {
      arch: input.host.arch,
      caps: input.host.caps,
      kernel: `${input.host.kernel.major}.${input.host.kernel.minor}`,
      libseccomp: input.host.libseccomp,
    },
    phase: 'A',
    phaseStartedAt: at,
    windowMs,
    window,
    critical,
    accepted: [],
    files: { A: phaseFile('A') },
  };
  return {
    state,
    files: {
      'profile.json': writeProfile(input.profile),
      [phaseFile('A')]: writeProfile(a.profile),
    },
    event: { event: 'start', at, phase: 'A', profile, window, critical, file: phaseFile('A') },
    notes: a.notes,
  };
}

/** The host a state was started on, for resolving its profiles. */
export function stateHost(state: RolloutState): RolloutHost {
  const [major, minor] = state.host.kernel.split('.').map(Number);
  return {
    arch: state.host.arch,
    caps: state.host.caps,
    kernel: { major: major ?? 0, minor: minor ?? 0 },
    libseccomp: state.host.libseccomp,
  };
}

/** The decision plan of a plain profile on the state's host. */
export function planFor(profile: Profile, host: RolloutHost): FilterPlan {
  const resolved = resolveProfile(profile, host);
  if (resolved === null) throw new RolloutUsageError('the profile turns seccomp off');
  return buildPlan(resolved, { arch: host.arch, libseccomp: host.libseccomp });
}

/** The plan every record of the current phase is decided by: what the next phase would enforce. */
export function gatePlan(
  original: Profile,
  state: RolloutState,
  accepted: readonly AcceptedCall[] = state.accepted,
): FilterPlan {
  return planFor(targetProfile(original, accepted), stateHost(state));
}

const REFUSED = new Set(['ERRNO', 'KILL_PROCESS', 'KILL_THREAD', 'TRAP', 'TRACE', 'USER_NOTIF']);

/**
 * The gate of the current phase, from the violations since it began (each group decided by
 * {@link gatePlan}) at time `now`.
 */
export function evaluateGate(
  state: RolloutState,
  report: ViolationReport,
  now: number,
): GateVerdict {
  const reasons: GateReason[] = [];
  const started = Date.parse(state.phaseStartedAt);
  const ends = started + state.windowMs;
  const heartbeat = report.groups
    .filter((g) => g.syscall === HEARTBEAT_SYSCALL && g.action === 'LOG')
    .reduce((s, g) => s + g.count, 0);
  const records = report.groups.reduce((s, g) => s + g.count, 0) + report.overflow;
  const observed: GateObservation = { records, heartbeat, suppressed: report.suppressed };
  if (state.phase === 'C')
    reasons.push({ code: 'final', message: 'phase C (everywhere) is the last phase' });
  if (now < ends)
    reasons.push({
      code: 'window',
      message: `the ${state.window} window has not elapsed: it ends at ${new Date(ends).toISOString()}`,
    });
  if (records === 0)
    reasons.push({
      code: 'nothing-observed',
      message:
        "no seccomp record since the phase began: the logs are not the hosts' (or miss the phase), or no workload ran under the phase profile; the heartbeat logs every execve",
    });
  const acceptable = new Map<
    string,
    { name: string; risk: string; reason: string; count: number }
  >();
  const critical = new Map<string, { name: string; risk: string; reason: string; count: number }>();
  const perCall = new Map<string, GateReason>();
  const add = (g: ViolationGroup, r: Omit<GateReason, 'syscall' | 'count'>): void => {
    const key = `${r.code}\u0000${g.syscall}`;
    const prev = perCall.get(key);
    perCall.set(key, { ...r, syscall: g.syscall, count: (prev?.count ?? 0) + g.count });
  };
  const tally = (
    m: Map<string, { name: string; risk: string; reason: string; count: number }>,
    g: ViolationGroup,
  ): void => {
    const prev = m.get(g.syscall);
    m.set(g.syscall, {
      name: g.syscall,
      risk: g.risk.level,
      reason: g.risk.reason,
      count: (prev?.count ?? 0) + g.count,
    });
  };
  for (const g of report.groups) {
    const v = g.verdict;
    const refused = REFUSED.has(g.action);
    const how = refused ? (g.action.startsWith('KILL') ? 'killed' : 'refused') : 'logged';
    if (v === undefined) {
      add(g, {
        code: 'unknown-syscall',
        message: `${g.syscall} (${g.abi ?? 'unknown arch'}) ${how}: not in a syscall table the profile can name`,
      });
      continue;
    }
    switch (v.change.kind) {
      case 'none':
        break;
      case 'allow':
        tally(acceptable, g);
        add(g, {
          code: 'not-accepted',
          message: `${g.syscall} ${how} outside the profile and not accepted (${g.risk.level} risk: ${g.risk.reason}); --accept ${g.syscall} allows it`,
        });
        break;
      case 'check-arguments':
        tally(acceptable, g);
        add(g, {
          code: 'arguments',
          message: `${g.syscall} ${how}: the profile decides it on arguments the record does not carry; re-record the workload (sysgate drift) or --accept ${g.syscall} to allow it whatever the arguments`,
        });
        break;
      case 'add-arch':
        add(g, {
          code: 'arch',
          message: `${g.syscall} ${how} on ${g.abi ?? '?'}: the profile does not cover that ABI (add ${v.change.architecture}, then start again)`,
        });
        break;
      case 'never-allow':
        if (g.syscall.startsWith('#')) {
          add(g, { code: 'unknown-syscall', message: `${g.syscall} ${how}: ${v.change.reason}` });
          break;
        }
        tally(critical, g);
        add(g, {
          code: refused ? 'critical-refused' : 'critical-logged',
          message: `critical ${g.syscall} ${how} (${v.change.reason}); only --accept-critical ${g.syscall} --reason TEXT allows it`,
        });
        break;
      default: {
        const never: never = v.change;
        return never;
      }
    }
  }
  const order: GateReason['code'][] = [
    'critical-refused',
    'critical-logged',
    'not-accepted',
    'arguments',
    'arch',
    'unknown-syscall',
  ];
  reasons.push(
    ...[...perCall.values()].sort(
      (a, b) =>
        order.indexOf(a.code) - order.indexOf(b.code) ||
        (a.syscall ?? '').localeCompare(b.syscall ?? ''),
    ),
  );
  const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
  return {
    pass: reasons.length === 0,
    reasons,
    observed,
    windowEnds: new Date(ends).toISOString(),
    acceptable: [...acceptable.values()].sort(byName),
    critical: [...critical.values()].sort(byName),
  };
}

/** What the operator accepts at a promotion. */
export interface Acceptance {
  /** Non-critical calls (`--accept`). */
  readonly accept?: readonly string[];
  /** Critical calls (`--accept-critical`), each needing {@link reason}. */
  readonly acceptCritical?: readonly string[];
  /** Why the critical calls are accepted (written into the profile's rule comment). */
  readonly reason?: string;
}

/** The calls accepted now, checked against the list of criticals. */
export function acceptedCalls(state: RolloutState, acc: Acceptance, now: number): AcceptedCall[] {
  const critical = new Set(criticalSyscalls());
  const at = new Date(now).toISOString();
  const out: AcceptedCall[] = [];
  const seen = new Set(state.accepted.map((a) => a.name));
  const crit = acc.acceptCritical ?? [];
  if (crit.length > 0 && (acc.reason === undefined || acc.reason.trim() === ''))
    throw new RolloutUsageError(
      '--accept-critical needs --reason TEXT (it is written into the profile)',
    );
  const lists: [readonly string[], boolean][] = [
    [acc.accept ?? [], false],
    [crit, true],
  ];
  for (const [names, isCritical] of lists)
    for (const name of names) {
      const r = riskOf(name);
      if (critical.has(name) !== isCritical)
        throw new RolloutUsageError(
          isCritical
            ? `${name} is not critical: use --accept ${name}`
            : `${name} is critical (${r.level} risk: ${r.reason}): use --accept-critical ${name} --reason TEXT`,
        );
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({
        name,
        risk: r.level,
        riskReason: r.reason,
        critical: isCritical,
        ...(isCritical ? { reason: acc.reason?.trim() ?? '' } : {}),
        phase: state.phase,
        at,
      });
    }
  return out;
}

/** The result of {@link promote}: a transition, or the refusal (its event to append). */
export type PromoteResult =
  | ({ readonly ok: true; readonly gate: GateVerdict } & Transition)
  | { readonly ok: false; readonly gate: GateVerdict; readonly event: RolloutEvent };

/**
 * Move to the next phase when the gate passes with the calls accepted now. `decide(accepted)` gives
 * the violations since the phase began, decided by the target profile with those acceptances (so
 * accepted calls no longer block).
 */
export function promote(
  state: RolloutState,
  original: Profile,
  acc: Acceptance,
  decided: (accepted: readonly AcceptedCall[]) => ViolationReport,
  now: number,
): PromoteResult {
  const fresh = acceptedCalls(state, acc, now);
  const notSeenIn = (list: readonly { name: string }[], names: readonly string[]): string[] =>
    names.filter((n) => !list.some((x) => x.name === n));
  const before = evaluateGate(state, decided(state.accepted), now);
  const unseen = [
    ...notSeenIn(before.acceptable, acc.accept ?? []),
    ...notSeenIn(before.critical, acc.acceptCritical ?? []),
  ].filter((n) => !state.accepted.some((a) => a.name === n));
  if (unseen.length > 0)
    throw new RolloutUsageError(
      `nothing to accept for ${unseen.join(', ')}: not logged or refused outside the profile in phase ${state.phase}`,
    );
  const accepted = [...state.accepted, ...fresh];
  const gate = evaluateGate(state, decided(accepted), now);
  const at = new Date(now).toISOString();
  if (!gate.pass)
    return {
      ok: false,
      gate,
      event: {
        event: 'refused',
        at,
        phase: state.phase,
        reasons: gate.reasons,
        observed: gate.observed,
      },
    };
  const to: Phase = state.phase === 'A' ? 'B' : 'C';
  const file = phaseFile(to);
  const profile = phaseProfile(original, to, state.critical, accepted);
  const next: RolloutState = {
    ...state,
    phase: to,
    phaseStartedAt: at,
    accepted,
    files: { ...state.files, [to]: file },
  };
  const notes: string[] = [];
  for (const a of fresh)
    notes.push(
      `accepted ${a.name}: ${a.risk} risk (${a.riskReason})${a.critical ? `; CRITICAL, reason: ${a.reason ?? ''}` : ''}`,
    );
  if (to === 'B' && state.critical === 'kill')
    notes.push(
      'phase B refuses with ERRNO without SECCOMP_FILTER_FLAG_LOG (the runtime refuses flags): refusals on the canaries are not recorded, only kills and the heartbeat',
    );
  return {
    ok: true,
    gate,
    state: next,
    files: { [file]: writeProfile(profile) },
    event: {
      event: 'promote',
      at,
      from: state.phase,
      to,
      accepted: fresh,
      observed: gate.observed,
      file,
    },
    notes,
  };
}

/** Read a state file's JSON (already parsed); throws {@link RolloutUsageError} when it is not one. */
export function checkState(value: unknown): RolloutState {
  const v = value as Partial<RolloutState> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    v.format !== ROLLOUT_FORMAT ||
    v.version !== ROLLOUT_VERSION ||
    !PHASES.some((p) => p === v.phase) ||
    typeof v.phaseStartedAt !== 'string' ||
    Number.isNaN(Date.parse(v.phaseStartedAt)) ||
    typeof v.windowMs !== 'number' ||
    !Array.isArray(v.accepted) ||
    (v.critical !== 'errno' && v.critical !== 'kill')
  )
    throw new RolloutUsageError(`not a ${ROLLOUT_FORMAT} version ${ROLLOUT_VERSION} state file`);
  return v as RolloutState;
}
