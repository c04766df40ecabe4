/**
 * Syscall-number dispatch: the decision of one AUDIT_ARCH section as a function of the 32-bit
 * `seccomp_data.nr` alone, cut into maximal intervals of equal decision. The optimised code generator
 * searches these intervals with a balanced `jge` tree; anything that needs the arguments is an interval
 * of its own whose target is the syscall's comparison DAG.
 *
 * The section semantics reproduce what the real filter does before it looks at any argument:
 * - runc's ENOSYS stub (libcontainer/seccomp/patchbpf/enosys_linux.go): numbers above the ABI's largest
 *   profile syscall get ERRNO(ENOSYS); on s390/s390x number 0 (`setup`, the multiplexer) too; under
 *   AUDIT_ARCH_X86_64 bit 30 selects which ABI's maximum applies, and an ABI without a stub skips it;
 * - libseccomp's x32/x86_64 split (gen_bpf.c `_gen_bpf_arch`): with only x86_64 in the filter a number
 *   with bit 30 set (other than -1) takes the bad-arch action, with only x32 a number without it does;
 * - then the explicit syscalls, and the section's default action.
 */
import { X32_SYSCALL_BIT } from '../arch/arches.js';
import type { ArchName } from '../arch/types.js';
import { SECCOMP_RET_ERRNO } from '../bpf/seccomp.js';
import { ENOSYS } from './decide.js';
import type { ArchPlan, FilterPlan, PlanLeaf, PlanNode, SyscallPlan } from './plan.js';

/** Largest unsigned 32-bit value, `nr == -1` as the filter sees it. */
const U32_MAX = 0xffffffff;

/** What a range of syscall numbers leads to. */
export type DispatchTarget =
  | { readonly kind: 'leaf'; readonly leaf: PlanLeaf }
  | { readonly kind: 'syscall'; readonly syscall: SyscallPlan };

/** A maximal run `[lo, hi]` (unsigned, inclusive) of syscall numbers with one target. */
export interface NrInterval {
  /** First number (unsigned 32-bit). */
  readonly lo: number;
  /** Last number (unsigned 32-bit, inclusive). */
  readonly hi: number;
  /** Where these numbers go. */
  readonly target: DispatchTarget;
}

/** One AUDIT_ARCH token of the filter and the ABIs it covers (x86_64 and x32 share a token). */
export interface ArchSection {
  /** The AUDIT_ARCH_* token `seccomp_data.arch` is compared with. */
  readonly auditArch: number;
  /** The ABIs entered through this token, in plan order. */
  readonly abis: readonly ArchPlan[];
}

/** Group a plan's ABIs by AUDIT_ARCH token, keeping the plan's order of first appearance. */
export function archSections(plan: FilterPlan): ArchSection[] {
  const out: { auditArch: number; abis: ArchPlan[] }[] = [];
  for (const a of plan.arches) {
    const s = out.find((x) => x.auditArch === a.auditArch);
    if (s) s.abis.push(a);
    else out.push({ auditArch: a.auditArch, abis: [a] });
  }
  return out;
}

/** The ERRNO(ENOSYS) leaf runc's stub returns above `max`. */
export function enosysLeaf(max: number): PlanLeaf {
  return {
    kind: 'ret',
    value: (SECCOMP_RET_ERRNO | ENOSYS) >>> 0,
    origin: { kind: 'enosys-stub', max },
  };
}

/** Whether an ABI is one whose stub also sends number 0 (`setup`) to ENOSYS. */
function isS390(arch: ArchName): boolean {
  return arch === 's390' || arch === 's390x';
}

/** Find an ABI by name in a section. */
function abiOf(section: ArchSection, name: ArchName): ArchPlan | undefined {
  return section.abis.find((a) => a.arch === name);
}

/**
 * The argument-free view of a section: the decision, or the syscall whose arguments decide, for the
 * unsigned syscall number `nr`. `badArch` is the filter's bad-architecture leaf.
 */
export function targetAt(
  section: ArchSection,
  badArch: PlanLeaf,
  nr: number,
  bySyscall?: Map<number, SyscallPlan>,
): DispatchTarget {
  const n = nr >>> 0;
  const x64 = abiOf(section, 'x86_64');
  const x32 = abiOf(section, 'x32');
  const isX86Token = x64 !== undefined || x32 !== undefined;
  const bit30 = (n & X32_SYSCALL_BIT) !== 0;
  // The ABI this number belongs to: under the x86_64 token bit 30 picks x32; otherwise the only ABI.
  const abi = isX86Token ? (bit30 ? x32 : x64) : section.abis[0];
  // runc's stub runs first.
  if (abi?.enosysMax !== undefined) {
    if (isS390(abi.arch) && n === 0) return { kind: 'leaf', leaf: enosysLeaf(abi.enosysMax) };
    if (n > abi.enosysMax >>> 0) return { kind: 'leaf', leaf: enosysLeaf(abi.enosysMax) };
  }
  // libseccomp's ABI filter when only one of x86_64 / x32 is in the filter.
  if (x64 !== undefined && x32 === undefined && n >= X32_SYSCALL_BIT && n !== U32_MAX) {
    return { kind: 'leaf', leaf: badArch };
  }
  if (x32 !== undefined && x64 === undefined && n < X32_SYSCALL_BIT)
    return { kind: 'leaf', leaf: badArch };
  const sp = bySyscall ? bySyscall.get(n) : findSyscall(section, n);
  if (sp !== undefined) {
    return sp.root.kind === 'ret'
      ? { kind: 'leaf', leaf: sp.root }
      : { kind: 'syscall', syscall: sp };
  }
  // One libseccomp section per token: its default action is the first ABI's.
  const def = section.abis[0]?.defaultLeaf;
  return { kind: 'leaf', leaf: def ?? badArch };
}

/** Linear lookup of a syscall by number across a section's ABIs. */
function findSyscall(section: ArchSection, n: number): SyscallPlan | undefined {
  for (const a of section.abis) {
    for (const s of a.syscalls) if (s.nr >>> 0 === n) return s;
  }
  return undefined;
}

/**
 * Structural keys of PlanNodes: equal keys mean equal decisions on every input, so two syscalls with
 * equal keys may share one interval and one DAG. Nodes are hash-consed: a comparison's key names its
 * fields and the interned ids of its two children, so a key has constant length and every node is
 * keyed once (linear in the DAG, however much of it is shared). The walk is iterative, so chains of
 * any depth are fine.
 */
export class NodeKeys {
  private readonly keys = new Map<PlanNode, string>();
  private readonly ids = new Map<string, string>();

  /** The key of `node`. */
  key(node: PlanNode): string {
    const hit = this.keys.get(node);
    if (hit !== undefined) return hit;
    const stack: PlanNode[] = [node];
    while (stack.length > 0) {
      const n = stack[stack.length - 1];
      if (n === undefined) break;
      if (this.keys.has(n)) {
        stack.pop();
        continue;
      }
      if (n.kind === 'ret') {
        this.keys.set(n, `r${n.value >>> 0}`);
        stack.pop();
        continue;
      }
      const t = this.keys.get(n.then);
      const e = this.keys.get(n.else);
      if (t === undefined || e === undefined) {
        if (e === undefined) stack.push(n.else);
        if (t === undefined) stack.push(n.then);
        continue;
      }
      const local = `c(${n.arg},${n.word},${n.op},${n.mask >>> 0},${n.datum >>> 0},${t},${e})`;
      let id = this.ids.get(local);
      if (id === undefined) {
        id = `n${this.ids.size}`;
        this.ids.set(local, id);
      }
      this.keys.set(n, id);
      stack.pop();
    }
    const key = this.keys.get(node);
    if (key === undefined) throw new Error('node key: root not keyed');
    return key;
  }
}

/** The structural key of `node` (see {@link NodeKeys}); pass one `keys` to compare nodes with each other. */
export function nodeKey(node: PlanNode, keys: NodeKeys = new NodeKeys()): string {
  return keys.key(node);
}

/** Key of a target for merging neighbours (leaves by return value, syscalls by DAG structure). */
function targetKey(t: DispatchTarget, keys: NodeKeys): string {
  return t.kind === 'leaf' ? `r${t.leaf.value >>> 0}` : keys.key(t.syscall.root);
}

/**
 * Cut the unsigned number space of a section into maximal intervals of equal decision. The decision is
 * constant between the breakpoints below, so evaluating it once per piece is exact.
 */
export function sectionIntervals(section: ArchSection, badArch: PlanLeaf): NrInterval[] {
  const starts = new Set<number>([0, 1, X32_SYSCALL_BIT, 0x80000000, 0xc0000000, U32_MAX]);
  const bySyscall = new Map<number, SyscallPlan>();
  for (const a of section.abis) {
    if (a.enosysMax !== undefined && a.enosysMax >>> 0 < U32_MAX)
      starts.add((a.enosysMax >>> 0) + 1);
    for (const s of a.syscalls) {
      const n = s.nr >>> 0;
      if (!bySyscall.has(n)) bySyscall.set(n, s);
      starts.add(n);
      if (n < U32_MAX) starts.add(n + 1);
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const memo = new NodeKeys();
  const out: { lo: number; hi: number; target: DispatchTarget; key: string }[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const lo = sorted[i] ?? 0;
    const hi = i + 1 < sorted.length ? (sorted[i + 1] ?? 0) - 1 : U32_MAX;
    const target = targetAt(section, badArch, lo, bySyscall);
    const key = targetKey(target, memo);
    const last = out[out.length - 1];
    if (last?.key === key) last.hi = hi;
    else out.push({ lo, hi, target, key });
  }
  return out.map(({ lo, hi, target }) => ({ lo, hi, target }));
}

/**
 * Split points of an optimal alphabetic search tree over `weights` (one per interval): `split(i, j)`
 * (i < j) is the first interval of the right subtree of the subtree holding intervals i..j. Minimises
 * the sum of weight times depth (Knuth's O(n^2) dynamic program: the optimal root is monotone in i and j).
 */
export function optimalSplits(weights: readonly number[]): (i: number, j: number) => number {
  const n = weights.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] ?? 0) + (weights[i] ?? 0);
  // Only cells with i <= j are read, each after it is written, so stale contents never matter.
  if (scratchCost.length < n * n) {
    scratchCost = new Float64Array(n * n);
    scratchRoot = new Int32Array(n * n);
  }
  const cost = scratchCost;
  const root = scratchRoot;
  for (let i = 0; i < n; i++) root[i * n + i] = i;
  for (let len = 2; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      const lo = Math.max(i + 1, len === 2 ? i + 1 : (root[i * n + j - 1] ?? i + 1));
      const hi = Math.min(j, len === 2 ? j : (root[(i + 1) * n + j] ?? j));
      let best = Infinity;
      let bestR = lo;
      for (let r = lo; r <= hi; r++) {
        const c =
          (r - 1 > i ? (cost[i * n + r - 1] ?? 0) : 0) + (r < j ? (cost[r * n + j] ?? 0) : 0);
        if (c < best) {
          best = c;
          bestR = r;
        }
      }
      cost[i * n + j] = best + (prefix[j + 1] ?? 0) - (prefix[i] ?? 0);
      root[i * n + j] = bestR;
    }
  }
  // Keep the roots of the optimal tree's subranges ([i, r-1] and [r, j] under root r): the scratch
  // tables are reused by the next call.
  const kept = new Map<number, number>();
  const stack: [number, number][] = n > 0 ? [[0, n - 1]] : [];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [i, j] = top;
    if (i >= j) continue;
    const r = root[i * n + j] ?? i + 1;
    kept.set(i * n + j, r);
    stack.push([i, r - 1], [r, j]);
  }
  return (i, j) => kept.get(i * n + j) ?? i + 1;
}

/** DP tables of {@link optimalSplits}, grown as needed and reused (a compile makes two calls). */
let scratchCost = new Float64Array(0);
let scratchRoot = new Int32Array(0);

/**
 * Weight of an interval: the numbers of each `[lo, hi, factor]` range it holds times the range's factor,
 * plus a bonus for argument-dependent syscalls.
 */
export function intervalWeights(
  intervals: readonly NrInterval[],
  ranges: readonly (readonly [number, number, number])[],
  hotBonus: number,
): number[] {
  return intervals.map((iv) => {
    let w = 1e-3;
    for (const [lo, hi, factor] of ranges) {
      const a = Math.max(lo, iv.lo);
      const b = Math.min(hi, iv.hi);
      if (b >= a) w += (b - a + 1) * factor;
    }
    if (iv.target.kind === 'syscall') w += hotBonus;
    return w;
  });
}
