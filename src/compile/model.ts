/**
 * The decision model: what Docker -> runc -> libseccomp -> kernel decide for a resolved profile on one
 * host. `buildPlan` applies runc's rule handling (libcontainer/seccomp/seccomp_linux.go `InitSeccomp`,
 * `matchCall`, `getAction`; patchbpf/enosys_linux.go for the ENOSYS stub) and libseccomp's database
 * (see libseccomp-db.ts); `decide` evaluates the resulting plan exactly like the kernel runs the loaded
 * program (stub, then libseccomp's arch dispatch).
 */
import { archByScmpName, archInfo, X32_SYSCALL_BIT } from '../arch/arches.js';
import {
  multiplexerFor,
  syscallEntry,
  syscallName,
  type LibseccompVersion,
} from '../arch/syscalls.js';
import type { ArchInfo, ArchName } from '../arch/types.js';
import {
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_THREAD,
  actionKind,
  type SeccompActionKind,
  type SeccompData,
} from '../bpf/seccomp.js';
import { ProfileError } from '../profile/errors.js';
import type { ActionName, ArgCondition, OpName } from '../profile/types.js';
import { genBpf, programDecisions, type GenInput, type OriginLeaf } from './gen-bpf.js';
import type { Instruction } from '../bpf/instruction.js';
import {
  dbNew,
  dbRuleAdd,
  EEXIST,
  must,
  type DbApiArg,
  type DbFilter,
  type DbOp,
} from './libseccomp-db.js';
import {
  runcConditionSets,
  runcSeccomp,
  type RuncProfileInput,
  type RuncRule,
  type RuncRuleInput,
} from '../runc/rules.js';
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

/** Options of {@link buildPlan}. */
export interface BuildPlanOptions {
  /** The host (runc's and libseccomp's native) architecture. */
  readonly arch: ArchName;
  /** libseccomp version runc is linked with; decides which names resolve. Default `2.5.4` (Debian 12). */
  readonly libseccomp?: LibseccompVersion;
  /**
   * libseccomp optimize level runc sets: 1 for runc 1.1 (Debian 12, the default), 2 for runc >= 1.2
   * when the profile has more than 32 flattened rules. The plan reproduces the program libseccomp
   * emits at either level, quirks included (see gen-bpf.ts).
   */
  readonly optimize?: 1 | 2;
}

const pseudoNumbers = new Map<string, number>();

/** A stable negative stand-in for libseccomp's `__PNR_*` number of a name absent on an arch. */
function pseudoNumber(name: string): number {
  let n = pseudoNumbers.get(name);
  if (n === undefined) {
    n = -10000 - pseudoNumbers.size;
    pseudoNumbers.set(name, n);
  }
  return n;
}

/** ENOSYS, the errno runc's stub returns above the highest known syscall (include/uapi/asm-generic/errno.h). */
export const ENOSYS = 38;
/** The kernel's MAX_ERRNO: `__seccomp_filter` caps ERRNO data at it. */
export const MAX_ERRNO = 4095;

function dbOp(op: OpName): DbOp {
  switch (op) {
    case 'SCMP_CMP_NE':
      return 'ne';
    case 'SCMP_CMP_LT':
      return 'lt';
    case 'SCMP_CMP_LE':
      return 'le';
    case 'SCMP_CMP_EQ':
      return 'eq';
    case 'SCMP_CMP_GE':
      return 'ge';
    case 'SCMP_CMP_GT':
      return 'gt';
    case 'SCMP_CMP_MASKED_EQ':
      return 'masked_eq';
    default: {
      const never: never = op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

const ALL_ONES = 0xffffffffffffffffn;

function apiArg(c: ArgCondition): DbApiArg {
  const op = dbOp(c.op);
  const v = BigInt.asUintN(64, c.value);
  const v2 = BigInt.asUintN(64, c.valueTwo);
  return op === 'masked_eq'
    ? { arg: c.index, op, mask: v, datum: v2 }
    : { arg: c.index, op, mask: ALL_ONES, datum: v };
}

/** The libseccomp number of `name` on `arch` for this version (direct number), or undefined. */
function libNumber(arch: ArchName, name: string, version: LibseccompVersion): number | undefined {
  const e = syscallEntry(arch, name);
  if (e === undefined) return undefined;
  if (version === '2.5.4' && !e.libseccomp254) return undefined;
  return e.nr;
}

/** The number runc's stub uses for `name` on `arch` (`GetSyscallFromNameByArch`; negative pseudo numbers skipped). */
function stubNumber(arch: ArchName, name: string, version: LibseccompVersion): number | undefined {
  if (multiplexerFor(arch, name) !== undefined) return undefined;
  return libNumber(arch, name, version);
}

function isPermissive(action: ActionName): boolean {
  return action === 'SCMP_ACT_ALLOW' || action === 'SCMP_ACT_LOG' || action === 'SCMP_ACT_TRACE';
}

interface Tag {
  readonly pointer: string;
  readonly name: string;
}

/** What runc + libseccomp's `db_rule_add` leave behind for a profile: the per-arch rule databases. */
interface RuleDatabase {
  readonly version: LibseccompVersion;
  readonly notes: string[];
  readonly defAct: number;
  readonly arches: readonly ArchInfo[];
  readonly dbs: ReadonlyMap<ArchName, DbFilter>;
  readonly tags: readonly Tag[];
  /** runc's fate of every flattened rule, in document order. */
  readonly runc: readonly RuncRule[];
}

/**
 * runc's `InitSeccomp` rule loop (src/runc) over libseccomp's database; throws ProfileError where they
 * refuse.
 */
function ruleDatabase(profile: ModelProfile, opts: BuildPlanOptions): RuleDatabase {
  const version = opts.libseccomp ?? '2.5.4';
  const notes: string[] = [];
  const seccomp = runcSeccomp(profile, { arch: opts.arch, libseccomp: version });
  const { arches } = seccomp;
  const dbs = new Map<ArchName, DbFilter>(arches.map((a) => [a.name, dbNew(a.bits)]));
  const tags: Tag[] = [];
  const runc: RuncRule[] = [];
  for (const r of seccomp.rules()) {
    runc.push(r);
    const sets = runcConditionSets(r.fate);
    if (sets.length === 0) continue;
    const tag = tags.length;
    tags.push({ pointer: r.pointer, name: r.name });
    for (const conds of sets) {
      const args: (DbApiArg | undefined)[] = [];
      for (const c of conds) args[c.index] = apiArg(c);
      for (const a of arches) {
        const rc = addToArch(must(dbs.get(a.name)), a, r.name, r.action, args, tag, version);
        if (rc < 0) {
          throw new ProfileError([
            {
              code: rc === EEXIST ? 'conflicting-rule' : 'libseccomp-error',
              severity: 'error',
              message:
                rc === EEXIST
                  ? `libseccomp refuses ${r.name}: the same condition already has a different action (EEXIST)`
                  : `libseccomp refuses ${r.name} (errno ${-rc})`,
              pointer: r.pointer,
            },
          ]);
        }
      }
    }
  }
  return { version, notes, defAct: seccomp.defaultAction, arches, dbs, tags, runc };
}

/** The GenBpf input of a rule database. */
function genInput(rdb: RuleDatabase, optimize: 1 | 2 | undefined, crossEndian = false): GenInput {
  return {
    arches: rdb.arches.map((a) => ({ info: a, db: must(rdb.dbs.get(a.name)) })),
    defaultAction: rdb.defAct,
    badArchAction: SECCOMP_RET_KILL_THREAD,
    optimize: optimize ?? 1,
    crossEndian,
  };
}

/**
 * The program libseccomp 2.5.4 exports for `profile` as runc builds it (without runc's ENOSYS stub),
 * from the port of gen_bpf.c. `libseccompHost` is the byte order of the machine running libseccomp
 * (default: the filter's own, as on a real host); a different one reproduces libseccomp's
 * cross-endian export (see `GenInput.crossEndian`). Throws ProfileError for profiles the real stack
 * refuses.
 */
export function libseccompProgram(
  profile: ModelProfile,
  opts: BuildPlanOptions,
  libseccompHost?: 'little' | 'big',
): Instruction[] {
  const cross = libseccompHost !== undefined && libseccompHost !== archInfo(opts.arch).endian;
  return [...genBpf(genInput(ruleDatabase(profile, opts), opts.optimize, cross)).insns];
}

/**
 * Build the plan runc + libseccomp produce for `profile` on host `opts.arch`. Throws ProfileError for
 * profiles the real stack refuses (naming the rule's pointer).
 */
export function buildPlan(profile: ModelProfile, opts: BuildPlanOptions): FilterPlan {
  const rdb = ruleDatabase(profile, opts);
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
  const stub = !isPermissive(profile.defaultAction);
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
  const prog = genBpf(genInput(rdb, opts.optimize));
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
    const roots = programDecisions(
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

/** libseccomp's `arch_filter_rule_add` for one arch: name translation, then `abi_rule_add` or `db_rule_add`. */
function addToArch(
  db: DbFilter,
  a: ArchInfo,
  name: string,
  action: number,
  args: readonly (DbApiArg | undefined)[],
  tag: number,
  version: LibseccompVersion,
): number {
  const mux = multiplexerFor(a.name, name);
  if (mux !== undefined) {
    // abi_rule_add: the multiplexer with arg0 overwritten to == call, then the direct syscall.
    const muxArgs = [...args];
    muxArgs[0] = { arg: 0, op: 'eq', mask: ALL_ONES, datum: BigInt(mux.call) };
    const rc = dbRuleAdd(db, { syscall: mux.nr, action, args: muxArgs, tag });
    if (rc < 0) return rc;
    const direct = libNumber(a.name, name, version) ?? pseudoNumber(name);
    return dbRuleAdd(db, { syscall: direct, action, args, tag });
  }
  // A name absent on this arch gets a negative pseudo number: stored, never generated (but see
  // `lostNrLoad`).
  const nr = libNumber(a.name, name, version);
  if (nr === undefined) {
    // abi_rule_add (multiplexing arches) silently drops a negative non-socket/ipc number; elsewhere
    // arch_filter_rule_add stores it in the db.
    if (a.multiplexed) return 0;
    return dbRuleAdd(db, { syscall: pseudoNumber(name), action, args, tag });
  }
  return dbRuleAdd(db, { syscall: nr, action, args, tag });
}

/** What {@link decide} returns: the filter's return value, the leaf's origin and a readable path. */
export interface Decision {
  /** Full 32-bit SECCOMP_RET_* value. */
  readonly value: number;
  /** Where the decision came from. */
  readonly origin: DecisionOrigin;
  /** Human-readable steps taken. */
  readonly path: string[];
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

function argWord(data: SeccompData, arg: number, word: 'lo' | 'hi'): number {
  const v = BigInt.asUintN(64, data.args[arg] ?? 0n);
  return Number(word === 'lo' ? v & 0xffffffffn : v >> 32n);
}

/** Evaluate one per-syscall DAG on `data`. */
export function evalNode(node: PlanNode, data: SeccompData, path?: string[]): PlanLeaf {
  let n: PlanNode = node;
  while (n.kind === 'cmp') {
    const w = (argWord(data, n.arg, n.word) & n.mask) >>> 0;
    let ok: boolean;
    switch (n.op) {
      case 'eq':
        ok = w === n.datum >>> 0;
        break;
      case 'gt':
        ok = w > n.datum >>> 0;
        break;
      case 'ge':
        ok = w >= n.datum >>> 0;
        break;
      case 'set':
        ok = (argWord(data, n.arg, n.word) & n.datum) !== 0;
        break;
      default: {
        const never: never = n.op;
        throw new Error(`bad op ${String(never)}`);
      }
    }
    path?.push(
      `args[${n.arg}].${n.word}${n.mask >>> 0 !== 0xffffffff ? ` & ${hex(n.mask)}` : ''} ${
        n.op === 'eq' ? '==' : n.op === 'gt' ? '>' : n.op === 'ge' ? '>=' : '&'
      } ${hex(n.datum)}: ${ok ? 'true' : 'false'}`,
    );
    n = ok ? n.then : n.else;
  }
  return n;
}

function lookup(a: ArchPlan, nr: number): SyscallPlan | undefined {
  const u = nr >>> 0;
  let lo = 0;
  let hi = a.syscalls.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = must(a.syscalls[mid]);
    const v = s.nr >>> 0;
    if (v === u) return s;
    if (v < u) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

const ENOSYS_VALUE = (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;

/** runc's stub for the arch token of `data`: the ENOSYS max that applies, or undefined (fall through). */
function stubDecision(plan: FilterPlan, data: SeccompData): number | undefined {
  const token = data.arch >>> 0;
  const sec = plan.arches.filter((a) => a.auditArch >>> 0 === token && a.enosysMax !== undefined);
  if (sec.length === 0) return undefined;
  const nr = data.nr >>> 0;
  const first = must(sec[0]);
  if ((first.arch === 's390' || first.arch === 's390x') && nr === 0) return 0;
  const x32 = sec.find((a) => a.arch === 'x32');
  const x64 = sec.find((a) => a.arch === 'x86_64');
  if (x32 !== undefined || x64 !== undefined) {
    if (nr & X32_SYSCALL_BIT) {
      if (x32 === undefined) return undefined;
      return nr > must(x32.enosysMax) >>> 0 ? 0 : undefined;
    }
    if (x64 === undefined) return undefined;
    return nr > must(x64.enosysMax) >>> 0 ? 0 : undefined;
  }
  return nr > must(first.enosysMax) >>> 0 ? 0 : undefined;
}

/**
 * Decide `data` as the kernel would run the real stack's filter: runc's ENOSYS stub, then libseccomp's
 * program (arch dispatch with x86_64/x32 sharing a token, bad-arch, per-syscall argument trees).
 */
export function decide(plan: FilterPlan, data: SeccompData): Decision {
  const path: string[] = [];
  const token = data.arch >>> 0;
  if (stubDecision(plan, data) !== undefined) {
    const max = plan.arches.find((a) => a.auditArch >>> 0 === token)?.enosysMax ?? 0;
    path.push(`runc stub: nr ${hex(data.nr)} above the profile's highest syscall`);
    return { value: ENOSYS_VALUE, origin: { kind: 'enosys-stub', max }, path };
  }
  const sec = plan.arches.filter((a) => a.auditArch >>> 0 === token);
  if (sec.length === 0) {
    path.push(`arch ${hex(token)} not in the filter`);
    return { value: plan.badArch.value >>> 0, origin: plan.badArch.origin, path };
  }
  const nr = data.nr >>> 0;
  const names = sec.map((a) => a.arch);
  if (names.includes('x86_64') !== names.includes('x32')) {
    // libseccomp filters out the other ABI sharing AUDIT_ARCH_X86_64 (gen_bpf.c `_gen_bpf_arch`).
    const onlyX64 = names.includes('x86_64');
    if (onlyX64 ? nr >= X32_SYSCALL_BIT && nr !== 0xffffffff : nr < X32_SYSCALL_BIT) {
      path.push(
        `nr ${hex(nr)} belongs to the ${onlyX64 ? 'x32' : 'x86_64'} ABI, not in the filter`,
      );
      return { value: plan.badArch.value >>> 0, origin: plan.badArch.origin, path };
    }
  }
  for (const a of sec) {
    const s = lookup(a, nr);
    if (s !== undefined) {
      path.push(`${a.arch} ${s.name} (nr ${s.nr})`);
      const leaf = evalNode(s.root, data, path);
      return { value: leaf.value >>> 0, origin: leaf.origin, path };
    }
  }
  const first = must(sec[0]);
  path.push(`${first.arch}: nr ${hex(nr)} has no rule`);
  return { value: first.defaultLeaf.value >>> 0, origin: first.defaultLeaf.origin, path };
}

/**
 * The kernel's choice among stacked filters (`seccomp_run_filters`): filters run newest first; the
 * numerically smallest signed ACTION_FULL wins, and on a tie the newest filter's full value is kept.
 * `values` are in installation order (oldest first). With no filter the result is ALLOW.
 */
export function combineStacked(values: readonly number[]): number {
  let ret = SECCOMP_RET_ALLOW;
  for (let i = values.length - 1; i >= 0; i--) {
    const cur = must(values[i]) >>> 0;
    if (((cur & SECCOMP_RET_ACTION_FULL) | 0) < ((ret & SECCOMP_RET_ACTION_FULL) | 0)) ret = cur;
  }
  return ret >>> 0;
}

/** What the kernel does with a filter's return value (`__seccomp_filter`). */
export interface KernelOutcome {
  /** Action class; unknown actions behave like KILL_PROCESS. */
  readonly kind: SeccompActionKind;
  /** For ERRNO: the errno the caller sees (capped at MAX_ERRNO = 4095; 0 means "returns 0, call not run"). */
  readonly errno?: number;
  /** For TRACE: the data passed to the tracer. */
  readonly data?: number;
}

/** Post-process a return value the way the kernel does. */
export function kernelOutcome(value: number): KernelOutcome {
  const kind = actionKind(value);
  const data = value & SECCOMP_RET_DATA;
  if (kind === 'errno') return { kind, errno: Math.min(data, MAX_ERRNO) };
  if (kind === 'trace') return { kind, data };
  return { kind };
}
