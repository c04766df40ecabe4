/** entrypoint-blocked: execve is refused on the native ABI, so the container's entrypoint can never start. */
import { syscallNumber } from '../../../arch/syscalls.js';
import { describeAction } from '../../../compile/explain.js';
import { allowlist, arg, rule } from '../case-kit.js';
import { ByPointer, leafRuns, regionsOf } from '../engine.js';
import type { LintRule } from '../types.js';

export const entrypointBlocked: LintRule = {
  meta: {
    id: 'entrypoint-blocked',
    severity: 'error',
    security: false,
    short: 'execve is refused: the container cannot start its entrypoint',
    long: 'The runtime loads the filter before it executes the container\'s entrypoint (runc, crun and bubblewrap all do), so the filter must allow execve, or nothing ever runs: the container fails at start with "operation not permitted" (or is killed). A profile written from an application\'s own syscalls misses it because the application never calls it. Reported when the compiled filter refuses execve for every argument vector on the native ABI.',
    sources: ['moby/moby#22252', 'opencontainers/runc libcontainer/standard_init_linux.go'],
  },
  detect(ctx) {
    if (ctx.doc.format === 'firecracker') return [];
    const native = ctx.plan?.arches[0];
    if (native === undefined) return [];
    const nr = syscallNumber(native.arch, 'execve');
    if (nr === undefined) return [];
    const root = ctx.decisionRoot(native.arch, nr);
    if (root === undefined) return [];
    const regions = regionsOf(root);
    if (regions.some((r) => r.leaves.every(leafRuns))) return [];
    const groups = new ByPointer();
    const value = new Map<string, number>();
    for (const r of regions)
      for (const leaf of r.leaves) {
        const p = ctx.leafPointer(leaf);
        if (p === undefined) continue;
        groups.add(p, native.arch, 'execve');
        value.set(p, leaf.value);
      }
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `execve gets ${describeAction(value.get(g.pointer) ?? 0)} on ${native.arch} for every argument: the runtime executes the entrypoint after loading the filter, so the container cannot start; allow execve`,
      abis: g.abis,
      syscalls: ['execve'],
    }));
  },
  cases: {
    valid: [
      { name: 'execve allowed', profile: allowlist(rule(['execve'], 'SCMP_ACT_ALLOW')) },
      {
        name: 'execve allowed for some arguments',
        profile: allowlist(
          rule(['execve'], 'SCMP_ACT_ALLOW', { args: [arg(2, 'SCMP_CMP_NE', 0)] }),
        ),
      },
    ],
    invalid: [
      {
        name: 'execve left to the default',
        profile: allowlist(),
        pointers: ['/defaultAction'],
      },
      {
        name: 'execve killed',
        profile: allowlist(rule(['execve'], 'SCMP_ACT_KILL_PROCESS')),
        pointers: ['/syscalls/1/names/0'],
      },
    ],
  },
};
