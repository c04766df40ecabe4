/**
 * runc-dropped: rules runc never hands libseccomp (their fate in src/runc): an action equal to the
 * default, or a name the linked libseccomp cannot resolve.
 */
import { isSyscallName, syscallNumber } from '../../../arch/syscalls.js';
import { joinPointer } from '../../../document/pointer.js';
import { ruleEqualsDefault } from '../../../runc/rules.js';
import { allowlist, rule } from '../case-kit.js';
import type { FixEdit, LintContext, LintRule, RawFinding } from '../types.js';

/**
 * Whether a rule holds the highest-numbered name of some ABI that no rule kept by runc names: runc's ENOSYS
 * stub is sized by every name of the profile, skipped rules included, so removing such a rule would
 * move the stub and change decisions above it.
 */
function sizesStub(ctx: LintContext, pointer: string): boolean {
  const rule = ctx.ruleAt(pointer);
  if (rule === undefined) return true;
  for (const a of ctx.plan?.arches ?? []) {
    if (a.enosysMax === undefined) continue;
    const max = a.enosysMax;
    if (!rule.names.some((n) => syscallNumber(a.arch, n) === max)) continue;
    // Rules equal to the default are all removed together: only the others keep the stub's size.
    const others = ctx.profile.syscalls.some(
      (r) =>
        r.pointer !== pointer &&
        !ruleEqualsDefault(ctx.profile, r) &&
        r.names.some((n) => syscallNumber(a.arch, n) === max),
    );
    if (!others) return true;
  }
  return false;
}

export const runcDropped: LintRule = {
  meta: {
    id: 'runc-dropped',
    severity: 'warning',
    security: true,
    short: 'A rule or name runc skips: it has no effect',
    long: 'runc skips a rule whose action (errno included) equals the default action, and a name its libseccomp cannot resolve (a typo, or a syscall newer than the library). Such a rule does nothing: a misspelled name in a deny rule of an allow-by-default profile fails open, and runc before 1.0.2 refused rules equal to the default. `--fix` removes rules equal to the default (unless the rule holds the highest syscall number of the profile, which sizes the ENOSYS stub of runc) and names no libseccomp version knows; both are exact (no decision changes).',
    sources: [
      'opencontainers/runc#3109',
      'containers/common#631',
      'opencontainers/runtime-spec#972',
      'containers/crun#33',
    ],
  },
  detect(ctx) {
    // Names no libseccomp version knows, per rule: removing them is exact on every host.
    const typos = new Map<string, number>();
    for (const r of ctx.records)
      if (r.runc.kind === 'unknown-name' && !isSyscallName(r.name))
        typos.set(r.pointer, (typos.get(r.pointer) ?? 0) + 1);
    const out: RawFinding[] = [];
    const equalRules = new Set<string>();
    for (const r of ctx.records) {
      const rule = ctx.ruleAt(r.pointer);
      if (rule === undefined) continue;
      if (r.runc.kind === 'equals-default') {
        if (equalRules.has(r.pointer)) continue;
        equalRules.add(r.pointer);
        out.push({
          pointer: joinPointer(r.pointer, 'action'),
          message: `the rule's action ${rule.action}${rule.errnoRet === undefined ? '' : `(${rule.errnoRet})`} equals the default action: runc skips it, and ${rule.names.join(', ')} take the default action anyway`,
          syscalls: rule.names,
          ...(sizesStub(ctx, r.pointer)
            ? {}
            : {
                fix: {
                  description: 'remove the rule',
                  edits: [{ op: 'remove', pointer: r.pointer }],
                },
              }),
        });
        continue;
      }
      if (r.runc.kind !== 'unknown-name') continue;
      const pointer = ctx.namePointer(rule, r.nameIndex);
      if (isSyscallName(r.name)) {
        out.push({
          pointer,
          message: `libseccomp ${r.runc.libseccomp} does not know "${r.name}" on ${r.runc.arch}: runc skips it, so it gets the default action`,
          syscalls: [r.name],
        });
        continue;
      }
      const whole = rule.legacyName === true || typos.get(r.pointer) === rule.names.length;
      const edits: FixEdit[] = [{ op: 'remove', pointer: whole ? r.pointer : pointer }];
      out.push({
        pointer,
        message: `"${r.name}" is not a syscall on any architecture: runc skips it`,
        syscalls: [r.name],
        fix: {
          description: whole ? 'remove the rule (none of its names exists)' : 'remove the name',
          edits,
        },
      });
    }
    return out;
  },
  cases: {
    valid: [
      { name: 'every rule differs from the default', profile: allowlist() },
      {
        name: 'an errno rule with another errno than the default',
        profile: allowlist(rule(['clone3'], 'SCMP_ACT_ERRNO', { errnoRet: 38 })),
      },
    ],
    invalid: [
      {
        name: 'a rule equal to the default',
        profile: allowlist(rule(['mount'], 'SCMP_ACT_ERRNO', { errnoRet: 1 })),
        pointers: ['/syscalls/1/action'],
        fixed: allowlist(),
      },
      {
        name: 'a misspelled name',
        profile: allowlist(rule(['getpid', 'gettpid'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/1'],
        fixed: allowlist(rule(['getpid'], 'SCMP_ACT_ALLOW')),
      },
    ],
  },
};
