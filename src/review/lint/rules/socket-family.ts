/** socket-family: `socket` allowed for every address family (no filter on argument 0) on some ABI. */
import { allowlist, arg, rule } from '../case-kit.js';
import { ByPointer, leafRuns, syscallDecisions } from '../engine.js';
import type { LintRule } from '../types.js';

export const socketFamily: LintRule = {
  meta: {
    id: 'socket-family',
    severity: 'warning',
    security: true,
    short: '`socket` allowed without an address-family filter',
    long: "With no condition on socket's first argument every address family is reachable, including AF_ALG (CVE-2026-31431), AF_VSOCK (CVE-2021-26708) and AF_PACKET (CVE-2017-7308, CVE-2020-14386). Docker's default refuses AF_ALG and AF_VSOCK with range rules on argument 0; allow only the families the workload uses.",
    sources: [
      'moby/moby#52494',
      'moby/profiles commit 0597e05',
      'nvd.nist.gov/vuln/detail/CVE-2026-31431',
    ],
  },
  detect(ctx) {
    const groups = new ByPointer();
    for (const d of syscallDecisions(ctx, 'socket')) {
      for (const region of d.regions) {
        const leaf = region.leaves[0];
        if (leaf === undefined || !leafRuns(leaf)) continue;
        if (region.literals.some((l) => l.arg === 0)) continue;
        const p = ctx.leafPointer(leaf);
        if (p !== undefined) groups.add(p, d.abi, 'socket');
      }
    }
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `socket is allowed for every address family on ${g.abis.join('/')} (AF_ALG, AF_VSOCK and AF_PACKET included): add conditions on argument 0 for the families the workload needs`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      {
        name: 'AF_UNIX and AF_INET only',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 1)] }),
          rule(['socket'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 2)] }),
        ),
      },
      { name: 'socket refused', profile: allowlist() },
    ],
    invalid: [
      {
        name: 'unconditional socket',
        profile: allowlist(rule(['socket'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/0'],
      },
      {
        name: 'filtered on the type only',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW', { args: [arg(1, 'SCMP_CMP_EQ', 1)] }),
        ),
        pointers: ['/syscalls/1/names/0'],
      },
    ],
  },
};
