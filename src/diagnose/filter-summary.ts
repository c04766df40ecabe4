/**
 * Summaries of loaded filters (what `sysgate inspect` prints for each filter dumped from a process):
 * length, the AUDIT_ARCH tokens it dispatches on, the action it takes for a syscall number no
 * rule names (its default action), and, lifted to plan DAGs by compile/lift.ts, the syscalls whose
 * decision depends on their arguments.
 */
import { archesByAuditArch, archInfo } from '../arch/arches.js';
import { syscallEntries, syscallName } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { disassemble } from '../bpf/disasm.js';
import { execute } from '../bpf/emulate.js';
import {
  BPF_ABS,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_W,
  type Instruction,
} from '../bpf/instruction.js';
import { describeAction, symbolicAnnotator } from '../compile/explain.js';
import { liftDecisions, LiftError } from '../compile/lift.js';
import type { PlanLeaf } from '../compile/plan.js';

/** What one loaded filter does, in short. */
export interface FilterSummary {
  /** Index in kernel order (0 = newest, run first). */
  readonly index: number;
  /** Number of instructions. */
  readonly length: number;
  /** ABIs whose AUDIT_ARCH token the filter compares against (`x86_64/x32`, `x86`...). */
  readonly arches: readonly string[];
  /** The action for an unnamed syscall number of the first arch (`ERRNO(1) EPERM`...). */
  readonly defaultAction: string | undefined;
  /**
   * Syscalls of the first arch whose decision depends on their arguments (sorted by number), from
   * the lifted program; undefined when the lifter cannot read the program (not libseccomp's shape).
   */
  readonly argumentFiltered: readonly string[] | undefined;
  /** Annotated disassembly. */
  readonly disassembly: string;
}

/** The syscalls of `arch` whose decision under `token` depends on arguments, or undefined. */
function argumentFiltered(
  program: readonly Instruction[],
  token: number,
  arch: ArchName,
): string[] | undefined {
  const entries = syscallEntries(arch);
  const leaves = new Map<number, PlanLeaf>();
  const leaf = (value: number): PlanLeaf => {
    let l = leaves.get(value);
    if (l === undefined)
      leaves.set(value, (l = { kind: 'ret', value, origin: { kind: 'default' } }));
    return l;
  };
  try {
    const roots = liftDecisions(
      { insns: program },
      token,
      entries.map((e) => e.nr),
      archInfo(arch).endian,
      leaf,
    );
    return entries.filter((e) => roots.get(e.nr >>> 0)?.kind === 'cmp').map((e) => e.name);
  } catch (e) {
    if (e instanceof LiftError) return undefined;
    throw e;
  }
}

/** AUDIT_ARCH tokens a program compares the arch field (offset 4) with, in program order. */
export function archTokens(program: readonly Instruction[]): number[] {
  const tokens: number[] = [];
  let loaded: number | undefined;
  for (const i of program) {
    if (i.code === (BPF_LD | BPF_W | BPF_ABS)) loaded = i.k;
    else if (i.code === (BPF_JMP | BPF_JEQ | BPF_K) && loaded === 4 && !tokens.includes(i.k >>> 0))
      tokens.push(i.k >>> 0);
  }
  return tokens;
}

/** A syscall number with no name on `arch` below 1024 (a hole in the table), if any. */
function unnamedNumber(arch: ArchName): number | undefined {
  for (let nr = 0; nr < 1024; nr++) if (syscallName(arch, nr) === undefined) return nr;
  return undefined;
}

/** Summarise one filter (host byte order). */
export function summarizeFilter(program: readonly Instruction[], index: number): FilterSummary {
  const tokens = archTokens(program);
  const arches = tokens.map((t) => {
    const found = archesByAuditArch(t);
    return found.length > 0 ? found.map((a) => a.name).join('/') : `0x${t.toString(16)}`;
  });
  let defaultAction: string | undefined;
  let filtered: string[] | undefined;
  const first = tokens[0] === undefined ? undefined : archesByAuditArch(tokens[0])[0];
  if (first !== undefined && tokens[0] !== undefined) {
    filtered = argumentFiltered(program, tokens[0], first.name);
  }
  if (first !== undefined && tokens[0] !== undefined) {
    const nr = unnamedNumber(first.name);
    if (nr !== undefined) {
      const ret = execute(
        program,
        { nr, arch: tokens[0], instructionPointer: 0n, args: [0n, 0n, 0n, 0n, 0n, 0n] },
        'host',
      ).ret;
      defaultAction = describeAction(ret >>> 0);
    }
  }
  return {
    index,
    length: program.length,
    arches,
    defaultAction,
    argumentFiltered: filtered,
    disassembly: disassemble(program, { annotate: symbolicAnnotator() }),
  };
}
