import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { archInfo } from '../arch/arches.js';
import { isConstAllow } from '../bpf/cache.js';
import { execute } from '../bpf/emulate.js';
import { SECCOMP_RET_ALLOW } from '../bpf/seccomp.js';
import { validate } from '../bpf/validate.js';
import { parseProfiles } from '../profile/parse.js';
import { resolveProfile, type ResolvedProfile } from '../profile/resolve.js';
import { compilePlan } from './codegen.js';
import { planProbes } from '../../test/integration/codegen.testkit.js';
import { compileProfile } from './compile.js';
import { ProfileError } from '../profile/errors.js';
import type { ArgCondition } from '../profile/types.js';
import { buildPlan, type ModelProfile, type ModelSyscallRule } from './build.js';
import { decide } from './decide.js';
import { formatStats, statsRange } from './stats.js';
import { optimize } from '../bpf/optimize.js';

const corpus = resolve(import.meta.dirname, '../../test/fixtures/corpus/profiles');
const moby = resolve(corpus, 'moby__profiles__seccomp_default.json');

function resolved(
  file: string,
  arch: 'x86_64' | 'aarch64' | 's390x',
  caps: string[] = [],
): ResolvedProfile[] {
  const out: ResolvedProfile[] = [];
  for (const lp of parseProfiles(readFileSync(file, 'utf8'), file)) {
    const r = resolveProfile(lp.profile, { arch, caps, kernel: { major: 6, minor: 1 } });
    if (r) out.push(r);
  }
  return out;
}

describe('compileProfile on the moby default profile', () => {
  const [r] = resolved(moby, 'x86_64');
  if (!r) throw new Error('moby default did not resolve');
  const c = compileProfile(r, { arch: 'x86_64' });

  test('decides like the model on every syscall number of every ABI', () => {
    for (const a of c.plan.arches) {
      const [lo, hi] = statsRange(a.arch);
      for (let nr = lo; nr <= hi + 3; nr++) {
        const d = {
          nr,
          arch: a.auditArch,
          instructionPointer: 0n,
          args: [0n, 0n, 0n, 0n, 0n, 0n] as const,
        };
        expect(execute(c.program, d, 'little').ret).toBe(decide(c.plan, d).value);
      }
    }
  });

  test('stats agree with the model: allowed counts, and every allowed non-x32 syscall without args is cached', () => {
    for (const s of c.stats.abis) {
      const info = archInfo(s.arch);
      let allowed = 0;
      let allowedArgFree = 0;
      for (let nr = s.nrRange[0]; nr <= s.nrRange[1]; nr++) {
        const d = {
          nr,
          arch: info.auditArch,
          instructionPointer: 0n,
          args: [0n, 0n, 0n, 0n, 0n, 0n] as const,
        };
        if (decide(c.plan, d).value !== SECCOMP_RET_ALLOW) continue;
        allowed++;
        const sp = c.plan.arches.find((a) => a.arch === s.arch)?.syscalls.find((x) => x.nr === nr);
        if (sp?.root.kind !== 'cmp') allowedArgFree++;
      }
      expect(s.allowed).toBe(allowed);
      expect(s.cached).toBe(s.arch === 'x32' ? 0 : allowedArgFree);
    }
    // The measured reference numbers (docs/semantics.md#kernel-action-cache): 297 of 300 on x86_64, 349 of 352 on i386.
    expect(c.stats.abis.map((a) => [a.arch, a.allowed, a.cached])).toEqual([
      ['x86_64', 300, 297],
      ['x86', 352, 349],
      ['x32', 295, 0],
    ]);
  });
});

describe('every corpus profile', () => {
  const files = readdirSync(corpus).filter((f) => /\.(?:json|ya?ml)$/.test(f));
  for (const f of files) {
    test(f, () => {
      let rs: ResolvedProfile[];
      try {
        rs = resolved(resolve(corpus, f), 'x86_64', ['CAP_SYS_ADMIN']);
      } catch {
        return; // profiles the real stack refuses are the model's tests
      }
      for (const r of rs) {
        let plan;
        try {
          plan = buildPlan(r, { arch: 'x86_64' });
        } catch (e) {
          if (e instanceof ProfileError) continue; // refused by runc/libseccomp: the model's tests
          throw e;
        }
        const opt = compilePlan(plan, { optimize: true });
        const lin = compilePlan(plan, { optimize: false });
        validate(opt);
        validate(lin);
        for (const d of planProbes(plan, 6)) {
          const want = decide(plan, d).value;
          expect(execute(opt, d, 'little').ret).toBe(want);
          expect(execute(lin, d, 'little').ret).toBe(want);
        }
        for (const a of plan.arches) {
          if (a.arch === 'x32') continue;
          for (const sp of a.syscalls) {
            const d = {
              nr: sp.nr,
              arch: a.auditArch,
              instructionPointer: 0n,
              args: [0n, 0n, 0n, 0n, 0n, 0n] as const,
            };
            if (sp.root.kind === 'ret' && decide(plan, d).value === SECCOMP_RET_ALLOW) {
              expect(isConstAllow(opt, a.auditArch, sp.nr)).toBe(true);
            }
          }
        }
      }
    });
  }
});

describe('deep and wide argument trees compile in bounded time and stack (issue 9)', () => {
  const cond = (index: number, op: ArgCondition['op'], value: bigint): ArgCondition => ({
    index,
    op,
    value,
    valueTwo: 0n,
  });
  const rule = (name: string, i: number, args: ArgCondition[]): ModelSyscallRule => ({
    names: [name],
    action: 'SCMP_ACT_ALLOW',
    args,
    pointer: `/syscalls/${i}`,
  });
  /** libseccomp's tests/05-sim-long_jumps.c as a profile: `n` chdir rules of three conditions. */
  const longJumps = (n: number): ModelProfile => ({
    defaultAction: 'SCMP_ACT_KILL',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      rule('brk', 0, []),
      ...Array.from({ length: n }, (_, i) =>
        rule('chdir', i + 1, [
          cond(0, 'SCMP_CMP_EQ', BigInt(i)),
          cond(1, 'SCMP_CMP_NE', 0n),
          cond(2, 'SCMP_CMP_LT', 80n),
        ]),
      ),
      rule('close', n + 1, []),
    ],
  });

  test('3,500 argument rules on one syscall: plan, program and explain path', () => {
    const profile: ModelProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: Array.from({ length: 3500 }, (_, i) =>
        rule('personality', i, [cond(0, 'SCMP_CMP_EQ', BigInt(i))]),
      ),
    };
    const c = compileProfile(profile, { arch: 'x86_64', stats: false });
    for (const v of [0n, 1n, 1499n, 3499n, 3500n, 0xffffffffn]) {
      const d = {
        nr: 135,
        arch: archInfo('x86_64').auditArch,
        instructionPointer: 0n,
        args: [v, 0n, 0n, 0n, 0n, 0n] as const,
      };
      const want = decide(c.plan, d);
      expect(execute(c.program, d, 'little').ret).toBe(want.value);
      expect(want.value).toBe(v < 3500n ? SECCOMP_RET_ALLOW : 0x50001);
      expect(want.origin).toEqual(
        v < 3500n
          ? { kind: 'rule', pointer: `/syscalls/${v}`, name: 'personality' }
          : { kind: 'default' },
      );
    }
  });

  test.each([9, 12, 100])(
    '05-sim-long_jumps with %i rules: compiles and decides like the plan',
    (n) => {
      const c = compileProfile(longJumps(n), { arch: 'x86_64', stats: false });
      for (const d of planProbes(c.plan, 24)) {
        expect(execute(c.program, d, 'little').ret).toBe(decide(c.plan, d).value);
      }
    },
  );
});

describe('codegen runs the named bpf/optimize.ts passes to a fixpoint and reports them', () => {
  test('a corpus profile whose return islands merge: shorter, same decisions, nothing left to change', () => {
    const [r] = resolved(resolve(corpus, 'CRaC__example-lambda__seccomp.json'), 'x86_64', [
      'CAP_SYS_ADMIN',
    ]);
    if (!r) throw new Error('profile did not resolve');
    const c = compileProfile(r, { arch: 'x86_64' });
    const passes = c.stats.passes;
    expect(passes?.applied).toEqual({ mergeIdenticalReturns: 1, removeDeadCode: 1 });
    expect(passes?.after).toBe(c.program.length);
    expect(passes?.after).toBeLessThan(passes?.before ?? 0);
    expect(optimize(c.program).stats.applied).toEqual({});
    for (const d of planProbes(c.plan, 6)) {
      expect(execute(c.program, d, 'little').ret).toBe(decide(c.plan, d).value);
    }
    expect(formatStats(c.stats)).toContain(
      `passes ${passes?.before} -> ${passes?.after} instructions: mergeIdenticalReturns 1x, removeDeadCode 1x`,
    );
  });

  test('the linear reference layout is left as laid out', () => {
    const [r] = resolved(moby, 'x86_64');
    if (!r) throw new Error('moby default did not resolve');
    const c = compileProfile(r, { arch: 'x86_64', optimize: false, stats: false });
    expect(c.stats.passes?.applied).toEqual({});
  });
});
