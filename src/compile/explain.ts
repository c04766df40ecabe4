/**
 * Explaining a decision: which rule decided a syscall, and the BPF path the compiled filter takes for
 * it. Also the symbolic annotator (syscall names, AUDIT_ARCH names, actions) for disassembly listings.
 */
import { archesByAuditArch, archForAudit } from '../arch/arches.js';
import { errnoName, parseArgValue } from '../arch/constants.js';
import { syscallName, syscallNumber } from '../arch/syscalls.js';
import type { ArchInfo, ArchName } from '../arch/types.js';
import { UsageError } from '../document/errors.js';
import type { Annotator } from '../bpf/disasm.js';
import { decodeInstruction, formatReturnValue } from '../bpf/disasm.js';
import { emulate } from '../bpf/emulate.js';
import type { Instruction } from '../bpf/instruction.js';
import {
  actionKind,
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_DATA,
  SECCOMP_RET_KILL_PROCESS,
  seccompArgs,
  type SeccompActionKind,
  type SeccompData,
} from '../bpf/seccomp.js';
import { decide, kernelOutcome, MAX_ERRNO } from './decide.js';
import { liftDecisions, LiftError } from './lift.js';
import type { DecisionOrigin, FilterPlan, PlanLeaf, RuleRecord } from './plan.js';

/** `EPERM` for 1, `errno 77` for numbers without a name (generic Linux numbering). */
function errnoLabel(errno: number): string {
  return errnoName(errno) ?? `errno ${errno}`;
}

/**
 * What the kernel does with a filter's return value (`__seccomp_filter`), in words: `ERRNO(1) EPERM`,
 * `ALLOW`, `KILL_THREAD`. ERRNO data above MAX_ERRNO is capped (`min(data, MAX_ERRNO)`: the caller
 * sees errno 4095), and an action value the kernel does not know kills the process; both say so.
 */
export function describeAction(value: number): string {
  const o = kernelOutcome(value);
  const action = (value & SECCOMP_RET_ACTION_FULL) >>> 0;
  if (o.kind === 'errno') {
    const data = value & SECCOMP_RET_DATA;
    const errno = o.errno ?? data;
    const base = `ERRNO(${errno}) ${errnoLabel(errno)}`;
    return data === errno
      ? base
      : `${base} (the filter returns ERRNO(${data}); the kernel caps errno at ${MAX_ERRNO})`;
  }
  if (o.kind === 'kill_process' && action !== SECCOMP_RET_KILL_PROCESS) {
    return `KILL_PROCESS (0x${(value >>> 0).toString(16)} is not a seccomp action; the kernel kills the process)`;
  }
  return formatReturnValue(value);
}

/** Syscall name of `nr` under an AUDIT_ARCH token (x32 by bit 30), or undefined. */
export function nameUnderToken(token: number, nr: number): string | undefined {
  const a = archForAudit(token, nr);
  return a === undefined ? undefined : syscallName(a.name, nr >>> 0);
}

/**
 * An annotator for `disassemble`: names the syscall a number comparison tests, the AUDIT_ARCH token an
 * arch comparison tests, and the action (with errno name) a return gives.
 */
export function symbolicAnnotator(): Annotator {
  return (subject) => {
    switch (subject.kind) {
      case 'return':
        return describeAction(subject.value);
      case 'compare': {
        if (subject.field === 'arch') {
          const found = archesByAuditArch(subject.value);
          const first = found[0];
          return first
            ? `${first.auditArchName} (${found.map((a) => a.name).join('/')})`
            : undefined;
        }
        if (subject.arch === undefined) return undefined;
        return nameUnderToken(subject.arch, subject.value);
      }
      default: {
        const never: never = subject;
        return never;
      }
    }
  };
}

/** One executed instruction. */
export interface PathStep {
  /** Program counter. */
  readonly pc: number;
  /** Decoded statement. */
  readonly text: string;
}

/** The full explanation of one syscall. */
export interface Explanation {
  /** The ABI the syscall belongs to, when the filter covers its arch token. */
  readonly arch: ArchName | undefined;
  /** Syscall name, when known. */
  readonly syscall: string | undefined;
  /** The decision (return value) of the model. */
  readonly value: number;
  /** Action class. */
  readonly action: SeccompActionKind;
  /** For ERRNO: the errno number. */
  readonly errno?: number;
  /** `ERRNO(1) EPERM`. */
  readonly actionText: string;
  /** Where the decision came from. */
  readonly origin: DecisionOrigin;
  /** The model's reasoning steps. */
  readonly reasoning: readonly string[];
  /** What the compiled filter returned (equals `value` for sysgate's own filters). */
  readonly bpfValue: number;
  /** Instructions the filter executed. */
  readonly executed: number;
  /** The instructions executed, in order. */
  readonly path: readonly PathStep[];
}

/** Explain `data` against a plan and the program compiled from it. */
export function explainSyscall(
  plan: FilterPlan,
  program: readonly Instruction[],
  data: SeccompData,
  endian: 'little' | 'big',
): Explanation {
  const d = decide(plan, data);
  const run = explainBpf(program, data, endian);
  const abi = archForAudit(data.arch, data.nr);
  const covered = plan.arches.some((a) => a.arch === abi?.name);
  const kind = actionKind(d.value);
  return {
    arch: covered ? abi?.name : undefined,
    syscall: abi ? syscallName(abi.name, data.nr >>> 0) : undefined,
    value: d.value,
    action: kind,
    ...(kind === 'errno' ? { errno: kernelOutcome(d.value).errno ?? 0 } : {}),
    actionText: describeAction(d.value),
    origin: d.origin,
    reasoning: d.path,
    bpfValue: run.value,
    executed: run.executed,
    path: run.path,
  };
}

/**
 * Whether a raw filter's decision for the syscall of `data` depends on the arguments: the program is
 * lifted to the plan DAG of that number (lift.ts). Undefined when the program is not in the shape the
 * lifter reads (libseccomp's and sysgate's are).
 */
export function argumentDependent(
  program: readonly Instruction[],
  data: SeccompData,
  endian: 'little' | 'big',
): boolean | undefined {
  const leaf = (value: number): PlanLeaf => ({ kind: 'ret', value, origin: { kind: 'default' } });
  try {
    const roots = liftDecisions({ insns: program }, data.arch, [data.nr], endian, leaf);
    return roots.get(data.nr >>> 0)?.kind === 'cmp';
  } catch (e) {
    if (e instanceof LiftError) return undefined;
    throw e;
  }
}

/** Run a raw filter on `data` and return its value and the decoded path. */
export function explainBpf(
  program: readonly Instruction[],
  data: SeccompData,
  endian: 'little' | 'big',
): { value: number; executed: number; path: PathStep[] } {
  const r = emulate(program, data, endian);
  const path = r.path.map((pc) => {
    const insn = program[pc];
    return { pc, text: insn ? decodeInstruction(insn, pc, endian) : '?' };
  });
  return { value: r.ret, executed: r.executed, path };
}

/** A rule that names a syscall but did not decide a call, and why. */
export interface OtherRule {
  /** JSON pointer of the rule in the source document. */
  readonly pointer: string;
  /** Why it did not decide. */
  readonly why: string;
}

/** Why a rule the plan recorded for `abi` did not decide a call, from its recorded fate. */
function whyNot(r: RuleRecord, abi: ArchName): string {
  switch (r.runc.kind) {
    case 'equals-default':
      return 'its action equals the default action, and runc drops such rules';
    case 'unknown-name':
      return `libseccomp ${r.runc.libseccomp} does not know ${r.name} on ${r.runc.arch}, so runc skips the rule`;
    case 'kept':
    case 'split':
      break;
  }
  const split =
    r.runc.kind === 'split'
      ? ` (runc split it into ${r.runc.into.length} one-condition rules: argument index ${r.runc.index} repeats)`
      : '';
  const fate = r.arches.find((a) => a.arch === abi);
  if (fate === undefined) return `the filter has no ${abi} section`;
  switch (fate.kind) {
    case 'absent':
      return `${r.name} has no number on ${abi} in this libseccomp, so the rule adds nothing there`;
    case 'shadowed':
      return fate.by.length === 0
        ? `libseccomp dropped it from ${r.name}'s rules${split}`
        : `shadowed in libseccomp's rule database by ${fate.by.join(', ')}, which decide${fate.by.length === 1 ? 's' : ''} ${r.name}${split}`;
    case 'decides':
      return `conditional: its argument conditions did not decide this call${split}`;
  }
}

/**
 * The other rules of a profile that name `syscall`, with the reason each one did not decide this call,
 * read from the fates the plan recorded: moby dropped it for the host (includes/excludes, from
 * `dropped`), runc skipped it (equal to the default, name unknown to this libseccomp), libseccomp
 * shadowed it by other rules, or it is conditional and its conditions did not hold. `decided` is the
 * pointer of the deciding rule, if a rule decided; `abi` the ABI of the call.
 */
export function otherRules(
  plan: FilterPlan,
  dropped: readonly { pointer: string; names: readonly string[]; detail: string }[],
  syscall: string,
  decided: string | undefined,
  abi: ArchName,
): OtherRule[] {
  const out: OtherRule[] = [];
  for (const d of dropped) {
    if (d.names.includes(syscall))
      out.push({ pointer: d.pointer, why: `not on this host (${d.detail})` });
  }
  const seen = new Set<string>();
  for (const r of plan.rules) {
    if (r.name !== syscall || r.pointer === decided || seen.has(r.pointer)) continue;
    seen.add(r.pointer);
    out.push({ pointer: r.pointer, why: whyNot(r, abi) });
  }
  return out.sort((a, b) => a.pointer.localeCompare(b.pointer, 'en', { numeric: true }));
}

/** Resolve a syscall name or number on an ABI to `seccomp_data.nr` (`explain` and the report's try box). */
export function syscallNr(abi: ArchInfo, text: string): number {
  if (/^-?\d+$|^0x[0-9a-f]+$/i.test(text)) return Number(BigInt.asIntN(32, BigInt(text)));
  const nr = syscallNumber(abi.name, text);
  if (nr === undefined)
    throw new UsageError(`unknown syscall '${text}' on ${abi.name}`, 'unknown-syscall');
  return nr;
}

/** The `seccomp_data` of a call: number `nr` on `abi`, arguments as `explain` reads them (numbers, constants). */
export function callData(abi: ArchInfo, nr: number, args: readonly string[]): SeccompData {
  if (args.length > 6)
    throw new UsageError(`a syscall has at most 6 arguments, got ${args.length}`);
  const values = args.map((t) => parseArgValue(t, abi.name));
  return { nr, arch: abi.auditArch, instructionPointer: 0n, args: seccompArgs(values) };
}
