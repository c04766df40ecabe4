/**
 * Why does a workload fail under a profile? `diagnose` runs it under the profile on the engine (up to
 * `runs` times, until it fails), then without seccomp under strace in the same engine's sandbox with
 * the same mounts, limits and time bound (never on the host), and asks the decision model which of
 * the traced calls the profile refuses, each judged with its real argument vector. What the runtime
 * itself makes after loading the filter (runc, crun) is judged too. A call answered with ENOSYS on
 * purpose (clone3) is a designed fallback, not a cause: the call libc makes instead is judged.
 *
 * The suggestion is the narrowest set of rules that admits exactly the refused calls: an argument
 * that selects a family, flag or request is pinned to the refused values (`SCMP_CMP_EQ`), so nothing
 * the evidence lacks gets through; clone3 is never allowed. The suggestion is applied and the
 * workload rerun under it; when it still fails, the workload is traced again (an intermittent cause)
 * and the evidence merged. "Seccomp is not the cause" is said only when the unconfined run also
 * fails, with the calls that failed there (a missing mount, device or capability).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archInfo } from '../arch/arches.js';
import type { ArchName } from '../arch/types.js';
import { syscallNumber } from '../arch/syscalls.js';
import { actionKind, actionRuns, SECCOMP_RET_ERRNO } from '../bpf/seccomp.js';
import { describeAction } from '../compile/explain.js';
import { decide, ENOSYS } from '../compile/decide.js';
import type { PlanNode } from '../compile/plan.js';
import type { Evidence } from '../generate/evidence.js';
import { record } from '../generate/record.js';
import {
  CRUN_POST_LOAD,
  dockerDefaultStatus,
  ENOSYS_FALLBACKS,
  RUNC_POST_LOAD,
  riskOf,
  type RiskLevel,
} from '../kb/index.js';
import { RuntimeError } from '../document/errors.js';
import { loadProfile } from '../profile/load.js';
import { toDocker } from '../profile/convert/docker.js';
import type { ArgCondition, SyscallRule } from '../profile/types.js';
import type { EngineName } from '../run/probe.js';
import type { ProcessResult } from '../run/process.js';
import {
  enginePlan,
  runSandboxed,
  type EnginePolicy,
  type SandboxOptions,
  type SandboxRunOptions,
} from '../run/suite-engine.js';
import { ARG_SPECS } from '../trace/observe.js';
import { TracedCalls, type ArgVector, type FailedCall, type TracedCall } from './doctor-calls.js';

/** A rule in Docker profile form (what to add to the profile). */
export interface SuggestedRule {
  readonly names: readonly string[];
  /** ALLOW; ERRNO only for clone3, answered with ENOSYS so libc falls back to clone. */
  readonly action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  readonly errnoRet?: number;
  readonly args?: readonly {
    readonly index: number;
    readonly value: number | string;
    readonly op: 'SCMP_CMP_EQ';
  }[];
  readonly comment?: string;
}

/** Who made a refused call. */
export type RefusedOrigin = 'workload' | 'runtime' | 'fallback';

/** One syscall the workload (or its runtime) made that the profile refuses. */
export interface RefusedCall {
  /** The ABI the call was made in (the host's native one unless the workload is 32-bit or x32). */
  readonly abi: ArchName;
  /** Syscall name. */
  readonly name: string;
  /** Number in that ABI. */
  readonly nr: number;
  /** Calls traced (0 for the runtime's own calls, which the trace cannot see). */
  readonly count: number;
  /** What the profile does with it (`ERRNO(1) EPERM`, `KILL_THREAD`...). */
  readonly action: string;
  /** `workload` (traced), `runtime` (runc or crun after loading the filter), `fallback` (clone after clone3's ENOSYS). */
  readonly origin: RefusedOrigin;
  /** Why the runtime makes it, or which call it replaces. */
  readonly reason?: string;
  /** Risk of allowing it unconditionally. */
  readonly risk: RiskLevel;
  /** Why it is risky. */
  readonly riskReason: string;
  /** The arguments the rules pin (seccomp index -> label), empty when any value is admitted. */
  readonly pinned: readonly { readonly index: number; readonly label: string }[];
  /** The refused values of the pinned arguments, one entry per distinct refused call (decimal strings). */
  readonly refusedValues: readonly (readonly string[])[];
  /** Process names that made it. */
  readonly processes: readonly string[];
  /** The narrowest rules admitting exactly these calls. */
  readonly rules: readonly SuggestedRule[];
}

/** A call the profile answers with ENOSYS on purpose: libc then makes `fallback` instead. */
export interface DesignedFallback {
  readonly name: string;
  readonly count: number;
  readonly action: string;
  readonly fallback: string;
}

/** The verdict of a diagnosis. */
export type DoctorVerdict = 'succeeds' | 'seccomp' | 'not-seccomp' | 'undetermined';

/** What `refusedCalls` found. */
export interface Judgement {
  readonly refused: readonly RefusedCall[];
  readonly fallbacks: readonly DesignedFallback[];
}

/** What `diagnose` found. */
export interface Diagnosis {
  /** The (first failing, else last) run under the profile. */
  readonly underProfile: ProcessResult;
  /** Runs under the profile, and how many failed. */
  readonly confined: { readonly runs: number; readonly failures: number };
  /** Exit status of the last traced run without seccomp (128+N for a signal); -1 when none ran. */
  readonly unconfinedExit: number;
  /** Exit statuses of every traced run without seccomp. */
  readonly unconfinedExits: readonly number[];
  /** Calls the profile refuses, most calls first. */
  readonly refused: readonly RefusedCall[];
  /** Calls the profile answers with ENOSYS on purpose (not causes). */
  readonly fallbacks: readonly DesignedFallback[];
  /** Calls that failed without seccomp that point at the sandbox (when the unconfined run failed). */
  readonly failedWithoutSeccomp: readonly FailedCall[];
  /** The suggestion applied: the profile with the rules added, and how it did. */
  readonly suggestion?: {
    readonly rules: readonly SuggestedRule[];
    /** The fixed profile (Docker JSON). */
    readonly profile: string;
    /** Runs under the fixed profile, and how many passed (absent when it was not tried). */
    readonly verified?: { readonly runs: number; readonly passed: number };
  };
  /** `succeeds`, `seccomp` (refused calls found), `not-seccomp` (fails without seccomp too), `undetermined`. */
  readonly verdict: DoctorVerdict;
}

/** Whether a filter return value lets the call run. */
function lets(value: number): boolean {
  return actionRuns(actionKind(value));
}

/** The argument indices a per-syscall DAG compares. */
function testedIndices(node: PlanNode, into = new Set<number>()): Set<number> {
  if (node.kind === 'cmp') {
    into.add(node.arg);
    testedIndices(node.then, into);
    testedIndices(node.else, into);
  }
  return into;
}

/** A u64 as a Docker profile value (a JSON number when exact, else a decimal string). */
function jsonValue(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

const ENOSYS_ERRNO = (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;

interface Pending {
  abi: ArchName;
  name: string;
  nr: number;
  origin: RefusedOrigin;
  reason?: string;
  action: number;
  count: number;
  processes: Set<string>;
  vectors: { args: ArgVector; known: readonly boolean[] }[];
}

/**
 * The traced calls that `policy` refuses, each judged by the decision model in its own ABI (a
 * 32-bit call by the profile's i386 rules, or by the bad-arch action when the profile leaves that
 * ABI out) with its real argument vector, and for runc/crun/docker what the runtime makes after
 * loading the filter.
 */
export function refusedCalls(
  calls: readonly TracedCall[],
  policy: EnginePolicy,
  engine?: EngineName,
): Judgement {
  const plan = enginePlan(policy, engine ?? 'bwrap');
  const plansOf = (abi: ArchName): readonly { readonly nr: number; readonly root: PlanNode }[] =>
    plan.arches.find((a) => a.arch === abi)?.syscalls ?? [];
  const plans = plansOf(policy.arch);
  const judgeIn = (abi: ArchName, nr: number, args: ArgVector): number =>
    decide(plan, {
      nr,
      arch: archInfo(abi).auditArch,
      instructionPointer: 0n,
      args: [...args],
    }).value;
  const judge = (nr: number, args: ArgVector): number => judgeIn(policy.arch, nr, args);
  const pending = new Map<string, Pending>();
  const fallbacks = new Map<string, DesignedFallback>();
  const refuse = (
    c: { abi?: ArchName; name: string; nr: number; count: number; processes: readonly string[] },
    vector: { args: ArgVector; known: readonly boolean[] } | undefined,
    action: number,
    origin: RefusedOrigin,
    reason?: string,
  ): void => {
    const abi = c.abi ?? policy.arch;
    const key = `${abi}\u0000${c.name}`;
    let p = pending.get(key);
    if (p === undefined) {
      p = {
        abi,
        name: c.name,
        nr: c.nr,
        origin,
        action,
        count: 0,
        processes: new Set(),
        vectors: [],
        ...(reason !== undefined && { reason }),
      };
      pending.set(key, p);
    }
    p.count += c.count;
    for (const n of c.processes) p.processes.add(n);
    if (vector !== undefined) p.vectors.push(vector);
  };
  for (const c of calls) {
    const ret = judgeIn(c.abi, c.nr, c.args);
    if (lets(ret)) continue;
    if (c.abi !== policy.arch) {
      refuse(c, { args: c.args, known: c.known }, ret, 'workload');
      continue;
    }
    const fallback = ENOSYS_FALLBACKS[c.name];
    if (fallback !== undefined) {
      // Designed: ENOSYS makes libc retry with the fallback, whose arguments a filter can read.
      const designed = ret === ENOSYS_ERRNO;
      if (designed) {
        const f = fallbacks.get(c.name);
        fallbacks.set(c.name, {
          name: c.name,
          count: (f?.count ?? 0) + c.count,
          action: describeAction(ret),
          fallback,
        });
      } else refuse(c, undefined, ret, 'workload');
      const fnr = syscallNumber(policy.arch, fallback);
      if (fnr === undefined || c.cloneFlags === undefined) continue;
      const args: ArgVector = [c.cloneFlags, 0n, 0n, 0n, 0n, 0n];
      const fret = judge(fnr, args);
      if (!lets(fret))
        refuse(
          { name: fallback, nr: fnr, count: c.count, processes: c.processes },
          { args, known: [true, false, false, false, false, false] },
          fret,
          'fallback',
          `${c.name} is answered with ENOSYS, and libc makes the same request with ${fallback}`,
        );
      continue;
    }
    refuse(c, { args: c.args, known: c.known }, ret, 'workload');
  }
  // The runtime's own calls between loading the filter and executing the workload: never traced.
  const runtime =
    engine === 'crun'
      ? CRUN_POST_LOAD
      : engine === undefined || engine === 'bwrap'
        ? {}
        : RUNC_POST_LOAD;
  for (const [name, reason] of Object.entries(runtime)) {
    const nr = syscallNumber(policy.arch, name);
    if (nr === undefined || pending.has(`${policy.arch}\u0000${name}`)) continue;
    const plan = plans.find((s) => s.nr === nr);
    // Its arguments are unknown: only an unconditional refusal is certain.
    const root = plan?.root;
    if (root?.kind === 'cmp') continue;
    const ret = root === undefined ? judge(nr, [0n, 0n, 0n, 0n, 0n, 0n]) : root.value >>> 0;
    if (lets(ret)) continue;
    refuse({ name, nr, count: 0, processes: [] }, undefined, ret, 'runtime', reason);
  }
  const refused = [...pending.values()].map((p) => toRefused(p, plansOf(p.abi)));
  return {
    refused: refused.sort(
      (a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    ),
    fallbacks: [...fallbacks.values()],
  };
}

/** The rules admitting exactly the pending calls: pinned arguments at their refused values. */
function toRefused(
  p: Pending,
  plans: readonly { readonly nr: number; readonly root: PlanNode }[],
): RefusedCall {
  const risk = riskOf(p.name);
  const base = {
    abi: p.abi,
    name: p.name,
    nr: p.nr,
    count: p.count,
    action: describeAction(p.action),
    origin: p.origin,
    ...(p.reason !== undefined && { reason: p.reason }),
    risk: risk.level,
    riskReason: risk.reason,
    processes: [...p.processes].sort(),
  };
  const fallback = ENOSYS_FALLBACKS[p.name];
  if (fallback !== undefined) {
    // Never allowed: ENOSYS, so libc falls back to a call the filter can read.
    return {
      ...base,
      pinned: [],
      refusedValues: [],
      rules: [
        {
          names: [p.name],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: dockerDefaultStatus(p.name).errnoWhenDenied ?? ENOSYS,
          comment: `doctor: ENOSYS, so libc falls back to ${fallback}`,
        },
      ],
    };
  }
  const specs = ARG_SPECS[p.name] ?? [];
  const root = plans.find((s) => s.nr === p.nr)?.root;
  const tested = root === undefined ? new Set<number>() : testedIndices(root);
  const indices = [...new Set([...specs.map((s) => s.index), ...tested])].sort((a, b) => a - b);
  const label = (i: number): string => specs.find((s) => s.index === i)?.label ?? `args[${i}]`;
  // Only arguments strace printed as numbers in every refused call can be pinned.
  const pinnedIdx =
    p.vectors.length === 0
      ? []
      : indices.filter((i) => p.vectors.every((v) => v.known[i] === true));
  const seen = new Map<string, bigint[]>();
  for (const v of p.vectors) {
    const values = pinnedIdx.map((i) => v.args[i] ?? 0n);
    seen.set(values.join(','), values);
  }
  const refusedValues = [...seen.values()];
  const comment = `doctor: ${p.origin === 'runtime' ? (p.reason ?? 'the runtime') : `refused for ${base.processes.join(', ') || 'the workload'}`}`;
  const rules: SuggestedRule[] =
    pinnedIdx.length === 0
      ? [{ names: [p.name], action: 'SCMP_ACT_ALLOW', comment }]
      : refusedValues.map((values) => ({
          names: [p.name],
          action: 'SCMP_ACT_ALLOW',
          args: pinnedIdx.map((index, k) => ({
            index,
            value: jsonValue(values[k] ?? 0n),
            op: 'SCMP_CMP_EQ' as const,
          })),
          comment,
        }));
  return {
    ...base,
    pinned: pinnedIdx.map((index) => ({ index, label: label(index) })),
    refusedValues: refusedValues.map((vs) => vs.map((v) => v.toString())),
    rules,
  };
}

/**
 * The rules of every refused call, the runtime's unconditional ones merged into one rule (one name
 * list, as `generate --target docker` writes them).
 */
export function suggestedRules(refused: readonly RefusedCall[]): SuggestedRule[] {
  const runtime = refused.filter((r) => r.origin === 'runtime').map((r) => r.name);
  const rules = refused.filter((r) => r.origin !== 'runtime').flatMap((r) => r.rules);
  if (runtime.length > 0)
    rules.push({
      names: runtime.sort(),
      action: 'SCMP_ACT_ALLOW',
      comment: 'doctor: the runtime makes these after loading the filter',
    });
  return rules;
}

/** A rule of the profile model from a suggested rule. */
function modelRule(r: SuggestedRule, pointer: string): SyscallRule {
  const args: ArgCondition[] = (r.args ?? []).map((a) => ({
    index: a.index,
    value: BigInt(a.value),
    valueTwo: 0n,
    op: a.op,
  }));
  return {
    names: r.names,
    action: r.action,
    ...(r.errnoRet !== undefined && { errnoRet: r.errnoRet }),
    args,
    ...(r.comment !== undefined && { comment: r.comment }),
    pointer,
  };
}

/**
 * `document` (Docker JSON) with `rules` added. A name the profile refuses unconditionally in a rule
 * of its own is taken out of that rule when an unconditional rule replaces it (libseccomp refuses
 * two unconditional rules with different actions for one syscall).
 */
export function applySuggestion(document: string, rules: readonly SuggestedRule[]): string {
  const { profile } = loadProfile('profile.json', document);
  const replaced = new Set(
    rules.filter((r) => (r.args ?? []).length === 0).flatMap((r) => r.names),
  );
  const kept = profile.syscalls
    .map((s) =>
      s.args.length === 0 && s.action !== 'SCMP_ACT_ALLOW'
        ? { ...s, names: s.names.filter((n) => !replaced.has(n)) }
        : s,
    )
    .filter((s) => s.names.length > 0);
  const added = rules.map((r, i) => modelRule(r, `/syscalls/${kept.length + i}`));
  return toDocker({ ...profile, syscalls: [...kept, ...added] });
}

/** Options of {@link diagnose}: where the runs happen and how many. */
export interface DiagnoseOptions extends SandboxOptions {
  /** Kill each run after this many milliseconds (default 120000). */
  readonly timeoutMs?: number;
  /** Runs under the profile to see a failure, traced runs, and runs to verify a suggestion (default 3). */
  readonly runs?: number;
  /** Prepare a profile text for the engines as the original was (to verify the suggestion). */
  readonly prepare?: (document: string) => EnginePolicy;
}

/** Default of {@link DiagnoseOptions.runs}. */
export const DEFAULT_DOCTOR_RUNS = 3;

function failed(r: ProcessResult): boolean {
  return r.exitCode !== 0 || r.timedOut;
}

/**
 * One traced run of `argv` without seccomp in `engine`'s sandbox (same mounts, limits, image and
 * time bound as a confined run), its calls added to `into`; its exit status and evidence.
 */
export async function tracedRun(
  engine: EngineName,
  arch: ArchName,
  argv: readonly string[],
  sandbox: SandboxRunOptions,
  into: TracedCalls,
): Promise<{ exitCode: number; evidence: Evidence }> {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-doctor-'));
  try {
    const traced = await record({
      argv,
      host: arch,
      stdio: 'pipe',
      pinCpu: false,
      saveTraceDir: dir,
      ...((engine === 'docker' || engine === 'podman') && sandbox.image !== undefined
        ? { image: sandbox.image }
        : {}),
      launch: async (straced, mounts) => {
        const r = await runSandboxed(engine, undefined, straced, {
          ...sandbox,
          binds: [...(sandbox.binds ?? []), ...mounts],
        });
        if (r.timedOut)
          throw new RuntimeError(
            engine,
            `the traced run without seccomp timed out after ${(sandbox.timeoutMs ?? 0) / 1000} s and was killed`,
          );
        return r;
      },
    });
    if (traced.tracePath !== undefined) await into.addTraceFile(traced.tracePath);
    return { exitCode: traced.exitCode, evidence: traced.evidence };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run `argv` under `policy` on `engine` and, when it fails, find the refused calls, suggest the
 * narrowest rules, and verify them by running under the fixed profile.
 */
export async function diagnose(
  engine: EngineName,
  policy: EnginePolicy,
  argv: readonly string[],
  options: DiagnoseOptions = {},
): Promise<Diagnosis> {
  const runs = Math.max(1, options.runs ?? DEFAULT_DOCTOR_RUNS);
  const sandbox: SandboxRunOptions = { ...options, timeoutMs: options.timeoutMs ?? 120_000 };
  // 1. Under the profile, until it fails.
  let underProfile: ProcessResult | undefined;
  let confinedRuns = 0;
  let confinedFailures = 0;
  while (confinedRuns < runs) {
    const r = await runSandboxed(engine, policy, argv, sandbox);
    confinedRuns++;
    underProfile = r;
    if (failed(r)) {
      confinedFailures++;
      break;
    }
  }
  if (underProfile === undefined) throw new Error('doctor: no run under the profile');
  if (confinedFailures === 0)
    return {
      underProfile,
      confined: { runs: confinedRuns, failures: 0 },
      unconfinedExit: -1,
      unconfinedExits: [],
      refused: [],
      fallbacks: [],
      failedWithoutSeccomp: [],
      verdict: 'succeeds',
    };
  // 2. Traced without seccomp, judged; the suggestion verified; traced again while it does not hold.
  const calls = new TracedCalls(policy.arch);
  const exits: number[] = [];
  let judgement: Judgement = { refused: [], fallbacks: [] };
  let suggestion: Diagnosis['suggestion'];
  while (exits.length < runs) {
    exits.push((await tracedRun(engine, policy.arch, argv, sandbox, calls)).exitCode);
    judgement = refusedCalls(calls.all(), policy, engine);
    const last = exits.at(-1) ?? 0;
    // Failing without seccomp the way it failed with it: seccomp is not the cause.
    if (last !== 0 && last === underProfile.exitCode) break;
    if (judgement.refused.length === 0) continue;
    const rules = suggestedRules(judgement.refused);
    const fixed = applySuggestion(policy.document, rules);
    if (options.prepare === undefined) {
      suggestion = { rules, profile: fixed };
      break;
    }
    const patched = options.prepare(fixed);
    let passed = 0;
    let tried = 0;
    while (tried < runs) {
      tried++;
      if (failed(await runSandboxed(engine, patched, argv, sandbox))) break;
      passed++;
    }
    suggestion = { rules, profile: fixed, verified: { runs: tried, passed } };
    if (passed === tried) break;
  }
  const anyFailed = exits.some((e) => e !== 0);
  const verdict: DoctorVerdict =
    exits.every((e) => e !== 0) || (anyFailed && judgement.refused.length === 0)
      ? 'not-seccomp'
      : judgement.refused.length > 0
        ? 'seccomp'
        : 'undetermined';
  return {
    underProfile,
    confined: { runs: confinedRuns, failures: confinedFailures },
    unconfinedExit: exits.at(-1) ?? -1,
    unconfinedExits: exits,
    refused: judgement.refused,
    fallbacks: judgement.fallbacks,
    failedWithoutSeccomp: anyFailed ? calls.failed() : [],
    ...(suggestion !== undefined && verdict === 'seccomp' && { suggestion }),
    verdict,
  };
}
