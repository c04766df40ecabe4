/** unconfined-equivalent: the compiled filter lets every syscall run on every ABI it covers: as good as no seccomp. */
import { syscallEntries } from '../../../arch/syscalls.js';
import { rule } from '../case-kit.js';
import { leafRuns, regionsOf } from '../engine.js';
import { defaultActionPointer } from '../query.js';
import type { LintRule } from '../types.js';

export const unconfinedEquivalent: LintRule = {
  meta: {
    id: 'unconfined-equivalent',
    severity: 'error',
    security: true,
    short: 'The profile refuses nothing: it is as good as seccomp=unconfined',
    long: 'A filter that lets every syscall run for every argument on every ABI it covers, such as an allow-by-default profile with no deny rule, an all-LOG audit profile, or one whose deny rules runc drops (unknown names, rules equal to the default), confines nothing: the container runs as with seccomp=unconfined, which CIS Docker Benchmark 5.22 and the Kubernetes Pod Security Standards (baseline) forbid. Decided on the compiled filter, syscall by syscall, over the whole argument space.',
    sources: [
      'CIS Docker Benchmark 5.22 (docker/docker-bench-security)',
      'kubernetes.io/docs/concepts/security/pod-security-standards',
    ],
  },
  detect(ctx) {
    const plan = ctx.plan;
    if (plan === undefined || plan.arches.length === 0) return [];
    for (const a of plan.arches) {
      if (!leafRuns(a.defaultLeaf)) return [];
      for (const e of syscallEntries(a.arch)) {
        const root = ctx.decisionRoot(a.arch, e.nr);
        if (root === undefined || !regionsOf(root).every((r) => r.leaves.every(leafRuns)))
          return [];
      }
    }
    return [
      {
        pointer: defaultActionPointer(ctx),
        message: `every syscall runs for every argument on ${plan.arches.map((a) => a.arch).join('/')}: the profile confines nothing (as good as seccomp=unconfined)`,
        abis: plan.arches.map((a) => a.arch),
      },
    ];
  },
  cases: {
    valid: [
      {
        name: 'a deny list that refuses something',
        profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['mount'], 'SCMP_ACT_ERRNO')] },
      },
    ],
    invalid: [
      {
        name: 'allow by default, no deny rule',
        profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] },
        pointers: ['/defaultAction'],
      },
      {
        name: 'a deny rule with a misspelled name',
        profile: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [rule(['mountt'], 'SCMP_ACT_ERRNO')],
        },
        pointers: ['/defaultAction'],
      },
      {
        name: 'all LOG',
        profile: { defaultAction: 'SCMP_ACT_LOG', syscalls: [rule(['read'], 'SCMP_ACT_ALLOW')] },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
