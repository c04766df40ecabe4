/** high-risk-allowed: a syscall the knowledge base rates high risk runs on every argument vector. */
import { riskOf, syscallsWithRisk } from '../../../kb/index.js';
import { allowlist, arg, rule } from '../case-kit.js';
import { unconditionalAllows } from '../engine.js';
import type { LintRule } from '../types.js';

/** High-risk syscalls a dedicated rule reports (socket-family: socket's families). */
export const HIGH_OWNED_ELSEWHERE: ReadonlySet<string> = new Set(['socket']);

export const highRiskAllowed: LintRule = {
  meta: {
    id: 'high-risk-allowed',
    severity: 'warning',
    security: true,
    short: 'A high-risk syscall allowed with no argument filter or capability gate',
    long: "The knowledge base's high-risk syscalls (sysgate syscalls NAME shows the reason and CVEs): the keyring calls (not namespaced; CVE-2016-0728), userfaultfd (widens kernel race windows), perf_event_open, process_vm_readv/writev, pidfd_getfd and process_madvise (other processes' memory and descriptors), ptrace, pivot_root and chroot, swapon/swapoff, reboot. Docker refuses them or gates them behind the capability they need. Resolved for the host's capabilities, so a rule under includes.caps the container lacks does not count, nor does an argument-filtered allow; a rule gated by a capability the container has, or by includes.minKernel (Docker's ptrace from 4.8), counts one risk level lower and is left out.",
    sources: [
      'docs.docker.com/engine/security/seccomp',
      'moby/profiles seccomp/default.json',
      'nvd.nist.gov/vuln/detail/CVE-2016-0728',
    ],
  },
  detect(ctx) {
    // A rule gated by a capability or a kernel version is one risk level down (medium).
    const groups = unconditionalAllows(
      ctx,
      syscallsWithRisk('high').filter(
        (n) => riskOf(n).level === 'high' && !HIGH_OWNED_ELSEWHERE.has(n),
      ),
      (leaf) => {
        const o = leaf.origin;
        const gate = o.kind === 'rule' ? ctx.ruleAt(o.pointer)?.includes : undefined;
        return gate === undefined || (gate.caps.length === 0 && gate.minKernel === undefined);
      },
    );
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `high-risk syscall${g.syscalls.length > 1 ? 's' : ''} ${g.syscalls.join(', ')} allowed on every argument on ${g.abis.join('/')}: ${g.syscalls.map((s) => `${s}: ${riskOf(s).reason}`).join('; ')}`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      {
        name: "ptrace gated by minKernel 4.8, as in Docker's default",
        profile: allowlist(rule(['ptrace'], 'SCMP_ACT_ALLOW', { includes: { minKernel: '4.8' } })),
      },
      {
        name: 'keyctl gated by a capability the container lacks',
        profile: allowlist(
          rule(['keyctl'], 'SCMP_ACT_ALLOW', { includes: { caps: ['CAP_SYS_ADMIN'] } }),
        ),
      },
      {
        name: 'perf_event_open for one type only',
        profile: allowlist(
          rule(['perf_event_open'], 'SCMP_ACT_ALLOW', { args: [arg(1, 'SCMP_CMP_EQ', 0)] }),
        ),
      },
    ],
    invalid: [
      {
        name: 'keyctl and userfaultfd allowed',
        profile: allowlist(rule(['keyctl', 'userfaultfd'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/0', '/syscalls/1/names/1'],
      },
    ],
  },
};
