/** default-allow: the default action is SCMP_ACT_ALLOW, so the profile is a deny list. */
import { riskAtLeast, riskOf } from '../../../kb/index.js';
import { syscallEntries } from '../../../arch/syscalls.js';
import { actionKind } from '../../../bpf/seccomp.js';
import { rule } from '../case-kit.js';
import { leafRuns, regionsOf } from '../engine.js';
import { defaultActionPointer } from '../query.js';
import type { LintRule } from '../types.js';

export const defaultAllow: LintRule = {
  meta: {
    id: 'default-allow',
    severity: 'warning',
    security: true,
    short: 'The default action allows: the profile is a deny list',
    long: "With defaultAction SCMP_ACT_ALLOW every syscall the profile does not name runs: the siblings of what it refuses (mount refused, fsmount allowed), the syscalls added to the kernel later, and any name it misspelled (runc skips unknown names, so a typo fails open). Docker, Podman and Kubernetes ship allowlists: default SCMP_ACT_ERRNO and the syscalls the workload needs. The finding counts the high and critical syscalls the compiled filter lets run on the native ABI. An audit-mode profile with SCMP_ACT_LOG as default is log-default's finding.",
    sources: [
      'docs.docker.com/engine/security/seccomp',
      'opencontainers/runtime-spec#972',
      'opencontainers/runc#2151',
    ],
  },
  detect(ctx) {
    const native = ctx.plan?.arches[0];
    if (native === undefined || actionKind(native.defaultLeaf.value) !== 'allow') return [];
    const risky = syscallEntries(native.arch)
      .filter((e) => riskAtLeast(riskOf(e.name).level, 'high'))
      .filter((e) => {
        const root = ctx.decisionRoot(native.arch, e.nr);
        return root !== undefined && regionsOf(root).some((r) => r.leaves.every(leafRuns));
      })
      .map((e) => e.name);
    return [
      {
        pointer: defaultActionPointer(ctx),
        message: `the default action is SCMP_ACT_ALLOW: everything the profile does not name runs${risky.length > 0 ? `, including ${risky.length} high or critical syscall${risky.length > 1 ? 's' : ''} on ${native.arch} (${risky.slice(0, 10).join(', ')}${risky.length > 10 ? ', ...' : ''})` : ''}; prefer an allowlist with default SCMP_ACT_ERRNO`,
        abis: [native.arch],
        syscalls: risky,
      },
    ];
  },
  cases: {
    valid: [
      {
        name: 'an allowlist',
        profile: {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [rule(['read', 'write', 'exit_group'], 'SCMP_ACT_ALLOW')],
        },
      },
      {
        name: 'an audit profile (log-default reports it)',
        profile: { defaultAction: 'SCMP_ACT_LOG', syscalls: [rule(['mount'], 'SCMP_ACT_ERRNO')] },
      },
    ],
    invalid: [
      {
        name: 'a deny list',
        profile: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [rule(['mount', 'umount2'], 'SCMP_ACT_ERRNO')],
        },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
