/**
 * duplicate-syscall: a name listed twice in one rule, or again in a later rule: validate's
 * `duplicate-name` issues, with a fix where the repeat is an identical rule.
 */
import { isDeepStrictEqual } from 'node:util';
import type { SyscallRule } from '../../../profile/types.js';
import { allowlist, rule } from '../case-kit.js';
import { writesScmpActions } from '../query.js';
import type { Fix, LintContext, LintRule, RawFinding } from '../types.js';

/** validate's issue code this rule reports. */
export const DUPLICATE_NAME_CODE = 'duplicate-name';

/** Whether two rules make the same libseccomp rule for a name they share. */
function sameRule(a: SyscallRule, b: SyscallRule): boolean {
  return (
    a.action === b.action &&
    a.errnoRet === b.errnoRet &&
    isDeepStrictEqual(a.args, b.args) &&
    isDeepStrictEqual(a.includes, b.includes) &&
    isDeepStrictEqual(a.excludes, b.excludes)
  );
}

/** The removal that drops name `j` of `rule` (the rule itself when it is the only name). */
function dropName(rule: SyscallRule, j: number, ctx: LintContext): Fix {
  const whole = rule.names.length === 1;
  return {
    description: whole ? 'remove the repeated rule' : 'remove the repeated name',
    edits: [{ op: 'remove', pointer: whole ? rule.pointer : ctx.namePointer(rule, j) }],
  };
}

export const duplicateSyscall: LintRule = {
  meta: {
    id: 'duplicate-syscall',
    severity: 'info',
    security: false,
    short: 'A syscall listed twice',
    long: 'A name listed twice in one rule, or named again by a later rule, is noise at best: runc adds one libseccomp rule per name, and of two unconditional rules for one syscall libseccomp keeps the first and drops the later one silently, even when its action differs (containers/common#419). A later rule with different conditions is reported by shadowed when it decides nothing. `--fix` removes a repeat that is an identical rule (same action, errno, conditions and includes/excludes), which changes no decision.',
    sources: ['containers/common#419', 'containers/common#421', 'seccomp/libseccomp src/db.c'],
  },
  detect(ctx) {
    const fixable = writesScmpActions(ctx);
    const at = new Map<string, { rule: SyscallRule; j: number }>();
    for (const r of ctx.profile.syscalls)
      r.names.forEach((_, j) => at.set(ctx.namePointer(r, j), { rule: r, j }));
    const out: RawFinding[] = [];
    for (const issue of ctx.issues) {
      if (issue.code !== DUPLICATE_NAME_CODE) continue;
      const where = at.get(issue.pointer);
      let fix: Fix | undefined;
      if (where !== undefined && fixable && where.rule.legacyName !== true) {
        const { rule: r, j } = where;
        const name = r.names[j];
        const inRule = r.names.indexOf(name ?? '') < j;
        const earlier = ctx.profile.syscalls.find(
          (o) => o !== r && o.names.includes(name ?? '') && sameRule(o, r),
        );
        const earlierIndex = earlier === undefined ? -1 : ctx.profile.syscalls.indexOf(earlier);
        if (inRule)
          fix = {
            description: 'remove the repeated name',
            edits: [{ op: 'remove', pointer: ctx.namePointer(r, j) }],
          };
        else if (earlier !== undefined && earlierIndex < ctx.profile.syscalls.indexOf(r))
          fix = dropName(r, j, ctx);
      }
      out.push({
        pointer: issue.pointer,
        message: issue.message,
        ...(where === undefined ? {} : { syscalls: [where.rule.names[where.j] ?? ''] }),
        ...(fix === undefined ? {} : { fix }),
      });
    }
    return out;
  },
  cases: {
    valid: [{ name: 'every name once', profile: allowlist(rule(['getpid'], 'SCMP_ACT_ALLOW')) }],
    invalid: [
      {
        name: 'a name twice in one rule',
        profile: allowlist(rule(['getpid', 'getppid', 'getpid'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/2'],
        fixed: allowlist(rule(['getpid', 'getppid'], 'SCMP_ACT_ALLOW')),
      },
      {
        name: 'a later identical rule',
        profile: allowlist(rule(['getpid'], 'SCMP_ACT_ALLOW'), rule(['getpid'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/2/names/0'],
        fixed: allowlist(rule(['getpid'], 'SCMP_ACT_ALLOW')),
      },
      {
        name: 'a later rule with another action (libseccomp keeps the first)',
        profile: allowlist(
          rule(['getpid'], 'SCMP_ACT_ALLOW'),
          rule(['getpid'], 'SCMP_ACT_ERRNO', { errnoRet: 13 }),
        ),
        pointers: ['/syscalls/2/names/0'],
      },
    ],
  },
};
