/**
 * Test support for the code generator: fast-check arbitraries of random filter plans, and probe vectors
 * built from each plan's constants (gVisor's `InterestingValues`): value-1, value, value+1, the upper
 * half set, masked variants, and the syscall-number boundaries of every section.
 */
import fc from 'fast-check';
import { archInfo } from '../../src/arch/arches.js';
import type { ArchName } from '../../src/arch/types.js';
import {
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  type SeccompData,
} from '../../src/bpf/seccomp.js';
import type {
  ArchPlan,
  FilterPlan,
  PlanLeaf,
  PlanNode,
  SyscallPlan,
} from '../../src/compile/plan.js';
import { rng } from './probe-values.testkit.js';

/** Host ABI combinations a random plan is drawn from (one byte order each, as libseccomp requires). */
export const HOST_COMBOS: readonly (readonly ArchName[])[] = [
  ['x86_64', 'x86', 'x32'],
  ['x86_64'],
  ['x32'],
  ['x86_64', 'x32'],
  ['x32', 'x86'],
  ['aarch64', 'arm'],
  ['s390x', 's390'],
  ['ppc64', 'ppc'],
  ['mips64', 'mips64n32', 'mips'],
];

const INTERESTING32 = [
  0, 1, 2, 5, 8, 38, 39, 40, 0x7f, 0x80, 0xff, 0x1000, 0x20000, 0x7e020000, 0x7fffffff, 0x80000000,
  0xfffffffe, 0xffffffff,
];

/** A leaf with a rule origin. */
function leaf(value: number, pointer = '/syscalls/0'): PlanLeaf {
  return { kind: 'ret', value: value >>> 0, origin: { kind: 'rule', pointer, name: 'x' } };
}

/** Return values a random rule may take. */
const RET_VALUES = [
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO | 1,
  SECCOMP_RET_ERRNO | 13,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE | 1,
];

/** An arbitrary decision DAG of bounded depth over 32- or 64-bit argument words. */
function nodeArb(bits: 32 | 64, depth: number): fc.Arbitrary<PlanNode> {
  const leafArb = fc.constantFrom(...RET_VALUES).map((v) => leaf(v));
  if (depth === 0) return leafArb;
  const word =
    bits === 64 ? fc.constantFrom<'lo' | 'hi'>('lo', 'hi') : fc.constant<'lo' | 'hi'>('lo');
  const u32 = fc.oneof(fc.constantFrom(...INTERESTING32), fc.integer({ min: 0, max: 0xffffffff }));
  const cmp: fc.Arbitrary<PlanNode> = fc
    .record({
      arg: fc.integer({ min: 0, max: 5 }),
      word,
      op: fc.constantFrom<'eq' | 'gt' | 'ge' | 'set'>('eq', 'eq', 'gt', 'ge', 'set'),
      masked: fc.boolean(),
      mask: u32,
      datum: u32,
      then: nodeArb(bits, depth - 1),
      else: nodeArb(bits, depth - 1),
    })
    .map((r) => ({
      kind: 'cmp' as const,
      arg: r.arg,
      word: r.word,
      op: r.op,
      mask: r.op === 'set' || !r.masked ? 0xffffffff : r.mask >>> 0,
      datum: (r.op === 'eq' && r.masked ? r.datum & r.mask : r.datum) >>> 0,
      then: r.then,
      else: r.else,
    }));
  return fc.oneof({ weight: 1, arbitrary: leafArb }, { weight: 3, arbitrary: cmp });
}

/** An arbitrary filter plan on one of the host combinations. */
export function planArb(): fc.Arbitrary<FilterPlan> {
  return fc
    .record({
      combo: fc.constantFrom(...HOST_COMBOS),
      defaultValue: fc.constantFrom(
        SECCOMP_RET_ERRNO | 1,
        SECCOMP_RET_KILL_THREAD,
        SECCOMP_RET_ALLOW,
        SECCOMP_RET_KILL_PROCESS,
        SECCOMP_RET_TRAP,
      ),
      badArch: fc.constantFrom(
        SECCOMP_RET_KILL_THREAD,
        SECCOMP_RET_KILL_PROCESS,
        SECCOMP_RET_ERRNO | 1,
      ),
      stub: fc.boolean(),
      perArch: fc.array(
        fc.record({
          nrs: fc.uniqueArray(fc.integer({ min: 0, max: 520 }), { maxLength: 40 }),
          conditional: fc.array(nodeArb(64, 4), { maxLength: 6 }),
          leaves: fc.array(fc.constantFrom(...RET_VALUES), { minLength: 1, maxLength: 4 }),
          dropStub: fc.boolean(),
          maxBump: fc.constantFrom(0, 0, 3),
        }),
        { minLength: 3, maxLength: 3 },
      ),
    })
    .map(({ combo, defaultValue, badArch, stub, perArch }) => {
      const defaultLeaf: PlanLeaf = {
        kind: 'ret',
        value: defaultValue >>> 0,
        origin: { kind: 'default' },
      };
      const arches: ArchPlan[] = combo.map((name, i) => {
        const info = archInfo(name);
        const p = perArch[i] ?? perArch[0];
        if (p === undefined) throw new Error('unreachable');
        const nrs = [...p.nrs].sort((a, b) => a - b);
        const syscalls: SyscallPlan[] = nrs.map((n, j) => {
          const cond =
            j % 3 === 0 ? p.conditional[j % Math.max(1, p.conditional.length)] : undefined;
          const root: PlanNode =
            cond ?? leaf(p.leaves[j % p.leaves.length] ?? SECCOMP_RET_ALLOW, `/syscalls/${j}`);
          return {
            nr: (n + info.nrBias) >>> 0,
            name: `sys${n}`,
            root: info.bits === 32 ? loOnly(root) : root,
          };
        });
        const last = syscalls[syscalls.length - 1];
        const enosysMax =
          stub && !p.dropStub && last !== undefined ? (last.nr + p.maxBump) >>> 0 : undefined;
        return {
          arch: name,
          auditArch: info.auditArch,
          syscalls,
          defaultLeaf,
          ...(enosysMax !== undefined ? { enosysMax } : {}),
        };
      });
      return {
        arches,
        badArch: { kind: 'ret', value: badArch >>> 0, origin: { kind: 'bad-arch' } },
        notes: [],
        rules: [],
      };
    });
}

/** Rewrite hi-word comparisons to lo (32-bit ABIs compare low words only). */
function loOnly(n: PlanNode, memo = new Map<PlanNode, PlanNode>()): PlanNode {
  if (n.kind === 'ret') return n;
  const hit = memo.get(n);
  if (hit) return hit;
  const out: PlanNode = {
    ...n,
    word: 'lo',
    then: loOnly(n.then, memo),
    else: loOnly(n.else, memo),
  };
  memo.set(n, out);
  return out;
}

/** The constants a DAG compares with, per argument and word. */
function constants(n: PlanNode, out: Map<string, Set<number>>, seen = new Set<PlanNode>()): void {
  if (n.kind === 'ret' || seen.has(n)) return;
  seen.add(n);
  const key = `${n.arg}${n.word}`;
  let s = out.get(key);
  if (!s) out.set(key, (s = new Set()));
  for (const v of [n.datum - 1, n.datum, n.datum + 1, n.mask, n.datum | ~n.mask, n.datum & n.mask])
    s.add(v >>> 0);
  constants(n.then, out, seen);
  constants(n.else, out, seen);
}

/** Argument vectors built from a DAG's constants; `count` vectors mixing the interesting words. */
export function argProbes(
  root: PlanNode,
  count: number,
  seed = 1,
): (readonly [bigint, bigint, bigint, bigint, bigint, bigint])[] {
  const cs = new Map<string, Set<number>>();
  constants(root, cs);
  const rand = rng(seed);
  const pick = (key: string): number => {
    const s = [...(cs.get(key) ?? new Set<number>()), 0, 0xffffffff];
    return s[Math.floor(rand() * s.length)] ?? 0;
  };
  const out: (readonly [bigint, bigint, bigint, bigint, bigint, bigint])[] = [
    [0n, 0n, 0n, 0n, 0n, 0n],
  ];
  for (let i = 0; i < count; i++) {
    const args = [0, 1, 2, 3, 4, 5].map((a) => {
      const lo = pick(`${a}lo`);
      const hiChoice = rand();
      const hi = hiChoice < 0.4 ? 0 : hiChoice < 0.6 ? 0xffffffff : pick(`${a}hi`);
      return (BigInt(hi) << 32n) | BigInt(lo);
    });
    out.push(args as unknown as readonly [bigint, bigint, bigint, bigint, bigint, bigint]);
  }
  return out;
}

/** Syscall numbers worth probing in a plan: each syscall and its neighbours, the stub boundary, specials. */
export function nrProbes(plan: FilterPlan): number[] {
  const s = new Set<number>([
    0, 1, 2, 0x3fffffff, 0x40000000, 0x40000001, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000,
    0xfffffffe, 0xffffffff,
  ]);
  for (const a of plan.arches) {
    for (const sp of a.syscalls) for (const d of [-1, 0, 1]) s.add((sp.nr + d) >>> 0);
    if (a.enosysMax !== undefined) for (const d of [-1, 0, 1, 2]) s.add((a.enosysMax + d) >>> 0);
  }
  return [...s];
}

/** Every AUDIT_ARCH token of a plan plus one that is not in it. */
export function archProbes(plan: FilterPlan): number[] {
  const s = new Set(plan.arches.map((a) => a.auditArch >>> 0));
  s.add(0x12345678);
  return [...s];
}

/** All probes of a plan: every (arch, nr) pair, with argument vectors for syscalls that have a DAG. */
export function planProbes(plan: FilterPlan, argsPerSyscall = 12): SeccompData[] {
  const out: SeccompData[] = [];
  const zero = [0n, 0n, 0n, 0n, 0n, 0n] as const;
  const roots = new Map<number, PlanNode>();
  for (const a of plan.arches)
    for (const sp of a.syscalls) if (sp.root.kind === 'cmp') roots.set(sp.nr >>> 0, sp.root);
  for (const arch of archProbes(plan)) {
    for (const nr of nrProbes(plan)) {
      const root = roots.get(nr);
      const vectors = root ? argProbes(root, argsPerSyscall, nr + arch) : [zero];
      for (const args of vectors) out.push({ nr: nr | 0, arch, instructionPointer: 0n, args });
    }
  }
  return out;
}
