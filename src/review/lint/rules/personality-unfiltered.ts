/**
 * personality-unfiltered: personality(2) runs with a flag that weakens memory protections
 * (READ_IMPLIES_EXEC, MMAP_PAGE_ZERO, ADDR_NO_RANDOMIZE...); Docker allows only five values.
 */
import { constantGroups } from '../../../arch/constants.js';
import { allowlist, arg, rule } from '../case-kit.js';
import { ByPointer, syscallDecisions } from '../engine.js';
import { flagsThatRun } from '../query.js';
import type { LintRule } from '../types.js';

/** Personality flags that weaken the process's own protections (include/uapi/linux/personality.h). */
const WEAKENING = [
  'READ_IMPLIES_EXEC',
  'MMAP_PAGE_ZERO',
  'ADDR_NO_RANDOMIZE',
  'ADDR_COMPAT_LAYOUT',
];

export const personalityUnfiltered: LintRule = {
  meta: {
    id: 'personality-unfiltered',
    severity: 'warning',
    security: true,
    short: 'personality allowed with flags that weaken memory protections',
    long: 'personality(2) flags change how the kernel treats the process: READ_IMPLIES_EXEC makes every readable mapping executable, MMAP_PAGE_ZERO maps page 0 (the classic way to exploit a kernel NULL dereference, CVE-2009-1895), ADDR_NO_RANDOMIZE turns ASLR off. Docker allows personality only for 0 (PER_LINUX), 8 (PER_LINUX32), 0x20000 and 0x20008 (UNAME26) and 0xffffffff (the query). The rule asks the compiled filter whether personality runs with any of these flags set (the query value aside) and names them.',
    sources: [
      'moby/moby#32839',
      'moby/profiles seccomp/default.json (personality)',
      'nvd.nist.gov/vuln/detail/CVE-2009-1895',
    ],
  },
  detect(ctx) {
    const groups = new ByPointer();
    const through = new Map<string, Set<string>>();
    const query = constantGroups().personality.PER_QUERY ?? 0xffffffff;
    for (const d of syscallDecisions(ctx, 'personality')) {
      if (d.exposure === 'refused') continue;
      const root = ctx.decisionRoot(d.abi, d.nr);
      if (root === undefined) continue;
      const flags = flagsThatRun(root, 0, WEAKENING, 'personality', query);
      if (flags.length === 0) continue;
      for (const leaf of d.running) {
        const p = ctx.leafPointer(leaf);
        if (p === undefined) continue;
        groups.add(p, d.abi, 'personality');
        const set = through.get(p) ?? new Set<string>();
        for (const f of flags) set.add(f);
        through.set(p, set);
      }
    }
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `personality runs with ${[...(through.get(g.pointer) ?? [])].join(', ')} on ${g.abis.join('/')}: these flags weaken memory protections (executable data, a mapped page 0, no ASLR); allow only Docker's values 0, 0x8, 0x20000, 0x20008 and 0xffffffff`,
      abis: g.abis,
      syscalls: ['personality'],
    }));
  },
  cases: {
    valid: [
      {
        name: "Docker's five values",
        profile: allowlist(
          ...[0, 8, 0x20000, 0x20008, 0xffffffff].map((v) =>
            rule(['personality'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', v)] }),
          ),
        ),
      },
    ],
    invalid: [
      {
        name: 'personality allowed on every argument',
        profile: allowlist(rule(['personality'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/0'],
      },
      {
        name: 'READ_IMPLIES_EXEC allowed',
        profile: allowlist(
          rule(['personality'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 0x400000)] }),
        ),
        pointers: ['/syscalls/1/names/0'],
      },
    ],
  },
};
