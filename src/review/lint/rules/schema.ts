/** schema: what the real stack refuses (validate's errors: parsing, the document's checks, runc's, libseccomp's). */
import { allowlist, rule } from '../case-kit.js';
import type { LintRule, RawFinding } from '../types.js';

export const schema: LintRule = {
  meta: {
    id: 'schema',
    severity: 'error',
    security: false,
    short: 'The profile is refused by Docker, runc or libseccomp',
    long: 'Every error `sysgate validate` reports: a value outside the runtime-spec enums, a missing defaultAction, `name` and `names` together, `architectures` with `archMap`, a malformed minKernel, errnoRet at or above 4095, NOTIFY without a listener, an argument index above 5. The container does not start with such a profile.',
    sources: [
      'opencontainers/runtime-spec config-linux.md#seccomp',
      'moby/profiles seccomp/seccomp_linux.go',
      'opencontainers/runc libcontainer/seccomp/seccomp_linux.go',
    ],
  },
  detect(ctx) {
    const out: RawFinding[] = ctx.issues
      .filter((i) => i.severity === 'error')
      .map((i) => ({ pointer: i.pointer, message: `${i.message} [${i.code}]` }));
    const pe = ctx.planError;
    if (out.length === 0 && pe !== undefined)
      out.push({ pointer: pe.pointer, message: `${pe.message} [${pe.code}]` });
    return out;
  },
  cases: {
    valid: [{ name: 'a plain allowlist', profile: allowlist() }],
    invalid: [
      {
        name: 'errnoRet libseccomp refuses',
        profile: allowlist(rule(['mount'], 'SCMP_ACT_ERRNO', { errnoRet: 5000 })),
        pointers: ['/syscalls/1/errnoRet'],
      },
      {
        name: 'architectures and archMap together',
        profile: {
          ...allowlist(),
          archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
        },
        pointers: ['/architectures'],
      },
    ],
  },
};
