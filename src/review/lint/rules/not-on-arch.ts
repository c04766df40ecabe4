/**
 * not-on-arch: a rule names a syscall an ABI of the filter does not have (open, dup2 on aarch64), so
 * it does nothing there, and the profile does not name the call programs use instead.
 */
import { multiplexerFor, syscallEntry } from '../../../arch/syscalls.js';
import type { ArchName } from '../../../arch/types.js';
import { SYSCALL_EQUIVALENTS } from '../../../kb/index.js';
import { allowlist, rule } from '../case-kit.js';
import type { LintRule, RawFinding } from '../types.js';

export const notOnArch: LintRule = {
  meta: {
    id: 'not-on-arch',
    severity: 'info',
    security: false,
    short: 'A syscall missing on an ABI of the filter, whose replacement the profile does not name',
    long: "Newer ABIs (aarch64, riscv64, loongarch64) never had the old calls: no open, stat, dup2, pipe, fork, poll or select, only openat, newfstatat/statx, dup3, pipe2, clone, ppoll and pselect6. libseccomp leaves a rule for an absent name out of that ABI's section, so the rule does nothing there, and a profile written on x86_64 refuses on aarch64 what it meant to allow (file/file#178: dup2). Reported per rule the runtime passes on, when the ABI has a replacement the profile does not name at all.",
    sources: ['file/file#178', 'seccomp/libseccomp src/syscalls.csv (PNR entries)'],
  },
  detect(ctx) {
    const named = new Set(ctx.profile.syscalls.flatMap((r) => r.names));
    const by = new Map<string, { abis: ArchName[]; instead: Set<string>; name: string }>();
    for (const rec of ctx.records)
      for (const f of rec.arches) {
        if (f.kind !== 'absent') continue;
        if (
          syscallEntry(f.arch, rec.name) !== undefined ||
          multiplexerFor(f.arch, rec.name) !== undefined
        )
          continue;
        const instead = (SYSCALL_EQUIVALENTS[rec.name] ?? []).filter(
          (n) => syscallEntry(f.arch, n) !== undefined,
        );
        if (instead.length === 0 || instead.some((n) => named.has(n))) continue;
        const rule = ctx.ruleAt(rec.pointer);
        if (rule === undefined) continue;
        const pointer = ctx.namePointer(rule, rec.nameIndex);
        const e = by.get(pointer) ?? { abis: [], instead: new Set<string>(), name: rec.name };
        e.abis.push(f.arch);
        for (const n of instead) e.instead.add(n);
        by.set(pointer, e);
      }
    const out: RawFinding[] = [];
    for (const [pointer, e] of by)
      out.push({
        pointer,
        message: `${e.name} does not exist on ${e.abis.join('/')}: the rule does nothing there, and programs there call ${[...e.instead].join(' or ')}, which the profile does not name`,
        abis: e.abis,
        syscalls: [e.name],
      });
    return out;
  },
  cases: {
    valid: [
      {
        name: 'open and openat both named',
        profile: allowlist(rule(['open', 'openat'], 'SCMP_ACT_ALLOW')),
        host: { arch: 'aarch64' },
      },
      {
        name: 'open on x86_64, where it exists',
        profile: allowlist(rule(['open'], 'SCMP_ACT_ALLOW')),
      },
    ],
    invalid: [
      {
        name: 'dup2 and open on aarch64',
        profile: {
          defaultAction: 'SCMP_ACT_ERRNO',
          architectures: ['SCMP_ARCH_AARCH64'],
          syscalls: [rule(['read', 'dup2', 'open'], 'SCMP_ACT_ALLOW')],
        },
        host: { arch: 'aarch64' },
        pointers: ['/syscalls/0/names/1', '/syscalls/0/names/2'],
      },
    ],
  },
};
