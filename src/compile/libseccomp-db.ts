/**
 * A close TypeScript model of libseccomp's per-architecture rule database (src/db.c, v2.5.4): argument
 * chain trees built by `_db_rule_gen_64` / `_db_rule_gen_32`, merged by `db_rule_add`, `_db_tree_prune`
 * and `_db_tree_add`. gen-bpf.ts turns the trees into the program libseccomp's src/gen_bpf.c emits.
 *
 * The merge code is intricate (reference counts decide what a prune removes and the removal count
 * decides what `db_rule_add` does next), so it is kept structurally close to the C, node for node,
 * including its reference counting. Differential tests against python3-seccomp check it.
 */
/** libseccomp comparison operators (enum scmp_compare). */
export type DbOp = 'ne' | 'lt' | 'le' | 'eq' | 'ge' | 'gt' | 'masked_eq';

/** One argument condition as libseccomp stores it (`struct db_api_arg`). */
export interface DbApiArg {
  /** Argument index 0-5. */
  readonly arg: number;
  /** Operator. */
  readonly op: DbOp;
  /** Mask (all ones except for MASKED_EQ), 64-bit. */
  readonly mask: bigint;
  /** Datum, 64-bit. */
  readonly datum: bigint;
}

/** A rule as `db_rule_add` receives it: syscall number, action and at most one condition per index. */
export interface DbRule {
  /** Syscall number on this arch (may be a negative pseudo number, which generation skips). */
  readonly syscall: number;
  /** Full SECCOMP_RET_* action value. */
  readonly action: number;
  /** Conditions indexed by argument (sparse; at most one per index). */
  readonly args: readonly (DbApiArg | undefined)[];
  /** Opaque tag of the profile rule, for origins. */
  readonly tag: number;
}

/** A node of an argument chain tree (`struct db_arg_chain_tree`). */
export interface DbNode {
  arg: number;
  argHi: boolean;
  op: 'eq' | 'gt' | 'ge' | 'masked_eq';
  opOrig: DbOp;
  mask: number;
  datum: number;
  datumFull: bigint;
  actT: number;
  actTFlg: boolean;
  actTTag: number;
  actF: number;
  actFFlg: boolean;
  actFTag: number;
  nxtT: DbNode | null;
  nxtF: DbNode | null;
  lvlPrv: DbNode | null;
  lvlNxt: DbNode | null;
  refcnt: number;
}

/** One syscall's entry (`struct db_sys_list`). */
export interface DbSys {
  readonly num: number;
  chains: DbNode | null;
  action: number;
  actionTag: number;
  /** Number of tree nodes (`node_cnt`), unsigned arithmetic as in C. */
  nodeCnt: number;
  /** `priority`: 0xFFFF - node_cnt, refreshed by `db_rule_add`; gen_bpf sorts syscalls by it. */
  priority: number;
}

/** A per-arch database (`struct db_filter`). */
export interface DbFilter {
  readonly size: 32 | 64;
  readonly syscalls: Map<number, DbSys>;
}

/** An error code from libseccomp (negative errno), thrown as a value. */
export class DbError extends Error {
  /** e.g. -17 (EEXIST). */
  readonly rc: number;
  constructor(rc: number, message: string) {
    super(message);
    this.rc = rc;
  }
}

/**
 * libseccomp 2.5.4 never returns: a level of a syscall's rule tree became a cycle of `lvl_prv`
 * links, and its next walk to the level's head (`while (n->lvl_prv) n = n->lvl_prv;`, e.g. in
 * `_db_level_clean` when `db_rule_add` puts the new rule's tree) spins forever. Seen with two ALLOW
 * rules on one syscall, `a1 & 18 == 4 && a0 <= 2^64-1` then `a2 == 2^32 && a0 <= 2^64-1`:
 * python3-seccomp 2.5.4 ran 300 s in `seccomp_rule_add` without returning (memory flat), on the
 * same put/clean recursion. The port stops where libseccomp would spin and says so.
 */
export class DbHang extends Error {}

/**
 * The head of `n`'s level (follow `lvlPrv` to its end), as libseccomp's loops walk it; throws
 * {@link DbHang} where the links form a cycle and libseccomp would never get there (Brent's cycle
 * detection: one comparison per step).
 */
export function levelHead(n: DbNode): DbNode {
  let x = n;
  let mark = n;
  let window = 1;
  let steps = 0;
  while (x.lvlPrv !== null) {
    x = x.lvlPrv;
    if (x === mark) throw new DbHang('libseccomp model: a level of the rule tree is a cycle');
    if (++steps === window) {
      mark = x;
      window *= 2;
      steps = 0;
    }
  }
  return x;
}

/** Narrow away null/undefined; an internal invariant of the model, so a plain Error when broken. */
export function must<T>(v: T | null | undefined): T {
  if (v === null || v === undefined) throw new Error('libseccomp model: broken invariant');
  return v;
}

/** -EEXIST. */
export const EEXIST = -17;

const U32 = 0xffffffffn;
const lo32 = (v: bigint): number => Number(v & U32);
const hi32 = (v: bigint): number => Number((v >> 32n) & U32);

function newNode(): DbNode {
  return {
    arg: 0,
    argHi: false,
    op: 'eq',
    opOrig: 'eq',
    mask: 0,
    datum: 0,
    datumFull: 0n,
    actT: 0,
    actTFlg: false,
    actTTag: -1,
    actF: 0,
    actFFlg: false,
    actFTag: -1,
    nxtT: null,
    nxtF: null,
    lvlPrv: null,
    lvlNxt: null,
    refcnt: 0,
  };
}

/** A mutable reference to a node pointer (C's `struct db_arg_chain_tree **`). */
interface Ref {
  get(): DbNode | null;
  set(n: DbNode | null): void;
}

function varRef(init: DbNode | null): Ref & { v: DbNode | null } {
  const r = {
    v: init,
    get(): DbNode | null {
      return r.v;
    },
    set(n: DbNode | null): void {
      r.v = n;
    },
  };
  return r;
}

function fieldRef(node: DbNode, field: 'nxtT' | 'nxtF'): Ref {
  return {
    get: () => node[field],
    set: (n) => {
      node[field] = n;
    },
  };
}

function sysRef(s: DbSys): Ref {
  return {
    get: () => s.chains,
    set: (n) => {
      s.chains = n;
    },
  };
}

function argPriority(a: DbNode): number {
  return (a.arg << 1) + (a.argHi ? 1 : 0);
}

function opPriority(op: DbOp): number {
  switch (op) {
    case 'masked_eq':
    case 'eq':
    case 'ne':
      return 3;
    case 'le':
    case 'lt':
      return 2;
    case 'ge':
    case 'gt':
      return 1;
    default: {
      const never: never = op;
      return never;
    }
  }
}

/** `_db_chain_lt`. */
function chainLt(a: DbNode, b: DbNode): boolean {
  const aArg = argPriority(a);
  const bArg = argPriority(b);
  if (aArg < bArg) return true;
  if (aArg > bArg) return false;
  const aOp = opPriority(a.opOrig);
  const bOp = opPriority(b.opOrig);
  if (aOp < bOp) return true;
  if (aOp > bOp) return false;
  switch (a.opOrig) {
    case 'le':
    case 'lt':
      if (a.datum > b.datum) return true;
      break;
    case 'eq':
    case 'ne':
    case 'masked_eq':
    case 'ge':
    case 'gt':
      if (a.datum < b.datum) return true;
      break;
  }
  return false;
}

/** `_db_chain_eq`. */
function chainEq(a: DbNode, b: DbNode): boolean {
  return (
    argPriority(a) === argPriority(b) && a.op === b.op && a.datum === b.datum && a.mask === b.mask
  );
}

function chainLeaf(n: DbNode): boolean {
  return n.nxtT === null && n.nxtF === null;
}

function chainZombie(n: DbNode): boolean {
  return chainLeaf(n) && !n.actTFlg && !n.actFFlg;
}

function nodeGet(n: DbNode | null): DbNode | null {
  if (n !== null) n.refcnt++;
  return n;
}

function nodeGetNN(n: DbNode): DbNode {
  n.refcnt++;
  return n;
}

/** `_db_level_clean`. */
function levelClean(node: DbNode): number {
  let cnt = 0;
  let n: DbNode | null = node;
  n = levelHead(n);
  const start = n;
  while (n !== null) {
    let links = 0;
    if (n.lvlPrv) links++;
    if (n.lvlNxt) links++;
    if (n.refcnt > links) return cnt;
    n = n.lvlNxt;
  }
  const r = varRef(start);
  while (r.v !== null) cnt += nodePut(r);
  return cnt;
}

/** `_db_tree_put`. */
function treePut(tree: Ref): number {
  let cnt = nodePut(tree);
  const t = tree.get();
  if (t) cnt += levelClean(t);
  return cnt;
}

/** `_db_node_put`. */
function nodePut(ref: Ref): number {
  let cnt = 0;
  const n = ref.get();
  if (n === null) return 0;
  if (--n.refcnt === 0) {
    const lvlP = varRef(n.lvlPrv);
    const lvlN = varRef(n.lvlNxt);
    const nxtT = varRef(n.nxtT);
    const nxtF = varRef(n.nxtF);
    if (lvlP.v) lvlP.v.lvlNxt = null;
    if (lvlN.v) lvlN.v.lvlPrv = null;
    if (lvlP.v) cnt += nodePut(lvlP);
    if (lvlN.v) cnt += nodePut(lvlN);
    if (lvlP.v) lvlP.v.lvlNxt = nodeGet(lvlN.v);
    if (lvlN.v) lvlN.v.lvlPrv = nodeGet(lvlP.v);
    if (lvlP.v) ref.set(lvlP.v);
    else if (lvlN.v) ref.set(lvlN.v);
    else ref.set(null);
    cnt += treePut(nxtT);
    cnt += treePut(nxtF);
    // "free": detach so stale pointers are harmless
    n.nxtT = null;
    n.nxtF = null;
    n.lvlPrv = null;
    n.lvlNxt = null;
    cnt++;
  }
  return cnt;
}

/** `_db_tree_remove`. */
function treeRemove(tree: Ref | null, node: DbNode | null): number {
  let cnt = 0;
  if ((tree?.get() ?? null) === null || node === null || tree === null) return 0;
  let c: DbNode = must(tree.get());
  c = levelHead(c);
  let found = false;
  for (;;) {
    if (c === node) {
      found = true;
      break;
    }
    cnt += treeRemove(fieldRef(c, 'nxtT'), node);
    cnt += treeRemove(fieldRef(c, 'nxtF'), node);
    if (chainZombie(c)) {
      found = true;
      break;
    }
    const nx: DbNode | null = c.lvlNxt;
    if (nx === null || cnt !== 0) break;
    c = nx;
  }
  if (!found) return cnt;
  if (c === tree.get()) {
    if (c.lvlPrv !== null) tree.set(c.lvlPrv);
    else tree.set(c.lvlNxt);
  }
  if (c.lvlPrv) c.lvlPrv.lvlNxt = c.lvlNxt;
  if (c.lvlNxt) c.lvlNxt.lvlPrv = c.lvlPrv;
  c.lvlPrv = null;
  c.lvlNxt = null;
  cnt += nodePut(varRef(c));
  return cnt;
}

/** `_db_tree_act_check`. */
function treeActCheck(tree: DbNode | null, action: number): number {
  if (tree === null) return 0;
  let c: DbNode | null = tree;
  c = levelHead(c);
  do {
    if (c.actTFlg && c.actT !== action) return EEXIST;
    if (c.actFFlg && c.actF !== action) return EEXIST;
    let rc = treeActCheck(c.nxtT, action);
    if (rc < 0) return rc;
    rc = treeActCheck(c.nxtF, action);
    if (rc < 0) return rc;
    c = c.lvlNxt;
  } while (c !== null);
  return 0;
}

const IST_MATCH = 0x1;
const IST_MATCH_ONCE = 0x2;
const IST_X_FINISHED = 0x10;
const IST_N_FINISHED = 0x20;
const IST_X_PREFIX = 0x100;
const IST_N_PREFIX = 0x200;
const IST_M_MATCHSET = IST_MATCH | IST_MATCH_ONCE;
const IST_M_REDUNDANT = IST_MATCH | IST_X_FINISHED | IST_N_PREFIX;

interface IterState {
  flags: number;
  action: number;
  sx: DbSys;
}

/**
 * Whether `treePrune(level, n, {flags})` would return at once with nothing changed and no match: the
 * call returns before its loop for a MATCH_ONCE state, and with X_PREFIX set it returns at the first
 * node of the level unless that node equals or sorts before `n`. Skipping such calls (one per sibling
 * for every rule added to a wide level) keeps the walk exactly libseccomp's.
 */
function pruneIsNoop(level: DbNode, n: DbNode, flags: number): boolean {
  if ((flags & IST_M_MATCHSET) === IST_MATCH_ONCE) return true;
  if ((flags & IST_X_PREFIX) === 0) return false;
  let head = level;
  head = levelHead(head);
  return !chainEq(head, n) && !chainLt(head, n);
}

/** `_db_tree_prune`. */
function treePrune(existing: Ref, nw: DbNode | null, state: IterState): number {
  let cnt = 0;
  const stateNew: IterState = { ...state };
  let x: DbNode | null = existing.get();
  const n = nw;

  const finish = (): number => {
    if (stateNew.flags & IST_MATCH) state.flags |= stateNew.flags;
    else state.flags &= ~IST_MATCH;
    return cnt;
  };

  if (n === null || x === null) return finish();
  if ((state.flags & IST_M_MATCHSET) === IST_MATCH_ONCE) return finish();
  x = levelHead(x);

  let xi: DbNode | null = x;
  do {
    const xr = varRef(xi);
    const xNext: DbNode | null = must(xr.v).lvlNxt;
    let gotoNext = false;
    const cur = must(xr.v);
    if (chainEq(cur, n)) {
      stateNew.flags |= IST_M_MATCHSET;
      if (chainLeaf(n)) stateNew.flags |= IST_N_FINISHED;
      if (chainLeaf(cur)) stateNew.flags |= IST_X_FINISHED;
      if ((cur.actTFlg || cur.nxtT) && !(n.actTFlg || n.nxtT)) return finish();
      if ((cur.actFFlg || cur.nxtF) && !(n.actFFlg || n.nxtF)) return finish();
      if (stateNew.flags & IST_N_FINISHED && stateNew.flags & IST_X_FINISHED) {
        if (n.actTFlg !== cur.actTFlg) return finish();
        if (n.actT !== cur.actT) return finish();
        if (n.actFFlg !== cur.actFFlg) return finish();
        if (n.actF !== cur.actF) return finish();
      }
      if (n.nxtT) {
        nodeGet(xr.v);
        const sn: IterState = { ...state, flags: state.flags | IST_M_MATCHSET };
        cnt += treePrune(fieldRef(must(xr.v), 'nxtT'), n.nxtT, sn);
        cnt += nodePut(xr);
        if (sn.flags & IST_MATCH) stateNew.flags |= sn.flags;
        if (xr.v === null) gotoNext = true;
      }
      if (!gotoNext && n.nxtF) {
        nodeGet(xr.v);
        const sn: IterState = { ...state, flags: state.flags | IST_M_MATCHSET };
        cnt += treePrune(fieldRef(must(xr.v), 'nxtF'), n.nxtF, sn);
        cnt += nodePut(xr);
        if (sn.flags & IST_MATCH) stateNew.flags |= sn.flags;
        if (xr.v === null) gotoNext = true;
      }
      if (!gotoNext) {
        const xv = must(xr.v);
        // The flag tests first: treeActCheck walks the whole tree and has no side effects.
        if (
          stateNew.flags & IST_MATCH &&
          stateNew.flags & IST_N_FINISHED &&
          stateNew.flags & IST_X_PREFIX &&
          treeActCheck(xv, stateNew.action) === 0
        ) {
          cnt += treeRemove(sysRef(state.sx), xv);
          if (state.sx.chains === null) return finish();
        } else if (
          stateNew.flags & IST_MATCH &&
          stateNew.flags & IST_X_FINISHED &&
          stateNew.flags & IST_N_PREFIX &&
          treeActCheck(xv, stateNew.action) === 0
        ) {
          return finish();
        }
      }
    } else if (chainLt(cur, n)) {
      if (state.flags & IST_N_PREFIX) return finish();
      const subFlags = (state.flags & ~IST_MATCH) | IST_X_PREFIX;
      if (cur.nxtT && !pruneIsNoop(cur.nxtT, n, subFlags)) {
        nodeGet(xr.v);
        const sn: IterState = { ...state, flags: (state.flags & ~IST_MATCH) | IST_X_PREFIX };
        cnt += treePrune(fieldRef(cur, 'nxtT'), n, sn);
        cnt += nodePut(xr);
        if (sn.flags & IST_MATCH) {
          stateNew.flags |= sn.flags;
          return finish();
        }
        if (xr.v === null) gotoNext = true;
      }
      const xf = gotoNext ? null : must(xr.v).nxtF;
      if (!gotoNext && xf && !pruneIsNoop(xf, n, subFlags)) {
        const xv = must(xr.v);
        nodeGet(xv);
        const sn: IterState = { ...state, flags: (state.flags & ~IST_MATCH) | IST_X_PREFIX };
        cnt += treePrune(fieldRef(xv, 'nxtF'), n, sn);
        cnt += nodePut(xr);
        if (sn.flags & IST_MATCH) {
          stateNew.flags |= sn.flags;
          return finish();
        }
      }
    } else {
      if (state.flags & IST_X_PREFIX) return finish();
      if (n.nxtT) {
        nodeGet(xr.v);
        const sn: IterState = { ...state, flags: (state.flags & ~IST_MATCH) | IST_N_PREFIX };
        cnt += treePrune(xr, n.nxtT, sn);
        cnt += nodePut(xr);
        if (sn.flags & IST_MATCH) {
          stateNew.flags |= sn.flags;
          return finish();
        }
        if (xr.v === null) gotoNext = true;
      }
      if (!gotoNext && n.nxtF) {
        nodeGet(xr.v);
        const sn: IterState = { ...state, flags: (state.flags & ~IST_MATCH) | IST_N_PREFIX };
        cnt += treePrune(xr, n.nxtF, sn);
        cnt += nodePut(xr);
        if (sn.flags & IST_MATCH) {
          stateNew.flags |= sn.flags;
          return finish();
        }
      }
    }
    xi = xNext;
  } while (xi);
  stateNew.flags &= ~IST_MATCH;
  return finish();
}

/** `_db_tree_add`; `lt26` selects libseccomp >= 2.6 behaviour where it differs (currently none modelled). */
function treeAdd(existing: Ref, nw: DbNode, state: IterState): number {
  let x: DbNode | null = existing.get();
  const n = nw;
  for (;;) {
    if (x === null) return 0;
    if (chainEq(x, n)) {
      if (n.actTFlg) {
        if (!x.actTFlg) {
          const rc = treeActCheck(x.nxtT, n.actT);
          if (rc !== 0) return rc;
          state.sx.nodeCnt = (state.sx.nodeCnt - nodePut(fieldRef(x, 'nxtT'))) >>> 0;
          x.nxtT = null;
          x.actT = n.actT;
          x.actTTag = n.actTTag;
          x.actTFlg = true;
        } else if (n.actT !== x.actT) {
          if (n.argHi && n.datumFull > x.datumFull) {
            x.actT = n.actT;
            x.actTTag = n.actTTag;
          }
          if (chainLeaf(x) || chainLeaf(n)) return EEXIST;
        }
      }
      if (n.actFFlg) {
        if (!x.actFFlg) {
          const rc = treeActCheck(x.nxtF, n.actF);
          if (rc !== 0) return rc;
          state.sx.nodeCnt = (state.sx.nodeCnt - nodePut(fieldRef(x, 'nxtF'))) >>> 0;
          x.nxtF = null;
          x.actF = n.actF;
          x.actFTag = n.actFTag;
          x.actFFlg = true;
        } else if (n.actF !== x.actF) {
          // libseccomp writes act_t here (sic), kept as is
          if (n.argHi && n.datumFull < x.datumFull) {
            x.actT = n.actT;
            x.actTTag = n.actTTag;
          }
          if (chainLeaf(x) || chainLeaf(n)) return EEXIST;
        }
      }
      if (n.nxtT) {
        if (x.nxtT) {
          const rc = treeAdd(fieldRef(x, 'nxtT'), n.nxtT, state);
          if (rc !== 0) return rc;
        } else if (!x.actTFlg) {
          x.nxtT = nodeGet(n.nxtT);
        } else return 0;
      }
      if (n.nxtF) {
        if (x.nxtF) {
          const rc = treeAdd(fieldRef(x, 'nxtF'), n.nxtF, state);
          if (rc !== 0) return rc;
        } else if (!x.actFFlg) {
          x.nxtF = nodeGet(n.nxtF);
        } else return 0;
      }
      return 0;
    } else if (!chainLt(x, n)) {
      if (x.lvlNxt === null) {
        n.lvlPrv = nodeGet(x);
        x.lvlNxt = nodeGet(n);
        return 0;
      }
      x = x.lvlNxt;
    } else {
      if (x.lvlPrv !== null) {
        x.lvlPrv.lvlNxt = nodeGet(n);
        n.lvlPrv = x.lvlPrv;
        x.lvlPrv = nodeGet(n);
        n.lvlNxt = x;
      } else {
        x.lvlPrv = nodeGet(n);
        n.lvlNxt = nodeGet(x);
      }
      if (existing.get() === x) {
        existing.set(nodeGet(n));
        nodePut(varRef(x));
      }
      return 0;
    }
  }
}

function needLo(a: DbApiArg): boolean {
  return !(a.op === 'masked_eq' && lo32(a.mask) === 0);
}

function needHi(a: DbApiArg): boolean {
  return !(a.op === 'masked_eq' && hi32(a.mask) === 0);
}

function sys(num: number): DbSys {
  return { num, chains: null, action: 0, actionTag: -1, nodeCnt: 0, priority: 0 };
}

const PRI_MASK_CHAIN = 0xffff;

/** The `add_priority_update` step of `db_rule_add`: the chain bits become 0xFFFF - node_cnt. */
function priorityUpdate(s: DbSys): void {
  s.priority = ((s.priority & ~PRI_MASK_CHAIN) | ((PRI_MASK_CHAIN - s.nodeCnt) >>> 0)) >>> 0;
}

function setAct(n: DbNode, t: boolean, rule: DbRule): void {
  if (t) {
    n.actTFlg = true;
    n.actT = rule.action;
    n.actTTag = rule.tag;
  } else {
    n.actFFlg = true;
    n.actF = rule.action;
    n.actFTag = rule.tag;
  }
}

/** `_db_rule_gen_64`. */
function ruleGen64(rule: DbRule): DbSys {
  const s = sys(rule.syscall);
  let c: (DbNode | null)[] = [null, null, null];
  let p: (DbNode | null)[] = [null, null, null];
  let opPrev: DbOp | null = null;
  for (let i = 0; i < 6; i++) {
    const a = rule.args[i];
    if (a === undefined) continue;
    if (!needHi(a) && !needLo(a)) continue;
    const c0 = newNode();
    const c1 = newNode();
    let c2: DbNode | null = null;
    switch (a.op) {
      case 'gt':
      case 'ge':
      case 'le':
      case 'lt': {
        c2 = newNode();
        c0.arg = c1.arg = c2.arg = a.arg;
        c0.argHi = true;
        c1.argHi = true;
        c2.argHi = false;
        c0.mask = hi32(a.mask);
        c1.mask = hi32(a.mask);
        c2.mask = lo32(a.mask);
        c0.datum = (hi32(a.datum) & c0.mask) >>> 0;
        c1.datum = (hi32(a.datum) & c1.mask) >>> 0;
        c2.datum = (lo32(a.datum) & c2.mask) >>> 0;
        c0.datumFull = c1.datumFull = c2.datumFull = a.datum;
        c0.op = 'gt';
        c1.op = 'eq';
        c2.op = a.op === 'gt' || a.op === 'le' ? 'gt' : 'ge';
        c0.opOrig = c1.opOrig = c2.opOrig = a.op;
        c0.nxtF = nodeGetNN(c1);
        c1.nxtT = nodeGetNN(c2);
        break;
      }
      case 'eq':
      case 'masked_eq':
      case 'ne': {
        c0.arg = c1.arg = a.arg;
        c0.argHi = true;
        c1.argHi = false;
        c0.mask = hi32(a.mask);
        c1.mask = lo32(a.mask);
        c0.datum = (hi32(a.datum) & c0.mask) >>> 0;
        c1.datum = (lo32(a.datum) & c1.mask) >>> 0;
        c0.datumFull = c1.datumFull = a.datum;
        c0.op = c1.op = a.op === 'masked_eq' ? 'masked_eq' : 'eq';
        c0.opOrig = c1.opOrig = a.op;
        c0.nxtT = nodeGetNN(c1);
        break;
      }
      default: {
        const never: never = a.op;
        throw new Error(`bad op ${String(never)}`);
      }
    }
    c = [c0, c1, c2];
    s.nodeCnt += c2 === null ? 2 : 3;
    if (p[0] !== null) {
      switch (opPrev) {
        case 'gt':
        case 'ge':
          must(p[0]).nxtT = nodeGetNN(c0);
          must(p[2]).nxtT = nodeGetNN(c0);
          break;
        case 'eq':
        case 'masked_eq':
          must(p[1]).nxtT = nodeGetNN(c0);
          break;
        case 'le':
        case 'lt':
          must(p[1]).nxtF = nodeGetNN(c0);
          must(p[2]).nxtF = nodeGetNN(c0);
          break;
        case 'ne':
          must(p[0]).nxtF = nodeGetNN(c0);
          must(p[1]).nxtF = nodeGetNN(c0);
          break;
        case null:
          break;
      }
    } else s.chains = nodeGetNN(c0);
    p = c;
    opPrev = a.op;
  }
  if (c[0] !== null) {
    const [c0, c1, c2] = c as [DbNode, DbNode, DbNode | null];
    switch (opPrev) {
      case 'gt':
      case 'ge':
        setAct(c0, true, rule);
        setAct(must(c2), true, rule);
        break;
      case 'le':
      case 'lt':
        setAct(c1, false, rule);
        setAct(must(c2), false, rule);
        break;
      case 'eq':
      case 'masked_eq':
        setAct(c1, true, rule);
        break;
      case 'ne':
        setAct(c0, false, rule);
        setAct(c1, false, rule);
        break;
      case null:
        break;
    }
  } else {
    s.action = rule.action;
    s.actionTag = rule.tag;
  }
  return s;
}

/** `_db_rule_gen_32`: the low word only, mask and datum cut to 32 bits. */
function ruleGen32(rule: DbRule): DbSys {
  const s = sys(rule.syscall);
  let c: DbNode | null = null;
  let prev: DbNode | null = null;
  let tf = false;
  for (let i = 0; i < 6; i++) {
    const a = rule.args[i];
    if (a === undefined) continue;
    if (!needLo(a)) continue;
    c = newNode();
    c.arg = a.arg;
    c.argHi = false;
    c.opOrig = a.op;
    c.mask = lo32(a.mask);
    c.datum = lo32(a.datum);
    c.datumFull = a.datum;
    if (prev !== null) {
      if (tf) prev.nxtT = nodeGetNN(c);
      else prev.nxtF = nodeGetNN(c);
    } else s.chains = nodeGetNN(c);
    s.nodeCnt++;
    switch (a.op) {
      case 'ne':
        c.op = 'eq';
        tf = false;
        break;
      case 'lt':
        c.op = 'ge';
        tf = false;
        break;
      case 'le':
        c.op = 'gt';
        tf = false;
        break;
      case 'eq':
      case 'gt':
      case 'ge':
      case 'masked_eq':
        c.op = a.op;
        tf = true;
        break;
      default: {
        const never: never = a.op;
        throw new Error(`bad op ${String(never)}`);
      }
    }
    c.datum = (c.datum & c.mask) >>> 0;
    prev = c;
  }
  if (c !== null) setAct(c, tf, rule);
  else {
    s.action = rule.action;
    s.actionTag = rule.tag;
  }
  return s;
}

/** Create an empty per-arch database. */
export function dbNew(size: 32 | 64): DbFilter {
  return { size, syscalls: new Map() };
}

/** Snapshot a database (libseccomp's transactions): a deep copy to restore after a failed add. */
export function dbClone(db: DbFilter): DbFilter {
  const seen = new Map<DbNode, DbNode>();
  const cl = (n: DbNode | null): DbNode | null => {
    if (n === null) return null;
    const hit = seen.get(n);
    if (hit) return hit;
    const m: DbNode = { ...n };
    seen.set(n, m);
    m.nxtT = cl(n.nxtT);
    m.nxtF = cl(n.nxtF);
    m.lvlPrv = cl(n.lvlPrv);
    m.lvlNxt = cl(n.lvlNxt);
    return m;
  };
  const out = dbNew(db.size);
  for (const [k, s] of db.syscalls) out.syscalls.set(k, { ...s, chains: cl(s.chains) });
  return out;
}

/**
 * `db_rule_add`: merge one rule into the database. Returns 0 or a negative errno (e.g. -EEXIST when
 * the same condition already leads to a different action).
 */
export function dbRuleAdd(db: DbFilter, rule: DbRule): number {
  const sNew = db.size === 64 ? ruleGen64(rule) : ruleGen32(rule);
  sNew.priority = (PRI_MASK_CHAIN - sNew.nodeCnt) >>> 0;
  const sIter = db.syscalls.get(rule.syscall);
  if (sIter === undefined) {
    db.syscalls.set(rule.syscall, sNew);
    return 0;
  }
  const rc = ruleAddExisting(sIter, sNew, rule);
  if (rc >= 0) priorityUpdate(sIter);
  return rc;
}

/** `db_rule_add` from `add_reset` on, for a syscall already in the database. */
function ruleAddExisting(sIter: DbSys, sNew: DbSys, rule: DbRule): number {
  let rmFlag = false;
  for (;;) {
    if (sIter.chains === null) {
      if (rmFlag) {
        sIter.chains = sNew.chains;
        sIter.action = sNew.action;
        sIter.actionTag = sNew.actionTag;
        sIter.nodeCnt = sNew.nodeCnt;
        sIter.priority = sNew.priority;
        return 0;
      }
      // existing unconditional rule wins; drop the new one
      return 0;
    } else if (sNew.chains === null) {
      treePut(sysRef(sIter));
      sIter.chains = null;
      sIter.nodeCnt = 0;
      sIter.action = rule.action;
      sIter.actionTag = rule.tag;
      return 0;
    }
    const st: IterState = { flags: 0, action: rule.action, sx: sIter };
    const rc = treePrune(sysRef(sIter), sNew.chains, st);
    if (rc > 0) {
      rmFlag = true;
      sIter.nodeCnt = (sIter.nodeCnt - rc) >>> 0;
      if ((sIter.chains as DbNode | null) === null) continue;
    } else if ((st.flags & IST_M_REDUNDANT) === IST_M_REDUNDANT) {
      return 0;
    }
    const st2: IterState = { flags: 0, action: 0, sx: sIter };
    const rc2 = treeAdd(sysRef(sIter), sNew.chains, st2);
    if (rc2 < 0) return rc2;
    sIter.nodeCnt = (sIter.nodeCnt + sNew.nodeCnt) >>> 0;
    sIter.nodeCnt = (sIter.nodeCnt - treePut(sysRef(sNew))) >>> 0;
    return 0;
  }
}
