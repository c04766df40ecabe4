/**
 * Argument regions of several plan DAGs at once: walks the product of the per-syscall decision DAGs
 * (compile/plan.ts) of any number of filters, keeping per argument word the comparisons the path
 * took, and visits every feasible combination of leaves with its region (the comparisons) and one
 * argument vector inside it (diff-solve.ts). Infeasible paths are cut as soon as a comparison
 * contradicts the earlier ones, so each region visited is non-empty and the regions partition the
 * argument space.
 */
import type { PlanLeaf, PlanNode } from '../compile/plan.js';
import { solveWord, wordSatisfies, type WordLiteral } from './diff-solve.js';

/** One comparison of a region: which word of which argument, and the literal. */
export interface RegionLiteral extends WordLiteral {
  /** Argument index 0-5. */
  readonly arg: number;
  /** Which 32-bit half of the argument. */
  readonly word: 'lo' | 'hi';
}

/** A feasible combination of leaves: the region of arguments that reaches it and one vector in it. */
export interface Region {
  /** The leaf each DAG reaches, in the order of the roots. */
  readonly leaves: readonly PlanLeaf[];
  /** The comparisons the path took (a conjunction), in path order. */
  readonly literals: readonly RegionLiteral[];
  /** An argument vector inside the region: the smallest word for each constrained word, else 0. */
  readonly args: readonly bigint[];
}

/** Index of a word in the 12-word argument area: lo of arg i is 2i, hi is 2i + 1. */
function wordIndex(arg: number, word: 'lo' | 'hi'): number {
  return arg * 2 + (word === 'hi' ? 1 : 0);
}

/** A search state: the node each DAG stands at, the literals per word and the current witness. */
interface State {
  readonly nodes: readonly PlanNode[];
  readonly literals: readonly RegionLiteral[];
  readonly byWord: readonly (readonly WordLiteral[])[];
  readonly witness: readonly number[];
}

/**
 * Visit every non-empty region of the product of `roots`. `visit` returns false to stop the walk.
 * Returns false when stopped early, true when every region was visited.
 */
export function walkRegions(
  roots: readonly PlanNode[],
  visit: (region: Region) => boolean,
): boolean {
  const stack: State[] = [
    {
      nodes: roots,
      literals: [],
      byWord: Array.from({ length: 12 }, () => []),
      witness: Array.from({ length: 12 }, () => 0),
    },
  ];
  while (stack.length > 0) {
    const s = stack.pop();
    if (s === undefined) break;
    const at = s.nodes.findIndex((n) => n.kind === 'cmp');
    if (at < 0) {
      const args = Array.from({ length: 6 }, (_, i) => {
        const lo = BigInt(s.witness[2 * i] ?? 0);
        const hi = BigInt(s.witness[2 * i + 1] ?? 0);
        return (hi << 32n) | lo;
      });
      if (!visit({ leaves: s.nodes as PlanLeaf[], literals: s.literals, args })) return false;
      continue;
    }
    const node = s.nodes[at];
    if (node?.kind !== 'cmp') continue;
    const w = wordIndex(node.arg, node.word);
    // Push the else edge first so the then edge (the rule's condition holding) is visited first.
    for (const holds of [false, true]) {
      const lit: RegionLiteral = {
        arg: node.arg,
        word: node.word,
        op: node.op,
        mask: node.mask >>> 0,
        datum: node.datum >>> 0,
        holds,
      };
      const prior = s.byWord[w] ?? [];
      const current = s.witness[w] ?? 0;
      let value: number | undefined = current;
      if (!wordSatisfies(current, lit)) value = solveWord([...prior, lit]);
      if (value === undefined) continue;
      const nodes = s.nodes.slice();
      nodes[at] = holds ? node.then : node.else;
      // Other DAGs standing on the same comparison take the same edge: the literal decides them too.
      for (let i = at + 1; i < nodes.length; i++) {
        const o = nodes[i];
        if (o?.kind === 'cmp' && sameCompare(o, node)) nodes[i] = holds ? o.then : o.else;
      }
      const byWord = s.byWord.slice();
      byWord[w] = [...prior, lit];
      const witness = s.witness.slice();
      witness[w] = value;
      stack.push({ nodes, literals: [...s.literals, lit], byWord, witness });
    }
  }
  return true;
}

function sameCompare(a: PlanNode & { kind: 'cmp' }, b: PlanNode & { kind: 'cmp' }): boolean {
  return (
    a.arg === b.arg &&
    a.word === b.word &&
    a.op === b.op &&
    a.mask >>> 0 === b.mask >>> 0 &&
    a.datum >>> 0 === b.datum >>> 0
  );
}

/** A region's comparisons in words, one per literal: `args[1].lo & 0x7e020000 != 0x0`. */
export function describeLiteral(l: RegionLiteral): string {
  const hex = (n: number): string => '0x' + (n >>> 0).toString(16);
  const subject = `args[${l.arg}].${l.word}`;
  if (l.op === 'set') return `${subject} & ${hex(l.datum)} ${l.holds ? '!=' : '=='} 0`;
  const masked = l.mask >>> 0 === 0xffffffff ? subject : `${subject} & ${hex(l.mask)}`;
  const op =
    l.op === 'eq'
      ? l.holds
        ? '=='
        : '!='
      : l.op === 'gt'
        ? l.holds
          ? '>'
          : '<='
        : l.holds
          ? '>='
          : '<';
  return `${masked} ${op} ${hex(l.datum)}`;
}

/**
 * The same region with fewer comparisons: duplicates and comparisons the others on their word imply
 * are dropped (a literal goes when its negation contradicts the rest), then sorted by argument and
 * word. The set of vectors is unchanged.
 */
export function simplifyRegion(literals: readonly RegionLiteral[]): RegionLiteral[] {
  const key = (l: RegionLiteral): string =>
    `${l.arg}${l.word}${l.op}${l.mask >>> 0}:${l.datum >>> 0}:${l.holds}`;
  const unique = [...new Map(literals.map((l) => [key(l), l])).values()];
  const kept: RegionLiteral[] = [];
  for (let w = 0; w < 12; w++) {
    let word = unique.filter((l) => wordIndex(l.arg, l.word) === w);
    for (let i = word.length - 1; i >= 0; i--) {
      const l = word[i];
      if (l === undefined) continue;
      const others = word.filter((_, j) => j !== i);
      if (solveWord([...others, { ...l, holds: !l.holds }]) === undefined) word = others;
    }
    kept.push(...word);
  }
  return kept;
}
