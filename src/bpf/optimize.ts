/**
 * Bytecode optimizer in the shape of gVisor's `pkg/bpf/optimizer.go`: named passes typed
 * `(prog) => { prog, changed }`, listed in order and rerun from the first after any change until
 * none applies. Every pass preserves what the program returns for every input and keeps a program
 * the kernel accepts acceptable.
 */
import { A_UNREACHABLE, flowFacts } from './analysis.js';
import {
  MAX_CONDITIONAL_OFFSET,
  isConditionalJump,
  isReturn,
  isUnconditionalJump,
  type Instruction,
} from './instruction.js';
import { checkProgram } from './validate.js';

/** What a pass returns. */
export interface PassResult {
  /** The rewritten program (the input itself when nothing changed). */
  readonly prog: Instruction[];
  /** Whether anything changed. */
  readonly changed: boolean;
}

/** An optimizer pass: pure, must not change the program's meaning. */
export type OptimizerPass = (prog: readonly Instruction[]) => PassResult;

/** Absolute targets of a jump at `pc`: [] for non-jumps, [k target] for JA, [true, false] for conditionals. */
function targets(insn: Instruction, pc: number): number[] {
  if (isUnconditionalJump(insn.code)) return [pc + 1 + insn.k];
  if (isConditionalJump(insn.code)) return [pc + 1 + insn.jt, pc + 1 + insn.jf];
  return [];
}

/**
 * Drop the instructions flagged in `remove`, re-aiming jumps: a jump to a removed instruction lands
 * on the next kept one. Callers only remove instructions that are unreachable or have no effect on
 * the paths that reach them, which makes that re-aiming exact. Offsets only shrink.
 */
export function removeInstructions(
  prog: readonly Instruction[],
  remove: readonly boolean[],
): Instruction[] {
  const n = prog.length;
  // keptBefore[i] = number of kept instructions in [0, i).
  const keptBefore = new Int32Array(n + 1);
  for (let i = 0; i < n; i++)
    keptBefore[i + 1] = (keptBefore[i] ?? 0) + (remove[i] === true ? 0 : 1);
  const at = (abs: number): number => keptBefore[Math.min(abs, n)] ?? 0;
  const out: Instruction[] = [];
  prog.forEach((insn, pc) => {
    if (remove[pc] === true) return;
    const here = keptBefore[pc] ?? 0;
    if (isUnconditionalJump(insn.code)) {
      out.push({ ...insn, k: at(pc + 1 + insn.k) - here - 1 });
    } else if (isConditionalJump(insn.code)) {
      out.push({
        ...insn,
        jt: at(pc + 1 + insn.jt) - here - 1,
        jf: at(pc + 1 + insn.jf) - here - 1,
      });
    } else {
      out.push(insn);
    }
  });
  return out;
}

const unchanged = (prog: readonly Instruction[]): PassResult => ({
  prog: prog as Instruction[],
  changed: false,
});

/**
 * Jump threading: a jump whose target is a `ja` goes straight to the `ja`'s target (when a
 * conditional's offset still fits in 8 bits), and a `ja` whose target is a `ret` becomes that `ret`.
 */
export const threadJumps: OptimizerPass = (prog) => {
  const out = prog.slice();
  let changed = false;
  const finalTarget = (abs: number): number => {
    let t = abs;
    // Jumps only go forward, so following a chain of `ja` ends.
    for (;;) {
      const insn = out[t];
      if (insn === undefined || !isUnconditionalJump(insn.code)) break;
      t = t + 1 + insn.k;
    }
    return t;
  };
  for (let pc = 0; pc < out.length; pc++) {
    const insn = out[pc];
    if (insn === undefined) break;
    if (isUnconditionalJump(insn.code)) {
      const t = finalTarget(pc + 1 + insn.k);
      const dest = out[t];
      if (dest !== undefined && isReturn(dest.code)) {
        out[pc] = dest;
        changed = true;
      } else if (t !== pc + 1 + insn.k) {
        out[pc] = { ...insn, k: t - pc - 1 };
        changed = true;
      }
    } else if (isConditionalJump(insn.code)) {
      const t = finalTarget(pc + 1 + insn.jt);
      const f = finalTarget(pc + 1 + insn.jf);
      const jt = t - pc - 1 <= MAX_CONDITIONAL_OFFSET ? t - pc - 1 : insn.jt;
      const jf = f - pc - 1 <= MAX_CONDITIONAL_OFFSET ? f - pc - 1 : insn.jf;
      if (jt !== insn.jt || jf !== insn.jf) {
        out[pc] = { ...insn, jt, jf };
        changed = true;
      }
    }
  }
  return changed ? { prog: out, changed } : unchanged(prog);
};

/** A conditional jump whose two targets are the same becomes `ja` to that target. */
export const simplifySameTargetConditionals: OptimizerPass = (prog) => {
  const out = prog.map((insn) =>
    isConditionalJump(insn.code) && insn.jt === insn.jf
      ? { code: 0x05, jt: 0, jf: 0, k: insn.jt }
      : insn,
  );
  const changed = out.some((insn, pc) => insn !== prog[pc]);
  return changed ? { prog: out, changed } : unchanged(prog);
};

/** A `ja +0` does nothing and is removed. */
export const removeZeroLengthJumps: OptimizerPass = (prog) => {
  const remove = prog.map((insn) => isUnconditionalJump(insn.code) && insn.k === 0);
  return remove.includes(true)
    ? { prog: removeInstructions(prog, remove), changed: true }
    : unchanged(prog);
};

/** Instructions no path from the first one reaches are removed. */
export const removeDeadCode: OptimizerPass = (prog) => {
  const n = prog.length;
  const reached = new Uint8Array(n);
  if (n > 0) reached[0] = 1;
  for (let pc = 0; pc < n; pc++) {
    if (reached[pc] !== 1) continue;
    const insn = prog[pc];
    if (insn === undefined) break;
    if (isReturn(insn.code)) continue;
    const ts = targets(insn, pc);
    if (ts.length === 0) ts.push(pc + 1);
    for (const t of ts) if (t < n) reached[t] = 1;
  }
  const remove = Array.from(reached, (r) => r !== 1);
  return remove.includes(true)
    ? { prog: removeInstructions(prog, remove), changed: true }
    : unchanged(prog);
};

/**
 * A `ld [k]` when A already holds the word at k on every path that reaches it is removed
 * (the input does not change while a filter runs).
 */
export const removeRedundantLoads: OptimizerPass = (prog) => {
  const facts = flowFacts(prog);
  const remove = prog.map(
    (insn, pc) =>
      insn.code === 0x20 &&
      facts.accumulator[pc] !== A_UNREACHABLE &&
      facts.accumulator[pc] === insn.k,
  );
  return remove.includes(true)
    ? { prog: removeInstructions(prog, remove), changed: true }
    : unchanged(prog);
};

/**
 * Jumps to a `ret` are re-aimed at the last identical `ret` they can reach, so that the earlier
 * copies become dead and `removeDeadCode` leaves as few returns as possible. `ret A` copies are
 * identical too: a jump does not change A.
 */
export const mergeIdenticalReturns: OptimizerPass = (prog) => {
  // For each distinct return, its positions in increasing order.
  const positions = new Map<string, number[]>();
  prog.forEach((insn, pc) => {
    if (!isReturn(insn.code)) return;
    const key = `${insn.code}:${insn.k}`;
    const list = positions.get(key);
    if (list === undefined) positions.set(key, [pc]);
    else list.push(pc);
  });
  const best = (from: number, target: number, limit: number): number => {
    const insn = prog[target];
    if (insn === undefined || !isReturn(insn.code)) return target;
    const list = positions.get(`${insn.code}:${insn.k}`) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const p = list[i] ?? target;
      if (p <= target) break;
      if (p - from - 1 <= limit) return p;
    }
    return target;
  };
  const out = prog.map((insn, pc) => {
    if (isUnconditionalJump(insn.code)) {
      const t = best(pc, pc + 1 + insn.k, Number.MAX_SAFE_INTEGER);
      if (t === pc + 1 + insn.k) return insn;
      return { ...insn, k: t - pc - 1 };
    }
    if (isConditionalJump(insn.code)) {
      const t = best(pc, pc + 1 + insn.jt, MAX_CONDITIONAL_OFFSET);
      const f = best(pc, pc + 1 + insn.jf, MAX_CONDITIONAL_OFFSET);
      if (t === pc + 1 + insn.jt && f === pc + 1 + insn.jf) return insn;
      return { ...insn, jt: t - pc - 1, jf: f - pc - 1 };
    }
    return insn;
  });
  const changed = out.some((insn, pc) => insn !== prog[pc]);
  return changed ? { prog: out, changed } : unchanged(prog);
};

/** A named pass, for statistics. */
export interface NamedPass {
  readonly name: string;
  readonly pass: OptimizerPass;
}

/** The passes in the order `optimize` tries them. */
export const OPTIMIZER_PASSES: readonly NamedPass[] = [
  { name: 'threadJumps', pass: threadJumps },
  { name: 'simplifySameTargetConditionals', pass: simplifySameTargetConditionals },
  { name: 'removeZeroLengthJumps', pass: removeZeroLengthJumps },
  { name: 'removeRedundantLoads', pass: removeRedundantLoads },
  { name: 'mergeIdenticalReturns', pass: mergeIdenticalReturns },
  { name: 'removeDeadCode', pass: removeDeadCode },
];

/** What `optimize` did. */
export interface OptimizeStats {
  /** Length before and after. */
  readonly before: number;
  readonly after: number;
  /** How many times each pass changed the program. */
  readonly applied: Readonly<Record<string, number>>;
}

/**
 * Run `passes` to a fixpoint, restarting from the first after every change. When the input passes
 * the kernel's checks, a rewrite that would make it fail them (possible only through the kernel's
 * path-insensitive scratch-memory check) is discarded.
 */
export function optimize(
  prog: readonly Instruction[],
  passes: readonly NamedPass[] = OPTIMIZER_PASSES,
): { prog: Instruction[]; stats: OptimizeStats } {
  const mustStayValid = checkProgram(prog) === undefined;
  const applied: Record<string, number> = {};
  let cur = prog.slice();
  const disabled = new Set<string>();
  // Each change shortens the program or moves a jump target forward, so this terminates; the bound is a guard.
  for (let round = 0; round < 100_000; round++) {
    let changedAny = false;
    for (const { name, pass } of passes) {
      if (disabled.has(name)) continue;
      const r = pass(cur);
      if (!r.changed) continue;
      if (mustStayValid && checkProgram(r.prog) !== undefined) {
        disabled.add(name);
        continue;
      }
      applied[name] = (applied[name] ?? 0) + 1;
      cur = r.prog;
      changedAny = true;
      break;
    }
    if (!changedAny) break;
  }
  return { prog: cur, stats: { before: prog.length, after: cur.length, applied } };
}
