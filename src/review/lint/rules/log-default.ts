/** log-default: the default action is SCMP_ACT_LOG: an audit profile, everything unnamed runs. */
import { actionKind } from '../../../bpf/seccomp.js';
import { rule } from '../case-kit.js';
import { defaultActionPointer } from '../query.js';
import type { LintRule } from '../types.js';

export const logDefault: LintRule = {
  meta: {
    id: 'log-default',
    severity: 'info',
    security: true,
    short: 'The default action is SCMP_ACT_LOG: calls are logged, not refused',
    long: 'SCMP_ACT_LOG lets the call run and writes an audit record (type=SECCOMP); as the default action it makes an audit-mode profile for recording what a workload needs before enforcing (sysgate violations reads those records). It confines nothing, so it should not reach production: switch the default to SCMP_ACT_ERRNO once the log is quiet.',
    sources: [
      'man 2 seccomp (SECCOMP_RET_LOG)',
      'kinvolk/seccompagent docs',
      'Linux 4.14 seccomp logging',
    ],
  },
  detect(ctx) {
    const native = ctx.plan?.arches[0];
    if (native === undefined || actionKind(native.defaultLeaf.value) !== 'log') return [];
    return [
      {
        pointer: defaultActionPointer(ctx),
        message:
          'the default action is SCMP_ACT_LOG: every call the profile does not name runs and is only logged (audit mode); switch to SCMP_ACT_ERRNO before production',
        abis: [native.arch],
      },
    ];
  },
  cases: {
    valid: [
      {
        name: 'an allowlist',
        profile: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [rule(['read'], 'SCMP_ACT_ALLOW')] },
      },
    ],
    invalid: [
      {
        name: 'an audit profile',
        profile: { defaultAction: 'SCMP_ACT_LOG', syscalls: [rule(['read'], 'SCMP_ACT_ALLOW')] },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
