/** shadowed: a rule runc passed on that decides nothing, because earlier rules decide its syscall (plan fates). */
import { allowlist, arg, rule } from '../case-kit.js';
import type { LintRule, RawFinding } from '../types.js';

export const shadowed: LintRule = {
  meta: {
    id: 'shadowed',
    severity: 'warning',
    security: true,
    short: 'A rule that never decides: other rules for the same syscall win',
    long: 'libseccomp keeps one decision tree per syscall; when an unconditional rule and conditional rules name the same syscall, or two rules overlap, some rules end up with no leaf in the compiled filter. Their conditions are dead: a deny rule meant to refuse some arguments of an allowed call refuses nothing. The finding names the rules that decide instead, per ABI.',
    sources: ['containers/common#419', 'containers/common#421', 'seccomp/libseccomp src/db.c'],
  },
  detect(ctx) {
    const out: RawFinding[] = [];
    for (const r of ctx.records) {
      // ABIs where other rules decide the syscall and this one never does.
      const shadows = r.arches.filter((a) => a.kind === 'shadowed' && a.by.length > 0);
      if (shadows.length === 0) continue;
      const rule = ctx.ruleAt(r.pointer);
      if (rule === undefined) continue;
      const by = [...new Set(shadows.flatMap((a) => (a.kind === 'shadowed' ? a.by : [])))];
      out.push({
        pointer: ctx.namePointer(rule, r.nameIndex),
        message: `this rule never decides ${r.name} on ${shadows.map((a) => a.arch).join('/')}: the rule${by.length > 1 ? 's' : ''} at ${by.join(', ')} decide${by.length > 1 ? '' : 's'} it`,
        abis: shadows.map((a) => a.arch),
        syscalls: [r.name],
      });
    }
    return out;
  },
  cases: {
    valid: [
      {
        name: 'conditional rules only',
        profile: allowlist(
          rule(['personality'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 0)] }),
        ),
      },
    ],
    invalid: [
      {
        name: 'an unconditional allow before a conditional deny',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW'),
          rule(['socket'], 'SCMP_ACT_ERRNO', { errnoRet: 13, args: [arg(1, 'SCMP_CMP_EQ', 3)] }),
        ),
        pointers: ['/syscalls/2/names/0'],
      },
    ],
  },
};
