/**
 * Build statistics of a compiled filter (gVisor's `BuildStats` idea): program length, instructions
 * executed per ABI over a range of syscall numbers with zero arguments, and how many syscalls the
 * kernel's constant-action cache (Linux >= 5.11) holds.
 */
import { archInfo } from '../arch/arches.js';
import { syscallEntries } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { isConstAllow } from '../bpf/cache.js';
import { executeWords, seccompDataWords } from '../bpf/emulate.js';
import type { Instruction } from '../bpf/instruction.js';
import type { OptimizeStats } from '../bpf/optimize.js';
import { SECCOMP_RET_ALLOW } from '../bpf/seccomp.js';
import { combineStacked } from './decide.js';

/** Default last syscall number (table number, without ABI bias) measured per ABI. */
export const DEFAULT_STATS_LAST_NR = 469;

/** Instructions executed on one ABI. */
export interface AbiStats {
  /** The ABI. */
  readonly arch: ArchName;
  /** First and last `seccomp_data.nr` measured (ABI bias included), inclusive. */
  readonly nrRange: readonly [number, number];
  /** Mean instructions executed per syscall number, arguments all zero. */
  readonly mean: number;
  /** Maximum instructions executed. */
  readonly max: number;
  /** Numbers in the range the filter returns ALLOW for (arguments zero). */
  readonly allowed: number;
  /** Numbers in the range the kernel's constant-action cache holds (always 0 for x32). */
  readonly cached: number;
}

/** Statistics of one build. */
export interface BuildStats {
  /** Program length in instructions (all filters of a split). */
  readonly length: number;
  /** When the program was split into stacked filters: each one's length, in load order. */
  readonly filters?: readonly number[];
  /** Per ABI, in plan order. */
  readonly abis: readonly AbiStats[];
  /** Milliseconds per phase (`plan`, `codegen`, `validate`, ...). */
  readonly phases: Readonly<Record<string, number>>;
  /** What codegen's run of the named bytecode passes (bpf/optimize.ts) changed, when it ran. */
  readonly passes?: OptimizeStats;
}

/** The numbers measured for an ABI: its bias plus 0..max(469, highest table number). */
export function statsRange(arch: ArchName, lastNr = DEFAULT_STATS_LAST_NR): [number, number] {
  const bias = archInfo(arch).nrBias;
  let top = lastNr;
  if (lastNr === DEFAULT_STATS_LAST_NR) {
    for (const e of syscallEntries(arch)) top = Math.max(top, (e.nr >>> 0) - bias);
  }
  return [bias, bias + top];
}

/**
 * Measure a stack of filters on one ABI: run every filter for every number of `statsRange` with zero
 * arguments (the kernel runs all of them: executed counts add up, the decision is `combineStacked`'s).
 * The kernel cache holds a number only when every filter's path for it is cacheable; it is never used
 * for x32 (its numbers fall outside the bitmap, kernel/seccomp.c).
 */
export function abiStats(
  progs: readonly Instruction[] | readonly (readonly Instruction[])[],
  arch: ArchName,
  lastNr = DEFAULT_STATS_LAST_NR,
): AbiStats {
  const stack = asStack(progs);
  const info = archInfo(arch);
  const [lo, hi] = statsRange(arch, lastNr);
  const words = seccompDataWords(
    { nr: 0, arch: info.auditArch, instructionPointer: 0n, args: [0n, 0n, 0n, 0n, 0n, 0n] },
    info.endian,
  );
  let sum = 0;
  let max = 0;
  let allowed = 0;
  let cached = 0;
  for (let nr = lo; nr <= hi; nr++) {
    words[0] = nr >>> 0;
    let executed = 0;
    const rets: number[] = [];
    for (const prog of stack) {
      const r = executeWords(prog, words);
      executed += r.executed;
      rets.push(r.ret);
    }
    sum += executed;
    max = Math.max(max, executed);
    if (combineStacked(rets) === SECCOMP_RET_ALLOW) allowed++;
    if (arch !== 'x32' && stack.every((p) => isConstAllow(p, info.auditArch, nr))) cached++;
  }
  const n = hi - lo + 1;
  return { arch, nrRange: [lo, hi], mean: sum / n, max, allowed, cached };
}

/** One program or a stack of them, as a stack. */
function asStack(
  progs: readonly Instruction[] | readonly (readonly Instruction[])[],
): readonly (readonly Instruction[])[] {
  const first = progs[0];
  return first !== undefined && Array.isArray(first)
    ? (progs as readonly (readonly Instruction[])[])
    : [progs as readonly Instruction[]];
}

/** Statistics of a program (or a stack of filters) for the given ABIs. */
export function buildStats(
  progs: readonly Instruction[] | readonly (readonly Instruction[])[],
  arches: readonly ArchName[],
  phases: Readonly<Record<string, number>> = {},
  lastNr = DEFAULT_STATS_LAST_NR,
): BuildStats {
  const stack = asStack(progs);
  const lengths = stack.map((p) => p.length);
  return {
    length: lengths.reduce((a, b) => a + b, 0),
    ...(stack.length > 1 && { filters: lengths }),
    abis: arches.map((a) => abiStats(stack, a, lastNr)),
    phases,
  };
}

/** One line per ABI: `x86_64  nr 0-469  mean 9.8  max 18  allowed 300  cached 297`. */
export function formatStats(stats: BuildStats): string {
  const lines = [`length ${stats.length} instructions`];
  if (stats.filters !== undefined) {
    lines.push(
      `split into ${stats.filters.length} stacked filters (${stats.filters.join(' + ')} instructions; ` +
        `BPF_MAXINSNS is 4096 per filter, 32768 in all with 4 per filter): load every one, ` +
        'the kernel runs them all and keeps the most restrictive action. ' +
        'runc, crun and Docker do not load these: libseccomp builds their filter from the profile',
    );
  }
  for (const a of stats.abis) {
    lines.push(
      `${a.arch.padEnd(12)} nr ${a.nrRange[0]}-${a.nrRange[1]}  executed mean ${a.mean.toFixed(1)} max ${a.max}  allowed ${a.allowed}  cached ${a.cached}`,
    );
  }
  if (stats.passes !== undefined) {
    const applied = Object.entries(stats.passes.applied);
    lines.push(
      `passes ${stats.passes.before} -> ${stats.passes.after} instructions` +
        (applied.length === 0
          ? ', nothing to change'
          : `: ${applied.map(([k, v]) => `${k} ${v}x`).join(', ')}`),
    );
  }
  const phases = Object.entries(stats.phases);
  if (phases.length > 0)
    lines.push(`time ${phases.map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}`);
  return lines.join('\n');
}
