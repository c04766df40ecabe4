/**
 * arg-value-width: a condition value above 32 bits on a 32-bit ABI of the filter, where libseccomp
 * compares only the low word (EQ 0x100000005 becomes == 5; GT 0xffffffff never holds).
 */
import { archInfo } from '../../../arch/arches.js';
import { syscallNumber } from '../../../arch/syscalls.js';
import type { ArchName } from '../../../arch/types.js';
import { joinPointer } from '../../../document/pointer.js';
import { allowlist, arg, rule } from '../case-kit.js';
import type { LintRule, RawFinding } from '../types.js';

const LOW32 = 0xffffffffn;

export const argValueWidth: LintRule = {
  meta: {
    id: 'arg-value-width',
    severity: 'warning',
    security: true,
    short: 'A condition value wider than 32 bits on a 32-bit ABI',
    long: 'On 32-bit ABIs (x86, arm, mips o32...) arguments are 32 bits wide and libseccomp compiles a condition on the low word only, cutting the value to 32 bits: EQ 0x100000005 becomes == 5, and GT or GE a value at or above 2^32 never holds. A value meant for a 64-bit argument then means something else on the compat ABI of the same filter. Seen in the wild as negative numbers written as 64-bit values (-1 as 0xffffffffffffffff) and as flags above bit 31. Check the value per ABI, or leave the 32-bit ABI out of the filter.',
    sources: [
      'seccomp/libseccomp#69',
      'seccomp/libseccomp src/db.c (_db_rule_gen_32)',
      'firecracker-microvm/firecracker#1227',
    ],
  },
  detect(ctx) {
    const plan = ctx.plan;
    if (plan === undefined) return [];
    const narrow = plan.arches.map((a) => a.arch).filter((a) => archInfo(a).bits === 32);
    if (narrow.length === 0) return [];
    const passed = new Set(
      ctx.records
        .filter((r) => r.runc.kind === 'kept' || r.runc.kind === 'split')
        .map((r) => r.pointer),
    );
    const out: RawFinding[] = [];
    for (const r of ctx.profile.syscalls) {
      if (!passed.has(r.pointer)) continue;
      const abis: ArchName[] = narrow.filter((a) =>
        r.names.some((n) => syscallNumber(a, n) !== undefined),
      );
      if (abis.length === 0) continue;
      r.args.forEach((c, k) => {
        const masked = c.op === 'SCMP_CMP_MASKED_EQ';
        const wide = c.value > LOW32 || (masked && c.valueTwo > LOW32);
        if (!wide) return;
        const cut = c.value & LOW32;
        const never = (c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE') && !masked;
        out.push({
          pointer: joinPointer(joinPointer(r.pointer, 'args'), k),
          message: `on ${abis.join('/')} libseccomp compares only the low 32 bits of argument ${c.index}: ${never ? `${c.op} 0x${c.value.toString(16)} never holds there` : `the value 0x${(masked ? c.valueTwo : c.value).toString(16)} becomes 0x${((masked ? c.valueTwo : c.value) & LOW32).toString(16)}${masked ? ` (mask 0x${cut.toString(16)})` : ''}`}`,
          abis,
          syscalls: r.names,
        });
      });
    }
    return out;
  },
  cases: {
    valid: [
      {
        name: '32-bit values',
        profile: allowlist(
          rule(['personality'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 0xffffffff)] }),
        ),
      },
      {
        name: 'a wide value on x86_64 alone',
        profile: {
          ...allowlist(
            rule(['personality'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 2 ** 33)] }),
          ),
          architectures: ['SCMP_ARCH_X86_64'],
        },
      },
    ],
    invalid: [
      {
        name: 'EQ with a 64-bit value, x86 in the filter',
        profile: allowlist(
          rule(['personality'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 2 ** 32 + 8)] }),
        ),
        pointers: ['/syscalls/1/args/0'],
      },
    ],
  },
};
