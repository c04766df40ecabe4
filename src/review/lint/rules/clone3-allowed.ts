/** clone3-allowed: `clone3` lets some calls run; its flags live in user memory, so no filter can check them. */
import { allowlist, rule } from '../case-kit.js';
import { ByPointer, syscallDecisions } from '../engine.js';
import type { LintRule } from '../types.js';

export const clone3Allowed: LintRule = {
  meta: {
    id: 'clone3-allowed',
    severity: 'error',
    security: true,
    short: '`clone3` allowed: its namespace flags cannot be filtered',
    long: 'clone3 takes its flags in a struct in user memory, which seccomp cannot read, so allowing it allows CLONE_NEWUSER and every other namespace flag that `clone` rules mask. Refuse it with ERRNO(38) ENOSYS, as Docker does without CAP_SYS_ADMIN: glibc 2.34+ then falls back to the filterable clone.',
    sources: ['moby/moby#42680', 'moby/moby#42681', 'containers/containerd#6203'],
  },
  detect(ctx) {
    const groups = new ByPointer();
    for (const d of syscallDecisions(ctx, 'clone3'))
      for (const leaf of d.running) {
        const p = ctx.leafPointer(leaf);
        if (p !== undefined) groups.add(p, d.abi, 'clone3');
      }
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `clone3 is allowed on ${g.abis.join('/')}: its flags are in user memory, so namespace creation cannot be filtered; refuse it with SCMP_ACT_ERRNO and errnoRet 38 (ENOSYS) so libc falls back to clone`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      {
        name: 'clone3 gets ENOSYS',
        profile: allowlist(rule(['clone3'], 'SCMP_ACT_ERRNO', { errnoRet: 38 })),
      },
    ],
    invalid: [
      {
        name: 'clone3 allowed',
        profile: allowlist(rule(['clone', 'clone3'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/1'],
      },
      {
        name: 'allowed by the default action',
        profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['mount'], 'SCMP_ACT_ERRNO')] },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
