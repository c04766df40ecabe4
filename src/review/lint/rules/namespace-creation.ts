/**
 * namespace-creation: `clone` or `unshare` runs for some call that sets a CLONE_NEW* flag, although
 * the profile filters their arguments (an unconditional allow is critical-allowed's finding).
 */
import { allowlist, arg, rule } from '../case-kit.js';
import { ByPointer, syscallDecisions } from '../engine.js';
import {
  CLONE_NAMESPACE_FLAGS,
  UNSHARE_NAMESPACE_FLAGS,
  cloneFlagsArg,
  flagsThatRun,
} from '../query.js';
import type { LintRule, RawFinding } from '../types.js';

export const namespaceCreation: LintRule = {
  meta: {
    id: 'namespace-creation',
    severity: 'error',
    security: true,
    short: 'clone or unshare can create namespaces despite an argument filter',
    long: "A new user namespace gives the container CAP_SYS_ADMIN and CAP_NET_ADMIN inside it, the start of many kernel exploits (CVE-2022-0185, CVE-2022-0492, CVE-2024-1086). Docker's default profile allows clone only with MASKED_EQ 0x7E020000 == 0 on its flags (the second argument on s390) and unshare only with CAP_SYS_ADMIN. This rule asks the compiled filter, over the whole argument space, whether clone or unshare still runs with any CLONE_NEW* bit set, and names the flags that get through. A clone or unshare allowed on every argument is reported by critical-allowed (unshare) and by this rule (clone).",
    sources: [
      'moby/profiles seccomp/default.json (clone MASKED_EQ 0x7E020000)',
      'moby/moby commit aaac3fa',
      'include/uapi/linux/sched.h',
    ],
  },
  detect(ctx) {
    const out: RawFinding[] = [];
    for (const [name, flags] of [
      ['clone', CLONE_NAMESPACE_FLAGS],
      ['unshare', UNSHARE_NAMESPACE_FLAGS],
    ] as const) {
      const groups = new ByPointer();
      const through = new Map<string, Set<string>>();
      for (const d of syscallDecisions(ctx, name)) {
        // unshare allowed on every argument is critical-allowed's; clone's is this rule's.
        if (d.exposure === 'refused' || (name === 'unshare' && d.exposure === 'allowed')) continue;
        const root = ctx.decisionRoot(d.abi, d.nr);
        if (root === undefined) continue;
        const argIndex = name === 'clone' ? cloneFlagsArg(d.abi) : 0;
        const passing = flagsThatRun(root, argIndex, flags);
        if (passing.length === 0) continue;
        for (const leaf of d.running) {
          const p = ctx.leafPointer(leaf);
          if (p === undefined) continue;
          groups.add(p, d.abi, name);
          const set = through.get(p) ?? new Set<string>();
          for (const f of passing) set.add(f);
          through.set(p, set);
        }
      }
      for (const g of groups.entries()) {
        const f = [...(through.get(g.pointer) ?? [])];
        out.push({
          pointer: g.pointer,
          message: `${name} runs with ${f.join(', ')} on ${g.abis.join('/')}: the container can create namespaces (a user namespace gives it CAP_SYS_ADMIN inside); ${name === 'clone' ? `allow clone only with SCMP_CMP_MASKED_EQ value 0x7E020000 valueTwo 0 on argument ${cloneFlagsArg(g.abis[0] ?? 'x86_64')}` : 'gate unshare behind includes.caps CAP_SYS_ADMIN'}`,
          abis: g.abis,
          syscalls: [name],
        });
      }
    }
    return out;
  },
  cases: {
    valid: [
      {
        name: "clone with Docker's namespace mask",
        profile: allowlist(
          rule(['clone'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_MASKED_EQ', 0x7e020000, 0)],
          }),
        ),
      },
      {
        name: 'unshare only for CLONE_FILES',
        profile: allowlist(
          rule(['unshare'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 0x400)] }),
        ),
      },
      {
        name: 'clone gated by CAP_SYS_ADMIN, which the container lacks',
        profile: allowlist(
          rule(['clone'], 'SCMP_ACT_ALLOW', { includes: { caps: ['CAP_SYS_ADMIN'] } }),
        ),
      },
    ],
    invalid: [
      {
        name: 'clone allowed on every argument',
        profile: allowlist(rule(['clone'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/0'],
      },
      {
        name: 'a mask that leaves CLONE_NEWUSER out',
        profile: allowlist(
          rule(['clone'], 'SCMP_ACT_ALLOW', {
            args: [arg(0, 'SCMP_CMP_MASKED_EQ', 0x6e020000, 0)],
          }),
        ),
        pointers: ['/syscalls/1/names/0'],
      },
      {
        name: 'unshare filtered on the wrong bits',
        profile: allowlist(
          rule(['unshare'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_MASKED_EQ', 0x400, 0)] }),
        ),
        pointers: ['/syscalls/1/names/0'],
      },
    ],
  },
};
