/** errno-zero: an ERRNO decision with errno 0: the call is not run, yet the caller sees success. */
import { SECCOMP_RET_ERRNO } from '../../../bpf/seccomp.js';
import { joinPointer } from '../../../document/pointer.js';
import type { PlanLeaf, PlanNode } from '../../../compile/plan.js';
import { allowlist, rule } from '../case-kit.js';
import type { LintRule, RawFinding } from '../types.js';

function leaves(root: PlanNode, out: Set<PlanLeaf>): void {
  const seen = new Set<PlanNode>();
  const stack: PlanNode[] = [root];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (n.kind === 'ret') {
      out.add(n);
      continue;
    }
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(n.then, n.else);
  }
}

export const errnoZero: LintRule = {
  meta: {
    id: 'errno-zero',
    severity: 'warning',
    security: true,
    short: 'ERRNO with errno 0: the call is skipped but reports success',
    long: "SCMP_ACT_ERRNO with errno 0 makes the kernel skip the call and return 0, so the program believes a refused call succeeded (a write that wrote nothing, a setuid that changed nothing) and goes on in a state it never checked. runc's 16-bit cast also turns errnoRet 65536 into 0. Use a real errno: EPERM (1), or ENOSYS (38) for calls libc can do without.",
    sources: ['seccomp(2) SECCOMP_RET_ERRNO', 'containers/common pkg/seccomp/types.go'],
  },
  detect(ctx) {
    const plan = ctx.plan;
    if (plan === undefined) return [];
    const found = new Set<PlanLeaf>();
    for (const a of plan.arches) {
      found.add(a.defaultLeaf);
      for (const s of a.syscalls) leaves(s.root, found);
    }
    const out: RawFinding[] = [];
    const pointers = new Set<string>();
    const base = ctx.doc.pointer ?? '';
    for (const leaf of found) {
      if (leaf.value >>> 0 !== SECCOMP_RET_ERRNO >>> 0) continue;
      const o = leaf.origin;
      const pointer =
        o.kind === 'default'
          ? joinPointer(
              base,
              ctx.profile.defaultErrnoRet === undefined ? 'defaultAction' : 'defaultErrnoRet',
            )
          : o.kind === 'rule'
            ? joinPointer(
                o.pointer,
                ctx.ruleAt(o.pointer)?.errnoRet === undefined ? 'action' : 'errnoRet',
              )
            : undefined;
      if (pointer === undefined || pointers.has(pointer)) continue;
      pointers.add(pointer);
      out.push({
        pointer,
        message:
          o.kind === 'default'
            ? 'the default action returns errno 0: every refused call is skipped and reports success'
            : `ERRNO with errno 0 for ${o.kind === 'rule' ? o.name : 'these calls'}: the call is skipped and reports success; use EPERM (1) or ENOSYS (38)`,
      });
    }
    return out;
  },
  cases: {
    valid: [
      { name: 'EPERM', profile: allowlist(rule(['mount'], 'SCMP_ACT_ERRNO', { errnoRet: 13 })) },
    ],
    invalid: [
      {
        name: 'errnoRet 0',
        profile: allowlist(rule(['mount'], 'SCMP_ACT_ERRNO', { errnoRet: 0 })),
        pointers: ['/syscalls/1/errnoRet'],
      },
      {
        name: 'errnoRet 65536 (runc keeps 16 bits)',
        profile: allowlist(rule(['mount'], 'SCMP_ACT_ERRNO', { errnoRet: 65536 })),
        pointers: ['/syscalls/1/errnoRet'],
      },
      {
        name: 'default errno 0',
        profile: { ...allowlist(), defaultErrnoRet: 0 },
        pointers: ['/defaultErrnoRet'],
      },
    ],
  },
};
