/**
 * ptrace-min-kernel: ptrace would run on a kernel older than 4.8, where a tracer can change the
 * syscall number after the seccomp check; Docker gates its ptrace allow with `minKernel: "4.8"`.
 */
import { syscallNumber } from '../../../arch/syscalls.js';
import { allowlist, rule } from '../case-kit.js';
import { ByPointer, leafRuns, regionsOf } from '../engine.js';
import { planForKernel, planRoot } from '../query.js';
import type { LintRule } from '../types.js';

/** The calls Docker allows only from 4.8 on (moby/profiles default.json, commit 3b9f33b). */
const GATED = ['ptrace', 'process_vm_readv', 'process_vm_writev'];

/** The newest kernel with the ptrace seccomp bypass (fixed in 4.8 by 93e35efb8de4). */
const BEFORE_FIX = { major: 4, minor: 7 };

export const ptraceMinKernel: LintRule = {
  meta: {
    id: 'ptrace-min-kernel',
    severity: 'warning',
    security: true,
    short: 'ptrace allowed on kernels before 4.8, where it bypasses seccomp',
    long: 'Before Linux 4.8 the seccomp check ran before a ptrace tracer could rewrite the syscall number, so a traced child could run any syscall the filter refuses (fixed by kernel commit 93e35efb8de4). Docker allows ptrace, process_vm_readv and process_vm_writev only under `includes.minKernel: "4.8"`. The rule resolves the profile for the same host with kernel 4.7 and reports the rules that still let ptrace run there; add the same minKernel gate (or gate them behind CAP_SYS_PTRACE).',
    sources: [
      'moby/profiles commits 3b9f33b and dca1578',
      'torvalds/linux commit 93e35efb8de4',
      'docs.docker.com/engine/security/seccomp',
    ],
  },
  detect(ctx) {
    const plan = ctx.plan;
    if (plan === undefined) return [];
    if (!plan.arches.some((a) => syscallNumber(a.arch, 'ptrace') !== undefined)) return [];
    // Without a minKernel gate anywhere, the plan does not depend on the kernel.
    const kernelGated = ctx.profile.syscalls.some(
      (r) => r.includes?.minKernel !== undefined || r.excludes?.minKernel !== undefined,
    );
    const old = kernelGated ? planForKernel(ctx, BEFORE_FIX) : plan;
    if (old === undefined) return [];
    const groups = new ByPointer();
    for (const a of old.arches) {
      const nr = syscallNumber(a.arch, 'ptrace');
      if (nr === undefined) continue;
      const root = planRoot(old, a.arch, nr);
      if (root === undefined) continue;
      for (const r of regionsOf(root))
        for (const leaf of r.leaves) {
          if (!leafRuns(leaf)) continue;
          const p = ctx.leafPointer(leaf);
          if (p !== undefined) groups.add(p, a.arch, 'ptrace');
        }
    }
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `ptrace is allowed on ${g.abis.join('/')} even on kernels before 4.8, where a tracer can rewrite a syscall after seccomp checked it and so run anything the profile refuses; add "includes": {"minKernel": "4.8"} to the rule allowing ${GATED.join(', ')}`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      {
        name: 'ptrace gated by minKernel 4.8',
        profile: allowlist(rule(['ptrace'], 'SCMP_ACT_ALLOW', { includes: { minKernel: '4.8' } })),
      },
      {
        name: 'ptrace gated by CAP_SYS_PTRACE, which the container lacks',
        profile: allowlist(
          rule(['ptrace'], 'SCMP_ACT_ALLOW', { includes: { caps: ['CAP_SYS_PTRACE'] } }),
        ),
      },
    ],
    invalid: [
      {
        name: 'ptrace allowed on every kernel',
        profile: allowlist(rule(['ptrace', 'process_vm_readv'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/0'],
      },
      {
        name: 'allowed by the default action',
        profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['mount'], 'SCMP_ACT_ERRNO')] },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
