/**
 * The compile driver: resolved profile -> filter plan -> BPF, with per-phase timing and statistics.
 */
import type { LibseccompVersion } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import type { Instruction } from '../bpf/instruction.js';
import { validate } from '../bpf/validate.js';
import { generate } from './codegen.js';
import { buildPlan, type ModelProfile } from './build.js';
import type { FilterPlan } from './plan.js';
import { runcPlanOptions, type RuntimeVersions } from './runtime-versions.js';
import { buildStats, type BuildStats } from './stats.js';

/** Options of {@link compileProfile}. */
export interface CompileOptions {
  /** Host (native) architecture the filter is built for. */
  readonly arch: ArchName;
  /** libseccomp version whose syscall table names resolve against (default 2.5.4, Debian 12). */
  readonly libseccompVersion?: LibseccompVersion;
  /**
   * The container stack whose runc builds the filter (compile/runtime-versions.ts): picks libseccomp's
   * optimize level and whether the ENOSYS stub covers the native arch. Default: Debian 12's runc 1.1.5
   * (level 1, listed arches only). Docker's part (fields it drops) is the caller's, before resolving.
   */
  readonly stack?: RuntimeVersions;
  /** Optimised range dispatch (default) or the linear reference layout. */
  readonly optimize?: boolean;
  /**
   * When the program would pass BPF_MAXINSNS, split it into stacked filters that decide the same
   * together (for sysgate's own loaders: bwrap, the prober). Default false: such a profile is refused
   * (`program-too-long`). runc, crun and Docker never load these: they build their own with libseccomp.
   */
  readonly split?: boolean;
  /** Longest filter of a split (default BPF_MAXINSNS); tests use small values. */
  readonly maxInsns?: number;
  /** Also measure the program (instructions executed per ABI, cache); costs a few ms. Default true. */
  readonly stats?: boolean;
}

/** What {@link compileProfile} produces. */
export interface CompileResult {
  /** The filter, ready for `encodeProgram` (the first of `filters`, the only one unless split). */
  readonly program: Instruction[];
  /** The filters to load, stacked in this order (one unless `split` was needed). */
  readonly filters: Instruction[][];
  /** The decision the program implements. */
  readonly plan: FilterPlan;
  /** Length, per-ABI cost, cache coverage and time per phase. */
  readonly stats: BuildStats;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
function now(): number {
  return performance.now();
}

/**
 * Compile a resolved profile (the OCI `LinuxSeccomp` runc receives) for one host: build the plan the real
 * stack would, lower it to BPF, check it with the kernel's checks, and measure it.
 */
export function compileProfile(resolved: ModelProfile, opts: CompileOptions): CompileResult {
  const t0 = now();
  const plan = buildPlan(resolved, {
    arch: opts.arch,
    libseccomp: opts.libseccompVersion ?? '2.5.4',
    ...(opts.stack !== undefined && runcPlanOptions(resolved, opts.stack)),
  });
  const t1 = now();
  const { program, filters, passes } = generate(plan, {
    optimize: opts.optimize ?? true,
    ...(opts.split !== undefined && { split: opts.split }),
    ...(opts.maxInsns !== undefined && { maxInsns: opts.maxInsns }),
  });
  const t2 = now();
  for (const f of filters) validate(f);
  const t3 = now();
  const phases: Record<string, number> = { plan: t1 - t0, codegen: t2 - t1, validate: t3 - t2 };
  const arches = plan.arches.map((a) => a.arch);
  const lengths = filters.map((f) => f.length);
  if (opts.stats === false) {
    const length = lengths.reduce((a, b) => a + b, 0);
    return {
      program,
      filters,
      plan,
      stats: { length, ...(filters.length > 1 && { filters: lengths }), abis: [], phases, passes },
    };
  }
  const stats = { ...buildStats(filters, arches, phases), passes };
  phases.stats = now() - t3;
  return { program, filters, plan, stats };
}
