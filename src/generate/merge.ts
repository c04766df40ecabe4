/**
 * Merging several runs, replicas or containers into one: evidence files (counts summed, coverage =
 * how many inputs saw a syscall) and profiles (union of what is allowed; argument rules kept as
 * alternatives and never widened to an unconditional allow unless some input allows the syscall
 * unconditionally).
 */
import { archByScmpName, type ArchName } from '../arch/index.js';
import { UsageError } from '../document/errors.js';
import type { ActionName, ArgCondition, Profile, SyscallRule } from '../profile/types.js';
import {
  sortSyscalls,
  sortValues,
  totalsOf,
  type Evidence,
  type EvidenceArg,
  type EvidenceArgValue,
  type EvidenceSyscall,
} from './evidence.js';
import { ENOSYS } from '../compile/decide.js';
import { MAX_CRASHES } from './crashes.js';
import { EPERM } from '../runc/action.js';
import { runcConditionSets, splitConditions } from '../runc/rules.js';
import {
  conditionKey,
  GUARD_COMMENT_PREFIX,
  guardMultiplexers,
  layoutProfile,
  type AllowEntry,
  type Policy,
} from './generate.js';

const MAX_LIST = 16;
const MAX_VALUES = 64;

function addCounts(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function unionList(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].slice(0, MAX_LIST).sort();
}

function mergeArgs(
  a: Readonly<Record<string, EvidenceArg>>,
  b: Readonly<Record<string, EvidenceArg>>,
): Record<string, EvidenceArg> {
  const out: Record<string, EvidenceArg> = { ...a };
  for (const [label, arg] of Object.entries(b)) {
    const prev = out[label];
    if (prev === undefined) {
      out[label] = arg;
      continue;
    }
    const values = new Map<string, EvidenceArgValue>();
    for (const v of [...prev.values, ...arg.values]) {
      const key = v.value !== undefined ? `v${v.value}` : `t${v.text}`;
      const seen = values.get(key);
      values.set(key, seen === undefined ? v : { ...seen, count: seen.count + v.count });
    }
    out[label] = {
      index: prev.index,
      values: sortValues([...values.values()]).slice(0, MAX_VALUES),
    };
  }
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/**
 * Merge evidence files: per (ABI, syscall) counts, errors and argument values are summed, process
 * lists united, the first sighting is the earliest input's, and `coverage` adds up the inputs'
 * coverage. All inputs must come from the same host architecture.
 */
export function mergeEvidence(inputs: readonly Evidence[]): Evidence {
  const first = inputs[0];
  if (first === undefined) throw new UsageError('nothing to merge');
  const other = inputs.find((e) => e.host !== first.host);
  if (other !== undefined)
    throw new UsageError(`cannot merge evidence from ${first.host} and ${other.host} hosts`);
  const map = new Map<string, EvidenceSyscall>();
  for (const ev of inputs) {
    for (const s of ev.syscalls) {
      const key = `${s.abi}\u0000${s.name}`;
      const prev = map.get(key);
      if (prev === undefined) {
        map.set(key, s);
        continue;
      }
      map.set(key, {
        ...prev,
        ...(prev.nr === undefined && s.nr !== undefined ? { nr: s.nr } : {}),
        count: prev.count + s.count,
        coverage: prev.coverage + s.coverage,
        errors: addCounts(prev.errors, s.errors),
        processes: unionList(prev.processes, s.processes),
        executables: unionList(prev.executables, s.executables),
        args: mergeArgs(prev.args, s.args),
        logged: addCounts(prev.logged, s.logged),
      });
    }
  }
  const syscalls = sortSyscalls([...map.values()]);
  const warnings = inputs.flatMap((e) => e.meta.warnings ?? []).slice(0, 100);
  const crashes = inputs.flatMap((e) => e.meta.crashes ?? []).slice(0, MAX_CRASHES);
  const provenance = inputs.flatMap((e) => e.meta.provenance ?? []);
  const inFlight = inputs.flatMap((e) => (e.meta.inFlight === undefined ? [] : [e.meta.inFlight]));
  // One input recorded via seccomp makes the whole evidence blind to what that recorder cannot see.
  const unseen = [...new Set(inputs.flatMap((e) => e.meta.unseen ?? []))];
  const recorders = new Set(inputs.map((e) => e.meta.recorder ?? 'strace'));
  return {
    format: first.format,
    version: first.version,
    host: first.host,
    meta: {
      inputs: inputs.reduce((n, e) => n + e.meta.inputs, 0),
      sources: inputs.flatMap((e) => e.meta.sources),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(crashes.length > 0 ? { crashes } : {}),
      ...(inFlight.length > 0
        ? {
            inFlight: {
              max: Math.max(...inFlight.map((f) => f.max)),
              dropped: inFlight.reduce((n, f) => n + f.dropped, 0),
            },
          }
        : {}),
      ...(provenance.length > 0 ? { provenance } : {}),
      ...(recorders.has('seccomp') ? { recorder: 'seccomp' as const } : {}),
      ...(unseen.length > 0 ? { unseen } : {}),
    },
    totals: totalsOf(
      syscalls,
      inputs.reduce((n, e) => n + e.totals.processes, 0),
    ),
    syscalls,
  };
}

/** Restrictiveness of a default action, most restrictive first (the security-profiles-merger order). */
const ACTION_ORDER: readonly ActionName[] = [
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_NOTIFY',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_LOG',
  'SCMP_ACT_ALLOW',
];

/**
 * Merge profiles: a syscall is allowed when any input allows it; allowed unconditionally only if some
 * input allows it unconditionally, otherwise with the union of the inputs' argument rules. The default
 * action is the most restrictive of the inputs'; architectures are united. Refusals survive only for
 * syscalls no input allows; rules with includes/excludes and other actions are kept as written.
 */
export function mergeProfiles(inputs: readonly Profile[]): Profile {
  const first = inputs[0];
  if (first === undefined) throw new UsageError('nothing to merge');
  const withDefault = inputs.flatMap((p) =>
    p.defaultAction === undefined ? [] : [{ p, action: p.defaultAction }],
  );
  const strictestEntry = [...withDefault].sort(
    (a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action),
  )[0];
  if (strictestEntry === undefined) throw new UsageError('no input has a defaultAction');
  const strictest = strictestEntry.p;
  const defaultAction: ActionName = strictestEntry.action;

  const architectures = [
    ...new Set(
      inputs.flatMap((p) => [
        ...p.architectures,
        ...(p.archMap ?? []).flatMap((e) => [e.architecture, ...e.subArchitectures]),
      ]),
    ),
  ];
  const arch: ArchName =
    (architectures[0] !== undefined ? archByScmpName(architectures[0])?.name : undefined) ??
    'x86_64';

  const any = new Set<string>();
  const conditional = new Map<string, Map<string, ArgCondition[]>>();
  const runtime = new Map<string, string>();
  const refuse = new Map<string, string | undefined>();
  const extra: Omit<SyscallRule, 'pointer'>[] = [];
  const extraKeys = new Set<string>();
  let clone3Enosys = false;

  for (const p of inputs) {
    for (const r of p.syscalls) {
      const filtered = r.includes !== undefined || r.excludes !== undefined;
      if (r.action === 'SCMP_ACT_ALLOW' && !filtered) {
        for (const n of r.names) {
          if (r.args.length === 0) {
            any.add(n);
            if (r.comment?.startsWith('runtime: ') === true)
              runtime.set(n, r.comment.slice('runtime: '.length));
          } else {
            const m = conditional.get(n) ?? new Map<string, ArgCondition[]>();
            for (const set of runcConditionSets(splitConditions(r.args)))
              m.set(conditionKey(set), [...set]);
            conditional.set(n, m);
          }
        }
        continue;
      }
      // A multiplexer guard is recomputed for the merged rules (guardMultiplexers).
      if (r.comment?.startsWith(GUARD_COMMENT_PREFIX) === true) continue;
      if (!filtered && r.action === 'SCMP_ACT_ERRNO' && r.args.length === 0) {
        if (r.names.length === 1 && r.names[0] === 'clone3' && r.errnoRet === ENOSYS) {
          clone3Enosys = true;
          continue;
        }
        if ((r.errnoRet ?? EPERM) === EPERM) {
          for (const n of r.names) refuse.set(n, undefined);
          continue;
        }
      }
      const rest: Omit<SyscallRule, 'pointer'> = {
        names: r.names,
        action: r.action,
        args: r.args,
        ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
        ...(r.comment !== undefined ? { comment: r.comment } : {}),
        ...(r.includes !== undefined ? { includes: r.includes } : {}),
        ...(r.excludes !== undefined ? { excludes: r.excludes } : {}),
      };
      const key = JSON.stringify(rest, (_k, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v,
      );
      if (!extraKeys.has(key)) {
        extraKeys.add(key);
        extra.push(rest);
      }
    }
  }

  const allow = new Map<string, AllowEntry>();
  for (const n of any) allow.set(n, { name: n, conditions: 'any' });
  for (const [n, m] of conditional) {
    if (any.has(n)) continue; // an unconditional allow already covers every argument
    allow.set(n, {
      name: n,
      conditions: [...m.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, v]) => v),
    });
  }
  for (const n of allow.keys()) refuse.delete(n);
  // Runtime-only names stay in the runtime block; names also needed by the workload move to their group.
  const runtimeOnly = new Map<string, string>();
  for (const [n, why] of runtime) {
    const fromWorkload = inputs.some((p) =>
      p.syscalls.some(
        (r) =>
          r.action === 'SCMP_ACT_ALLOW' &&
          r.args.length === 0 &&
          r.names.includes(n) &&
          r.comment?.startsWith('runtime: ') !== true,
      ),
    );
    if (!fromWorkload) {
      runtimeOnly.set(n, why);
      allow.delete(n);
    }
  }
  const keptExtra = extra
    .map((r) => ({ ...r, names: r.names.filter((n) => !allow.has(n) && !runtimeOnly.has(n)) }))
    .filter((r) => r.names.length > 0);

  const policy: Policy = {
    defaultAction,
    ...(defaultAction === 'SCMP_ACT_ERRNO' || defaultAction === 'SCMP_ACT_TRACE'
      ? { defaultErrnoRet: strictest.defaultErrnoRet ?? EPERM }
      : {}),
    architectures,
    arch,
    allow,
    runtime: runtimeOnly,
    clone3Enosys: clone3Enosys && !allow.has('clone3'),
    refuse,
    dropped: new Map(),
    extra: keptExtra,
  };
  return layoutProfile(guardMultiplexers(policy));
}

/** Whether a profile allows `name` in some form. */
export function allowsName(profile: Profile, name: string): boolean {
  return profile.syscalls.some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name));
}
