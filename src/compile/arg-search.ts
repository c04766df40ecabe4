/**
 * Argument search: how the optimised code generator lowers a syscall's comparison DAG.
 *
 * Every maximal group of comparisons on one argument (its hi and lo words, one AND mask per word, ops
 * `eq`/`gt`/`ge`) is a function of that argument's masked value. The group is cut into the sorted
 * intervals of equal outcome (adjacent values merged into ranges) and searched with a balanced tree of
 * `jge` (a `jeq` where one value sits between two intervals of the same outcome): 200 allowed `ioctl`
 * requests cost about log2(400) comparisons instead of a chain of 200. A 64-bit argument on a 32-bit-word
 * machine is searched hi word first, then, per interval of the hi word, lo word.
 *
 * Every search leaf knows the interval the argument's words lie in; these facts travel down, so a later
 * comparison of the same word that they decide costs nothing (libseccomp re-tests an argument after each
 * failed sibling; here those tests vanish). Lowering is memoised per node and per the facts that concern
 * words the node's sub-DAG reads.
 */
import type { PlanCompare, PlanNode } from './plan.js';

/** A conditional jump operator of the code generator (cBPF has no NE/LT/LE: branches are swapped). */
export type JumpOp = 'jeq' | 'jgt' | 'jge' | 'jset';

/** The node constructors the search lowers to (codegen's hash-consing factory). */
export interface SearchBuilder<N> {
  /** A return of `value`. */
  ret(value: number): N;
  /** `A = word[off] & mask; if (A op k) goto jt else goto jf`. */
  jmp(off: number, mask: number, op: JumpOp, k: number, jt: N, jf: N): N;
}

const FULL = 0xffffffff;

/**
 * Beyond this nesting of argument groups along one path, the rest of the path is lowered node by node
 * without facts (correct, only longer): keeps the recursion well inside Node's stack.
 */
const MAX_NESTING = 300;

/** Whether a constant test is decided without looking at the word; `undefined` when it is not. */
export function foldCompare(node: { op: JumpOp; mask: number; k: number }): boolean | undefined {
  const { op, mask, k } = node;
  switch (op) {
    case 'jeq':
      if (mask === 0) return k === 0;
      return (k & ~mask) >>> 0 !== 0 ? false : undefined;
    case 'jgt':
      // (w & mask) never exceeds mask.
      return k >= mask ? false : undefined;
    case 'jge':
      if (k === 0) return true;
      return k > mask ? false : undefined;
    case 'jset':
      return k === 0 || mask === 0 ? false : undefined;
    default: {
      const never: never = op;
      return never;
    }
  }
}

/** The jump operator of a plan comparison. */
export function jumpOpOf(op: PlanCompare['op']): JumpOp {
  return op === 'eq' ? 'jeq' : op === 'gt' ? 'jgt' : op === 'ge' ? 'jge' : 'jset';
}

/** A known fact on a path: `(word(arg) & mask)` lies in `[lo, hi]` (unsigned). */
interface Fact {
  readonly arg: number;
  readonly word: 'lo' | 'hi';
  readonly mask: number;
  readonly lo: number;
  readonly hi: number;
}

/** Bit of an argument word in a node's read set. */
function wordBit(arg: number, word: 'lo' | 'hi'): number {
  return 1 << (arg * 2 + (word === 'hi' ? 1 : 0));
}

/** Whether `(w & mask) op datum` holds for value `v = w & mask`. */
function holds(op: 'eq' | 'gt' | 'ge', datum: number, v: number): boolean {
  return op === 'eq' ? v === datum : op === 'gt' ? v > datum : v >= datum;
}

/**
 * The outcome of comparison `n` when it does not depend on the word (folded), or when the facts decide
 * it; `undefined` otherwise.
 */
function known(n: PlanCompare, facts: readonly Fact[]): boolean | undefined {
  const mask = n.op === 'set' ? FULL : n.mask >>> 0;
  const d = n.datum >>> 0;
  const folded = foldCompare({ op: jumpOpOf(n.op), mask, k: d });
  if (folded !== undefined) return folded;
  for (const f of facts) {
    if (f.arg !== n.arg || f.word !== n.word) continue;
    if (f.mask === FULL && f.lo === f.hi) {
      // The whole word is known.
      const w = f.lo;
      return n.op === 'set' ? (w & d) >>> 0 !== 0 : holds(n.op, d, (w & mask) >>> 0);
    }
    if (n.op === 'set' || f.mask !== mask) continue;
    const a = holds(n.op, d, f.lo);
    const b = holds(n.op, d, f.hi);
    // eq holds on [lo, hi] only when it is the single point; it fails when d is outside.
    if (n.op === 'eq') {
      if (f.lo === f.hi) return a;
      if (d < f.lo || d > f.hi) return false;
      continue;
    }
    // gt/ge are monotone in the value.
    if (a === b) return a;
  }
  return undefined;
}

/** One interval of a word's value with its outcome (an exit index), `[lo, hi]` inclusive. */
interface Piece {
  lo: number;
  hi: number;
  exit: number;
}

/**
 * Split points of a word's value for one comparison: the values at which its outcome can change.
 */
function breakpoints(op: 'eq' | 'gt' | 'ge', d: number, out: number[]): void {
  if (op === 'ge') out.push(d);
  else if (op === 'gt') {
    if (d < FULL) out.push(d + 1);
  } else {
    out.push(d);
    if (d < FULL) out.push(d + 1);
  }
}

/**
 * Split a sorted flat interval list `s` ([a0, b0, a1, b1, ...]) of values reaching an `op d` test into
 * the part where it holds and the part where it does not. `s` is consumed (the else part may be it).
 */
function splitIntervals(
  s: number[],
  op: 'eq' | 'gt' | 'ge',
  d: number,
): { yes: number[]; no: number[] } {
  // First interval whose end is >= the cut value (binary search on ends).
  const firstEndAtLeast = (v: number): number => {
    let lo = 0;
    let hi = s.length >> 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if ((s[2 * m + 1] ?? 0) < v) lo = m + 1;
      else hi = m;
    }
    return lo;
  };
  if (op === 'eq') {
    const i = firstEndAtLeast(d);
    const a = s[2 * i];
    const b = s[2 * i + 1];
    if (a === undefined || b === undefined || a > d) return { yes: [], no: s };
    // In place (no reallocation: chains of thousands of values split one list thousands of times).
    if (a < d && d < b) {
      const len = s.length;
      s.push(0, 0);
      for (let x = len - 1; x >= 2 * i + 2; x--) s[x + 2] = s[x] ?? 0;
      s[2 * i + 1] = d - 1;
      s[2 * i + 2] = d + 1;
      s[2 * i + 3] = b;
    } else if (a < d) s[2 * i + 1] = d - 1;
    else if (d < b) s[2 * i] = d + 1;
    else s.splice(2 * i, 2);
    return { yes: [d, d], no: s };
  }
  // Values >= cut hold.
  const cut = op === 'ge' ? d : d + 1;
  if (op === 'gt' && d === FULL) return { yes: [], no: s };
  const i = firstEndAtLeast(cut);
  const a = s[2 * i];
  if (a === undefined) return { yes: [], no: s };
  const yes = s.slice(2 * i);
  const no = s.slice(0, 2 * i);
  if (a < cut) {
    yes[0] = cut;
    no.push(a, cut - 1);
  }
  return { yes, no };
}

/**
 * Lower plan DAGs with argument search. `offset` gives the `seccomp_data` offset of an argument word;
 * `plain` lowers a node without facts (the fallback beyond {@link MAX_NESTING}).
 */
export function argSearchLowerer<N>(
  b: SearchBuilder<N>,
  offset: (arg: number, word: 'lo' | 'hi') => number,
  plain: (n: PlanNode) => N,
): (root: PlanNode) => N {
  const memo = new Map<PlanNode, Map<string, N>>();
  const reads = new Map<PlanNode, number>();

  /** The argument words `n`'s sub-DAG compares (bit set of {@link wordBit}); iterative. */
  const readSet = (root: PlanNode): number => {
    const stack: PlanNode[] = [root];
    while (stack.length > 0) {
      const n = stack[stack.length - 1];
      if (n === undefined) break;
      if (n.kind === 'ret') {
        stack.pop();
        continue;
      }
      if (reads.has(n)) {
        stack.pop();
        continue;
      }
      const t = n.then.kind === 'ret' ? 0 : reads.get(n.then);
      const e = n.else.kind === 'ret' ? 0 : reads.get(n.else);
      if (t === undefined || e === undefined) {
        if (t === undefined) stack.push(n.then);
        if (e === undefined) stack.push(n.else);
        continue;
      }
      reads.set(n, t | e | wordBit(n.arg, n.word));
      stack.pop();
    }
    return root.kind === 'ret' ? 0 : (reads.get(root) ?? 0);
  };

  /** The memo key of `n` under `facts`: only facts on words its sub-DAG reads. */
  const keyOf = (n: PlanNode, facts: readonly Fact[]): string => {
    const r = readSet(n);
    let k = '';
    for (const f of facts) {
      if ((r & wordBit(f.arg, f.word)) === 0) continue;
      k += `${f.arg}${f.word}${f.mask}:${f.lo}-${f.hi};`;
    }
    return k;
  };

  /** `facts` with the fact on (arg, word, mask) replaced by `[lo, hi]`. */
  const withFact = (
    facts: readonly Fact[],
    arg: number,
    word: 'lo' | 'hi',
    mask: number,
    lo: number,
    hi: number,
  ): Fact[] => {
    const out = facts.filter((f) => !(f.arg === arg && f.word === word && f.mask === mask));
    out.push({ arg, word, mask, lo, hi });
    out.sort((x, y) => x.arg - y.arg || (x.word < y.word ? -1 : x.word > y.word ? 1 : 0));
    return out;
  };

  const lower = (start: PlanNode, facts: readonly Fact[], depth: number): N => {
    let n = start;
    // Comparisons the facts (or constants) decide cost nothing.
    for (;;) {
      if (n.kind === 'ret') return b.ret(n.value);
      const k = known(n, facts);
      if (k === undefined) break;
      n = k ? n.then : n.else;
    }
    if (depth > MAX_NESTING) return plain(n);
    const key = keyOf(n, facts);
    let perNode = memo.get(n);
    const hit = perNode?.get(key);
    if (hit !== undefined) return hit;
    const out =
      n.op === 'set'
        ? b.jmp(
            offset(n.arg, n.word),
            FULL,
            'jset',
            n.datum >>> 0,
            lower(n.then, facts, depth + 1),
            lower(n.else, facts, depth + 1),
          )
        : group(n, facts, depth);
    if (!perNode) memo.set(n, (perNode = new Map<string, N>()));
    perNode.set(key, out);
    return out;
  };

  /** Lower the group of comparisons on `root`'s argument that starts at `root`. */
  const group = (root: PlanCompare, facts: readonly Fact[], depth: number): N => {
    const arg = root.arg;
    const masks: { lo?: number; hi?: number } = { [root.word]: root.mask >>> 0 };
    // Members: same argument, not jset, the group's mask for the word (or decided by the facts).
    // A comparison of another argument is an exit even when the facts decide it: lowering the exit
    // walks past it without collecting the rest of that argument's chain into this group.
    const member = (c: PlanNode): c is PlanCompare => {
      if (c.kind !== 'cmp' || c.arg !== arg) return false;
      if (known(c, facts) !== undefined) return true;
      if (c.op === 'set') return false;
      const m = masks[c.word];
      if (m === undefined) {
        masks[c.word] = c.mask >>> 0;
        return true;
      }
      return m === c.mask >>> 0;
    };
    // Reverse post-order of the members reachable from root through members.
    const inGroup = new Set<PlanCompare>([root]);
    const post: PlanCompare[] = [];
    const stack: { n: PlanCompare; expanded: boolean }[] = [{ n: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack.pop();
      if (top === undefined) break;
      if (top.expanded) {
        post.push(top.n);
        continue;
      }
      stack.push({ n: top.n, expanded: true });
      for (const c of [top.n.else, top.n.then]) {
        if (c.kind === 'cmp' && !inGroup.has(c) && member(c)) {
          inGroup.add(c);
          stack.push({ n: c, expanded: false });
        }
      }
    }
    const order = post.reverse();
    const factOf = (word: 'lo' | 'hi', mask: number | undefined): [number, number] => {
      if (mask === undefined) return [0, FULL];
      const f = facts.find((x) => x.arg === arg && x.word === word && x.mask === mask);
      return f ? [f.lo, f.hi] : [0, mask];
    };
    const [hDomLo, hDomHi] = factOf('hi', masks.hi);
    const [lDomLo, lDomHi] = factOf('lo', masks.lo);
    // Hi-word intervals: cut at every breakpoint of the hi comparisons inside the domain.
    const cuts: number[] = [];
    for (const x of order) {
      if (x.word === 'hi' && x.op !== 'set' && known(x, facts) === undefined)
        breakpoints(x.op, x.datum >>> 0, cuts);
    }
    const hStarts = [...new Set(cuts.filter((c) => c > hDomLo && c <= hDomHi))].sort(
      (p, q) => p - q,
    );
    hStarts.unshift(hDomLo);
    const exits: PlanNode[] = [];
    const exitIndex = new Map<PlanNode, number>();
    const exitOf = (n: PlanNode): number => {
      let i = exitIndex.get(n);
      if (i === undefined) {
        i = exits.length;
        exits.push(n);
        exitIndex.set(n, i);
      }
      return i;
    };
    /** The lo-word pieces for hi value `h`. */
    const loPieces = (h: number): Piece[] => {
      const incoming = new Map<PlanCompare, { s: number[]; parts: number }>();
      incoming.set(root, { s: [lDomLo, lDomHi], parts: 1 });
      const out: Piece[] = [];
      const deliver = (c: PlanNode, s: number[]): void => {
        if (s.length === 0) return;
        if (c.kind === 'cmp' && inGroup.has(c)) {
          const cur = incoming.get(c);
          if (!cur) incoming.set(c, { s, parts: 1 });
          else {
            for (const v of s) cur.s.push(v);
            cur.parts++;
          }
          return;
        }
        const e = exitOf(c);
        for (let i = 0; i < s.length; i += 2)
          out.push({ lo: s[i] ?? 0, hi: s[i + 1] ?? 0, exit: e });
      };
      for (const x of order) {
        const inc = incoming.get(x);
        if (inc === undefined) continue;
        incoming.delete(x);
        let s = inc.s;
        if (inc.parts > 1) {
          const pairs: [number, number][] = [];
          for (let i = 0; i < s.length; i += 2) pairs.push([s[i] ?? 0, s[i + 1] ?? 0]);
          pairs.sort((p, q) => p[0] - q[0]);
          s = pairs.flat();
        }
        const k = known(x, facts);
        if (k !== undefined) {
          deliver(k ? x.then : x.else, s);
          continue;
        }
        if (x.op === 'set') throw new Error('argument search: jset inside a group');
        if (x.word === 'hi') {
          deliver(holds(x.op, x.datum >>> 0, (h & (masks.hi ?? FULL)) >>> 0) ? x.then : x.else, s);
          continue;
        }
        const { yes, no } = splitIntervals(s, x.op, x.datum >>> 0);
        deliver(x.then, yes);
        deliver(x.else, no);
      }
      out.sort((p, q) => p.lo - q.lo);
      const merged: Piece[] = [];
      for (const p of out) {
        const last = merged[merged.length - 1];
        if (last?.exit === p.exit && last.hi + 1 === p.lo) last.hi = p.hi;
        else merged.push({ ...p });
      }
      return merged;
    };
    // Per hi interval its lo pieces; neighbours with equal lo pieces merge.
    const hPieces: { lo: number; hi: number; lo_: Piece[] }[] = [];
    for (let i = 0; i < hStarts.length; i++) {
      const lo = hStarts[i] ?? 0;
      const hi = i + 1 < hStarts.length ? (hStarts[i + 1] ?? 0) - 1 : hDomHi;
      const pieces = loPieces(lo);
      const last = hPieces[hPieces.length - 1];
      if (last !== undefined && samePieces(last.lo_, pieces)) last.hi = hi;
      else hPieces.push({ lo, hi, lo_: pieces });
    }
    const leafFor = (hLo: number, hHi: number, p: Piece): N => {
      let f: readonly Fact[] = facts;
      if (masks.hi !== undefined) f = withFact(f, arg, 'hi', masks.hi, hLo, hHi);
      if (masks.lo !== undefined) f = withFact(f, arg, 'lo', masks.lo, p.lo, p.hi);
      const exit = exits[p.exit];
      if (exit === undefined) throw new Error('argument search: exit out of range');
      return lower(exit, f, depth + 1);
    };
    const loSearch = (hp: { lo: number; hi: number; lo_: Piece[] }): N =>
      search(b, hp.lo_, offset(arg, 'lo'), masks.lo ?? FULL, (p) => leafFor(hp.lo, hp.hi, p));
    if (masks.hi === undefined) {
      const only = hPieces[0];
      if (only === undefined) throw new Error('argument search: no interval');
      return loSearch(only);
    }
    const hAsPieces: Piece[] = hPieces.map((p, i) => ({ lo: p.lo, hi: p.hi, exit: i }));
    return search(b, hAsPieces, offset(arg, 'hi'), masks.hi, (p) => {
      const hp = hPieces[p.exit];
      if (hp === undefined) throw new Error('argument search: hi interval out of range');
      return loSearch({ ...hp, lo: p.lo, hi: p.hi });
    });
  };

  return (root) => lower(root, [], 0);
}

/** Whether two piece lists are equal. */
function samePieces(a: readonly Piece[], b: readonly Piece[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return false;
    if (x.lo !== y.lo || x.hi !== y.hi || x.exit !== y.exit) return false;
  }
  return true;
}

/**
 * Values a search leaf tests one by one with `jeq` (values of one outcome set in a background of another):
 * trades a little path length for program length (about n + n/3 instructions for n values instead of
 * 1.5n for a full tree), so big allowlists stay under BPF_MAXINSNS.
 */
export const CHAIN_VALUES = 4;

/**
 * Whether pieces i..j are single values set in one background outcome (every piece of another outcome
 * is one value), at most {@link CHAIN_VALUES} of them: returns the background exit, else undefined.
 */
function chainBackground(pieces: readonly Piece[], i: number, j: number): number | undefined {
  const counts = new Map<number, number>();
  for (let x = i; x <= j; x++) {
    const p = pieces[x];
    if (p === undefined) return undefined;
    counts.set(p.exit, (counts.get(p.exit) ?? 0) + 1);
  }
  // The background is an outcome that has a non-single piece, or else the most frequent one.
  let bg: number | undefined;
  for (let x = i; x <= j; x++) {
    const p = pieces[x];
    if (p !== undefined && p.lo !== p.hi) {
      if (bg !== undefined && bg !== p.exit) return undefined;
      bg = p.exit;
    }
  }
  if (bg === undefined) {
    let best = -1;
    for (const [e, c] of counts)
      if (c > best) {
        best = c;
        bg = e;
      }
  }
  if (bg === undefined) return undefined;
  const singles = j - i + 1 - (counts.get(bg) ?? 0);
  return singles <= CHAIN_VALUES ? bg : undefined;
}

/**
 * A balanced search over sorted contiguous pieces of one word (`A = word & mask`): `jge` on the first
 * value of the right half, down to ranges of a few single values in one background outcome, which are a
 * chain of `jeq`. `leaf` lowers a piece (the background comes as the hull of its range).
 */
function search<N>(
  b: SearchBuilder<N>,
  pieces: readonly Piece[],
  off: number,
  mask: number,
  leaf: (p: Piece) => N,
): N {
  const go = (i: number, j: number): N => {
    const first = pieces[i];
    const last = pieces[j];
    if (first === undefined || last === undefined) throw new Error('argument search: empty range');
    if (i === j) return leaf(first);
    const bg = chainBackground(pieces, i, j);
    if (bg !== undefined) {
      let out = leaf({ lo: first.lo, hi: last.hi, exit: bg });
      for (let x = j; x >= i; x--) {
        const p = pieces[x];
        if (p === undefined || p.exit === bg) continue;
        out = b.jmp(off, mask, 'jeq', p.lo, leaf(p), out);
      }
      return out;
    }
    const mid = (i + j + 1) >> 1;
    const pivot = pieces[mid];
    if (pivot === undefined) throw new Error('argument search: pivot out of range');
    return b.jmp(off, mask, 'jge', pivot.lo, go(mid, j), go(i, mid - 1));
  };
  return go(0, pieces.length - 1);
}
