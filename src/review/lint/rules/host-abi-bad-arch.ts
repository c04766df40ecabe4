/**
 * host-abi-bad-arch: an ABI the host runs is not in the filter, so every call through it gets
 * libseccomp's bad-architecture action (the thread is killed). Tighter, but 32-bit programs die.
 */
import { describeAction } from '../../../compile/explain.js';
import { joinPointer } from '../../../document/pointer.js';
import { allowlist } from '../case-kit.js';
import type { LintRule } from '../types.js';

export const hostAbiBadArch: LintRule = {
  meta: {
    id: 'host-abi-bad-arch',
    severity: 'info',
    security: false,
    short: 'An ABI of the host is left to the bad-architecture action',
    long: "A filter decides only the ABIs it lists (plus the native one, which runc always adds); a call through any other ABI the machine runs, such as an i386 program's int $0x80 or an x32 program on x86_64, gets libseccomp's bad-architecture action, KILL_THREAD. That is tighter, not a hole, so this is information: but 32-bit binaries in the container are killed at their first syscall. List the compat ABIs (Docker's archMap does: x86_64 with x86 and x32) if such programs must run, and filter them like the native one.",
    sources: [
      'moby/profiles seccomp/default.json archMap',
      'netblue30/firejail#86',
      'seccomp/libseccomp src/gen_bpf.c (_gen_bpf_arch)',
    ],
  },
  detect(ctx) {
    const plan = ctx.plan;
    if (plan === undefined) return [];
    const covered = new Set(plan.arches.map((a) => a.arch));
    const missing = ctx.host.abis.filter((a) => !covered.has(a));
    if (missing.length === 0) return [];
    const base = ctx.doc.pointer ?? '';
    const p = ctx.profile;
    const pointer =
      p.architectures.length > 0
        ? joinPointer(base, 'architectures')
        : p.archMap !== undefined && p.archMap.length > 0
          ? joinPointer(base, 'archMap')
          : joinPointer(base, 'defaultAction');
    return [
      {
        pointer,
        message: `the filter covers ${[...covered].join(', ')} but the ${ctx.host.arch} host also runs ${missing.join(', ')}: every call through ${missing.length > 1 ? 'them' : 'it'} gets ${describeAction(plan.badArch.value)} (libseccomp's bad-architecture action), so such programs are killed at their first syscall`,
        abis: missing,
      },
    ];
  },
  cases: {
    valid: [{ name: 'x86_64 with x86 and x32', profile: allowlist() }],
    invalid: [
      {
        name: 'only x86_64 listed',
        profile: { ...allowlist(), architectures: ['SCMP_ARCH_X86_64'] },
        pointers: ['/architectures'],
      },
      {
        name: 'no architectures at all',
        profile: {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
        },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
