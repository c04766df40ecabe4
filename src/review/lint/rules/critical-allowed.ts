/** critical-allowed: a syscall the knowledge base rates critical runs on every argument vector. */
import { riskOf } from '../../../kb/index.js';
import { criticalSyscalls } from '../../../kb/index.js';
import { allowlist, arg, rule } from '../case-kit.js';
import { unconditionalAllows } from '../engine.js';
import type { LintRule } from '../types.js';

/** Critical syscalls a dedicated rule reports (kept out of this one so a finding is not doubled). */
export const CRITICAL_OWNED_ELSEWHERE: ReadonlySet<string> = new Set([
  'clone3',
  'clone', // namespace-creation
  'io_uring_setup', // io-uring-allowed
  'io_uring_enter',
  'io_uring_register',
]);

export const criticalAllowed: LintRule = {
  meta: {
    id: 'critical-allowed',
    severity: 'error',
    security: true,
    short: 'A critical syscall allowed with no argument filter or capability gate',
    long: "The knowledge base's critical syscalls (sysgate syscalls NAME shows why: kernel modules, kexec, bpf, io_uring, mount and the new mount API, unshare, setns, clone without a namespace mask, open_by_handle_at, iopl/ioperm) lead to host compromise when a container may call them freely. Resolved for the host's capabilities: a rule gated by includes.caps the container lacks does not count; an argument-filtered allow does not count.",
    sources: [
      'docs.docker.com/engine/security/seccomp',
      'security.googleblog.com/2023/06/learnings-from-kctf-vrps-42-linux.html',
      'moby/profiles seccomp/default.json',
    ],
  },
  detect(ctx) {
    const groups = unconditionalAllows(
      ctx,
      criticalSyscalls().filter(
        (n) => riskOf(n).level === 'critical' && !CRITICAL_OWNED_ELSEWHERE.has(n),
      ),
    );
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `critical syscall${g.syscalls.length > 1 ? 's' : ''} ${g.syscalls.join(', ')} allowed on every argument on ${g.abis.join('/')}: ${riskOf(g.syscalls[0] ?? '').reason}`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      {
        name: 'clone with the namespace mask',
        profile: allowlist(
          rule(['clone'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_MASKED_EQ', 0x7e020000, 0)],
          }),
        ),
      },
      {
        name: 'mount gated by CAP_SYS_ADMIN (absent)',
        profile: allowlist(
          rule(['mount'], 'SCMP_ACT_ALLOW', { includes: { caps: ['CAP_SYS_ADMIN'] } }),
        ),
      },
    ],
    invalid: [
      {
        name: 'unshare and mount allowed',
        profile: allowlist(rule(['unshare', 'mount'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/0', '/syscalls/1/names/1'],
      },
      {
        name: 'allow-by-default',
        profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['mount'], 'SCMP_ACT_ERRNO')] },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
