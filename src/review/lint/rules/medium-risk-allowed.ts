/** medium-risk-allowed: a medium-risk syscall (not essential to ordinary programs) runs on every argument vector. */
import { riskOf, syscallsWithRisk } from '../../../kb/index.js';
import { allowlist, rule } from '../case-kit.js';
import { unconditionalAllows } from '../engine.js';
import type { LintRule } from '../types.js';

/** Medium-risk syscalls a dedicated rule reports. */
export const MEDIUM_OWNED_ELSEWHERE: ReadonlySet<string> = new Set([
  'personality', // personality-unfiltered
  'socketcall', // socketcall-bypass (high when socket is filtered)
  'ipc',
]);

export const mediumRiskAllowed: LintRule = {
  meta: {
    id: 'medium-risk-allowed',
    severity: 'info',
    security: true,
    short: 'A medium-risk syscall allowed with no argument filter or capability gate',
    long: "Syscalls the knowledge base rates medium risk and that ordinary programs do not need: kcmp (kernel pointer order), modify_ldt and vm86 (legacy x86 paths), move_pages and migrate_pages, the NUMA policy calls, setting the clock, syslog and lookup_dcookie, acct and quotactl, fanotify_init, and obsolete calls with no users (uselib, ustat, sysfs, _sysctl, nfsservctl). Each widens the kernel surface a container reaches; Docker's default refuses them or gates them behind a capability. Syscalls marked essential (splice, tee) are left out.",
    sources: [
      'docs.docker.com/engine/security/seccomp',
      'moby/profiles seccomp/default.json',
      'nvd.nist.gov/vuln/detail/CVE-2017-14140',
    ],
  },
  detect(ctx) {
    const groups = unconditionalAllows(
      ctx,
      syscallsWithRisk('medium').filter((n) => {
        const risk = riskOf(n);
        return risk.level === 'medium' && !risk.essential && !MEDIUM_OWNED_ELSEWHERE.has(n);
      }),
    );
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `${g.syscalls.join(', ')} allowed on every argument on ${g.abis.join('/')}: ${g.syscalls.map((s) => `${s}: ${riskOf(s).reason}`).join('; ')}`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      {
        name: 'kcmp gated by CAP_SYS_PTRACE (absent)',
        profile: allowlist(
          rule(['kcmp'], 'SCMP_ACT_ALLOW', { includes: { caps: ['CAP_SYS_PTRACE'] } }),
        ),
      },
    ],
    invalid: [
      {
        name: 'kcmp and ustat allowed',
        profile: allowlist(rule(['kcmp', 'ustat'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/0', '/syscalls/1/names/1'],
      },
    ],
  },
};
