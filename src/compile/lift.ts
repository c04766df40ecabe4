/**
 * The BPF -> plan lifter: runs a classic BPF seccomp program symbolically for each syscall number of
 * one AUDIT_ARCH token, with unknown arguments, and returns the decision DAG over the argument words
 * the program really compares (the FilterPlan's per-syscall nodes). It reads any program in
 * libseccomp's shape (loads of nr/arch/argument words, AND, JEQ/JGT/JGE/JSET with K, JA, RET K):
 * the gen_bpf port's (with the origin of every return edge, so leaves can name their rule) as well as
 * a raw filter from a file or a live process (then leaves carry no rule).
 * Iterative throughout (explicit stacks), so chains of thousands of comparisons lift.
 */
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_RET,
  BPF_W,
  bpfClass,
  bpfOp,
  type Instruction,
} from '../bpf/instruction.js';
import { must } from './libseccomp-db.js';
import type { PlanLeaf, PlanNode } from './plan.js';

/** Where a jump to a return instruction comes from, so that the plan leaf can name its rule. */
export type JumpOrigin =
  | { readonly kind: 'rule'; readonly tag: number }
  | { readonly kind: 'default' }
  | { readonly kind: 'bad-arch' };

/** A program to lift, with the origin of the return each jump edge leads to when known. */
export interface LiftProgram {
  /** The instructions. */
  readonly insns: readonly Instruction[];
  /** Origin of the jt edge of each instruction (undefined when unknown or not leading to a return). */
  readonly jtOrigin?: readonly (JumpOrigin | undefined)[];
  /** Origin of the jf edge (and of the fall-through of a JA). */
  readonly jfOrigin?: readonly (JumpOrigin | undefined)[];
}

/** A program the lifter cannot read (an instruction outside libseccomp's shape, a loop, a fall off the end). */
export class LiftError extends Error {}

const ARG_MASK_MAX = 0xffffffff;
const OFFSET_SYSCALL = 0;
const OFFSET_ARCH = 4;
const OP_LD = BPF_LD | BPF_W | BPF_ABS;
const OP_AND = BPF_ALU | BPF_AND | BPF_K;
const OP_JA = BPF_JMP | BPF_JA;
const OP_RET = BPF_RET | BPF_K;

/** Whether a conditional jump (JEQ/JGT/JGE/JSET with K) is taken for accumulator `v`. */
function jumpTaken(code: number, v: number, k: number): boolean {
  switch (bpfOp(code)) {
    case BPF_JEQ:
      return v === k;
    case BPF_JGT:
      return v > k;
    case BPF_JGE:
      return v >= k;
    case BPF_JSET:
      return (v & k) !== 0;
    default:
      throw new LiftError(`lift: unexpected jump ${code}`);
  }
}

/** What the accumulator holds during the symbolic run. */
type SymAcc =
  | { readonly kind: 'const'; readonly v: number }
  | { readonly kind: 'word'; readonly off: number; readonly mask: number };

/** A symbolic state (program counter and accumulator) of the walk, keyed for memoisation. */
interface StateRef {
  readonly key: string;
  readonly pc: number;
  readonly acc: SymAcc;
}

/** Where an edge leads: a leaf already made, or a state still to walk. */
type Ref = { readonly node: PlanNode } | StateRef;

/** The result of a straight-line walk: an edge, or an argument comparison with its two edges. */
type Shape =
  | { readonly kind: 'ref'; readonly ref: Ref }
  | {
      readonly kind: 'cmp';
      readonly arg: number;
      readonly word: 'lo' | 'hi';
      readonly op: 'eq' | 'gt' | 'ge' | 'set';
      readonly mask: number;
      readonly datum: number;
      readonly then: Ref;
      readonly else: Ref;
    };

/** How a leaf is made from a return value and the origin of the jump that led to it. */
export type OriginLeaf = (value: number, origin: JumpOrigin | undefined) => PlanLeaf;

/**
 * Run `prog` symbolically for one syscall (AUDIT_ARCH `token`, number `nr`) with unknown arguments:
 * the decision DAG over the argument words the program really compares. `endian` is the byte order
 * of `seccomp_data` (it tells which word of an argument an offset is).
 * The run starts at program counter `pc0` with accumulator `start`.
 */
function liftFrom(
  prog: LiftProgram,
  pc0: number,
  start: SymAcc,
  token: number,
  nr: number,
  endian: 'little' | 'big',
  leaf: OriginLeaf,
): PlanNode {
  const { insns } = prog;
  const memo = new Map<string, PlanNode>();
  const keyOf = (pc: number, a: SymAcc): string =>
    a.kind === 'const' ? `${pc}|c${a.v}` : `${pc}|w${a.off}:${a.mask}`;

  // The walk is iterative (an explicit stack) so that a chain of thousands of comparisons cannot
  // exhaust the call stack; nodes are memoised per (pc, accumulator), so the DAG shares them.
  const edge = (pc: number, acc: SymAcc, origin: JumpOrigin | undefined): Ref => {
    let p = pc;
    for (let guard = 0; guard <= insns.length; guard++) {
      const i = insns[p];
      if (i === undefined) throw new LiftError('lift: ran off the program');
      if (i.code === OP_JA) {
        p = p + 1 + i.k;
        continue;
      }
      if (i.code === OP_RET) return { node: leaf(i.k >>> 0, origin) };
      return { key: keyOf(p, acc), pc: p, acc };
    }
    throw new LiftError('lift: jump loop');
  };

  /** Straight-line walk from `pc` to the first edge or argument comparison. */
  const walk = (pc: number, acc0: SymAcc): Shape => {
    let acc = acc0;
    let p = pc;
    for (;;) {
      const i = insns[p];
      if (i === undefined) throw new LiftError('lift: ran off the program');
      if (i.code === OP_LD) {
        if (i.k === OFFSET_SYSCALL) acc = { kind: 'const', v: nr >>> 0 };
        else if (i.k === OFFSET_ARCH) acc = { kind: 'const', v: token >>> 0 };
        else if (i.k >= 16 && i.k < 64 && i.k % 4 === 0) {
          acc = { kind: 'word', off: i.k, mask: ARG_MASK_MAX };
        } else throw new LiftError(`lift: load of offset ${i.k}`);
        p++;
        continue;
      }
      if (i.code === OP_AND) {
        acc =
          acc.kind === 'const'
            ? { kind: 'const', v: (acc.v & i.k) >>> 0 }
            : { kind: 'word', off: acc.off, mask: (acc.mask & i.k) >>> 0 };
        p++;
        continue;
      }
      if (i.code === OP_JA || i.code === OP_RET)
        return { kind: 'ref', ref: edge(p, acc, undefined) };
      if (bpfClass(i.code) !== BPF_JMP) {
        throw new LiftError(`lift: unexpected opcode ${i.code}`);
      }
      const op = bpfOp(i.code);
      const tPc = p + 1 + i.jt;
      const fPc = p + 1 + i.jf;
      const tO = prog.jtOrigin?.[p];
      const fO = prog.jfOrigin?.[p];
      if (acc.kind === 'const') {
        const ok = jumpTaken(i.code, acc.v, i.k >>> 0);
        return { kind: 'ref', ref: edge(ok ? tPc : fPc, acc, ok ? tO : fO) };
      }
      const rel = acc.off - 16;
      const arg = rel >> 3;
      const upper = (rel & 4) !== 0;
      const word: 'lo' | 'hi' = upper !== (endian === 'big') ? 'hi' : 'lo';
      const then = edge(tPc, acc, tO);
      const els = edge(fPc, acc, fO);
      if (op === BPF_JSET) {
        return {
          kind: 'cmp',
          arg,
          word,
          op: 'set',
          mask: ARG_MASK_MAX,
          datum: (acc.mask & i.k) >>> 0,
          then,
          else: els,
        };
      }
      const cmpOp = op === BPF_JEQ ? 'eq' : op === BPF_JGT ? 'gt' : op === BPF_JGE ? 'ge' : null;
      if (cmpOp === null) throw new LiftError(`lift: unexpected jump ${i.code}`);
      return {
        kind: 'cmp',
        arg,
        word,
        op: cmpOp,
        mask: acc.mask,
        datum: i.k >>> 0,
        then,
        else: els,
      };
    }
  };

  const deref = (r: Ref): PlanNode => ('node' in r ? r.node : must(memo.get(r.key)));
  const shapes = new Map<string, Shape>();
  const stack: StateRef[] = [{ key: keyOf(pc0, start), pc: pc0, acc: start }];
  while (stack.length > 0) {
    const r = must(stack[stack.length - 1]);
    if (memo.has(r.key)) {
      stack.pop();
      continue;
    }
    let shape = shapes.get(r.key);
    if (shape === undefined) {
      shape = walk(r.pc, r.acc);
      shapes.set(r.key, shape);
    }
    const deps = shape.kind === 'ref' ? [shape.ref] : [shape.else, shape.then];
    const missing = deps.filter((d): d is StateRef => 'key' in d && !memo.has(d.key));
    if (missing.length > 0) {
      stack.push(...missing);
      continue;
    }
    const node: PlanNode =
      shape.kind === 'ref'
        ? deref(shape.ref)
        : {
            kind: 'cmp',
            arg: shape.arg,
            word: shape.word,
            op: shape.op,
            mask: shape.mask,
            datum: shape.datum,
            then: deref(shape.then),
            else: deref(shape.else),
          };
    memo.set(r.key, node);
    shapes.delete(r.key);
    stack.pop();
  }
  return must(memo.get(keyOf(pc0, start)));
}

/** Index of the first element of the ascending `a` that is >= `v`. */
function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] ?? 0) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * {@link liftFrom} for many syscall numbers of one AUDIT_ARCH token at once. The syscall
 * dispatch (the jeq chain of optimize 1, the jgt tree of optimize 2) is walked once with the set of
 * numbers still possible, split at every comparison of the syscall number; only where a number's path
 * leaves the dispatch (an argument load) does a per-number symbolic run continue. The result equals
 * a separate run from the program's start for every number, in time roughly linear in the program instead of quadratic.
 */
export function liftDecisions(
  prog: LiftProgram,
  token: number,
  nrs: readonly number[],
  endian: 'little' | 'big',
  leaf: OriginLeaf,
): Map<number, PlanNode> {
  const { insns } = prog;
  const out = new Map<number, PlanNode>();
  interface Item {
    pc: number;
    acc: SymAcc | 'nr';
    set: number[];
    origin: JumpOrigin | undefined;
  }
  const sorted = [...new Set(nrs.map((n) => n >>> 0))].sort((a, b) => a - b);
  const stack: Item[] = [{ pc: 0, acc: { kind: 'const', v: 0 }, set: sorted, origin: undefined }];
  // Each number's own run, from where its path leaves the shared walk.
  const finish = (pc: number, set: readonly number[], acc: SymAcc | 'nr'): void => {
    for (const n of set) {
      const a: SymAcc = acc === 'nr' ? { kind: 'const', v: n } : acc;
      out.set(n, liftFrom(prog, pc, a, token, n | 0, endian, leaf));
    }
  };
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    let { pc, acc, origin } = item;
    const set = item.set;
    if (set.length === 0) continue;
    for (let guard = 0; ; guard++) {
      if (guard > insns.length) throw new LiftError('lift: jump loop');
      const i = insns[pc];
      if (i === undefined) throw new LiftError('lift: ran off the program');
      if (i.code === OP_JA) {
        pc = pc + 1 + i.k;
        continue;
      }
      if (i.code === OP_RET) {
        const l = leaf(i.k >>> 0, origin);
        for (const n of set) out.set(n, l);
        break;
      }
      origin = undefined;
      if (i.code === OP_LD && (i.k === OFFSET_SYSCALL || i.k === OFFSET_ARCH)) {
        acc = i.k === OFFSET_SYSCALL ? 'nr' : { kind: 'const', v: token >>> 0 };
        pc++;
        continue;
      }
      if (i.code === OP_AND && acc !== 'nr') {
        acc = acc.kind === 'const' ? { kind: 'const', v: (acc.v & i.k) >>> 0 } : acc;
        if (acc.kind !== 'const') {
          finish(pc, set, acc);
          break;
        }
        pc++;
        continue;
      }
      if (bpfClass(i.code) !== BPF_JMP || (acc !== 'nr' && acc.kind !== 'const')) {
        // An argument load or anything else: each number continues on its own.
        finish(pc, set, acc);
        break;
      }
      const op = bpfOp(i.code);
      const k = i.k >>> 0;
      const test = (v: number): boolean => jumpTaken(i.code, v, k);
      const tPc = pc + 1 + i.jt;
      const fPc = pc + 1 + i.jf;
      if (acc !== 'nr') {
        const ok = test(acc.v);
        origin = ok ? prog.jtOrigin?.[pc] : prog.jfOrigin?.[pc];
        pc = ok ? tPc : fPc;
        continue;
      }
      // Split the (sorted) set; the false side continues in place, the true side waits on the stack.
      let yes: number[];
      let no: number[];
      if (op === BPF_JEQ) {
        const at = lowerBound(set, k);
        if (set[at] === k) {
          yes = [k];
          set.splice(at, 1);
        } else yes = [];
        no = set;
      } else if (op === BPF_JGT || op === BPF_JGE) {
        const at = lowerBound(set, op === BPF_JGT ? k + 1 : k);
        yes = set.slice(at);
        no = set.slice(0, at);
      } else {
        yes = [];
        no = [];
        for (const n of set) {
          (test(n) ? yes : no).push(n);
        }
      }
      if (yes.length > 0) stack.push({ pc: tPc, acc: 'nr', set: yes, origin: prog.jtOrigin?.[pc] });
      if (no.length === 0) break;
      stack.push({ pc: fPc, acc: 'nr', set: no, origin: prog.jfOrigin?.[pc] });
      break;
    }
  }
  return out;
}
