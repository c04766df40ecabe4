/** arg-index-arity: a condition on an argument the syscall does not have (index at or past its arity). */
import { syscallArity, syscallNumber } from '../../../arch/syscalls.js';
import type { ArchName } from '../../../arch/types.js';
import { allowlist, arg, rule } from '../case-kit.js';
import type { LintRule, RawFinding } from '../types.js';

export const argIndexArity: LintRule = {
  meta: {
    id: 'arg-index-arity',
    severity: 'warning',
    security: true,
    short: 'A condition on an argument the syscall does not take',
    long: "seccomp sees six argument registers whatever the syscall; a condition on an index at or past the syscall's number of arguments compares whatever the register held (left over from user space), so the rule matches by chance. On 32-bit ABIs a 64-bit argument takes two slots, so the arity differs per ABI (pread64: 4 on x86_64, 5 on x86). Arity from strace's syscall tables.",
    sources: ['seccomp_rule_add(3)', 'strace src/linux/*/syscallent.h', 'seccomp/libseccomp#383'],
  },
  detect(ctx) {
    const plan = ctx.plan;
    if (plan === undefined) return [];
    const out: RawFinding[] = [];
    const done = new Set<string>();
    for (const r of ctx.records) {
      if (r.runc.kind !== 'kept' && r.runc.kind !== 'split') continue;
      const rule = ctx.ruleAt(r.pointer);
      if (rule === undefined) continue;
      rule.args.forEach((c, k) => {
        if (c.index > 5) return;
        const abis: ArchName[] = [];
        let arity: number | undefined;
        for (const a of plan.arches) {
          if (syscallNumber(a.arch, r.name) === undefined) continue;
          const n = syscallArity(a.arch, r.name);
          if (n !== undefined && c.index >= n) {
            abis.push(a.arch);
            arity = n;
          }
        }
        const pointer = ctx.argIndexPointer(rule, k);
        if (abis.length === 0 || done.has(`${pointer}\0${r.name}`)) return;
        done.add(`${pointer}\0${r.name}`);
        out.push({
          pointer,
          message: `argument index ${c.index}: ${r.name} takes ${arity ?? '?'} argument${arity === 1 ? '' : 's'} on ${abis.join('/')}, so the condition compares a register the call does not read`,
          abis,
          syscalls: [r.name],
        });
      });
    }
    return out;
  },
  cases: {
    valid: [
      {
        name: 'socket family (argument 0)',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 1)] }),
        ),
      },
    ],
    invalid: [
      {
        name: 'getpid takes no argument',
        profile: allowlist(
          rule(['getpid'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 0)] }),
        ),
        pointers: ['/syscalls/1/args/0/index'],
      },
      {
        name: 'socket takes three',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW', { args: [arg(3, 'SCMP_CMP_EQ', 0)] }),
        ),
        pointers: ['/syscalls/1/args/0/index'],
      },
    ],
  },
};
