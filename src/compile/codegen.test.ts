import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isConstAllow } from '../bpf/cache.js';
import { execute } from '../bpf/emulate.js';
import { validate } from '../bpf/validate.js';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, type SeccompData } from '../bpf/seccomp.js';
import { BpfError } from '../bpf/errors.js';
import { abiEndian, compilePlan, generate } from './codegen.js';
import { planArb, planProbes } from '../../test/integration/codegen.testkit.js';
import { archSections, targetAt } from './dispatch.js';
import { combineStacked, decide } from './decide.js';
import type { FilterPlan, PlanNode } from './plan.js';

/** Evaluate a DAG on 64-bit args (independent of BPF). */
function evalNode(n: PlanNode, args: readonly bigint[]): number {
  let cur = n;
  while (cur.kind === 'cmp') {
    const a = BigInt.asUintN(64, args[cur.arg] ?? 0n);
    const w = Number(cur.word === 'lo' ? a & 0xffffffffn : a >> 32n);
    let ok: boolean;
    switch (cur.op) {
      case 'eq':
        ok = (w & cur.mask) >>> 0 === cur.datum >>> 0;
        break;
      case 'gt':
        ok = (w & cur.mask) >>> 0 > cur.datum >>> 0;
        break;
      case 'ge':
        ok = (w & cur.mask) >>> 0 >= cur.datum >>> 0;
        break;
      case 'set':
        ok = (w & cur.datum) >>> 0 !== 0;
        break;
    }
    cur = ok ? cur.then : cur.else;
  }
  return cur.value >>> 0;
}

/** Reference decision from the dispatch semantics (to be cross-checked with the model's decide). */
function refDecide(plan: FilterPlan, d: SeccompData): number {
  const s = archSections(plan).find((x) => x.auditArch >>> 0 === d.arch >>> 0);
  if (!s) return plan.badArch.value >>> 0;
  const t = targetAt(s, plan.badArch, d.nr >>> 0);
  return t.kind === 'leaf' ? t.leaf.value >>> 0 : evalNode(t.syscall.root, d.args);
}

function endianOf(plan: FilterPlan): 'little' | 'big' {
  const a = plan.arches[0];
  return a ? abiEndian(a.arch) : 'little';
}

describe('compilePlan on random plans', () => {
  test('optimised, unoptimised and the reference agree on every probe; programs are valid', () => {
    fc.assert(
      fc.property(planArb(), (plan) => {
        const opt = compilePlan(plan, { optimize: true });
        const lin = compilePlan(plan, { optimize: false });
        validate(opt);
        validate(lin);
        const endian = endianOf(plan);
        for (const d of planProbes(plan, 8)) {
          const want = decide(plan, d).value;
          expect(refDecide(plan, d)).toBe(want);
          const o = execute(opt, d, endian).ret;
          const l = execute(lin, d, endian).ret;
          if (o !== want || l !== want) {
            throw new Error(
              `nr=${d.nr} arch=0x${d.arch.toString(16)} args=${d.args.join(',')}: want 0x${want.toString(16)} opt 0x${o.toString(16)} lin 0x${l.toString(16)}`,
            );
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('every argument-free ALLOW syscall is decided with cache-safe instructions only', () => {
    fc.assert(
      fc.property(planArb(), (plan) => {
        const opt = compilePlan(plan, { optimize: true });
        for (const s of archSections(plan)) {
          for (const abi of s.abis) {
            for (const sp of abi.syscalls) {
              const t = targetAt(s, plan.badArch, sp.nr);
              if (t.kind !== 'leaf' || t.leaf.value !== SECCOMP_RET_ALLOW) continue;
              if (!isConstAllow(opt, s.auditArch, sp.nr))
                throw new Error(`${abi.arch} nr ${sp.nr} not cacheable`);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('compilePlan shapes', () => {
  test('empty plan is one ret of the bad-arch action', () => {
    const plan: FilterPlan = {
      arches: [],
      badArch: { kind: 'ret', value: 0, origin: { kind: 'bad-arch' } },
      notes: [],
      rules: [],
    };
    expect(compilePlan(plan, { optimize: true })).toEqual([{ code: 0x06, jt: 0, jf: 0, k: 0 }]);
  });
  test('far jumps get trampolines and stay valid', () => {
    const syscalls = Array.from({ length: 600 }, (_, i) => ({
      nr: i,
      name: `s${i}`,
      root: {
        kind: 'cmp' as const,
        arg: 0,
        word: 'lo' as const,
        op: 'eq' as const,
        mask: 0xffffffff,
        datum: i,
        then: {
          kind: 'ret' as const,
          value: SECCOMP_RET_ALLOW,
          origin: { kind: 'default' as const },
        },
        else: {
          kind: 'ret' as const,
          value: (SECCOMP_RET_ERRNO | (i % 50)) >>> 0,
          origin: { kind: 'default' as const },
        },
      },
    }));
    const plan: FilterPlan = {
      arches: [
        {
          arch: 'x86_64',
          auditArch: 0xc000003e,
          syscalls,
          defaultLeaf: { kind: 'ret', value: SECCOMP_RET_ERRNO | 1, origin: { kind: 'default' } },
        },
      ],
      badArch: { kind: 'ret', value: 0, origin: { kind: 'bad-arch' } },
      notes: [],
      rules: [],
    };
    for (const optimize of [true, false]) {
      const prog = compilePlan(plan, { optimize });
      validate(prog);
      for (const nr of [0, 1, 299, 599, 600]) {
        for (const a0 of [0n, BigInt(nr), (1n << 32n) | BigInt(nr)]) {
          const d = {
            nr,
            arch: 0xc000003e,
            instructionPointer: 0n,
            args: [a0, 0n, 0n, 0n, 0n, 0n] as const,
          };
          expect(execute(prog, d, 'little').ret).toBe(decide(plan, d).value);
        }
      }
    }
  });
});

describe('programs past the limit are split into stacked filters that decide the same', () => {
  test('random plans split at a small limit: every filter fits, together they decide like the plan', () => {
    fc.assert(
      fc.property(planArb(), fc.constantFrom(24, 40, 64), (plan, maxInsns) => {
        let r;
        try {
          r = generate(plan, { optimize: true, split: true, maxInsns });
        } catch (e) {
          // A part whose path prefix alone passes a tiny limit cannot be split further: refused.
          if (e instanceof BpfError && e.code === 'program-too-long') return;
          throw e;
        }
        const endian = endianOf(plan);
        for (const p of r.filters) {
          validate(p);
          expect(p.length).toBeLessThanOrEqual(maxInsns);
        }
        for (const d of planProbes(plan, 8)) {
          const want = decide(plan, d).value;
          const got = combineStacked(r.filters.map((p) => execute(p, d, endian).ret));
          if (got !== want) {
            throw new Error(
              `${r.filters.length} filters, nr=${d.nr} arch=0x${d.arch.toString(16)} args=${d.args.join(',')}: want 0x${want.toString(16)} got 0x${got.toString(16)}`,
            );
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('without split a long program is refused; with it, the split is reported', () => {
    const plan: FilterPlan = {
      arches: [
        {
          arch: 'x86_64',
          auditArch: 0xc000003e,
          syscalls: Array.from({ length: 120 }, (_, i) => ({
            nr: 2 * i,
            name: `s${i}`,
            root: {
              kind: 'ret' as const,
              value: (SECCOMP_RET_ERRNO | (i % 7)) >>> 0,
              origin: { kind: 'default' as const },
            },
          })),
          defaultLeaf: { kind: 'ret', value: SECCOMP_RET_ALLOW, origin: { kind: 'default' } },
        },
      ],
      badArch: { kind: 'ret', value: 0, origin: { kind: 'bad-arch' } },
      notes: [],
      rules: [],
    };
    expect(() => generate(plan, { optimize: true, maxInsns: 100 })).toThrow(/more than/);
    const r = generate(plan, { optimize: true, maxInsns: 100, split: true });
    expect(r.filters.length).toBeGreaterThan(1);
    expect(r.program).toBe(r.filters[0]);
  });
});
