/**
 * Advice (seed 001): would a workload run under Docker's default seccomp profile with Docker's default
 * capabilities? Every recorded syscall, with every recorded argument value, is decided by the real
 * decision engine (moby resolution -> runc -> libseccomp -> kernel, `buildPlan` + `decide`) on the
 * resolved default profile. For each blocked call the capability that would unblock it is found by
 * resolving the profile again with that capability added, and the smallest change is chosen:
 * nothing, `--cap-add`, or a custom (generated) profile. Never `seccomp=unconfined`.
 */
import { archInfo, errnoName, syscallNumber, type ArchName } from '../arch/index.js';
import { kernelOutcome, buildPlan, decide } from '../compile/index.js';
import type { FilterPlan } from '../compile/plan.js';
import {
  capabilityExistsOn,
  capabilityFor,
  capabilityIsolation,
  DOCKER_DEFAULT_CAPABILITIES,
  DOCKER_DEFAULT_PROFILE_TEXT,
  dockerDefaultStatus,
} from '../kb/index.js';
import { parseProfile } from '../profile/index.js';
import { resolveProfile, type KernelVersion } from '../profile/resolve.js';
import type { Profile } from '../profile/types.js';
import type { Evidence, EvidenceSyscall } from './evidence.js';
import { splitOutcomes } from './outcomes.js';

/** Docker's default profile (moby/profiles default.json), parsed. */
export function dockerDefaultProfile(): Profile {
  return parseProfile(DOCKER_DEFAULT_PROFILE_TEXT, 'docker-default.json').profile;
}

/** Options of {@link advise}. */
export interface AdviseOptions {
  /** The Docker host's kernel (`major.minor`); decides `minKernel` rules (ptrace needs 4.8). */
  readonly kernel: KernelVersion;
  /** The host architecture (default: the evidence's host). */
  readonly arch?: ArchName;
  /** Bounding capabilities of the container (default: Docker's default set). */
  readonly caps?: readonly string[];
  /** The profile to check against (default: Docker's default profile). */
  readonly profile?: Profile;
}

/** One recorded call the profile would refuse. */
export interface BlockedCall {
  /** ABI of the call. */
  readonly abi: ArchName;
  /** Syscall name. */
  readonly name: string;
  /** Calls recorded. */
  readonly count: number;
  /** The argument value refused, e.g. `family=40`, when only some values are refused. */
  readonly args?: string;
  /** What the caller would see: `EPERM`, `ENOSYS`, `errno 13`, `killed`, `SIGSYS`... */
  readonly outcome: string;
  /** The capability whose addition lets the call through, when one does. */
  readonly unblockedBy?: string;
  /** Docker's reason for the default treatment. */
  readonly reason: string;
}

/** A capability the advice proposes that lets the container reach the host. */
export interface IsolationWarning {
  /** The capability (`CAP_*`). */
  readonly cap: string;
  /** How it breaks container isolation. */
  readonly why: string;
  /** What to do instead. */
  readonly alternative?: string;
}

/**
 * The smallest change that makes the workload run; `incomplete` when nothing was refused but the
 * workload crashed while recorded, so what it would have done afterwards is unknown.
 */
export type AdviceVerdict = 'none' | 'cap-add' | 'custom-profile' | 'incomplete';

/** The answer. */
export interface Advice {
  /** The smallest change. */
  readonly verdict: AdviceVerdict;
  /** Capabilities to add (for `cap-add`). */
  readonly capAdd: readonly string[];
  /** Calls the default profile refuses. */
  readonly blocked: readonly BlockedCall[];
  /** Calls allowed by seccomp whose privileged use needs a capability the container lacks, and other remarks. */
  readonly notes: readonly string[];
  /** Distinct (ABI, syscall) pairs evaluated. */
  readonly checked: number;
  /** The command-line change, e.g. `--cap-add SYS_PTRACE`, or what to do for a custom profile. */
  readonly change: string;
  /** Proposed capabilities that break container isolation, with the alternative. */
  readonly isolation: readonly IsolationWarning[];
  /** Processes that crashed while recorded (`pid 7 killed by SIGSEGV (trace line 40)`). */
  readonly crashes: readonly string[];
}

function describeOutcome(value: number): { ok: boolean; text: string } {
  const o = kernelOutcome(value);
  switch (o.kind) {
    case 'allow':
    case 'log':
      return { ok: true, text: o.kind };
    case 'errno':
      return { ok: false, text: errnoName(o.errno ?? 0) ?? `errno ${o.errno ?? 0}` };
    case 'kill_process':
    case 'kill_thread':
      return { ok: false, text: 'killed (SIGSYS)' };
    case 'trap':
      return { ok: false, text: 'SIGSYS' };
    case 'trace':
      return { ok: false, text: 'ENOSYS (no tracer)' };
    case 'user_notif':
      return { ok: false, text: 'ENOSYS (no listener)' };
    default: {
      const never: never = o.kind;
      return { ok: false, text: String(never) };
    }
  }
}

/** The argument vectors to test for one recorded syscall: each recorded value, or all zeros. */
function argVectors(
  s: EvidenceSyscall,
): { args: [bigint, bigint, bigint, bigint, bigint, bigint]; label?: string }[] {
  const out: { args: [bigint, bigint, bigint, bigint, bigint, bigint]; label?: string }[] = [];
  for (const [label, a] of Object.entries(s.args)) {
    for (const v of a.values) {
      if (v.value === undefined) continue;
      const args: [bigint, bigint, bigint, bigint, bigint, bigint] = [0n, 0n, 0n, 0n, 0n, 0n];
      args[a.index] = BigInt(v.value);
      out.push({ args, label: `${label}=${v.text === v.value ? v.value : v.text}` });
    }
  }
  if (out.length === 0) out.push({ args: [0n, 0n, 0n, 0n, 0n, 0n] });
  return out;
}

/** Short capability name as `docker run --cap-add` takes it (`SYS_PTRACE`). */
export function shortCap(cap: string): string {
  return cap.replace(/^CAP_/, '');
}

/** Decide whether the workload in `evidence` runs under Docker's default profile, and what to change. */
export function advise(evidence: Evidence, opts: AdviseOptions): Advice {
  const arch = opts.arch ?? evidence.host;
  const baseCaps = opts.caps ?? DOCKER_DEFAULT_CAPABILITIES;
  const profile = opts.profile ?? dockerDefaultProfile();
  const plans = new Map<string, FilterPlan | null>();
  const planFor = (extraCap?: string): FilterPlan | null => {
    const key = extraCap ?? '';
    if (!plans.has(key)) {
      const caps = extraCap === undefined ? baseCaps : [...baseCaps, extraCap];
      const resolved = resolveProfile(profile, { arch, caps, kernel: opts.kernel });
      plans.set(key, resolved === null ? null : buildPlan(resolved, { arch, libseccomp: '2.5.4' }));
    }
    return plans.get(key) ?? null;
  };

  const blocked: BlockedCall[] = [];
  const notes: string[] = [];
  const base = planFor();
  let checked = 0;
  // Only calls that ran are needs; refused audit records are the filter at work.
  for (const s of splitOutcomes(evidence).need.syscalls) {
    const nr = s.nr ?? syscallNumber(s.abi, s.name);
    if (nr === undefined) {
      notes.push(`${s.name} (${s.abi}): no syscall number known, not checked`);
      continue;
    }
    checked++;
    const token = archInfo(s.abi).auditArch;
    const run = (
      plan: FilterPlan | null,
      args: [bigint, bigint, bigint, bigint, bigint, bigint],
    ) =>
      plan === null
        ? { ok: true, text: 'allow' }
        : describeOutcome(decide(plan, { nr, arch: token, instructionPointer: 0n, args }).value);
    for (const vec of argVectors(s)) {
      const r = run(base, vec.args);
      if (r.ok) continue;
      if (s.name === 'clone3' && r.text === 'ENOSYS') {
        notes.push(
          'clone3 is answered with ENOSYS; libc falls back to clone, which the default profile allows without namespace flags',
        );
        continue;
      }
      const status = dockerDefaultStatus(s.name);
      // The narrowest capability first: the knowledge base lists the split ones (CAP_BPF) before
      // the broad one (CAP_SYS_ADMIN); those the kernel does not know yet are skipped, and the
      // ones that break container isolation come last.
      const candidates = [...new Set([...capabilityFor(s.name), ...status.caps])]
        .filter((c) => !baseCaps.includes(c) && capabilityExistsOn(c, opts.kernel))
        .sort(
          (a, b) =>
            Number(capabilityIsolation(a).breaksIsolation !== undefined) -
            Number(capabilityIsolation(b).breaksIsolation !== undefined),
        );
      const unblockedBy = candidates.find((c) => run(planFor(c), vec.args).ok);
      blocked.push({
        abi: s.abi,
        name: s.name,
        count: s.count,
        ...(vec.label !== undefined ? { args: vec.label } : {}),
        outcome: r.text,
        ...(unblockedBy !== undefined ? { unblockedBy } : {}),
        reason: status.reason,
      });
    }
    // Allowed by seccomp, but the recording saw EPERM and the call is capability-gated.
    const caps = capabilityFor(s.name).filter((c) => !baseCaps.includes(c));
    if ((s.errors.EPERM ?? 0) > 0 && caps.length > 0 && !blocked.some((b) => b.name === s.name)) {
      notes.push(
        `${s.name} failed with EPERM ${s.errors.EPERM ?? 0}x while recording: its privileged use is a capability check (${caps.join(' or ')}), not seccomp`,
      );
    }
  }
  blocked.sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : (a.args ?? '') < (b.args ?? '') ? -1 : 1,
  );

  const needed = blocked;
  const capAdd = [
    ...new Set(needed.map((b) => b.unblockedBy).filter((c): c is string => c !== undefined)),
  ].sort();
  const crashes = evidence.meta.crashes ?? [];
  let verdict: AdviceVerdict;
  let change: string;
  if (needed.length === 0 && crashes.length > 0) {
    verdict = 'incomplete';
    change = `unknown: the workload crashed while recorded (${crashes.join('; ')}), unconfined, so this is not seccomp; nothing it did before was refused, but what it would have done after is unknown: fix the crash and record again`;
  } else if (needed.length === 0) {
    verdict = 'none';
    change = "nothing: Docker's default seccomp profile and capabilities are enough";
  } else if (needed.every((b) => b.unblockedBy !== undefined)) {
    verdict = 'cap-add';
    change = capAdd.map((c) => `--cap-add ${shortCap(c)}`).join(' ');
  } else {
    verdict = 'custom-profile';
    const missing = [
      ...new Set(needed.filter((b) => b.unblockedBy === undefined).map((b) => b.name)),
    ];
    change = `a custom profile that also allows ${missing.join(', ')}: sysgate generate --from EVIDENCE --target docker -o profile.json, then --security-opt seccomp=profile.json${capAdd.length > 0 ? ` ${capAdd.map((c) => `--cap-add ${shortCap(c)}`).join(' ')}` : ''}`;
  }
  if (crashes.length > 0 && verdict !== 'incomplete')
    notes.push(
      `the workload crashed while recorded (${crashes.join('; ')}): the advice covers only what it did before`,
    );
  const proposed = verdict === 'custom-profile' || verdict === 'cap-add' ? capAdd : [];
  const isolation = proposed.flatMap((cap): IsolationWarning[] => {
    const f = capabilityIsolation(cap);
    return f.breaksIsolation === undefined
      ? []
      : [
          {
            cap,
            why: f.breaksIsolation,
            ...(f.alternative !== undefined ? { alternative: f.alternative } : {}),
          },
        ];
  });
  return {
    verdict,
    capAdd: proposed,
    blocked,
    notes,
    checked,
    change,
    isolation,
    crashes,
  };
}
