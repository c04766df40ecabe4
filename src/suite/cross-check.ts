/**
 * Cross-checking a suite's probes: the same probes on every available engine and through the emulator
 * (the decision model on the plan, and sysgate's compiled BPF run by the BPF emulator). For each engine
 * the model's return value for what that engine's loader builds (`enginePlan`: Docker's version
 * differences only on the Docker path) is turned into the outcome the prober must observe (`predictOutcome`, with
 * the engine's own no-seccomp run as the outcome of an ALLOW); any difference is a disagreement.
 */
import { RuntimeError } from '../document/errors.js';
import { describeAction } from '../compile/explain.js';
import { predictOutcome, probeReturn } from '../run/predict.js';
import type { Probe, ProbeOutcome } from '../run/probe-format.js';
import { runProbes, type EngineName } from '../run/probe.js';
import { probeModel, probePolicy, type EnginePolicy } from '../run/suite-engine.js';
import { describeOutcome, modelDecision, resolveProbe, sameDecision } from './suite-run.js';
import type { Suite } from './suite.js';

/** One probe across engines. */
export interface CrossCheckRow {
  /** Probe name. */
  readonly probe: string;
  /** The decision model's action for sysgate's compiled filter (`ALLOW`, `ERRNO(1) EPERM`...). */
  readonly model: string;
  /** The decision model's action per engine, for what that engine's loader builds. */
  readonly models: Partial<Record<EngineName, string>>;
  /** What sysgate's compiled filter returns in the emulator. */
  readonly bpf: string;
  /** Observed outcome per engine (absent for engines that were not run). */
  readonly engines: Partial<Record<EngineName, string>>;
  /** Outcome the model predicts per engine. */
  readonly predicted: Partial<Record<EngineName, string>>;
  /** Human sentences, one per disagreement; empty when everything agrees. */
  readonly disagreements: readonly string[];
}

/** The whole cross-check. */
export interface CrossCheckResult {
  /** Engines the probes ran on. */
  readonly engines: readonly EngineName[];
  /** One row per probe. */
  readonly rows: readonly CrossCheckRow[];
  /** Number of rows with a disagreement. */
  readonly disagreements: number;
  /** Engines that could not run the probes at all, with the reason (counted as disagreements). */
  readonly engineErrors: Partial<Record<EngineName, string>>;
  /** Wall time in milliseconds per engine (profile and baseline batches). */
  readonly engineMs: Partial<Record<EngineName, number>>;
}

/** Options of {@link crossCheck}. */
export interface CrossCheckOptions {
  /** Docker image (sysgate's own when absent). */
  readonly image?: string;
}

/** Run the suite's probes on `engines` and through the emulator, and compare. */
export async function crossCheck(
  suite: Suite,
  policy: EnginePolicy,
  engines: readonly EngineName[],
  options: CrossCheckOptions = {},
): Promise<CrossCheckResult> {
  const probes: Probe[] = suite.probes.map((p) => resolveProbe(p, policy.arch));
  // bwrap loads sysgate's compiled filter, so its plan is the one the BPF is checked against.
  const values = probes.map((p) => modelDecision(policy, p, 'bwrap'));
  // Every filter of the stack runs; the kernel keeps the most restrictive action.
  const bpfValues = probes.map((p) => probeReturn(policy.filters, p, policy.arch));
  const common = {
    fork: suite.probeMode === 'fork',
    ...(options.image !== undefined && { image: options.image }),
  };
  const observed = new Map<EngineName, { got: ProbeOutcome[]; base: ProbeOutcome[] }>();
  const engineMs: Partial<Record<EngineName, number>> = {};
  const engineErrors: Partial<Record<EngineName, string>> = {};
  // Engines run one after another: parallel container starts would only compete for two cores.
  for (const engine of engines) {
    const t0 = performance.now();
    const opts = { ...common, ...(engine === 'bwrap' && { loader: 'prober' as const }) };
    try {
      const [got, base] = await Promise.all([
        runProbes(engine, probePolicy(engine, policy), probes, {
          ...opts,
          model: probeModel(policy, engine),
        }),
        runProbes(engine, probePolicy(engine, undefined), probes, {
          ...opts,
          model: probeModel(undefined, engine),
        }),
      ]);
      observed.set(engine, { got, base });
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      engineErrors[engine] = e.message;
    }
    engineMs[engine] = performance.now() - t0;
  }
  const rows = suite.probes.map((p, i): CrossCheckRow => {
    const value = values[i] ?? 0;
    const bpfValue = bpfValues[i] ?? 0;
    const disagreements: string[] = [];
    if (value !== bpfValue)
      disagreements.push(
        `model says ${describeAction(value)} but the compiled filter returns ${describeAction(bpfValue)}`,
      );
    const seen: Partial<Record<EngineName, string>> = {};
    const predicted: Partial<Record<EngineName, string>> = {};
    const models: Partial<Record<EngineName, string>> = {};
    for (const [engine, o] of observed) {
      const got = o.got[i] ?? { kind: 'exit', status: -1 };
      const base = o.base[i] ?? { kind: 'exit', status: -1 };
      const engineValue = modelDecision(policy, probes[i] ?? { nr: -1 }, engine);
      const want = predictOutcome(engineValue, base);
      seen[engine] = describeOutcome(got, base);
      predicted[engine] = describeOutcome(want, base);
      models[engine] = describeAction(engineValue);
      if (!sameDecision(want, got))
        disagreements.push(
          `${engine}: ${describeOutcome(got)}, the model predicts ${describeOutcome(want)}`,
        );
    }
    return {
      probe: p.name,
      model: describeAction(value),
      models,
      bpf: describeAction(bpfValue),
      engines: seen,
      predicted,
      disagreements,
    };
  });
  return {
    engines: [...observed.keys()],
    rows,
    disagreements:
      rows.filter((r) => r.disagreements.length > 0).length + Object.keys(engineErrors).length,
    engineErrors,
    engineMs,
  };
}
