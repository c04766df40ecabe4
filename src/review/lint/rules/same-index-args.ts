/**
 * same-index-args: two conditions on the same argument index make runc split the rule into one
 * rule per condition, so the conditions are ORed, not ANDed (runc's fate `split`).
 */
import { joinPointer } from '../../../document/pointer.js';
import { allowlist, arg, rule } from '../case-kit.js';
import type { LintRule, RawFinding } from '../types.js';

export const sameIndexArgs: LintRule = {
  meta: {
    id: 'same-index-args',
    severity: 'warning',
    security: true,
    short: 'Two conditions on one argument: runc ORs every condition of the rule',
    long: 'libseccomp refuses two conditions on the same argument in one rule, so runc (and crun) split such a rule into one rule per condition: the rule then applies when ANY condition holds, not all of them, and the conditions on other arguments become alternatives too. The classic trap is "a0 != 1 and a0 != 2": as two rules it means a0 != 1 OR a0 != 2, which every value meets, so an ALLOW rule allows everything. Write a range (SCMP_CMP_LT/GT) or one rule per allowed value instead.',
    sources: ['opencontainers/runc#2735', 'containers/crun#2237', 'moby/moby#32714'],
  },
  detect(ctx) {
    const out: RawFinding[] = [];
    const seen = new Set<string>();
    for (const rec of ctx.records) {
      if (rec.runc.kind !== 'split' || seen.has(rec.pointer)) continue;
      seen.add(rec.pointer);
      const r = ctx.ruleAt(rec.pointer);
      if (r === undefined) continue;
      const index = rec.runc.index;
      const k = r.args.findIndex(
        (c, i) => c.index === index && r.args.slice(0, i).some((p) => p.index === index),
      );
      const on = r.args.filter((c) => c.index === index);
      const allNe =
        on.every((c) => c.op === 'SCMP_CMP_NE') && new Set(on.map((c) => c.value)).size > 1;
      out.push({
        pointer: k >= 0 ? ctx.argIndexPointer(r, k) : joinPointer(r.pointer, 'args'),
        message: allNe
          ? `${on.length} SCMP_CMP_NE conditions on argument ${index}: runc splits them into separate rules, so ${r.names.join(', ')} matches when the argument differs from ANY of the values, which every value does: the rule applies to every call`
          : `argument ${index} has ${on.length} conditions: runc splits the rule into ${r.args.length} one-condition rules, so ${r.names.join(', ')} matches when ANY of its conditions holds, not all of them`,
        syscalls: r.names,
      });
    }
    return out;
  },
  cases: {
    valid: [
      {
        name: 'one condition per argument',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_EQ', 1), arg(1, 'SCMP_CMP_EQ', 1)],
          }),
        ),
      },
    ],
    invalid: [
      {
        name: 'NE twice on the same argument',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_NE', 38), arg(0, 'SCMP_CMP_NE', 40)],
          }),
        ),
        pointers: ['/syscalls/1/args/1/index'],
      },
      {
        name: 'a range written as two conditions',
        profile: allowlist(
          rule(['personality'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_GE', 0), arg(0, 'SCMP_CMP_LE', 8)],
          }),
        ),
        pointers: ['/syscalls/1/args/1/index'],
      },
    ],
  },
};
