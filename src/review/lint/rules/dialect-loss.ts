/**
 * dialect-loss: a Docker-dialect profile whose `includes`/`excludes` gates keep risky syscalls
 * refused; read as plain OCI (a Kubernetes Localhost profile on containerd, a config.json for runc)
 * the gates are ignored and those syscalls become allowed.
 */
import { syscallEntries } from '../../../arch/syscalls.js';
import { buildPlan } from '../../../compile/build.js';
import type { PlanNode } from '../../../compile/plan.js';
import { joinPointer } from '../../../document/pointer.js';
import { riskAtLeast, riskOf } from '../../../kb/index.js';
import { ProfileError } from '../../../profile/errors.js';
import { allowlist, rule } from '../case-kit.js';
import { leafRuns, regionsOf } from '../engine.js';
import { planRoot } from '../query.js';
import type { LintRule, RawFinding } from '../types.js';

export const dialectLoss: LintRule = {
  meta: {
    id: 'dialect-loss',
    severity: 'info',
    security: true,
    short: 'Risky syscalls refused only by includes/excludes, which plain OCI readers ignore',
    long: "includes, excludes and archMap are moby's extensions. containerd reads a Kubernetes Localhost profile as a plain OCI LinuxSeccomp, and runc reads config.json the same way, so there every rule applies on every host and for every capability set: the cap-gated allows of mount, unshare, bpf or ptrace in a profile copied from Docker's default become unconditional. The rule compiles the profile both ways for the host and lists the high and critical syscalls that only the moby reading refuses, at the gate that keeps them refused. Use it only with Docker, or drop the gated rules before handing it to another runtime.",
    sources: [
      'kubernetes/kubernetes#39128',
      'containerd contrib/seccomp/seccomp.go',
      'opencontainers/runtime-spec config-linux.md',
    ],
  },
  detect(ctx) {
    const plan = ctx.plan;
    const native = plan?.arches[0];
    if (native === undefined || (ctx.doc.format !== 'docker' && ctx.doc.format !== 'podman'))
      return [];
    const p = ctx.profile;
    const gated = p.syscalls.filter((r) => r.includes !== undefined || r.excludes !== undefined);
    if (gated.length === 0 || p.defaultAction === undefined) return [];
    let oci;
    try {
      oci = buildPlan(
        {
          defaultAction: p.defaultAction,
          ...(p.defaultErrnoRet === undefined ? {} : { defaultErrnoRet: p.defaultErrnoRet }),
          architectures: p.architectures,
          ...(p.listenerPath === undefined ? {} : { listenerPath: p.listenerPath }),
          syscalls: p.syscalls,
        },
        { arch: ctx.host.arch, libseccomp: ctx.host.libseccomp },
      );
    } catch (e) {
      if (e instanceof ProfileError) return [];
      throw e;
    }
    const runs = (root: PlanNode | undefined): boolean =>
      root !== undefined && regionsOf(root).some((r) => r.leaves.every(leafRuns));
    const byGate = new Map<string, string[]>();
    for (const e of syscallEntries(native.arch)) {
      if (!riskAtLeast(riskOf(e.name).level, 'high')) continue;
      if (runs(ctx.decisionRoot(native.arch, e.nr))) continue;
      const root = planRoot(oci, native.arch, e.nr);
      if (root === undefined || !runs(root)) continue;
      const leaf = regionsOf(root)
        .flatMap((r) => r.leaves)
        .find((l) => leafRuns(l) && l.origin.kind === 'rule');
      const origin = leaf?.origin;
      const r = origin?.kind === 'rule' ? ctx.ruleAt(origin.pointer) : undefined;
      if (r === undefined) continue;
      const gate = joinPointer(r.pointer, r.includes !== undefined ? 'includes' : 'excludes');
      byGate.set(gate, [...(byGate.get(gate) ?? []), e.name]);
    }
    const out: RawFinding[] = [];
    for (const [pointer, names] of byGate)
      out.push({
        pointer,
        message: `only this ${pointer.endsWith('includes') ? 'includes' : 'excludes'} gate keeps ${names.join(', ')} refused on ${native.arch}: read as plain OCI (containerd's Localhost profiles, runc's config.json) the gate is ignored and ${names.length > 1 ? 'they are' : 'it is'} allowed`,
        abis: [native.arch],
        syscalls: names,
      });
    return out;
  },
  cases: {
    valid: [
      {
        name: 'an arch gate on a harmless syscall',
        profile: allowlist(
          rule(['arch_prctl'], 'SCMP_ACT_ALLOW', { includes: { arches: ['amd64'] } }),
        ),
      },
      { name: 'no gates', profile: allowlist(rule(['getpid'], 'SCMP_ACT_ALLOW')) },
    ],
    invalid: [
      {
        name: 'mount allowed for CAP_SYS_ADMIN',
        profile: allowlist(
          rule(['mount', 'umount2'], 'SCMP_ACT_ALLOW', { includes: { caps: ['CAP_SYS_ADMIN'] } }),
        ),
        pointers: ['/syscalls/1/includes'],
      },
    ],
  },
};
