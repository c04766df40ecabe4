/**
 * trace-notify: SCMP_ACT_TRACE and SCMP_ACT_NOTIFY hand the decision to another process; without a
 * tracer or a listener the kernel fails the call with ENOSYS.
 */
import { joinPointer } from '../../../document/pointer.js';
import { allowlist, rule } from '../case-kit.js';
import { actionPointer } from '../query.js';
import type { LintRule, RawFinding } from '../types.js';

const DELEGATING: ReadonlySet<string> = new Set(['SCMP_ACT_TRACE', 'SCMP_ACT_NOTIFY']);

function what(action: string): string {
  return action === 'SCMP_ACT_TRACE'
    ? 'SCMP_ACT_TRACE asks a ptrace tracer (PTRACE_O_TRACESECCOMP) to decide; with no tracer attached the kernel fails the call with ENOSYS'
    : 'SCMP_ACT_NOTIFY asks the seccomp agent listening at listenerPath to decide; until it answers the call blocks, and with no listener left it fails with ENOSYS';
}

export const traceNotify: LintRule = {
  meta: {
    id: 'trace-notify',
    severity: 'info',
    security: false,
    short: 'A TRACE or NOTIFY action depends on a tracer or an agent being present',
    long: "SCMP_ACT_TRACE and SCMP_ACT_NOTIFY do not decide by themselves: TRACE stops the caller for a ptrace tracer that asked for seccomp events, NOTIFY sends the call to a user-space agent (runc passes the listener fd to listenerPath). Without a tracer, or once the agent has gone, the kernel returns ENOSYS, so the profile's meaning depends on a process outside it. Information, so that a reviewer knows which calls are decided elsewhere.",
    sources: [
      'man 2 seccomp (SECCOMP_RET_TRACE, SECCOMP_RET_USER_NOTIF)',
      'opencontainers/runc libcontainer/seccomp/seccomp_linux.go',
      'kinvolk/seccompagent',
    ],
  },
  detect(ctx) {
    const out: RawFinding[] = [];
    const def = ctx.profile.defaultAction;
    if (def !== undefined && DELEGATING.has(def))
      out.push({
        pointer: joinPointer(ctx.doc.pointer ?? '', 'defaultAction'),
        message: `the default action: ${what(def)}`,
      });
    const passed = new Set(
      ctx.records
        .filter((r) => r.runc.kind === 'kept' || r.runc.kind === 'split')
        .map((r) => r.pointer),
    );
    for (const r of ctx.profile.syscalls) {
      if (!DELEGATING.has(r.action) || (ctx.plan !== undefined && !passed.has(r.pointer))) continue;
      out.push({
        pointer: actionPointer(ctx, r),
        message: `${r.names.join(', ')}: ${what(r.action)}`,
        syscalls: r.names,
      });
    }
    return out;
  },
  cases: {
    valid: [{ name: 'ALLOW and ERRNO only', profile: allowlist() }],
    invalid: [
      {
        name: 'a TRACE rule',
        profile: allowlist(rule(['ptrace'], 'SCMP_ACT_TRACE', { errnoRet: 7 })),
        pointers: ['/syscalls/1/action'],
      },
      {
        name: 'a NOTIFY rule',
        profile: {
          ...allowlist(rule(['mount'], 'SCMP_ACT_NOTIFY')),
          listenerPath: '/run/seccomp-agent.socket',
        },
        pointers: ['/syscalls/1/action'],
      },
    ],
  },
};
