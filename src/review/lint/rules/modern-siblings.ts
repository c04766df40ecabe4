/**
 * modern-siblings: the profile allows a call but answers its newer replacement with something other
 * than ENOSYS, so libc, which tries the newer call first, never falls back (faccessat2, *_time64).
 */
import { syscallNumber } from '../../../arch/syscalls.js';
import { ENOSYS, kernelOutcome } from '../../../compile/decide.js';
import { describeAction } from '../../../compile/explain.js';
import { ENOSYS_SUCCESSORS } from '../../../kb/index.js';
import { allowlist, rule } from '../case-kit.js';
import { ByPointer, leafRuns, regionsOf } from '../engine.js';
import type { LintRule } from '../types.js';

export const modernSiblings: LintRule = {
  meta: {
    id: 'modern-siblings',
    severity: 'warning',
    security: false,
    short: 'A call is allowed but its newer replacement is refused without ENOSYS',
    long: "libc tries the newer syscall first and falls back to the older one only when the kernel says ENOSYS: glibc 2.33 calls faccessat2 before faccessat, glibc 2.34 with 64-bit time_t calls clock_gettime64, futex_time64 and the other *_time64 calls on 32-bit ABIs, glibc 2.39 calls fchmodat2. A profile that allows the older call but refuses the newer one with EPERM (an allowlist's usual default) or kills on it breaks the program although it meant to allow the operation. runc's ENOSYS stub helps only for syscalls above the highest number the profile names. Allow the newer call too, or refuse it with SCMP_ACT_ERRNO and errnoRet 38.",
    sources: [
      'moby/moby#41353',
      'coreos/coreos-installer#540',
      'seccomp/libseccomp#228',
      'opencontainers/runc#2151',
    ],
  },
  detect(ctx) {
    const plan = ctx.plan;
    // Firecracker's profiles confine its own static (musl) threads, not a libc that falls back.
    if (plan === undefined || ctx.doc.format === 'firecracker') return [];
    const groups = new ByPointer();
    const detail = new Map<string, { older: string; value: number }>();
    for (const a of plan.arches)
      for (const [older, newer] of Object.entries(ENOSYS_SUCCESSORS)) {
        const oldNr = syscallNumber(a.arch, older);
        if (oldNr === undefined) continue;
        const oldRoot = ctx.decisionRoot(a.arch, oldNr);
        if (oldRoot === undefined || !regionsOf(oldRoot).some((r) => r.leaves.every(leafRuns)))
          continue;
        for (const n of newer) {
          const nr = syscallNumber(a.arch, n);
          if (nr === undefined) continue;
          const root = ctx.decisionRoot(a.arch, nr);
          if (root === undefined) continue;
          const regions = regionsOf(root);
          if (regions.some((r) => r.leaves.every(leafRuns))) continue;
          for (const r of regions)
            for (const leaf of r.leaves) {
              const o = kernelOutcome(leaf.value);
              if (o.kind === 'errno' && o.errno === ENOSYS) continue;
              const p = ctx.leafPointer(leaf);
              if (p === undefined) continue;
              groups.add(p, a.arch, n);
              if (!detail.has(`${p}\0${n}`)) detail.set(`${p}\0${n}`, { older, value: leaf.value });
            }
        }
      }
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `${g.syscalls
        .map((n) => {
          const d = detail.get(`${g.pointer}\0${n}`);
          return d === undefined
            ? n
            : `${n} gets ${describeAction(d.value)} while ${d.older} is allowed`;
        })
        .join(
          '; ',
        )} (on ${g.abis.join('/')}): libc tries the newer call first and falls back only on ENOSYS; allow it too, or refuse it with SCMP_ACT_ERRNO and errnoRet 38`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      {
        name: 'faccessat and faccessat2 both allowed',
        profile: allowlist(rule(['faccessat', 'faccessat2'], 'SCMP_ACT_ALLOW')),
      },
      {
        name: 'faccessat2 refused with ENOSYS',
        profile: allowlist(
          rule(['faccessat'], 'SCMP_ACT_ALLOW'),
          rule(['faccessat2'], 'SCMP_ACT_ERRNO', { errnoRet: 38 }),
        ),
      },
    ],
    invalid: [
      {
        name: 'faccessat allowed, faccessat2 left to the EPERM default below the highest name',
        profile: allowlist(
          rule(['faccessat', 'openat2', 'close_range'], 'SCMP_ACT_ALLOW'),
          rule(['epoll_pwait2'], 'SCMP_ACT_ALLOW'),
        ),
        pointers: ['/defaultAction'],
      },
      {
        name: 'clock_gettime64 refused on x86',
        profile: allowlist(
          rule(['clock_gettime'], 'SCMP_ACT_ALLOW'),
          rule(['clock_gettime64'], 'SCMP_ACT_ERRNO', { errnoRet: 13 }),
        ),
        pointers: ['/syscalls/2/names/0'],
      },
    ],
  },
};
