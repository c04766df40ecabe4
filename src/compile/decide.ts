/**
 * Deciding on a plan exactly like the kernel runs the loaded filter: runc's ENOSYS stub, then
 * libseccomp's arch dispatch (x86_64/x32 sharing a token, bad-arch) and the per-syscall argument
 * DAGs; the kernel's choice among stacked filters; what the kernel does with a return value.
 */
import { X32_SYSCALL_BIT } from '../arch/arches.js';
import {
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  actionKind,
  type SeccompActionKind,
  type SeccompData,
} from '../bpf/seccomp.js';
import { must } from './libseccomp-db.js';
import type {
  ArchPlan,
  DecisionOrigin,
  FilterPlan,
  PlanLeaf,
  PlanNode,
  SyscallPlan,
} from './plan.js';

/** ENOSYS, the errno runc's stub returns above the highest known syscall (include/uapi/asm-generic/errno.h). */
export const ENOSYS = 38;
/** The kernel's MAX_ERRNO: `__seccomp_filter` caps ERRNO data at it. */
export const MAX_ERRNO = 4095;

/** What {@link decide} returns: the filter's return value, the leaf's origin and a readable path. */
export interface Decision {
  /** Full 32-bit SECCOMP_RET_* value. */
  readonly value: number;
  /** Where the decision came from. */
  readonly origin: DecisionOrigin;
  /** Human-readable steps taken. */
  readonly path: string[];
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

function argWord(data: SeccompData, arg: number, word: 'lo' | 'hi'): number {
  const v = BigInt.asUintN(64, data.args[arg] ?? 0n);
  return Number(word === 'lo' ? v & 0xffffffffn : v >> 32n);
}

/** Evaluate one per-syscall DAG on `data`. */
export function evalNode(node: PlanNode, data: SeccompData, path?: string[]): PlanLeaf {
  let n: PlanNode = node;
  while (n.kind === 'cmp') {
    const w = (argWord(data, n.arg, n.word) & n.mask) >>> 0;
    let ok: boolean;
    switch (n.op) {
      case 'eq':
        ok = w === n.datum >>> 0;
        break;
      case 'gt':
        ok = w > n.datum >>> 0;
        break;
      case 'ge':
        ok = w >= n.datum >>> 0;
        break;
      case 'set':
        ok = (argWord(data, n.arg, n.word) & n.datum) !== 0;
        break;
      default: {
        const never: never = n.op;
        throw new Error(`bad op ${String(never)}`);
      }
    }
    path?.push(
      `args[${n.arg}].${n.word}${n.mask >>> 0 !== 0xffffffff ? ` & ${hex(n.mask)}` : ''} ${
        n.op === 'eq' ? '==' : n.op === 'gt' ? '>' : n.op === 'ge' ? '>=' : '&'
      } ${hex(n.datum)}: ${ok ? 'true' : 'false'}`,
    );
    n = ok ? n.then : n.else;
  }
  return n;
}

function lookup(a: ArchPlan, nr: number): SyscallPlan | undefined {
  const u = nr >>> 0;
  let lo = 0;
  let hi = a.syscalls.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = must(a.syscalls[mid]);
    const v = s.nr >>> 0;
    if (v === u) return s;
    if (v < u) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

const ENOSYS_VALUE = (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;

/** runc's stub for the arch token of `data`: the ENOSYS max that applies, or undefined (fall through). */
function stubDecision(plan: FilterPlan, data: SeccompData): number | undefined {
  const token = data.arch >>> 0;
  const sec = plan.arches.filter((a) => a.auditArch >>> 0 === token && a.enosysMax !== undefined);
  if (sec.length === 0) return undefined;
  const nr = data.nr >>> 0;
  const first = must(sec[0]);
  if ((first.arch === 's390' || first.arch === 's390x') && nr === 0) return 0;
  const x32 = sec.find((a) => a.arch === 'x32');
  const x64 = sec.find((a) => a.arch === 'x86_64');
  if (x32 !== undefined || x64 !== undefined) {
    if (nr & X32_SYSCALL_BIT) {
      if (x32 === undefined) return undefined;
      return nr > must(x32.enosysMax) >>> 0 ? 0 : undefined;
    }
    if (x64 === undefined) return undefined;
    return nr > must(x64.enosysMax) >>> 0 ? 0 : undefined;
  }
  return nr > must(first.enosysMax) >>> 0 ? 0 : undefined;
}

/**
 * Decide `data` as the kernel would run the real stack's filter: runc's ENOSYS stub, then libseccomp's
 * program (arch dispatch with x86_64/x32 sharing a token, bad-arch, per-syscall argument trees).
 */
export function decide(plan: FilterPlan, data: SeccompData): Decision {
  const path: string[] = [];
  const token = data.arch >>> 0;
  if (stubDecision(plan, data) !== undefined) {
    const max = plan.arches.find((a) => a.auditArch >>> 0 === token)?.enosysMax ?? 0;
    path.push(`runc stub: nr ${hex(data.nr)} above the profile's highest syscall`);
    return { value: ENOSYS_VALUE, origin: { kind: 'enosys-stub', max }, path };
  }
  const sec = plan.arches.filter((a) => a.auditArch >>> 0 === token);
  if (sec.length === 0) {
    path.push(`arch ${hex(token)} not in the filter`);
    return { value: plan.badArch.value >>> 0, origin: plan.badArch.origin, path };
  }
  const nr = data.nr >>> 0;
  const names = sec.map((a) => a.arch);
  if (names.includes('x86_64') !== names.includes('x32')) {
    // libseccomp filters out the other ABI sharing AUDIT_ARCH_X86_64 (gen_bpf.c `_gen_bpf_arch`).
    const onlyX64 = names.includes('x86_64');
    if (onlyX64 ? nr >= X32_SYSCALL_BIT && nr !== 0xffffffff : nr < X32_SYSCALL_BIT) {
      path.push(
        `nr ${hex(nr)} belongs to the ${onlyX64 ? 'x32' : 'x86_64'} ABI, not in the filter`,
      );
      return { value: plan.badArch.value >>> 0, origin: plan.badArch.origin, path };
    }
  }
  for (const a of sec) {
    const s = lookup(a, nr);
    if (s !== undefined) {
      path.push(`${a.arch} ${s.name} (nr ${s.nr})`);
      const leaf = evalNode(s.root, data, path);
      return { value: leaf.value >>> 0, origin: leaf.origin, path };
    }
  }
  const first = must(sec[0]);
  path.push(`${first.arch}: nr ${hex(nr)} has no rule`);
  return { value: first.defaultLeaf.value >>> 0, origin: first.defaultLeaf.origin, path };
}

/**
 * The kernel's choice among stacked filters (`seccomp_run_filters`): filters run newest first; the
 * numerically smallest signed ACTION_FULL wins, and on a tie the newest filter's full value is kept.
 * `values` are in installation order (oldest first). With no filter the result is ALLOW.
 */
export function combineStacked(values: readonly number[]): number {
  let ret = SECCOMP_RET_ALLOW;
  for (let i = values.length - 1; i >= 0; i--) {
    const cur = must(values[i]) >>> 0;
    if (((cur & SECCOMP_RET_ACTION_FULL) | 0) < ((ret & SECCOMP_RET_ACTION_FULL) | 0)) ret = cur;
  }
  return ret >>> 0;
}

/**
 * {@link combineStacked} of the leaves `leaves[from..to)` (the stacked filters of one side of a
 * region walk, oldest first), read with a plain loop. Not `combineStacked(leaves.slice(from).map(...))`:
 * Node 20's V8 (11.3) TurboFan, with that chain inlined into diffFilters' optimised region visitor,
 * computed 0 (KILL_THREAD) for a side whose only leaf was ERRNO or ALLOW, intermittently after
 * many diffs in one process (the diff's emulator check caught it; gone with --no-opt,
 * --no-turbo-escape or --no-turbo-load-elimination). review/diff-sequence.test.ts keeps it.
 */
export function combineLeaves(
  leaves: readonly PlanLeaf[],
  from = 0,
  to: number = leaves.length,
): number {
  const values: number[] = [];
  for (let i = from; i < to; i++) values.push(must(leaves[i]).value);
  return combineStacked(values);
}

/** What the kernel does with a filter's return value (`__seccomp_filter`). */
export interface KernelOutcome {
  /** Action class; unknown actions behave like KILL_PROCESS. */
  readonly kind: SeccompActionKind;
  /** For ERRNO: the errno the caller sees (capped at MAX_ERRNO = 4095; 0 means "returns 0, call not run"). */
  readonly errno?: number;
  /** For TRACE: the data passed to the tracer. */
  readonly data?: number;
}

/** Post-process a return value the way the kernel does. */
export function kernelOutcome(value: number): KernelOutcome {
  const kind = actionKind(value);
  const data = value & SECCOMP_RET_DATA;
  if (kind === 'errno') return { kind, errno: Math.min(data, MAX_ERRNO) };
  if (kind === 'trace') return { kind, data };
  return { kind };
}
