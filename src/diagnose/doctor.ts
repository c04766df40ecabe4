/**
 * Why does a workload fail under a profile? `diagnose` runs it under the profile on the engine, then
 * once more without seccomp under strace, in the same engine's sandbox with the same mounts, limits
 * and time bound (never on the host), and asks the decision model which of the recorded calls the profile refuses,
 * argument values included. Each refused call comes with its risk from the knowledge base and the
 * smallest allow rule that would admit exactly what the workload did. A workload that makes no call
 * the profile refuses fails for another reason: seccomp is not the cause.
 */
import { archInfo } from '../arch/arches.js';
import { syscallNumber } from '../arch/syscalls.js';
import { actionKind, actionRuns } from '../bpf/seccomp.js';
import { describeAction } from '../compile/explain.js';
import { decide } from '../compile/decide.js';
import type { Evidence } from '../generate/evidence.js';
import { record } from '../generate/record.js';
import { riskOf, type RiskLevel } from '../kb/index.js';
import { RuntimeError } from '../document/errors.js';
import type { EngineName } from '../run/probe.js';
import type { ProcessResult } from '../run/process.js';
import {
  runSandboxed,
  type EnginePolicy,
  type SandboxOptions,
  type SandboxRunOptions,
} from '../run/suite-engine.js';

/** An allow rule in Docker profile form (what to add to the profile). */
export interface SuggestedRule {
  readonly names: readonly string[];
  readonly action: 'SCMP_ACT_ALLOW';
  readonly args?: readonly {
    readonly index: number;
    readonly value: number | string;
    readonly op: 'SCMP_CMP_EQ';
  }[];
}

/** One syscall the workload made that the profile refuses. */
export interface RefusedCall {
  /** Syscall name. */
  readonly name: string;
  /** Number on the host arch. */
  readonly nr: number;
  /** Calls recorded. */
  readonly count: number;
  /** What the profile does with it (`ERRNO(1) EPERM`, `KILL_THREAD`...). */
  readonly action: string;
  /** Risk of allowing it unconditionally. */
  readonly risk: RiskLevel;
  /** Why it is risky. */
  readonly riskReason: string;
  /** The refused values of an argument, when the profile allows other values of it. */
  readonly refusedValues?: {
    readonly label: string;
    readonly index: number;
    readonly values: readonly string[];
  };
  /** The smallest rules that would allow what the workload did. */
  readonly rules: readonly SuggestedRule[];
}

/** The verdict of a diagnosis. */
export type DoctorVerdict = 'succeeds' | 'seccomp' | 'not-seccomp';

/** What `diagnose` found. */
export interface Diagnosis {
  /** The run under the profile. */
  readonly underProfile: ProcessResult;
  /** Exit status of the traced run without seccomp (128+N for a signal). */
  readonly unconfinedExit: number;
  /** Calls the profile refuses, most calls first. */
  readonly refused: readonly RefusedCall[];
  /** `succeeds` under the profile, `seccomp` refusals found, or `not-seccomp`. */
  readonly verdict: DoctorVerdict;
}

/** seccomp_data args with one argument set. */
function argsWith(
  index: number | undefined,
  value: bigint,
): [bigint, bigint, bigint, bigint, bigint, bigint] {
  const a: [bigint, bigint, bigint, bigint, bigint, bigint] = [0n, 0n, 0n, 0n, 0n, 0n];
  if (index !== undefined && index >= 0 && index < 6) a[index] = BigInt.asUintN(64, value);
  return a;
}

/** Whether a filter return value lets the call run. */
function lets(value: number): boolean {
  return actionRuns(actionKind(value));
}

/** The calls of `evidence` (native ABI) that `policy` refuses, judged by the decision model. */
export function refusedCalls(evidence: Evidence, policy: EnginePolicy): RefusedCall[] {
  const token = archInfo(policy.arch).auditArch;
  const out: RefusedCall[] = [];
  for (const s of evidence.syscalls) {
    if (s.abi !== policy.arch) continue;
    const nr = s.nr ?? syscallNumber(policy.arch, s.name);
    if (nr === undefined) continue;
    const judge = (args: [bigint, bigint, bigint, bigint, bigint, bigint]): number =>
      decide(policy.plan, { nr, arch: token, instructionPointer: 0n, args }).value;
    const base = judge(argsWith(undefined, 0n));
    // The profile decides this syscall on its arguments: suggest rules for the refused values only.
    const conditional =
      policy.plan.arches.find((a) => a.arch === policy.arch)?.syscalls.find((p) => p.nr === nr)
        ?.root.kind === 'cmp';
    let refusedValues: RefusedCall['refusedValues'];
    // With recorded argument values, judge those (the all-zero call never happened); else the bare call.
    const observed = Object.values(s.args).some((a) => a.values.some((v) => v.value !== undefined));
    let action = base;
    let anyRefused = !observed && !lets(base);
    for (const [label, arg] of Object.entries(s.args)) {
      const refused: string[] = [];
      for (const v of arg.values) {
        if (v.value === undefined) continue;
        const ret = judge(argsWith(arg.index, BigInt(v.value)));
        if (!lets(ret)) {
          anyRefused = true;
          action = ret;
          refused.push(v.value);
        }
      }
      if (refused.length > 0 && refusedValues === undefined)
        refusedValues = { label, index: arg.index, values: refused };
    }
    if (!anyRefused) continue;
    const risk = riskOf(s.name);
    const narrow = conditional ? refusedValues : undefined;
    const rules: SuggestedRule[] =
      narrow !== undefined
        ? narrow.values.map((v) => ({
            names: [s.name],
            action: 'SCMP_ACT_ALLOW',
            args: [
              {
                index: narrow.index,
                value: BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v,
                op: 'SCMP_CMP_EQ',
              },
            ],
          }))
        : [{ names: [s.name], action: 'SCMP_ACT_ALLOW' }];
    out.push({
      name: s.name,
      nr,
      count: s.count,
      action: describeAction(action),
      risk: risk.level,
      riskReason: risk.reason,
      ...(narrow !== undefined && { refusedValues: narrow }),
      rules,
    });
  }
  return out.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
}

/** Options of {@link diagnose}: where both runs happen. */
export interface DiagnoseOptions extends SandboxOptions {
  /** Kill each run after this many milliseconds (default 120000). */
  readonly timeoutMs?: number;
}

/** Run `argv` under `policy` on `engine` and, when it fails, find the refused calls. */
export async function diagnose(
  engine: EngineName,
  policy: EnginePolicy,
  argv: readonly string[],
  options: DiagnoseOptions = {},
): Promise<Diagnosis> {
  const sandbox: SandboxRunOptions = { ...options, timeoutMs: options.timeoutMs ?? 120_000 };
  const underProfile = await runSandboxed(engine, policy, argv, sandbox);
  // The same sandbox without seccomp, with the host's strace (and the trace FIFO) mounted in.
  const traced = await record({
    argv,
    host: policy.arch,
    stdio: 'pipe',
    pinCpu: false,
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
  const refused = refusedCalls(traced.evidence, policy);
  const verdict: DoctorVerdict =
    underProfile.exitCode === 0 && !underProfile.timedOut
      ? 'succeeds'
      : refused.length > 0
        ? 'seccomp'
        : 'not-seccomp';
  return { underProfile, unconfinedExit: traced.exitCode, refused, verdict };
}
