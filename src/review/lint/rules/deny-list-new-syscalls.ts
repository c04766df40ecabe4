/**
 * deny-list-new-syscalls: an allow-by-default (deny-list) profile lets through every syscall the
 * kernel added after the profile was written, including the dangerous ones it would have listed.
 */
import { syscallEntries, syscallEntry } from '../../../arch/syscalls.js';
import { riskAtLeast, riskOf, riskRank } from '../../../kb/index.js';
import { rule } from '../case-kit.js';
import { leafRuns, regionsOf } from '../engine.js';
import { defaultActionPointer } from '../query.js';
import type { LintRule } from '../types.js';

/** `X.Y` as a comparable number (minor below 1000). */
function versionKey(v: string): number {
  const [major = '0', minor = '0'] = v.split('.');
  return Number(major) * 1000 + Number(minor);
}

/** Names listed per finding message before "and N more". */
const SHOWN = 12;

export const denyListNewSyscalls: LintRule = {
  meta: {
    id: 'deny-list-new-syscalls',
    severity: 'warning',
    security: true,
    short: 'A deny-list profile lets through syscalls newer than it',
    long: "A profile whose default action allows (a deny list) only refuses the names it lists, so every syscall added to the kernel after it was written runs unchecked: io_uring (5.1), the new mount API (5.2), clone3 (5.3), open_tree_attr and the others since. The rule dates the profile by the newest syscall it names (the kernel version libseccomp's table records for it on the host arch) and lists the newer syscalls the compiled filter allows on every argument, the risky ones first. Prefer an allowlist (default SCMP_ACT_ERRNO); at least review the list.",
    sources: [
      'libseccomp src/syscalls.csv (kernel version per syscall)',
      'opencontainers/runc#2151',
      'docs.docker.com/engine/security/seccomp',
    ],
  },
  detect(ctx) {
    const plan = ctx.plan;
    const native = plan?.arches[0];
    if (plan === undefined || native === undefined || !leafRuns(native.defaultLeaf)) return [];
    let newest: string | undefined;
    for (const r of ctx.profile.syscalls)
      for (const n of r.names) {
        const k = syscallEntry(native.arch, n)?.kernel;
        if (k != null && (newest === undefined || versionKey(k) > versionKey(newest))) newest = k;
      }
    if (newest === undefined) return [];
    const since = versionKey(newest);
    const newer = syscallEntries(native.arch)
      .filter((e) => e.kernel !== null && versionKey(e.kernel) > since)
      .filter((e) => {
        const root = ctx.decisionRoot(native.arch, e.nr);
        return root !== undefined && regionsOf(root).every((r) => r.leaves.every(leafRuns));
      })
      .map((e) => e.name)
      .sort((a, b) => riskRank(riskOf(a).level) - riskRank(riskOf(b).level));
    if (newer.length === 0) return [];
    const risky = newer.filter((n) => riskAtLeast(riskOf(n).level, 'high'));
    const shown = newer.slice(0, SHOWN).join(', ');
    return [
      {
        pointer: defaultActionPointer(ctx),
        message: `the default action allows, and the newest syscall the profile names is from Linux ${newest}: ${newer.length} syscall${newer.length > 1 ? 's' : ''} added since run unchecked on ${native.arch} (${shown}${newer.length > SHOWN ? `, and ${newer.length - SHOWN} more` : ''})${risky.length > 0 ? `; ${risky.length} of them high or critical risk` : ''}`,
        abis: [native.arch],
        syscalls: newer,
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
        name: 'a deny list that already names the newest syscalls',
        profile: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [rule(['mount', 'open_tree_attr'], 'SCMP_ACT_ERRNO')],
        },
      },
    ],
    invalid: [
      {
        name: 'a deny list from the 4.x days',
        profile: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [rule(['mount', 'umount2', 'kexec_load', 'bpf'], 'SCMP_ACT_ERRNO')],
        },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
