/**
 * Drift: does a profile still cover its workload? The workload is recorded again without seccomp
 * (under strace, in the engine's sandbox, as `doctor` traces it: every call with its real argument
 * vector), and each distinct call is judged by the decision model in its own ABI
 * (`doctor/refusedCalls`). What the profile would refuse is the drift, each with the smallest
 * change: the narrowest allow rule (arguments that select a family, flag or request pinned to the
 * values seen), "add the architecture" for an ABI the profile leaves out, or "never allow" for the
 * critical syscalls (`kb.criticalSyscalls`), which call for a change to the workload or a reviewed
 * exception, never a quiet rule.
 */
import { archInfo } from '../arch/arches.js';
import type { ArchName } from '../arch/types.js';
import type { Evidence } from '../generate/evidence.js';
import { mergeEvidence } from '../generate/merge.js';
import type { Provenance } from '../generate/provenance.js';
import { criticalSyscalls } from '../kb/index.js';
import type { EngineName } from '../run/probe.js';
import { enginePlan, type EnginePolicy, type SandboxRunOptions } from '../run/suite-engine.js';
import { refusedCalls, tracedRun, type DesignedFallback, type RefusedCall } from './doctor.js';
import { TracedCalls } from './doctor-calls.js';

/** One workload to record again. */
export interface DriftWorkload {
  /** A name for reports (the suite's workload name, or the command). */
  readonly name: string;
  /** Command and arguments (empty: the image's entrypoint and command). */
  readonly argv: readonly string[];
  /** The exit status that shows it worked (default 0). */
  readonly exit?: number;
  /** Sandbox settings of this workload (binds, image, time bound...). */
  readonly sandbox: SandboxRunOptions;
}

/** The smallest change for one drifted call. */
export type DriftChange =
  | { readonly kind: 'allow'; readonly rules: RefusedCall['rules'] }
  | { readonly kind: 'add-arch'; readonly architecture: string }
  | { readonly kind: 'never-allow'; readonly reason: string };

/** A call the workload makes now that the profile does not allow. */
export interface DriftFinding extends RefusedCall {
  readonly change: DriftChange;
}

/** One recording of a workload. */
export interface DriftRecording {
  readonly name: string;
  readonly exitCode: number;
  /** Whether the exit status is the one expected (the recording shows the workload working). */
  readonly worked: boolean;
  readonly provenance: readonly Provenance[];
}

/** What {@link drift} found. */
export interface DriftReport {
  /** Whether the profile allows every call of every recording. */
  readonly covered: boolean;
  readonly findings: readonly DriftFinding[];
  /** Calls the profile answers with ENOSYS on purpose (libc falls back): not drift. */
  readonly fallbacks: readonly DesignedFallback[];
  readonly recordings: readonly DriftRecording[];
  /** Distinct (ABI, syscall, argument vector) calls judged. */
  readonly judged: number;
  /** The recordings' evidence, merged (with their provenance). */
  readonly evidence: Evidence;
}

/**
 * The change for a refused call: add a missing ABI; never allow a critical syscall unless the rule
 * pins the arguments that make it risky (socket with a family, clone without namespace flags);
 * else its narrowest rules, commented as drift's.
 */
export function driftChange(r: RefusedCall, policy: EnginePolicy): DriftChange {
  // Every engine's plan covers the same ABIs (the profile's architectures).
  if (!enginePlan(policy, 'bwrap').arches.some((a) => a.arch === r.abi))
    return { kind: 'add-arch', architecture: archInfo(r.abi).scmpName };
  if (criticalSyscalls().includes(r.name) && r.pinned.length === 0)
    return { kind: 'never-allow', reason: `${r.risk} risk: ${r.riskReason}` };
  return {
    kind: 'allow',
    rules: r.rules.map((rule) => ({
      ...rule,
      comment: `drift: ${r.origin === 'runtime' ? (r.reason ?? 'the runtime') : `needed now by ${r.processes.join(', ') || 'the workload'}`}`,
    })),
  };
}

/** Judge traced calls against the profile: the findings, each with its smallest change. */
export function judgeDrift(
  calls: TracedCalls,
  policy: EnginePolicy,
  engine: EngineName,
): { findings: DriftFinding[]; fallbacks: DesignedFallback[] } {
  const j = refusedCalls(calls.all(), policy, engine);
  return {
    findings: j.refused.map((r) => ({ ...r, change: driftChange(r, policy) })),
    fallbacks: [...j.fallbacks],
  };
}

/** Record every workload again on `engine` without seccomp and judge it against `policy`. */
export async function drift(
  policy: EnginePolicy,
  workloads: readonly DriftWorkload[],
  engine: EngineName,
): Promise<DriftReport> {
  const arch: ArchName = policy.arch;
  const calls = new TracedCalls(arch);
  const recordings: DriftRecording[] = [];
  const evidence: Evidence[] = [];
  for (const w of workloads) {
    const r = await tracedRun(engine, arch, w.argv, w.sandbox, calls);
    recordings.push({
      name: w.name,
      exitCode: r.exitCode,
      worked: r.exitCode === (w.exit ?? 0),
      provenance: r.evidence.meta.provenance ?? [],
    });
    evidence.push(r.evidence);
  }
  const { findings, fallbacks } = judgeDrift(calls, policy, engine);
  return {
    covered: findings.length === 0,
    findings,
    fallbacks,
    recordings,
    judged: calls.all().length,
    evidence: mergeEvidence(evidence),
  };
}
