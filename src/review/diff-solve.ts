/**
 * The word solver of the semantic diff: whether a conjunction of plan comparisons on one 32-bit word
 * of `seccomp_data` can hold, and the smallest such word. The comparisons are exactly the plan's
 * (compile/plan.ts `PlanCompare`): `(w & mask) == datum`, `(w & mask) > datum`, `(w & mask) >= datum`
 * and `(w & datum) != 0`, each asserted to hold or not. Decided symbolically: equalities fix bits,
 * full-mask inequalities make one interval, and a depth-first search over the remaining bits (bits
 * named by masks first, then the others from the most significant down) prunes each branch by the
 * exact bounds of what its unassigned bits can still reach. No value is sampled.
 */

/** One comparison of a word, and whether it holds: the edge a path through a plan DAG took. */
export interface WordLiteral {
  /** `eq`, `gt`, `ge` on `(w & mask)`; `set` is `(w & datum) != 0` (mask unused). */
  readonly op: 'eq' | 'gt' | 'ge' | 'set';
  /** AND mask applied before comparing (0xffffffff when none). */
  readonly mask: number;
  /** Unsigned 32-bit datum. */
  readonly datum: number;
  /** Whether the comparison holds on this path (the `then` edge) or not (the `else` edge). */
  readonly holds: boolean;
}

/** The search gave up: the literals need more steps than {@link SOLVE_STEP_LIMIT} to decide. */
export class SolveLimitError extends Error {}

/** Search steps one word may take; far above what libseccomp-shaped filters need (tens). */
export const SOLVE_STEP_LIMIT = 1_000_000;

const FULL = 0xffffffff;

/** Whether `w` satisfies `lit`. */
export function wordSatisfies(w: number, lit: WordLiteral): boolean {
  const v = w >>> 0;
  let ok: boolean;
  switch (lit.op) {
    case 'eq':
      ok = (v & lit.mask) >>> 0 === lit.datum >>> 0;
      break;
    case 'gt':
      ok = (v & lit.mask) >>> 0 > lit.datum >>> 0;
      break;
    case 'ge':
      ok = (v & lit.mask) >>> 0 >= lit.datum >>> 0;
      break;
    case 'set':
      ok = (v & lit.datum) >>> 0 !== 0;
      break;
  }
  return ok === lit.holds;
}

/** A masked inequality `(w & mask) op datum` (holds or not), kept for the search. */
interface MaskedBound {
  readonly mask: number;
  readonly op: 'gt' | 'ge';
  readonly datum: number;
  readonly holds: boolean;
}

/**
 * The smallest word (in the search's bit order) satisfying every literal, or undefined when none
 * does. Throws {@link SolveLimitError} past {@link SOLVE_STEP_LIMIT} steps.
 */
export function solveWord(lits: readonly WordLiteral[]): number | undefined {
  let fixMask = 0;
  let fixVal = 0;
  let lo = 0;
  let hi = FULL;
  const bounds: MaskedBound[] = [];
  const excluded: { mask: number; datum: number }[] = [];
  const anySet: number[] = [];
  const fix = (mask: number, value: number): boolean => {
    const m = mask >>> 0;
    const v = (value & m) >>> 0;
    if ((fixMask & m & (fixVal ^ v)) >>> 0 !== 0) return false;
    fixMask = (fixMask | m) >>> 0;
    fixVal = (fixVal | v) >>> 0;
    return true;
  };
  for (const l of lits) {
    const mask = l.mask >>> 0;
    const datum = l.datum >>> 0;
    switch (l.op) {
      case 'eq':
        if ((datum & ~mask) >>> 0 !== 0) {
          // (w & mask) can never equal a datum with bits outside the mask.
          if (l.holds) return undefined;
          break;
        }
        if (l.holds) {
          if (!fix(mask, datum)) return undefined;
        } else excluded.push({ mask, datum });
        break;
      case 'set':
        if (l.holds) {
          if (datum === 0) return undefined;
          anySet.push(datum);
        } else if (!fix(datum, 0)) return undefined;
        break;
      case 'gt':
      case 'ge': {
        if (mask !== FULL) {
          bounds.push({ mask, op: l.op, datum, holds: l.holds });
          break;
        }
        // w > d  <=>  w >= d + 1;  not (w >= d)  <=>  w <= d - 1.
        const strict = l.op === 'gt';
        if (l.holds) {
          const min = strict ? datum + 1 : datum;
          if (min > FULL) return undefined;
          lo = Math.max(lo, min);
        } else {
          const max = strict ? datum : datum - 1;
          if (max < 0) return undefined;
          hi = Math.min(hi, max);
        }
        break;
      }
    }
  }
  if (lo > hi) return undefined;
  // Bit order: bits named by a mask (and not fixed) first, most significant first; then the rest.
  let named = 0;
  for (const e of excluded) named |= e.mask;
  for (const s of anySet) named |= s;
  for (const b of bounds) named |= b.mask;
  named = (named & ~fixMask) >>> 0;
  const order: number[] = [];
  for (let bit = 31; bit >= 0; bit--) if ((named >>> bit) & 1) order.push(bit);
  const rest = ~(named | fixMask) >>> 0;
  for (let bit = 31; bit >= 0; bit--) if ((rest >>> bit) & 1) order.push(bit);

  /** Whether some completion of (assigned, value) can satisfy every constraint, judged by bounds. */
  const viable = (assigned: number, value: number): boolean => {
    const free = ~assigned >>> 0;
    const min = value >>> 0;
    const max = (value | free) >>> 0;
    if (max < lo || min > hi) return false;
    for (const b of bounds) {
      const bmin = (min & b.mask) >>> 0;
      const bmax = (max & b.mask) >>> 0;
      if (
        b.op === 'gt'
          ? b.holds
            ? bmax <= b.datum
            : bmin > b.datum
          : b.holds
            ? bmax < b.datum
            : bmin >= b.datum
      )
        return false;
    }
    for (const e of excluded)
      if ((e.mask & free) >>> 0 === 0 && (value & e.mask) >>> 0 === e.datum) return false;
    for (const s of anySet) if ((s & free) >>> 0 === 0 && (value & s) >>> 0 === 0) return false;
    return true;
  };

  let steps = 0;
  // Iterative depth-first search: stack of (depth, assigned, value); 0 before 1 gives the smallest.
  const stack: [number, number, number][] = [[0, fixMask, fixVal]];
  while (stack.length > 0) {
    const top = stack.pop();
    if (top === undefined) break;
    const [depth, assigned, value] = top;
    if (++steps > SOLVE_STEP_LIMIT)
      throw new SolveLimitError(`word constraints need more than ${SOLVE_STEP_LIMIT} search steps`);
    if (!viable(assigned, value)) continue;
    const bit = order[depth];
    if (bit === undefined) {
      // Every bit assigned: the bounds above are exact, so this word satisfies every literal.
      return value >>> 0;
    }
    const a = (assigned | (1 << bit)) >>> 0;
    stack.push([depth + 1, a, (value | (1 << bit)) >>> 0]);
    stack.push([depth + 1, a, value >>> 0]);
  }
  return undefined;
}
