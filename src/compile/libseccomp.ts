/**
 * The libseccomp port behind one entry point: runc's rule loop (src/runc) feeds libseccomp's rule
 * database (libseccomp-db.ts, `db_rule_add` with `arch_filter_rule_add`'s name translation), and the
 * port of gen_bpf.c (gen-bpf.ts) exports the program, byte for byte what libseccomp 2.5.4 emits.
 * {@link libseccompFilter} is what the plan builder reads; {@link libseccompProgram} the bare program.
 */
import { archInfo } from '../arch/arches.js';
import { libseccompNumber, multiplexerFor, type LibseccompVersion } from '../arch/syscalls.js';
import type { ArchInfo, ArchName } from '../arch/types.js';
import { SECCOMP_RET_KILL_THREAD } from '../bpf/seccomp.js';
import type { Instruction } from '../bpf/instruction.js';
import { ProfileError } from '../profile/errors.js';
import type { ArgCondition, OpName } from '../profile/types.js';
import {
  runcConditionSets,
  runcSeccomp,
  type RuncProfileInput,
  type RuncRule,
} from '../runc/rules.js';
import { genBpf, type GenInput, type GenProgram } from './gen-bpf.js';
import {
  DbHang,
  dbNew,
  dbRuleAdd,
  EEXIST,
  must,
  type DbApiArg,
  type DbFilter,
  type DbOp,
} from './libseccomp-db.js';

/** How runc drives libseccomp on a host. */
export interface LibseccompOptions {
  /** The host (runc's and libseccomp's native) architecture. */
  readonly arch: ArchName;
  /** libseccomp version runc is linked with; decides which names resolve. Default `2.5.4` (Debian 12). */
  readonly libseccomp?: LibseccompVersion;
  /**
   * libseccomp optimize level runc sets: 1 for runc 1.1 (Debian 12, the default), 2 for runc >= 1.2
   * when the profile has more than 32 flattened rules. The program is the one libseccomp emits at
   * either level, quirks included (see gen-bpf.ts).
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
export const libNumber = libseccompNumber;

/** The profile rule (pointer, name) a database tag stands for. */
export interface Tag {
  readonly pointer: string;
  readonly name: string;
}

/** What runc + libseccomp's `db_rule_add` leave behind for a profile: the per-arch rule databases. */
export interface RuleDatabase {
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
function ruleDatabase(profile: RuncProfileInput, opts: LibseccompOptions): RuleDatabase {
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
        const rc = addOrHang(
          () => addToArch(must(dbs.get(a.name)), a, r.name, r.action, args, tag, version),
          r.pointer,
          r.name,
          version,
        );
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

/**
 * `add()`, or the ProfileError saying that libseccomp never returns from this rule (runc hangs in
 * `seccomp_rule_add` while it starts the container, which then never starts).
 */
function addOrHang(
  add: () => number,
  pointer: string,
  name: string,
  version: LibseccompVersion,
): number {
  try {
    return add();
  } catch (e) {
    if (!(e instanceof DbHang)) throw e;
    throw new ProfileError([
      {
        code: 'libseccomp-hangs',
        severity: 'error',
        message: `libseccomp ${version} never returns when runc adds this rule for ${name} (a level of its rule tree for the syscall becomes a cycle): runc hangs and the container never starts`,
        pointer,
      },
    ]);
  }
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
  profile: RuncProfileInput,
  opts: LibseccompOptions,
  libseccompHost?: 'little' | 'big',
): Instruction[] {
  const cross = libseccompHost !== undefined && libseccompHost !== archInfo(opts.arch).endian;
  return [...genBpf(genInput(ruleDatabase(profile, opts), opts.optimize, cross)).insns];
}

/** What libseccomp holds and emits for a profile on a host: the rule databases and the program. */
export interface LibseccompFilter {
  /** The per-arch rule databases, tags and runc's fates. */
  readonly db: RuleDatabase;
  /** The exported program with the origin of every return edge. */
  readonly program: GenProgram;
}

/**
 * The libseccomp port's one entry point: runc's rule loop into libseccomp's database, then gen_bpf.
 * Throws ProfileError for profiles runc or libseccomp refuse (naming the rule's pointer).
 */
export function libseccompFilter(
  profile: RuncProfileInput,
  opts: LibseccompOptions,
): LibseccompFilter {
  const db = ruleDatabase(profile, opts);
  return { db, program: genBpf(genInput(db, opts.optimize)) };
}

/**
 * The programs libseccomp exports for `profile` at optimize levels 1 and 2 (runc 1.1 and runc >= 1.2),
 * from one rule database (building it is the costly part; generating twice is cheap).
 */
export function libseccompLevels(
  profile: RuncProfileInput,
  opts: Omit<LibseccompOptions, 'optimize'>,
): { readonly db: RuleDatabase; readonly level1: GenProgram; readonly level2: GenProgram } {
  const db = ruleDatabase(profile, opts);
  return { db, level1: genBpf(genInput(db, 1)), level2: genBpf(genInput(db, 2)) };
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
