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
  DecisionOrigin,
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
export interface BuildPlanOptions extends LibseccompOptions {
  /**
   * Whether runc's ENOSYS stub also covers the native arch when `architectures` does not list it:
   * runc >= 1.2.0 and >= 1.1.15 (compile/runtime-versions.ts). Default false: runc 1.1.5, Debian 12's.
   */
  readonly stubNative?: boolean;
  /**
   * Whether the runtime prepends runc's ENOSYS stub at all (default true: runc). crun has none
   * (docs/semantics.md#runc-enosys-stub), so its plan is built with `stub: false`.
   */
  readonly stub?: boolean;
}

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
  // One origin object per (pointer, name), shared by its tags, so a leaf's rule is known by identity
  // (ruleRecords).
  const originByKey = new Map<string, DecisionOrigin>();
  const tagOrigins: DecisionOrigin[] = tags.map((t) => {
    const key = `${t.pointer}\0${t.name}`;
    let o = originByKey.get(key);
    if (!o) originByKey.set(key, (o = { kind: 'rule', pointer: t.pointer, name: t.name }));
    return o;
  });
  const defaultOrigin: DecisionOrigin = { kind: 'default' };
  const leafCache = new Map<number, PlanLeaf>();
  const leafFor = (action: number, tag: number): PlanLeaf => {
    // action is a u32 and tags are < 2^20, so the key is exact.
    const key = action * 0x100000 + (tag + 1);
    let l = leafCache.get(key);
    if (!l) {
      l = { kind: 'ret', value: action >>> 0, origin: tagOrigins[tag] ?? defaultOrigin };
      leafCache.set(key, l);
    }
    return l;
  };

  // runc's ENOSYS stub (patchbpf `findLastSyscalls`): per arch of the profile's `architectures`
  // (the native arch only when listed, or always from runc 1.2.0 / 1.1.15 on: `stubNative`), the
  // largest number among all flattened rule names; an arch whose largest number is 0 gets no stub
  // section (docs/semantics.md#runc-enosys-stub).
  const stub = opts.stub !== false && runcAddsEnosysStub(profile.defaultAction);
  const allNames = profile.syscalls.flatMap((r) => r.names);
  const stubArches = new Set<ArchName>(
    profile.architectures.flatMap((s) => {
      const a = archByScmpName(s);
      return a ? [a.name] : [];
    }),
  );
  if (opts.stubNative === true) stubArches.add(opts.arch);

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
      'libseccomp 2.6 modelled as 2.6.0, whose programs it reproduces byte for byte (checked against 2.6.0 built from its release)',
    );
  }
  return {
    arches: archPlans,
    badArch,
    notes,
    rules: ruleRecords(rdb.runc, tagOrigins, archPlans, version),
  };
}

/** The origins of every leaf reachable from a syscall's root (iterative). */
function deciders(root: PlanNode, out: Set<DecisionOrigin>): Set<DecisionOrigin> {
  const seen = new Set<PlanNode>();
  const stack: PlanNode[] = [root];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (n.kind === 'cmp') {
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(n.then, n.else);
      continue;
    }
    out.add(n.origin);
  }
  return out;
}

/**
 * The recorded fate of every flattened rule: runc's (from src/runc), then, for a rule runc passed on,
 * per ABI whether a leaf of the program is the rule's (it decides), whether the syscall is in the
 * program at all (else absent), and otherwise which rules decide it instead (shadowed by them).
 * `tagOrigins[t]` is the origin of the t-th rule runc passed on (libseccomp.ts numbers them so).
 */
function ruleRecords(
  runc: readonly RuncRule[],
  tagOrigins: readonly DecisionOrigin[],
  archPlans: readonly ArchPlan[],
  version: LibseccompVersion,
): RuleRecord[] {
  const perArch = archPlans.map((a) => {
    const present = new Set<DecisionOrigin>();
    const roots = new Map<number, PlanNode>();
    for (const sp of a.syscalls) {
      roots.set(sp.nr, sp.root);
      deciders(sp.root, present);
    }
    const byNr = new Map<number, Set<DecisionOrigin>>();
    const decidersOf = (nr: number): Set<DecisionOrigin> => {
      let d = byNr.get(nr);
      if (!d) {
        const root = roots.get(nr);
        byNr.set(nr, (d = root ? deciders(root, new Set()) : new Set()));
      }
      return d;
    };
    const decides: RuleArchFate = { arch: a.arch, kind: 'decides' };
    return { arch: a.arch, roots, present, decidersOf, decides };
  });
  let tag = 0;
  return runc.map((r): RuleRecord => {
    const base = { pointer: r.pointer, name: r.name, nameIndex: r.nameIndex, runc: r.fate };
    if (runcConditionSets(r.fate).length === 0) return { ...base, arches: [] };
    const origin = tagOrigins[tag++];
    const arches = perArch.map(({ arch, roots, present, decidersOf, decides }): RuleArchFate => {
      if (origin !== undefined && present.has(origin)) return decides;
      const mux = multiplexerFor(arch, r.name);
      const nrs = [mux?.nr, libNumber(arch, r.name, version)].filter(
        (n): n is number => n !== undefined && roots.has(n),
      );
      if (nrs.length === 0) return { arch, kind: 'absent' };
      const by = new Set<string>();
      for (const n of nrs)
        for (const o of decidersOf(n))
          if (o.kind === 'rule' && o.pointer !== r.pointer) by.add(o.pointer);
      return { arch, kind: 'shadowed', by: [...by] };
    });
    return { ...base, arches };
  });
}
