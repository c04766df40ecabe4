/**
 * The BPF code generator: lowers a {@link FilterPlan} to classic BPF that decides exactly like
 * `decide(plan, data)`.
 *
 * Two lowerings share one intermediate form, a DAG of compare-and-branch nodes over loaded words:
 * - `optimize: true`: one `jeq` per AUDIT_ARCH token, then per section a balanced `jge` search over the
 *   maximal syscall-number intervals of equal decision (see `dispatch.ts`), so every argument-free syscall
 *   is decided with loads of `nr`/`arch`, `jeq/jge/jset K`, `ja` and `ret K` only: exactly the instructions
 *   the kernel's constant-action cache can emulate (kernel/seccomp.c `seccomp_is_const_allow`). Identical
 *   subtrees and returns are shared (hash-consing), a test whose two branches agree is dropped (jump
 *   threading), constant tests are folded, and a node whose every predecessor already holds its word in A
 *   is entered past its load (no redundant loads).
 * - `optimize: false`: the straightforward layout of runc's ENOSYS stub followed by a libseccomp
 *   optimize-level-1 program (linear `jeq` chain, argument-free syscalls first), reloading every word.
 *   It exists as an independent second implementation for differential tests.
 *
 * Conditional jumps reach at most 255 instructions; farther targets go through a `ja` trampoline placed
 * right after the jump (MAX_CONDITIONAL_OFFSET).
 */
import { archInfo, X32_SYSCALL_BIT } from '../arch/arches.js';
import type { ArchName } from '../arch/types.js';
import { ProgramBuilder } from '../bpf/builder.js';
import { optimize, type OptimizeStats } from '../bpf/optimize.js';
import {
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_MAXINSNS,
  MAX_CONDITIONAL_OFFSET,
  type Instruction,
} from '../bpf/instruction.js';
import {
  SECCOMP_RET_ALLOW,
  type SeccompData,
  SECCOMP_DATA_ARCH_OFFSET,
  SECCOMP_DATA_ARGS_OFFSET,
  SECCOMP_DATA_NR_OFFSET,
} from '../bpf/seccomp.js';
import { BpfError } from '../bpf/errors.js';
import { execute } from '../bpf/emulate.js';
import { syscallNumber } from '../arch/syscalls.js';
import { statsRange } from './stats.js';
import {
  archSections,
  enosysLeaf,
  intervalWeights,
  optimalSplits,
  sectionIntervals,
  type ArchSection,
  type NrInterval,
} from './dispatch.js';
import type { ArchPlan, FilterPlan, PlanNode } from './plan.js';
import { argSearchLowerer, foldCompare, jumpOpOf, type JumpOp } from './arg-search.js';

/** Options of {@link compilePlan}. */
export interface CodegenOptions {
  /** Optimised range dispatch (true) or the linear libseccomp-level-1-like layout (false). */
  readonly optimize: boolean;
  /** Split a program longer than `maxInsns` into stacked filters (default: refuse it). */
  readonly split?: boolean;
  /** Longest filter (default BPF_MAXINSNS, the kernel's limit). */
  readonly maxInsns?: number;
}

export type { JumpOp } from './arg-search.js';

/** A return node. */
interface RetNode {
  readonly kind: 'ret';
  readonly id: number;
  readonly value: number;
}

/** A compare-and-branch node: `A = word[off] & mask; if (A op k) goto jt else goto jf`. */
interface JmpNode {
  readonly kind: 'jmp';
  readonly id: number;
  /** Offset of the 32-bit word in `seccomp_data`. */
  readonly off: number;
  /** AND mask applied after the load (0xffffffff: none). */
  readonly mask: number;
  readonly op: JumpOp;
  readonly k: number;
  readonly jt: CgNode;
  readonly jf: CgNode;
}

/** A node of the intermediate form. */
type CgNode = RetNode | JmpNode;

const FULL = 0xffffffff;

/**
 * Extra weight of an argument-dependent syscall in the search tree. Under the kernel's cache these are
 * the syscalls that actually run the filter (with the denied ones), so they sit near the root.
 */
const HOT_BONUS = 32;

/** Builds nodes, with structural sharing when `share` is set. */
class NodeFactory {
  private nextId = 0;
  private readonly table = new Map<string, CgNode>();

  constructor(private readonly share: boolean) {}

  /** A return of `value`. */
  ret(value: number): RetNode {
    const v = value >>> 0;
    const key = `r${v}`;
    const hit = this.share ? this.table.get(key) : undefined;
    if (hit) return hit as RetNode;
    const n: RetNode = { kind: 'ret', id: this.nextId++, value: v };
    if (this.share) this.table.set(key, n);
    return n;
  }

  /** A compare node; in sharing mode, a node whose branches agree is replaced by the branch. */
  jmp(off: number, mask: number, op: JumpOp, k: number, jt: CgNode, jf: CgNode): CgNode {
    if (this.share && jt === jf) return jt;
    const key = `j${off},${mask >>> 0},${op},${k >>> 0},${jt.id},${jf.id}`;
    const hit = this.share ? this.table.get(key) : undefined;
    if (hit) return hit;
    const n: JmpNode = {
      kind: 'jmp',
      id: this.nextId++,
      off,
      mask: mask >>> 0,
      op,
      k: k >>> 0,
      jt,
      jf,
    };
    if (this.share) this.table.set(key, n);
    return n;
  }
}

/** Offset of one word of argument `arg` on an ABI of the given byte order. */
export function argWordOffset(arg: number, word: 'lo' | 'hi', endian: 'little' | 'big'): number {
  const base = SECCOMP_DATA_ARGS_OFFSET + 8 * arg;
  const hiFirst = endian === 'big';
  return word === 'hi' ? base + (hiFirst ? 0 : 4) : base + (hiFirst ? 4 : 0);
}

/** Lowers PlanNodes of one ABI to the intermediate form, memoised by node identity. */
function planLowerer(
  f: NodeFactory,
  endian: 'little' | 'big',
  fold: boolean,
): (n: PlanNode) => CgNode {
  const memo = new Map<PlanNode, CgNode>();
  /** The comparison a node lowers to, or which child it folds into. */
  const shape = (
    n: PlanNode & { kind: 'cmp' },
  ): { op: JumpOp; mask: number; k: number; known: boolean | undefined } => {
    const op = jumpOpOf(n.op);
    const mask = n.op === 'set' ? FULL : n.mask >>> 0;
    const k = n.datum >>> 0;
    return { op, mask, k, known: fold ? foldCompare({ op, mask, k }) : undefined };
  };
  // Iterative post-order (an explicit stack), so argument chains of any length lower.
  const lower = (root: PlanNode): CgNode => {
    const stack: PlanNode[] = [root];
    while (stack.length > 0) {
      const n = stack[stack.length - 1];
      if (n === undefined) break;
      if (memo.has(n)) {
        stack.pop();
        continue;
      }
      if (n.kind === 'ret') {
        memo.set(n, f.ret(n.value));
        stack.pop();
        continue;
      }
      const s = shape(n);
      const needs = s.known === true ? [n.then] : s.known === false ? [n.else] : [n.else, n.then];
      const missing = needs.filter((c) => !memo.has(c));
      if (missing.length > 0) {
        stack.push(...missing);
        continue;
      }
      const t = memo.get(n.then);
      const e = memo.get(n.else);
      const out =
        s.known === true
          ? t
          : s.known === false
            ? e
            : t && e && f.jmp(argWordOffset(n.arg, n.word, endian), s.mask, s.op, s.k, t, e);
      if (out === undefined) throw new Error('plan lowering: child not lowered');
      memo.set(n, out);
      stack.pop();
    }
    const out = memo.get(root);
    if (out === undefined) throw new Error('plan lowering: root not lowered');
    return out;
  };
  return lower;
}

/** Byte order of an ABI's `seccomp_data`. */
export function abiEndian(arch: ArchName): 'little' | 'big' {
  return archInfo(arch).endian;
}

/** Endianness of a section (all ABIs of one token share it). */
function sectionEndian(s: ArchSection): 'little' | 'big' {
  const first = s.abis[0];
  return first ? abiEndian(first.arch) : 'little';
}

/** Build the optimised graph. */
function buildOptimized(plan: FilterPlan, f: NodeFactory): CgNode {
  const badArch = f.ret(plan.badArch.value);
  const sections = archSections(plan);
  let next: CgNode = badArch;
  for (let i = sections.length - 1; i >= 0; i--) {
    const s = sections[i];
    if (s === undefined) continue;
    const endian = sectionEndian(s);
    const lower = argSearchLowerer(
      f,
      (arg, word) => argWordOffset(arg, word, endian),
      planLowerer(f, endian, true),
    );
    const intervals = sectionIntervals(s, plan.badArch);
    const targetOf = (iv: NrInterval): CgNode =>
      iv.target.kind === 'leaf' ? f.ret(iv.target.leaf.value) : lower(iv.target.syscall.root);
    // x32 is rare in practice (and often disabled in the kernel): its numbers weigh less.
    const ranges = s.abis.map(
      (a) => [...statsRange(a.arch), a.arch === 'x32' ? 1 / 8 : 1] as const,
    );
    const split = optimalSplits(intervalWeights(intervals, ranges, HOT_BONUS));
    const search = (lo: number, hi: number): CgNode => {
      if (lo === hi) {
        const iv = intervals[lo];
        if (iv === undefined) throw new Error('interval index out of range');
        return targetOf(iv);
      }
      const mid = split(lo, hi);
      const pivot = intervals[mid];
      if (pivot === undefined) throw new Error('interval index out of range');
      return f.jmp(
        SECCOMP_DATA_NR_OFFSET,
        FULL,
        'jge',
        pivot.lo,
        search(mid, hi),
        search(lo, mid - 1),
      );
    };
    const body = search(0, intervals.length - 1);
    next = f.jmp(SECCOMP_DATA_ARCH_OFFSET, FULL, 'jeq', s.auditArch, body, next);
  }
  return next;
}

/** Build the straightforward graph: runc's stub, then a libseccomp level-1 layout. */
function buildLinear(plan: FilterPlan, f: NodeFactory): CgNode {
  const sections = archSections(plan);
  const NR = SECCOMP_DATA_NR_OFFSET;
  const badArch = f.ret(plan.badArch.value);
  // The libseccomp program.
  let filter: CgNode = badArch;
  for (let i = sections.length - 1; i >= 0; i--) {
    const s = sections[i];
    if (s === undefined) continue;
    const lower = planLowerer(f, sectionEndian(s), false);
    const x64 = s.abis.find((a) => a.arch === 'x86_64');
    const x32 = s.abis.find((a) => a.arch === 'x32');
    const main: ArchPlan | undefined = x64 ?? s.abis[0];
    const all = s.abis.flatMap((a) => a.syscalls);
    const ordered = [...all].sort((a, b) => {
      const ca = a.root.kind === 'ret' ? 0 : 1;
      const cb = b.root.kind === 'ret' ? 0 : 1;
      return ca - cb || (a.nr >>> 0) - (b.nr >>> 0);
    });
    let chain: CgNode = f.ret((main?.defaultLeaf ?? plan.badArch).value);
    for (let j = ordered.length - 1; j >= 0; j--) {
      const sp = ordered[j];
      if (sp === undefined) continue;
      chain = f.jmp(NR, FULL, 'jeq', sp.nr >>> 0, lower(sp.root), chain);
    }
    if (x64 !== undefined && x32 === undefined) {
      chain = f.jmp(
        NR,
        FULL,
        'jge',
        X32_SYSCALL_BIT,
        f.jmp(NR, FULL, 'jeq', FULL, chain, badArch),
        chain,
      );
    } else if (x32 !== undefined && x64 === undefined) {
      chain = f.jmp(NR, FULL, 'jge', X32_SYSCALL_BIT, chain, badArch);
    }
    filter = f.jmp(SECCOMP_DATA_ARCH_OFFSET, FULL, 'jeq', s.auditArch, chain, filter);
  }
  // runc's stub in front of it.
  let stub: CgNode = filter;
  for (let i = sections.length - 1; i >= 0; i--) {
    const s = sections[i];
    if (s === undefined) continue;
    const x64 = s.abis.find((a) => a.arch === 'x86_64');
    const x32 = s.abis.find((a) => a.arch === 'x32');
    const check = (a: ArchPlan | undefined): CgNode => {
      if (a?.enosysMax === undefined) return filter;
      const enosys = f.ret(enosysLeaf(a.enosysMax).value);
      const gt = f.jmp(NR, FULL, 'jgt', a.enosysMax >>> 0, enosys, filter);
      return a.arch === 's390' || a.arch === 's390x' ? f.jmp(NR, FULL, 'jeq', 0, enosys, gt) : gt;
    };
    let section: CgNode;
    if (x64 !== undefined || x32 !== undefined) {
      if (x64?.enosysMax === undefined && x32?.enosysMax === undefined) continue;
      section = f.jmp(NR, FULL, 'jset', X32_SYSCALL_BIT, check(x32), check(x64));
    } else {
      const a = s.abis[0];
      if (a?.enosysMax === undefined) continue;
      section = check(a);
    }
    stub = f.jmp(SECCOMP_DATA_ARCH_OFFSET, FULL, 'jeq', s.auditArch, section, stub);
  }
  return stub;
}

/** Distance below MAX_CONDITIONAL_OFFSET at which pending returns are placed as an island. */
const RET_ISLAND_REACH = MAX_CONDITIONAL_OFFSET - 16;

/** How a predecessor enters a compare node: at its load, at its AND, or straight at the compare. */
type Entry = 'ld' | 'and' | 'cmp';

/** Opcode of a conditional jump. */
function jumpCode(op: JumpOp): number {
  switch (op) {
    case 'jeq':
      return BPF_JMP | BPF_JEQ | BPF_K;
    case 'jgt':
      return BPF_JMP | BPF_JGT | BPF_K;
    case 'jge':
      return BPF_JMP | BPF_JGE | BPF_K;
    case 'jset':
      return BPF_JMP | BPF_JSET | BPF_K;
    default: {
      const never: never = op;
      return never;
    }
  }
}

/**
 * Lay the DAG out in a topological order (reverse post-order, so a node's true branch tends to follow
 * it: a linear chain keeps each body next to its test), returns in islands; the builder resolves offsets and inserts `ja` trampolines beyond 255.
 */
function linearize(root: CgNode, elideLoads: boolean): Instruction[] {
  // Topological order of compare nodes; returns are placed by the emitter.
  const order: JmpNode[] = [];
  const seen = new Set<number>();
  const stack: { n: CgNode; expanded: boolean }[] = [{ n: root, expanded: false }];
  const post: JmpNode[] = [];
  while (stack.length > 0) {
    const top = stack.pop();
    if (top === undefined) break;
    const n = top.n;
    if (top.expanded) {
      if (n.kind === 'jmp') post.push(n);
      continue;
    }
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    if (n.kind === 'ret') continue;
    stack.push({ n, expanded: true });
    // Pushed last is visited first: visit jf first so that jt's subtree ends up right after n.
    stack.push({ n: n.jt, expanded: false });
    stack.push({ n: n.jf, expanded: false });
  }
  for (let i = post.length - 1; i >= 0; i--) {
    const n = post[i];
    if (n) order.push(n);
  }
  // Entries each compare node needs.
  const entries = new Map<number, Set<Entry>>();
  const need = (n: CgNode, e: Entry): void => {
    if (n.kind !== 'jmp') return;
    let s = entries.get(n.id);
    if (!s) entries.set(n.id, (s = new Set()));
    s.add(e);
  };
  const entryFrom = (from: JmpNode | undefined, to: CgNode): Entry => {
    if (to.kind !== 'jmp' || from === undefined || !elideLoads) return 'ld';
    if (from.off !== to.off) return 'ld';
    if (from.mask === to.mask) return 'cmp';
    return from.mask === FULL ? 'and' : 'ld';
  };
  need(root, 'ld');
  for (const n of order) {
    need(n.jt, entryFrom(n, n.jt));
    need(n.jf, entryFrom(n, n.jf));
  }
  // Emit through the builder: each compare node gets a label per entry it needs. Returns are shared
  // per value, but a copy is placed as an island between blocks whenever a pending reference would
  // otherwise be out of a conditional jump's reach (a copied ret costs one instruction executed less
  // than a trampoline to a far one).
  const label = (n: JmpNode, e: Entry): string => `n${n.id}.${e}`;
  const b = new ProgramBuilder();
  const pendingRets = new Map<number, { label: string; firstRef: number }>();
  let copies = 0;
  const retLabel = (value: number, at: number): string => {
    let c = pendingRets.get(value);
    if (!c) pendingRets.set(value, (c = { label: `r${value}.${copies++}`, firstRef: at }));
    return c.label;
  };
  const flushRets = (): void => {
    for (const [value, c] of pendingRets) b.label(c.label).ret(value);
    pendingRets.clear();
  };
  const targetLabel = (from: JmpNode, to: CgNode, at: number): string =>
    to.kind === 'ret' ? retLabel(to.value, at) : label(to, entryFrom(from, to));
  for (const n of order) {
    const e = entries.get(n.id) ?? new Set<Entry>(['ld']);
    const hasLd = e.has('ld');
    const hasAnd = n.mask !== FULL && (hasLd || e.has('and'));
    const size = (hasLd ? 1 : 0) + (hasAnd ? 1 : 0) + 1;
    let oldest = Infinity;
    for (const c of pendingRets.values()) oldest = Math.min(oldest, c.firstRef);
    if (b.length + size + pendingRets.size - oldest > RET_ISLAND_REACH) flushRets();
    if (hasLd) b.label(label(n, 'ld')).ld(n.off);
    if (hasAnd) {
      if (e.has('and')) b.label(label(n, 'and'));
      b.and(n.mask);
    }
    if (e.has('cmp')) b.label(label(n, 'cmp'));
    const at = b.length;
    b.jump(jumpCode(n.op), n.k, targetLabel(n, n.jt, at), targetLabel(n, n.jf, at));
  }
  if (root.kind === 'ret') retLabel(root.value, 0);
  flushRets();
  return b.build();
}

/**
 * The kernel's limit on the instructions of all filters of a task: the sum of their lengths plus 4 per
 * filter (kernel/seccomp.c `seccomp_attach_filter`, MAX_INSNS_PER_PATH).
 */
export const MAX_INSNS_PER_PATH = 32768;

/** What {@link generate} produces: the program and what each named bytecode pass changed. */
export interface CodegenResult {
  /** The filter (the first of `filters`; the only one unless the program was split). */
  readonly program: Instruction[];
  /**
   * The filters to stack, in load order. One unless the program would pass `maxInsns` and `split` was
   * set: then every filter returns ALLOW for the calls another one decides, and the kernel, which runs
   * every filter and keeps the most restrictive action, decides exactly as the one program would.
   */
  readonly filters: Instruction[][];
  /**
   * The named passes of bpf/optimize.ts run on the laid-out program (optimised layout only): length
   * before and after, and how many times each pass changed the program (summed over the filters).
   */
  readonly passes: OptimizeStats;
}

/** Most filters a split may make (each costs the kernel 4 instructions of its budget and a call). */
const MAX_SPLIT_FILTERS = 64;

/** Lay out and (optimised layout) run the bytecode passes. */
function emit(root: CgNode, optimized: boolean): { prog: Instruction[]; stats: OptimizeStats } {
  const laid = linearize(root, optimized);
  if (!optimized)
    return { prog: laid, stats: { before: laid.length, after: laid.length, applied: {} } };
  return optimize(laid);
}

/**
 * Compare nodes reachable from `root`, each with the size of its subtree counted as a tree (shared
 * subtrees counted once per reference: an over-estimate, enough to find a node holding about half).
 */
function subtreeSizes(root: CgNode): Map<JmpNode, number> {
  const size = new Map<JmpNode, number>();
  const stack: CgNode[] = [root];
  while (stack.length > 0) {
    const n = stack[stack.length - 1];
    if (n === undefined) break;
    if (n.kind === 'ret' || size.has(n)) {
      stack.pop();
      continue;
    }
    const t = n.jt.kind === 'ret' ? 0 : size.get(n.jt);
    const e = n.jf.kind === 'ret' ? 0 : size.get(n.jf);
    if (t === undefined || e === undefined) {
      if (t === undefined) stack.push(n.jt);
      if (e === undefined) stack.push(n.jf);
      continue;
    }
    size.set(n, 1 + t + e);
    stack.pop();
  }
  return size;
}

/** Rebuild `root` bottom-up with `leaf` deciding what each return and the cut node become. */
function rebuild(root: CgNode, f: NodeFactory, map: (n: CgNode) => CgNode | undefined): CgNode {
  const memo = new Map<CgNode, CgNode>();
  const stack: CgNode[] = [root];
  while (stack.length > 0) {
    const n = stack[stack.length - 1];
    if (n === undefined) break;
    if (memo.has(n)) {
      stack.pop();
      continue;
    }
    const direct = map(n);
    if (direct !== undefined || n.kind === 'ret') {
      memo.set(n, direct ?? n);
      stack.pop();
      continue;
    }
    const t = memo.get(n.jt);
    const e = memo.get(n.jf);
    if (t === undefined || e === undefined) {
      if (t === undefined) stack.push(n.jt);
      if (e === undefined) stack.push(n.jf);
      continue;
    }
    memo.set(n, f.jmp(n.off, n.mask, n.op, n.k, t, e));
    stack.pop();
  }
  const out = memo.get(root);
  if (out === undefined) throw new Error('split: root not rebuilt');
  return out;
}

/**
 * Split a decision graph into stacked filters of at most `maxInsns` instructions each: a node `cut`
 * holding about half of the graph becomes ALLOW in one part, and the other part keeps the paths to
 * `cut` with every other return turned into ALLOW. Every input takes exactly one path, so exactly one
 * part can return something other than ALLOW, and that is the original decision (ALLOW is the least
 * restrictive action, seccomp_run_filters keeps the most restrictive).
 */
function splitFilters(
  root: CgNode,
  f: NodeFactory,
  optimized: boolean,
  maxInsns: number,
): { filters: Instruction[][]; stats: OptimizeStats } {
  const allow = f.ret(SECCOMP_RET_ALLOW);
  const filters: Instruction[][] = [];
  const applied: Record<string, number> = {};
  let before = 0;
  const todo: CgNode[] = [root];
  for (let part = todo.pop(); part !== undefined; part = todo.pop()) {
    const { prog, stats } = emit(part, optimized);
    if (filters.length + todo.length > MAX_SPLIT_FILTERS) {
      throw new BpfError(
        'program-too-long',
        -1,
        `compiled program does not fit in ${MAX_SPLIT_FILTERS} stacked filters of ${maxInsns} instructions`,
      );
    }
    if (prog.length <= maxInsns) {
      filters.push(prog);
      before += stats.before;
      for (const [k, v] of Object.entries(stats.applied)) applied[k] = (applied[k] ?? 0) + v;
      continue;
    }
    const sizes = subtreeSizes(part);
    const total = part.kind === 'jmp' ? (sizes.get(part) ?? 0) : 0;
    let cut: JmpNode | undefined;
    let best = 0;
    for (const [n, sz] of sizes) {
      if (n !== part && sz <= total / 2 && sz > best) {
        best = sz;
        cut = n;
      }
    }
    if (cut === undefined || best < 2) {
      throw new BpfError(
        'program-too-long',
        -1,
        `compiled program has ${prog.length} instructions, more than ${maxInsns}, and cannot be split further`,
      );
    }
    const keep = cut;
    const without = rebuild(part, f, (n) => (n === keep ? allow : undefined));
    const only = rebuild(part, f, (n) =>
      n === keep ? keep : n.kind === 'ret' ? allow : undefined,
    );
    todo.push(only, without);
  }
  return { filters, stats: { before, after: filters.reduce((a, p) => a + p.length, 0), applied } };
}

/**
 * Compile a filter plan to classic BPF, then run bpf/optimize.ts's named passes to a fixpoint on the
 * optimised layout (gVisor style; the linear reference layout is left as laid out). The program is
 * valid under the kernel's checker and decides like `decide(plan, data)` on every input; split into
 * stacked filters (`split`), they decide like it together (`combineStacked`).
 */
export function generate(plan: FilterPlan, opts: CodegenOptions): CodegenResult {
  const f = new NodeFactory(opts.optimize);
  const root = opts.optimize ? buildOptimized(plan, f) : buildLinear(plan, f);
  const maxInsns = opts.maxInsns ?? BPF_MAXINSNS;
  const { prog, stats } = emit(root, opts.optimize);
  if (prog.length <= maxInsns) return { program: prog, filters: [prog], passes: stats };
  if (opts.split !== true) {
    throw new BpfError(
      'program-too-long',
      -1,
      `compiled program has ${prog.length} instructions, more than BPF_MAXINSNS (${maxInsns})`,
    );
  }
  const split = splitFilters(root, f, opts.optimize, maxInsns);
  const total = split.filters.reduce((a, p) => a + p.length + 4, 0);
  if (total > MAX_INSNS_PER_PATH) {
    throw new BpfError(
      'program-too-long',
      -1,
      `compiled program split into ${split.filters.length} filters of ${total} instructions in all (4 more per filter), more than the kernel's ${MAX_INSNS_PER_PATH}`,
    );
  }
  const filters = loadOrder(plan, split.filters);
  const first = filters[0];
  if (first === undefined) throw new Error('split: no filter');
  return { program: first, filters, passes: split.stats };
}

/** prctl's PR_SET_SECCOMP and seccomp(2)'s SECCOMP_SET_MODE_FILTER / SECCOMP_MODE_FILTER. */
const PR_SET_SECCOMP = 22;
const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_MODE_FILTER = 2;

/**
 * Order stacked filters for loaders that install them one at a time, each load itself filtered by the
 * ones already installed: bwrap (`--add-seccomp-fd`, prctl(PR_SET_SECCOMP)) and the prober
 * (seccomp(SECCOMP_SET_MODE_FILTER)). Filters that ALLOW both calls on the native ABI (first ABI of the
 * plan; pointer argument 0) come first, then one that refuses only seccomp(2), then one that refuses
 * prctl. Every call is decided by exactly one filter, so when the profile refuses both, the filter that
 * refuses them is one and the same, and loads last.
 */
function loadOrder(plan: FilterPlan, filters: readonly Instruction[][]): Instruction[][] {
  const native = plan.arches[0];
  if (native === undefined) return [...filters];
  const endian = abiEndian(native.arch);
  const allows = (prog: readonly Instruction[], name: string, args: readonly bigint[]): boolean => {
    const nr = syscallNumber(native.arch, name);
    if (nr === undefined) return true;
    const a = [0, 1, 2, 3, 4, 5].map((i) => args[i] ?? 0n) as unknown as SeccompData['args'];
    const d: SeccompData = { nr, arch: native.auditArch, instructionPointer: 0n, args: a };
    return execute(prog, d, endian).ret >>> 0 === SECCOMP_RET_ALLOW;
  };
  const rank = (prog: readonly Instruction[]): number =>
    !allows(prog, 'prctl', [BigInt(PR_SET_SECCOMP), BigInt(SECCOMP_MODE_FILTER)])
      ? 2
      : !allows(prog, 'seccomp', [BigInt(SECCOMP_SET_MODE_FILTER)])
        ? 1
        : 0;
  return filters
    .map((f, i) => ({ f, i, r: rank(f) }))
    .sort((x, y) => x.r - y.r || x.i - y.i)
    .map((x) => x.f);
}

/** {@link generate}'s program alone. */
export function compilePlan(plan: FilterPlan, opts: CodegenOptions): Instruction[] {
  return generate(plan, opts).program;
}
