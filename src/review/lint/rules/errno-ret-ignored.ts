/**
 * errno-ret-ignored: `errnoRet` (or `defaultErrnoRet`) on an action that carries no data: runc
 * ignores it, the runtime-spec says a runtime must refuse it (validate's `errno-ignored`).
 */
import { allowlist, rule } from '../case-kit.js';
import { writesScmpActions } from '../query.js';
import type { LintRule } from '../types.js';

/** validate's issue code this rule reports. */
export const ERRNO_IGNORED_CODE = 'errno-ignored';

export const errnoRetIgnored: LintRule = {
  meta: {
    id: 'errno-ret-ignored',
    severity: 'warning',
    security: false,
    short: 'errnoRet on an action other than ERRNO or TRACE',
    long: 'Only SCMP_ACT_ERRNO and SCMP_ACT_TRACE carry data. The OCI runtime-spec says a runtime MUST fail when errnoRet is set on any other action, and runc simply ignores it, so the same profile loads under runc and fails under a stricter runtime; the author probably meant SCMP_ACT_ERRNO. `--fix` removes the ignored field, which changes no decision under runc.',
    sources: [
      'opencontainers/runtime-spec config-linux.md (errnoRet)',
      'opencontainers/runc libcontainer/specconv',
    ],
  },
  detect(ctx) {
    const fixable = writesScmpActions(ctx);
    return ctx.issues
      .filter((i) => i.code === ERRNO_IGNORED_CODE)
      .map((i) => ({
        pointer: i.pointer,
        message: i.message,
        ...(fixable && ctx.locate(i.pointer) !== undefined
          ? {
              fix: {
                description: 'remove the ignored errno',
                edits: [{ op: 'remove' as const, pointer: i.pointer }],
              },
            }
          : {}),
      }));
  },
  cases: {
    valid: [
      {
        name: 'errnoRet on ERRNO',
        profile: allowlist(rule(['mount'], 'SCMP_ACT_ERRNO', { errnoRet: 13 })),
      },
    ],
    invalid: [
      {
        name: 'errnoRet on ALLOW',
        profile: allowlist(rule(['getpid'], 'SCMP_ACT_ALLOW', { errnoRet: 1 })),
        pointers: ['/syscalls/1/errnoRet'],
        fixed: allowlist(rule(['getpid'], 'SCMP_ACT_ALLOW')),
      },
      {
        name: 'defaultErrnoRet on a KILL_PROCESS default',
        profile: {
          defaultAction: 'SCMP_ACT_KILL_PROCESS',
          defaultErrnoRet: 1,
          syscalls: [rule(['read', 'write', 'exit_group'], 'SCMP_ACT_ALLOW')],
        },
        pointers: ['/defaultErrnoRet'],
        fixed: {
          defaultAction: 'SCMP_ACT_KILL_PROCESS',
          syscalls: [rule(['read', 'write', 'exit_group'], 'SCMP_ACT_ALLOW')],
        },
      },
    ],
  },
};
