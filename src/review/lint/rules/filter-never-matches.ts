/**
 * filter-never-matches: an `includes`/`excludes` condition no host can meet: an architecture in a
 * spelling moby never compares with, or a capability that does not exist. An `includes` then drops
 * the rule everywhere; an `excludes` never drops it.
 */
import { CAPABILITIES } from '../../../arch/constants.js';
import { joinPointer } from '../../../document/pointer.js';
import { allowlist, rule } from '../case-kit.js';
import type { LintRule, RawFinding } from '../types.js';

/** validate's issue codes this rule reports instead of silently-ignored. */
export const FILTER_CODES: ReadonlySet<string> = new Set([
  'unknown-native-arch',
  'unknown-capability',
]);

export const filterNeverMatches: LintRule = {
  meta: {
    id: 'filter-never-matches',
    severity: 'warning',
    security: true,
    short: 'An includes or excludes condition that no host meets',
    long: "moby compares includes.arches and excludes.arches with the daemon's native architecture in Go's spelling (amd64, arm64, s390x, ppc64le...), never with SCMP_ARCH_* names or sub-architectures, and includes.caps and excludes.caps with capability names (CAP_SYS_ADMIN). A value in another spelling, or a misspelled capability, never matches: under includes the rule is dropped on every host (an allow that never applies, or a deny that fails open), under excludes the rule is never dropped (a cap-gated exception that never happens).",
    sources: [
      'moby/profiles seccomp/seccomp_linux.go (setupSeccomp, nativeToSeccomp)',
      'man 7 capabilities',
    ],
  },
  detect(ctx) {
    const out: RawFinding[] = [];
    const seen = new Set<string>();
    const effect = (pointer: string): string =>
      pointer.includes('/includes/')
        ? 'so includes is never satisfied and the rule is dropped on every host'
        : 'so excludes never drops the rule';
    for (const i of ctx.issues) {
      if (!FILTER_CODES.has(i.code)) continue;
      seen.add(i.pointer);
      out.push({ pointer: i.pointer, message: `${i.message}, ${effect(i.pointer)}` });
    }
    for (const r of ctx.profile.syscalls)
      for (const key of ['includes', 'excludes'] as const) {
        const f = r[key];
        if (f === undefined) continue;
        f.caps.forEach((c, k) => {
          const pointer = joinPointer(joinPointer(joinPointer(r.pointer, key), 'caps'), k);
          if (seen.has(pointer) || Object.hasOwn(CAPABILITIES, c)) return;
          out.push({
            pointer,
            message: `${key}.caps "${c}" is not a Linux capability, ${effect(pointer)}`,
            syscalls: r.names,
          });
        });
      }
    return out;
  },
  cases: {
    valid: [
      {
        name: "Docker's spelling",
        profile: allowlist(
          rule(['arch_prctl'], 'SCMP_ACT_ALLOW', { includes: { arches: ['amd64', 'x32'] } }),
          rule(['mount'], 'SCMP_ACT_ALLOW', { includes: { caps: ['CAP_SYS_ADMIN'] } }),
        ),
      },
      { name: 'no filters', profile: allowlist() },
    ],
    invalid: [
      {
        name: 'SCMP_ARCH spelling in includes.arches',
        profile: allowlist(
          rule(['arch_prctl'], 'SCMP_ACT_ALLOW', { includes: { arches: ['SCMP_ARCH_X86_64'] } }),
        ),
        pointers: ['/syscalls/1/includes/arches/0'],
      },
      {
        name: 'a misspelled capability',
        profile: allowlist(
          rule(['mount'], 'SCMP_ACT_ALLOW', { excludes: { caps: ['CAP_SYS_ADMINN'] } }),
        ),
        pointers: ['/syscalls/1/excludes/caps/0'],
      },
    ],
  },
};
