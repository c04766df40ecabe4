/**
 * runtime-post-load: an allowlist refuses a syscall runc itself makes after loading the filter
 * (capset, setgroups, setuid, execve...), so the container does not start unless no-new-privileges
 * is set.
 */
import { syscallNumber } from '../../../arch/syscalls.js';
import { RUNC_POST_LOAD } from '../../../kb/index.js';
import { allowlist, rule } from '../case-kit.js';
import { ByPointer, leafRuns, regionsOf } from '../engine.js';
import type { LintRule } from '../types.js';

export const runtimePostLoad: LintRule = {
  meta: {
    id: 'runtime-post-load',
    severity: 'warning',
    security: false,
    short: 'A syscall runc makes after loading the filter is refused',
    long: 'Without no-new-privileges (Docker\'s default), runc loads the seccomp filter while it still holds its privileges and only then drops capabilities, switches user and group, closes leaked descriptors and executes the entrypoint, so a profile must allow prctl, capset, setgroups, setgid, setuid, execve and the Go runtime\'s calls too (measured with runc 1.1.5 under strace; runc 1.2 adds close_range and openat2). A profile recorded from the workload alone misses them and the container fails with "operation not permitted" before the entrypoint runs. The rule lists the ones the filter refuses on the native ABI for every argument vector. With --security-opt no-new-privileges runc loads the filter last, and only execve is needed.',
    sources: [
      'moby/moby#22252',
      'moby/moby#24661',
      'inspektor-gadget/inspektor-gadget#267',
      'opencontainers/runc libcontainer/standard_init_linux.go',
    ],
  },
  detect(ctx) {
    if (ctx.doc.format === 'firecracker') return [];
    const native = ctx.plan?.arches[0];
    if (native === undefined || leafRuns(native.defaultLeaf)) return [];
    const groups = new ByPointer();
    for (const name of Object.keys(RUNC_POST_LOAD)) {
      const nr = syscallNumber(native.arch, name);
      if (nr === undefined) continue;
      const root = ctx.decisionRoot(native.arch, nr);
      if (root === undefined) continue;
      const regions = regionsOf(root);
      if (regions.some((r) => r.leaves.every(leafRuns))) continue;
      for (const r of regions)
        for (const leaf of r.leaves) {
          const p = ctx.leafPointer(leaf);
          if (p !== undefined) groups.add(p, native.arch, name);
        }
    }
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `runc calls ${g.syscalls.join(', ')} after loading the filter (unless no-new-privileges is set), and the filter refuses ${g.syscalls.length > 1 ? 'them' : 'it'} on ${g.abis.join('/')}: the container fails before its entrypoint runs (${g.syscalls
        .map((s) => RUNC_POST_LOAD[s])
        .slice(0, 3)
        .join('; ')}${g.syscalls.length > 3 ? '; ...' : ''})`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      {
        name: 'every post-load syscall allowed',
        profile: allowlist(rule(Object.keys(RUNC_POST_LOAD), 'SCMP_ACT_ALLOW')),
      },
      {
        name: 'an allow-by-default profile',
        profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['mount'], 'SCMP_ACT_ERRNO')] },
      },
    ],
    invalid: [
      {
        name: 'capset and execve missing',
        profile: allowlist(
          rule(
            Object.keys(RUNC_POST_LOAD).filter((n) => n !== 'capset' && n !== 'execve'),
            'SCMP_ACT_ALLOW',
          ),
        ),
        pointers: ['/defaultAction'],
      },
    ],
  },
};
