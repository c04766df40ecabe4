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
import { buildStats, type BuildStats } from './stats.js';

/** Options of {@link compileProfile}. */
export interface CompileOptions {
  /** Host (native) architecture the filter is built for. */
  readonly arch: ArchName;
  /** libseccomp version whose syscall table names resolve against (default 2.5.4, Debian 12). */
  readonly libseccompVersion?: LibseccompVersion;
  /** Optimised range dispatch (default) or the linear reference layout. */
  readonly optimize?: boolean;
  /** Also measure the program (instructions executed per ABI, cache); costs a few ms. Default true. */
  readonly stats?: boolean;
}

/** What {@link compileProfile} produces. */
export interface CompileResult {
  /** The filter, ready for `encodeProgram`. */
  readonly program: Instruction[];
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
  });
  const t1 = now();
  const { program, passes } = generate(plan, { optimize: opts.optimize ?? true });
  const t2 = now();
  validate(program);
  const t3 = now();
  const phases: Record<string, number> = { plan: t1 - t0, codegen: t2 - t1, validate: t3 - t2 };
  const arches = plan.arches.map((a) => a.arch);
  if (opts.stats === false)
    return { program, plan, stats: { length: program.length, abis: [], phases, passes } };
  const stats = { ...buildStats(program, arches, phases), passes };
  phases.stats = now() - t3;
  return { program, plan, stats };
}
