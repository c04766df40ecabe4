/**
 * ineffective-condition: an argument condition that holds for every value or for none, or a
 * MASKED_EQ whose compared value has bits outside the mask (libseccomp silently drops them).
 */
import { joinPointer } from '../../../document/pointer.js';
import type { ArgCondition } from '../../../profile/types.js';
import { allowlist, arg, rule } from '../case-kit.js';
import { writesScmpActions } from '../query.js';
import type { LintRule, RawFinding } from '../types.js';

const MAX64 = (1n << 64n) - 1n;

/** What a condition does on every value of a 64-bit argument, when that does not depend on it. */
function constantTruth(c: ArgCondition): 'always' | 'never' | undefined {
  switch (c.op) {
    case 'SCMP_CMP_MASKED_EQ':
      // libseccomp ANDs the datum with the mask first: (a & 0) == (v2 & 0) always holds.
      return c.value === 0n ? 'always' : undefined;
    case 'SCMP_CMP_GE':
      return c.value === 0n ? 'always' : undefined;
    case 'SCMP_CMP_LE':
      return c.value === MAX64 ? 'always' : undefined;
    case 'SCMP_CMP_LT':
      return c.value === 0n ? 'never' : undefined;
    case 'SCMP_CMP_GT':
      return c.value === MAX64 ? 'never' : undefined;
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE':
      return undefined;
  }
}

function hex(v: bigint): string {
  return '0x' + v.toString(16);
}

export const ineffectiveCondition: LintRule = {
  meta: {
    id: 'ineffective-condition',
    severity: 'warning',
    security: true,
    short:
      'An argument condition that always or never holds, or a MASKED_EQ that compares other bits than written',
    long: "Some conditions do not depend on the argument: MASKED_EQ with mask 0, GE 0 and LE 0xffffffffffffffff always hold (so the rule applies to every call if it has no other condition), LT 0 and GT 0xffffffffffffffff never hold (so the rule never applies). And libseccomp ANDs a MASKED_EQ's compared value with the mask before comparing, so (a & 0xF) == 0x10 silently becomes (a & 0xF) == 0. Each usually means a value in the wrong field (MASKED_EQ takes the mask in value and the compared value in valueTwo). `--fix` removes an always-true condition from a rule that keeps others, which changes no decision.",
    sources: [
      'seccomp/libseccomp src/db.c (_db_rule_gen_64)',
      'seccomp/libseccomp#383',
      'man 3 seccomp_rule_add',
    ],
  },
  detect(ctx) {
    const out: RawFinding[] = [];
    const kept = new Set(ctx.records.filter((r) => r.runc.kind === 'kept').map((r) => r.pointer));
    const fixable = writesScmpActions(ctx);
    for (const r of ctx.profile.syscalls) {
      if (ctx.plan !== undefined && !kept.has(r.pointer)) continue;
      r.args.forEach((c, k) => {
        const pointer = joinPointer(joinPointer(r.pointer, 'args'), k);
        const truth = constantTruth(c);
        if (truth === 'always') {
          const alone = r.args.length === 1;
          out.push({
            pointer,
            message: `${c.op} ${hex(c.value)}${c.op === 'SCMP_CMP_MASKED_EQ' ? ` (mask 0)` : ''} on argument ${c.index} holds for every value${alone ? `: ${r.names.join(', ')} gets ${r.action} on every call` : ''}`,
            syscalls: r.names,
            ...(fixable && !alone
              ? {
                  fix: {
                    description: 'remove the condition that always holds',
                    edits: [{ op: 'remove', pointer }],
                  },
                }
              : {}),
          });
        } else if (truth === 'never') {
          out.push({
            pointer,
            message: `${c.op} ${hex(c.value)} on argument ${c.index} holds for no value: the rule never applies and ${r.names.join(', ')} take the other rules' or the default action`,
            syscalls: r.names,
          });
        } else if (c.op === 'SCMP_CMP_MASKED_EQ' && (c.valueTwo & ~c.value & MAX64) !== 0n) {
          out.push({
            pointer,
            message: `MASKED_EQ compares (argument ${c.index} & ${hex(c.value)}) with ${hex(c.valueTwo)}, which has bits outside the mask: libseccomp compares with ${hex(c.valueTwo & c.value)} instead (did the mask and the value change places?)`,
            syscalls: r.names,
          });
        }
      });
    }
    return out;
  },
  cases: {
    valid: [
      {
        name: "Docker's clone mask",
        profile: allowlist(
          rule(['clone'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_MASKED_EQ', 0x7e020000, 0)],
          }),
        ),
      },
    ],
    invalid: [
      {
        name: 'mask 0 next to a real condition',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_EQ', 1), arg(1, 'SCMP_CMP_MASKED_EQ', 0, 1)],
          }),
        ),
        pointers: ['/syscalls/1/args/1'],
        fixed: allowlist(rule(['socket'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 1)] })),
      },
      {
        name: 'mask and value swapped',
        profile: allowlist(
          rule(['clone'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_MASKED_EQ', 0, 0x7e020000)],
          }),
        ),
        pointers: ['/syscalls/1/args/0'],
      },
      {
        name: 'bits outside the mask',
        profile: allowlist(
          rule(['fcntl'], 'SCMP_ACT_ALLOW', { args: [arg(1, 'SCMP_CMP_MASKED_EQ', 0xf, 0x10)] }),
        ),
        pointers: ['/syscalls/1/args/0'],
      },
      {
        name: 'LT 0 never holds',
        profile: allowlist(rule(['kill'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_LT', 0)] })),
        pointers: ['/syscalls/1/args/0'],
      },
    ],
  },
};
