/**
 * clone3-errno: clone3 is refused with something other than ENOSYS, so glibc (2.34+) does not fall
 * back to clone and thread creation fails.
 */
import { describeAction } from '../../../compile/explain.js';
import { ENOSYS, kernelOutcome } from '../../../compile/decide.js';
import { joinPointer } from '../../../document/pointer.js';
import { allowlist, rule } from '../case-kit.js';
import { ByPointer, syscallDecisions } from '../engine.js';
import { writesScmpActions } from '../query.js';
import type { Fix, LintRule } from '../types.js';

export const clone3Errno: LintRule = {
  meta: {
    id: 'clone3-errno',
    severity: 'error',
    security: false,
    short: 'clone3 refused with something other than ENOSYS: glibc cannot fall back to clone',
    long: "glibc 2.34 and later create threads and processes with clone3 and fall back to clone only when clone3 fails with ENOSYS. A profile that refuses clone3 with EPERM (an allowlist's usual default) or kills on it breaks pthread_create, fork and posix_spawn on Fedora 35, Ubuntu 21.10 and every newer distribution; Docker answers clone3 with ERRNO(38) ENOSYS for that reason. runc's ENOSYS stub covers clone3 only when it is above the highest syscall the profile names. `--fix` sets errnoRet 38 on a rule that refuses only clone3 with another errno.",
    sources: [
      'moby/moby#42680',
      'moby/moby#42681',
      'actions/runner-images#3812',
      'containerd/containerd#6203',
    ],
  },
  detect(ctx) {
    // Firecracker's profiles confine its own static (musl) threads, which never call clone3.
    if (ctx.doc.format === 'firecracker') return [];
    const groups = new ByPointer();
    const values = new Map<string, number>();
    for (const d of syscallDecisions(ctx, 'clone3')) {
      if (d.exposure !== 'refused') continue;
      for (const r of d.regions)
        for (const leaf of r.leaves) {
          const o = kernelOutcome(leaf.value);
          if (o.kind === 'errno' && o.errno === ENOSYS) continue;
          const p = ctx.leafPointer(leaf);
          if (p === undefined) continue;
          groups.add(p, d.abi, 'clone3');
          values.set(p, leaf.value);
        }
    }
    const fixable = writesScmpActions(ctx);
    return groups.entries().map((g) => {
      const value = values.get(g.pointer) ?? 0;
      let fix: Fix | undefined;
      const r = ctx.profile.syscalls.find(
        (x) => ctx.namePointer(x, x.names.indexOf('clone3')) === g.pointer,
      );
      if (
        fixable &&
        r?.action === 'SCMP_ACT_ERRNO' &&
        r.names.length === 1 &&
        r.errnoRet !== undefined &&
        ctx.locate(joinPointer(r.pointer, 'errnoRet')) !== undefined
      )
        fix = {
          description: 'answer clone3 with ERRNO(38) ENOSYS',
          edits: [{ op: 'replace', pointer: joinPointer(r.pointer, 'errnoRet'), value: ENOSYS }],
        };
      return {
        pointer: g.pointer,
        message: `clone3 gets ${describeAction(value)} on ${g.abis.join('/')}: glibc 2.34+ falls back to clone only on ENOSYS, so creating threads and processes fails; refuse clone3 with SCMP_ACT_ERRNO and errnoRet 38`,
        abis: g.abis,
        syscalls: ['clone3'],
        ...(fix === undefined ? {} : { fix }),
      };
    });
  },
  cases: {
    valid: [
      {
        name: 'clone3 gets ENOSYS',
        profile: allowlist(rule(['clone3'], 'SCMP_ACT_ERRNO', { errnoRet: 38 })),
      },
      {
        name: 'clone3 allowed (clone3-allowed reports it)',
        profile: allowlist(rule(['clone3'], 'SCMP_ACT_ALLOW')),
      },
    ],
    invalid: [
      {
        name: 'clone3 refused with EACCES',
        profile: allowlist(rule(['clone3'], 'SCMP_ACT_ERRNO', { errnoRet: 13 })),
        pointers: ['/syscalls/1/names/0'],
        fixed: allowlist(rule(['clone3'], 'SCMP_ACT_ERRNO', { errnoRet: 38 })),
      },
      {
        name: 'clone3 left to an EPERM default below the highest named syscall',
        profile: allowlist(rule(['openat2'], 'SCMP_ACT_ALLOW')),
        pointers: ['/defaultAction'],
      },
    ],
  },
};
