/**
 * The lint context of one profile: validate's issues, the OCI profile moby resolves for the host, the
 * plan runc + libseccomp build with every rule's fate, and the decision DAG of any syscall on any ABI.
 * Each part is computed once, on first use, so a detector that needs only the document costs nothing
 * more.
 */
import { X32_SYSCALL_BIT } from '../../arch/arches.js';
import type { ArchName } from '../../arch/types.js';
import { SECCOMP_RET_ERRNO } from '../../bpf/seccomp.js';
import { buildPlan } from '../../compile/build.js';
import { ENOSYS } from '../../compile/decide.js';
import { libseccompSizeIssues } from '../../compile/libseccomp-size.js';
import { maybeStack } from '../../compile/runtime-versions.js';
import { multiplexerBypassIssues } from '../../compile/multiplexer-check.js';
import type { FilterPlan, PlanLeaf, PlanNode, RuleRecord } from '../../compile/plan.js';
import { sortIssues } from '../../document/issues.js';
import { ProfileError, type ProfileIssue } from '../../profile/errors.js';
import { argIndexPointer, namePointer } from '../../profile/formats/docker.js';
import { join } from '../../profile/decode.js';
import { resolveProfile, type ResolvedProfile } from '../../profile/resolve.js';
import type { LoadedProfile, SyscallRule } from '../../profile/types.js';
import { checkForRunc } from '../../runc/check.js';
import type { LintContext, LintHost } from './types.js';

function firstIssue(e: ProfileError): ProfileIssue {
  return e.issues[0];
}

/** Build the context of one profile read from `file`; `fileIssues` are the file's parse issues. */
export function lintContext(
  doc: LoadedProfile,
  host: LintHost,
  fileIssues: readonly ProfileIssue[],
): LintContext {
  const profile = doc.profile;
  const base = doc.pointer ?? '';
  let issues: readonly ProfileIssue[] | undefined;
  let resolved: ResolvedProfile | null | undefined;
  let resolvedDone = false;
  let planDone = false;
  let plan: FilterPlan | undefined;
  let planError: ProfileIssue | undefined;
  const rules = new Map<string, SyscallRule>(profile.syscalls.map((r) => [r.pointer, r]));
  const stubLeaves = new Map<number, PlanLeaf>();

  const locateIssue = (i: ProfileIssue): ProfileIssue => {
    if (i.position !== undefined) return i;
    const pos = doc.locate(i.pointer);
    return pos === undefined ? i : { ...i, position: { file: doc.file, ...pos } };
  };

  const resolve = (): ResolvedProfile | null | undefined => {
    if (resolvedDone) return resolved;
    resolvedDone = true;
    try {
      const moby = resolveProfile(profile, host);
      resolved = moby === null ? null : maybeStack(moby, host.stack).profile;
    } catch (e) {
      if (!(e instanceof ProfileError)) throw e;
      planError = locateIssue(firstIssue(e));
      resolved = undefined;
    }
    return resolved;
  };

  const getPlan = (): FilterPlan | undefined => {
    if (planDone) return plan;
    planDone = true;
    const r = resolve();
    if (r === null || r === undefined) return undefined;
    try {
      plan = buildPlan(r, {
        arch: host.arch,
        libseccomp: host.libseccomp,
        ...maybeStack(r, host.stack).planOptions,
      });
    } catch (e) {
      if (!(e instanceof ProfileError)) throw e;
      planError = locateIssue(firstIssue(e));
    }
    return plan;
  };

  const ctx: LintContext = {
    file: doc.file,
    doc,
    profile,
    host,
    locate: (pointer) => doc.locate(pointer),
    get issues() {
      if (issues === undefined) {
        const checkHost = { caps: host.caps, kernel: host.kernel, libseccomp: host.libseccomp };
        const extra = [
          ...multiplexerBypassIssues(profile, checkHost),
          ...libseccompSizeIssues(profile, { ...checkHost, arch: host.arch }),
        ];
        issues = sortIssues(
          [...fileIssues, ...checkForRunc(doc, { libseccomp: host.libseccomp }), ...extra].map(
            locateIssue,
          ),
        );
      }
      return issues;
    },
    get resolved() {
      return resolve();
    },
    get plan() {
      return getPlan();
    },
    get planError() {
      getPlan();
      return planError;
    },
    get records(): readonly RuleRecord[] {
      return getPlan()?.rules ?? [];
    },
    ruleAt: (pointer) => rules.get(pointer),
    namePointer: (rule, j) => namePointer(rule, j),
    argIndexPointer: (rule, k) => argIndexPointer(rule, k),
    decisionRoot(abi: ArchName, nr: number): PlanNode | undefined {
      const p = getPlan();
      if (p === undefined) return undefined;
      const a = p.arches.find((x) => x.arch === abi);
      if (a === undefined) return p.badArch;
      const u = nr >>> 0;
      const s390Zero = (abi === 's390' || abi === 's390x') && u === 0;
      const sameHalf = abi === 'x32' ? (u & X32_SYSCALL_BIT) !== 0 : true;
      if (a.enosysMax !== undefined && sameHalf && !s390Zero && u > a.enosysMax >>> 0) {
        let leaf = stubLeaves.get(a.enosysMax);
        if (leaf === undefined) {
          leaf = {
            kind: 'ret',
            value: (SECCOMP_RET_ERRNO | ENOSYS) >>> 0,
            origin: { kind: 'enosys-stub', max: a.enosysMax },
          };
          stubLeaves.set(a.enosysMax, leaf);
        }
        return leaf;
      }
      return a.syscalls.find((s) => s.nr >>> 0 === u)?.root ?? a.defaultLeaf;
    },
    leafPointer(leaf: PlanLeaf): string | undefined {
      const o = leaf.origin;
      if (o.kind === 'default') return join(base, 'defaultAction');
      if (o.kind !== 'rule') return undefined;
      const rule = rules.get(o.pointer);
      if (rule === undefined) return o.pointer;
      const j = rule.names.indexOf(o.name);
      return j < 0 ? o.pointer : namePointer(rule, j);
    },
  };
  return ctx;
}
