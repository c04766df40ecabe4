/**
 * The plan builder: what Docker -> runc -> libseccomp -> kernel decide for a resolved profile on one
 * host. The libseccomp port (libseccomp.ts) builds the database and program; the lifter (lift.ts)
 * turns the program back into per-syscall decision DAGs; runc's ENOSYS stub
 * (patchbpf/enosys_linux.go) is added per ABI; and every rule's fate is recorded (runc's from
 * src/runc, then libseccomp's per ABI).
 */
import { archByScmpName } from '../arch/arches.js';
import { multiplexerFor, syscallName, type LibseccompVersion } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { SECCOMP_RET_KILL_THREAD } from '../bpf/seccomp.js';
import {
  runcAddsEnosysStub,
  runcConditionSets,
  type RuncProfileInput,
  type RuncRule,
  type RuncRuleInput,
} from '../runc/rules.js';
import { must } from './libseccomp-db.js';
import { libNumber, libseccompFilter, type LibseccompOptions } from './libseccomp.js';
import { liftDecisions, type OriginLeaf } from './lift.js';
import type {
  ArchPlan,
  FilterPlan,
  PlanLeaf,
  PlanNode,
  RuleArchFate,
  RuleRecord,
  SyscallPlan,
} from './plan.js';

/** One rule of the input: the OCI `LinuxSyscall` fields runc reads, plus its source pointer. */
export type ModelSyscallRule = RuncRuleInput;

/**
 * The input of {@link buildPlan}: an OCI `LinuxSeccomp` as runc receives it. `ResolvedProfile` from
 * profile/resolve.ts satisfies it.
 */
export type ModelProfile = RuncProfileInput;

/** Options of {@link buildPlan}: how runc drives libseccomp on the host. */
export type BuildPlanOptions = LibseccompOptions;

/** The number runc's stub uses for `name` on `arch` (`GetSyscallFromNameByArch`; negative pseudo numbers skipped). */
function stubNumber(arch: ArchName, name: string, version: LibseccompVersion): number | undefined {
  if (multiplexerFor(arch, name) !== undefined) return undefined;
  return libNumber(arch, name, version);
}

/**
 * Build the plan runc + libseccomp produce for `profile` on host `opts.arch`. Throws ProfileError for
 * profiles the real stack refuses (naming the rule's pointer).
 */
export function buildPlan(profile: ModelProfile, opts: BuildPlanOptions): FilterPlan {
  const { db: rdb, program: prog } = libseccompFilter(profile, opts);
  const { version, notes, defAct, arches, dbs, tags } = rdb;
  const defaultLeaf: PlanLeaf = { kind: 'ret', value: defAct, origin: { kind: 'default' } };
  const leafCache = new Map<string, PlanLeaf>();
  const leafFor = (action: number, tag: number): PlanLeaf => {
    const key = `${action}:${tag}`;
    let l = leafCache.get(key);
    if (!l) {
      const t = tags[tag];
      l = {
        kind: 'ret',
        value: action >>> 0,
        origin: t ? { kind: 'rule', pointer: t.pointer, name: t.name } : { kind: 'default' },
      };
      leafCache.set(key, l);
    }
    return l;
  };

  // runc's ENOSYS stub (patchbpf `findLastSyscalls`): per arch of the profile's `architectures`
  // (the native arch only when listed), the largest number among all flattened rule names; an arch
  // whose largest number is 0 gets no stub section (docs/semantics.md#runc-enosys-stub).
  const stub = runcAddsEnosysStub(profile.defaultAction);
  const allNames = profile.syscalls.flatMap((r) => r.names);
  const stubArches = new Set<ArchName>(
    profile.architectures.flatMap((s) => {
      const a = archByScmpName(s);
      return a ? [a.name] : [];
    }),
  );

  const badArch: PlanLeaf = {
    kind: 'ret',
    value: SECCOMP_RET_KILL_THREAD,
    origin: { kind: 'bad-arch' },
  };
  const originLeaf: OriginLeaf = (value, origin) => {
    const v = value >>> 0;
    if (origin?.kind === 'rule') return leafFor(v, origin.tag);
    if (origin?.kind === 'bad-arch' && v === badArch.value) return badArch;
    if (v === defAct >>> 0) return defaultLeaf;
    return leafFor(v, -1);
  };
  const lost = new Set<ArchName>(prog.withoutNrLoad);
  for (const a of lost) {
    notes.push(
      `libseccomp ${version} at optimize level 1 drops the syscall-number load of the ${a} section ` +
        '(its first syscall by priority is one absent on the arch), so every syscall there takes the default action',
    );
  }
  const archPlans: ArchPlan[] = arches.map((a) => {
    const db = must(dbs.get(a.name));
    const listed = [...db.syscalls.values()]
      .filter(() => !lost.has(a.name))
      .filter((s) => s.num >= 0)
      .sort((x, y) => x.num - y.num);
    const roots = liftDecisions(
      prog,
      a.auditArch,
      listed.map((s) => s.num),
      a.endian,
      originLeaf,
    );
    const syscalls: SyscallPlan[] = listed.map((s) => ({
      nr: s.num,
      name: syscallName(a.name, s.num) ?? `nr${s.num}`,
      root: must(roots.get(s.num >>> 0)),
    }));
    let max: number | undefined;
    if (stub && stubArches.has(a.name)) {
      for (const n of allNames) {
        const nr = stubNumber(a.name, n, version);
        if (nr !== undefined && nr > 0 && (max === undefined || nr > max)) max = nr;
      }
    }
    const plan: ArchPlan =
      max === undefined
        ? { arch: a.name, auditArch: a.auditArch, syscalls, defaultLeaf }
        : { arch: a.name, auditArch: a.auditArch, syscalls, defaultLeaf, enosysMax: max };
    return plan;
  });
  if (version === '2.6') {
    notes.push(
      'libseccomp 2.6 modelled with the 2.5.4 rule database; only the syscall table differs',
    );
  }
  return {
    arches: archPlans,
    badArch,
    notes,
    rules: ruleRecords(rdb.runc, archPlans, version),
  };
}

/** The rule origins of every leaf reachable from a syscall's root (pointer per leaf, iterative). */
function deciders(root: PlanNode): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const seen = new Set<PlanNode>();
  const stack: PlanNode[] = [root];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.kind === 'cmp') {
      stack.push(n.then, n.else);
      continue;
    }
    if (n.origin.kind !== 'rule') continue;
    let names = out.get(n.origin.pointer);
    if (!names) out.set(n.origin.pointer, (names = new Set()));
    names.add(n.origin.name);
  }
  return out;
}

/**
 * The recorded fate of every flattened rule: runc's (from src/runc), then, for a rule runc passed on,
 * per ABI whether a leaf of the program is the rule's (it decides), whether the syscall is in the
 * program at all (else absent), and otherwise which rules decide it instead (shadowed by them).
 */
function ruleRecords(
  runc: readonly RuncRule[],
  archPlans: readonly ArchPlan[],
  version: LibseccompVersion,
): RuleRecord[] {
  const perArch = archPlans.map((a) => {
    const byNr = new Map<number, Map<string, Set<string>>>();
    const present = new Set<string>();
    for (const sp of a.syscalls) {
      const d = deciders(sp.root);
      byNr.set(sp.nr, d);
      for (const [pointer, names] of d) for (const n of names) present.add(`${pointer}\0${n}`);
    }
    return { arch: a.arch, byNr, present };
  });
  return runc.map((r) => {
    const base = { pointer: r.pointer, name: r.name, nameIndex: r.nameIndex, runc: r.fate };
    if (runcConditionSets(r.fate).length === 0) return { ...base, arches: [] };
    const arches = perArch.map(({ arch, byNr, present }): RuleArchFate => {
      if (present.has(`${r.pointer}\0${r.name}`)) return { arch, kind: 'decides' };
      const mux = multiplexerFor(arch, r.name);
      const nrs = [mux?.nr, libNumber(arch, r.name, version)].filter(
        (n): n is number => n !== undefined && byNr.has(n),
      );
      if (nrs.length === 0) return { arch, kind: 'absent' };
      const by = new Set<string>();
      for (const n of nrs)
        for (const p of byNr.get(n)?.keys() ?? []) if (p !== r.pointer) by.add(p);
      return { arch, kind: 'shadowed', by: [...by] };
    });
    return { ...base, arches };
  });
}
