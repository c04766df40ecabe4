/** silently-ignored: validate's warnings (what the real stack reads past) no dedicated rule reports. */
import { allowlist, arg, rule } from '../case-kit.js';
import type { LintRule } from '../types.js';

/**
 * validate's warning codes that dedicated rules report; the rest are this rule's. A rule that takes
 * over a warning code adds it here.
 */
export const WARNING_CODES_OWNED_ELSEWHERE: ReadonlySet<string> = new Set([
  'rule-equals-default', // runc-dropped
  'unknown-syscall', // runc-dropped
  'multiplexer-bypass', // socketcall-bypass
  'duplicate-name', // duplicate-syscall
  'errno-ignored', // errno-ret-ignored
  'unknown-native-arch', // filter-never-matches
  'unknown-capability', // filter-never-matches
]);

export const silentlyIgnored: LintRule = {
  meta: {
    id: 'silently-ignored',
    severity: 'warning',
    security: false,
    short: 'A setting the real stack silently ignores or rewrites',
    long: 'Every warning `sysgate validate` reports that no other rule covers: an unknown key, errnoRet on an action that carries no data, errno data runc truncates to 16 bits, a name listed twice, a name absent on every declared architecture, a socket or IPC argument filter its multiplexer lets through. The profile loads, but it does not do what it says. Also a profile whose filter, as runc builds it with libseccomp, passes BPF_MAXINSNS (4,096 instructions): the kernel refuses it and the container does not start (libseccomp-too-long, naming the syscalls whose rules cost the most).',
    sources: [
      'opencontainers/runtime-spec#972',
      'opencontainers/runc libcontainer/seccomp/patchbpf',
      'containers/common#421',
    ],
  },
  detect(ctx) {
    // A name runc-dropped reports (unknown to the linked libseccomp) is not reported twice.
    const dropped = new Set(
      ctx.records.flatMap((r) => {
        const rule = r.runc.kind === 'unknown-name' ? ctx.ruleAt(r.pointer) : undefined;
        return rule === undefined ? [] : [ctx.namePointer(rule, r.nameIndex)];
      }),
    );
    return ctx.issues
      .filter((i) => i.severity === 'warning' && !WARNING_CODES_OWNED_ELSEWHERE.has(i.code))
      .filter((i) => !(i.code === 'syscall-not-on-arches' && dropped.has(i.pointer)))
      .map((i) => ({ pointer: i.pointer, message: `${i.message} [${i.code}]` }));
  },
  cases: {
    valid: [{ name: 'a plain allowlist', profile: allowlist() }],
    invalid: [
      {
        name: 'errnoRet that runc truncates to 16 bits',
        profile: allowlist(rule(['mount'], 'SCMP_ACT_ERRNO', { errnoRet: 65549 })),
        pointers: ['/syscalls/1/errnoRet'],
      },
      {
        name: 'an unknown key',
        profile: allowlist(rule(['getpid'], 'SCMP_ACT_ALLOW', { comments: 'typo of comment' })),
        pointers: ['/syscalls/1/comments'],
      },
      {
        name: "700 two-condition socket rules: libseccomp's filter passes BPF_MAXINSNS",
        profile: allowlist(
          ...Array.from({ length: 700 }, (_, i) =>
            rule(['socket'], 'SCMP_ACT_ALLOW', {
              args: [arg(0, 'SCMP_CMP_EQ', i), arg(1, 'SCMP_CMP_EQ', 7 * i + 1)],
            }),
          ),
        ),
        pointers: ['/syscalls/1'],
      },
    ],
  },
};
