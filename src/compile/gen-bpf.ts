/**
 * A port of libseccomp 2.5.4's BPF generator (src/gen_bpf.c) over the rule database of
 * libseccomp-db.ts (reached through libseccomp.ts); lift.ts lowers the program it emits to plan DAGs.
 *
 * gen_bpf tracks what the accumulator holds while it builds blocks (`struct acc_state`: the loaded
 * offset and the AND mask applied), shares identical blocks through a hash table, and lays the
 * blocks out in a separate pass that prepends a reload to a block only when the block placed before
 * it ends in a different accumulator state. A block reached by several paths can therefore compare
 * a word other than the one its tree node names (a sibling reached from the end of the previous
 * sibling's sub-level sees the sub-level's last load). Rather than predict that, this module emits
 * libseccomp's program instruction for instruction (block generation, hashing, layout, long jumps)
 * and then lift.ts evaluates it symbolically: every comparison in the resulting plan names the word that is
 * really in the accumulator at that point (docs/semantics.md#libseccomp-stale-accumulator).
 *
 * Block identity stands in for the C hash values (jhash of the block's instructions and accumulator
 * states): two blocks share an identity exactly when their instructions and states are equal, which
 * is what the C code decides by memcmp after a hash match.
 */
import { X32_SYSCALL_BIT } from '../arch/arches.js';
import type { ArchInfo, ArchName } from '../arch/types.js';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_RET,
  BPF_W,
  type Instruction,
} from '../bpf/instruction.js';
import { levelHead, type DbFilter, type DbNode, type DbSys } from './libseccomp-db.js';
import type { JumpOrigin } from './lift.js';

/** One section of the filter collection, in the order libseccomp added the arches. */
export interface GenArch {
  /** The arch record (tokens, width, byte order). */
  readonly info: ArchInfo;
  /** Its rule database. */
  readonly db: DbFilter;
}

/** Input of {@link genBpf}: the filter collection's arches and attributes. */
export interface GenInput {
  /** Arches in collection order. */
  readonly arches: readonly GenArch[];
  /** `act_default`. */
  readonly defaultAction: number;
  /** `act_badarch`. */
  readonly badArchAction: number;
  /** `SCMP_FLTATR_CTL_OPTIMIZE`: 1 (priority order) or 2 (binary tree). */
  readonly optimize: 1 | 2;
  /**
   * True when libseccomp runs on a machine whose byte order differs from the filter's (building an
   * s390x filter on x86_64). `_gen_bpf_build_jmp_ret` then byte-swaps the value of every return it
   * duplicates for a long jump: it passes the already converted `k` through `_htot32` again. A
   * filter built on its own host (what runc does) is unaffected. Default false.
   */
  readonly crossEndian?: boolean;
}

/** libseccomp's program plus, per conditional jump, the origin of a return it leads to. */
export interface GenProgram {
  /** The instructions `seccomp_export_bpf` writes (byte order aside). */
  readonly insns: readonly Instruction[];
  /** Origin of the jt edge of each instruction (undefined when it does not lead to a return). */
  readonly jtOrigin: readonly (JumpOrigin | undefined)[];
  /** Origin of the jf edge (and of the fall-through of a JA). */
  readonly jfOrigin: readonly (JumpOrigin | undefined)[];
  /**
   * Arches whose section never loads the syscall number: the first syscall by priority is a pseudo
   * syscall, gen_bpf skips its block and with it the `ld nr` (optimize level 1;
   * docs/semantics.md#libseccomp-lost-nr-load).
   */
  readonly withoutNrLoad: readonly ArchName[];
  /**
   * Instructions per syscall (`arch:nr`, the ABI's name and the number in its table) whose rules the
   * blocks were first generated for: each syscall's `jeq` and its argument chains. Shared blocks count
   * once, for the first; the arch checks, the default and shared returns count for none.
   */
  readonly bySyscall: ReadonlyMap<string, number>;
}

/** An error of the port itself (libseccomp would fail with EFAULT where the C code does). */
export class GenBpfError extends Error {}

const ARG_MASK_MAX = 0xffffffff;
const OFFSET_SYSCALL = 0;
const OFFSET_ARCH = 4;
const SYSCALLS_PER_NODE = 4;
const BTREE_INVALID = -1;
const JMP_MAX = 255;
const OP_LD = BPF_LD | BPF_W | BPF_ABS;
const OP_AND = BPF_ALU | BPF_AND | BPF_K;
const OP_JEQ = BPF_JMP | BPF_JEQ | BPF_K;
const OP_JGT = BPF_JMP | BPF_JGT | BPF_K;
const OP_JGE = BPF_JMP | BPF_JGE | BPF_K;
const OP_JA = BPF_JMP | BPF_JA;
const OP_RET = BPF_RET | BPF_K;

/** `struct acc_state`. */
interface Acc {
  offset: number;
  mask: number;
}

const accUndef = (): Acc => ({ offset: -1, mask: ARG_MASK_MAX });
const accOffset = (o: number): Acc => ({ offset: o, mask: ARG_MASK_MAX });
const accEq = (a: Acc, b: Acc): boolean => a.offset === b.offset && a.mask === b.mask;

/** `struct bpf_jump`, with `origin` riding along (never part of a block's identity). */
type Jump =
  | { readonly type: 'none' }
  | { readonly type: 'k'; readonly n: number }
  | { readonly type: 'nxt'; readonly n: number; readonly origin?: JumpOrigin }
  | { readonly type: 'imm'; readonly n: number; readonly origin?: JumpOrigin }
  | { readonly type: 'db'; readonly db: DbNode }
  | { readonly type: 'blk'; readonly blk: Blk }
  | { readonly type: 'hsh'; readonly n: number; readonly origin?: JumpOrigin };

const J_NO: Jump = { type: 'none' };
const jK = (n: number): Jump => ({ type: 'k', n: n >>> 0 });
const jHsh = (n: number, origin?: JumpOrigin): Jump =>
  origin === undefined ? { type: 'hsh', n } : { type: 'hsh', n, origin };
const jNxt = (n: number): Jump => ({ type: 'nxt', n });

/** `struct bpf_instr`. */
interface Ins {
  op: number;
  jt: Jump;
  jf: Jump;
  k: Jump;
}

/** `struct bpf_blk`. */
interface Blk {
  ins: Ins[];
  accStart: Acc;
  accEnd: Acc;
  priority: number;
  flagHash: boolean;
  flagDup: boolean;
  /** Identity standing in for the C hash; 0 while unhashed. */
  hash: number;
  prev: Blk | null;
  next: Blk | null;
  lvlPrv: Blk | null;
  lvlNxt: Blk | null;
  /** Position key in the final list, for the long-jump pass (see `LongJumpIndex`). */
  ord?: number;
  /** The syscall (`arch:nr`) whose rules the block was first generated for (cost attribution only). */
  owner?: string;
}

/**
 * What `_gen_bpf_build_jmp` finds by walking back from the tail: the last block with a given hash,
 * which must lie after the jumping block. Blocks inserted during the pass (return copies and `ja`
 * trampolines) go right after the jumping block, hence before that last block, so the map of last
 * occurrences never changes; order keys between neighbours keep "after" a constant-time test.
 */
interface LongJumpIndex {
  readonly last: Map<number, Blk>;
  /** Every block carrying a hash, in list order (inserted copies included). */
  readonly byHash: Map<number, Blk[]>;
  /**
   * Instructions from each block's start to the program's end, for the blocks the backward pass has
   * reached. Insertions go right after the block being visited, so the blocks after it keep theirs;
   * the visited block's is refreshed on every visit and insertion (no whole-list recount).
   */
  readonly endRel: Map<Blk, number>;
}

/** Record the visited block's distance to the end (every block after it already has one). */
function noteVisited(index: LongJumpIndex, b: Blk): void {
  index.endRel.set(b, (b.next === null ? 0 : must(index.endRel.get(b.next))) + b.ins.length);
}

/** Record a block inserted right after `blk` during the long-jump pass. */
function noteInserted(index: LongJumpIndex, blk: Blk, b: Blk): void {
  const list = index.byHash.get(b.hash) ?? [];
  list.push(b);
  list.sort((x, y) => must(x.ord) - must(y.ord));
  index.byHash.set(b.hash, list);
  noteVisited(index, b);
  noteVisited(index, blk);
}

interface Bucket {
  readonly blk: Blk;
  found: boolean;
}

interface State {
  /** Block identities by signature hash (see blockId). */
  readonly ids: Map<number, { readonly sig: readonly number[]; readonly id: number }[]>;
  idCount: number;
  readonly buckets: Map<number, Bucket>;
  badArchHsh: number;
  defHsh: number;
  arch: ArchInfo | null;
  bHead: Blk | null;
  bTail: Blk | null;
  bNew: Blk | null;
  readonly withoutNrLoad: ArchName[];
}

function must<T>(v: T | null | undefined): T {
  if (v === null || v === undefined) throw new GenBpfError('gen_bpf port: broken invariant');
  return v;
}

function blkAlloc(): Blk {
  return {
    ins: [],
    accStart: accUndef(),
    accEnd: accUndef(),
    priority: 0,
    flagHash: false,
    flagDup: false,
    hash: 0,
    prev: null,
    next: null,
    lvlPrv: null,
    lvlNxt: null,
  };
}

function ins(op: number, jt: Jump, jf: Jump, k: Jump): Ins {
  return { op, jt, jf, k };
}

/** `_blk_append`. */
function blkAppend(blk: Blk | null, i: Ins): Blk {
  const b = blk ?? blkAlloc();
  b.ins.push(i);
  return b;
}

/** `_blk_prepend`. */
function blkPrepend(blk: Blk, i: Ins): Blk {
  blk.ins.unshift(i);
  return blk;
}

/** Push a jump's identity (type code, number) onto a block signature. */
function jumpSig(sig: number[], j: Jump): void {
  switch (j.type) {
    case 'none':
      sig.push(0, 0);
      return;
    case 'k':
      sig.push(1, j.n);
      return;
    case 'nxt':
      sig.push(2, j.n);
      return;
    case 'imm':
      sig.push(3, j.n);
      return;
    case 'hsh':
      sig.push(4, j.n);
      return;
    case 'db':
    case 'blk':
      throw new GenBpfError('gen_bpf port: hashing an unresolved block');
    default: {
      const never: never = j;
      return never;
    }
  }
}

/** Two block signatures are the same block. */
function sigEq(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The identity of a block's contents (C hashes them; equal contents, equal hash): ids are handed out
 * in order of first appearance, found through a numeric hash of the signature and a check of equality.
 */
function blockId(st: State, blk: Blk): number {
  const sig: number[] = [
    blk.accStart.offset,
    blk.accStart.mask,
    blk.accEnd.offset,
    blk.accEnd.mask,
  ];
  for (const i of blk.ins) {
    sig.push(i.op);
    jumpSig(sig, i.jt);
    jumpSig(sig, i.jf);
    jumpSig(sig, i.k);
  }
  let x = 0x811c9dc5;
  for (const v of sig) x = Math.imul(x ^ (v | 0), 0x01000193);
  const list = st.ids.get(x);
  if (list !== undefined) {
    for (const e of list) if (sigEq(e.sig, sig)) return e.id;
  }
  const id = ++st.idCount;
  if (list === undefined) st.ids.set(x, [{ sig, id }]);
  else list.push({ sig, id });
  return id;
}

/** `_hsh_add`: returns the block to use (the existing twin for found=0 duplicates). */
function hshAdd(st: State, blk: Blk, found: boolean): Blk {
  if (blk.flagHash) return blk;
  const h = blockId(st, blk);
  blk.hash = h;
  blk.flagHash = true;
  const b = st.buckets.get(h);
  if (b !== undefined) {
    if (found) {
      blk.flagDup = true;
      return blk;
    }
    if (b.blk.priority < blk.priority) b.blk.priority = blk.priority;
    return b.blk;
  }
  st.buckets.set(h, { blk, found });
  return blk;
}

/** `_hsh_find_once`. */
function hshFindOnce(st: State, h: number): Blk | null {
  const b = st.buckets.get(h);
  if (b === undefined || b.found) return null;
  b.found = true;
  return b.blk;
}

/** `_gen_bpf_action`. */
function genAction(blk: Blk | null, action: number): Blk {
  return blkAppend(blk, ins(OP_RET, J_NO, J_NO, jK(action)));
}

/** `_gen_bpf_action_hsh`. */
function genActionHsh(st: State, action: number): Blk {
  return hshAdd(st, genAction(null, action), false);
}

/** `arch_arg_offset_lo` / `arch_arg_offset_hi`. */
function argOffset(arch: ArchInfo, node: DbNode): number {
  const base = 16 + 8 * node.arg;
  const big = arch.endian === 'big';
  return base + (node.argHi !== big ? 4 : 0);
}

/** `_gen_bpf_node`: one tree node's block; `a` is the level's running accumulator state. */
function genNode(st: State, node: DbNode, a: Acc): Blk {
  const arch = must(st.arch);
  let blk = blkAlloc();
  blk.accStart = { ...a };
  let actTHash = 0;
  let actFHash = 0;
  if (node.actTFlg) actTHash = genActionHsh(st, node.actT).hash;
  if (node.actFFlg) actFHash = genActionHsh(st, node.actF).hash;
  const accOffsetN = argOffset(arch, node);
  const accMask = node.mask >>> 0;
  if (accOffsetN !== a.offset || (accMask & a.mask) >>> 0 !== accMask) {
    a.offset = accOffsetN;
    a.mask = ARG_MASK_MAX;
    blk = blkAppend(blk, ins(OP_LD, J_NO, J_NO, jK(accOffsetN)));
    blk.accStart = accUndef();
  }
  if (accMask !== a.mask) {
    a.mask = accMask;
    blk = blkAppend(blk, ins(OP_AND, J_NO, J_NO, jK(accMask)));
  }
  blk.accEnd = { ...a };
  let op: number;
  switch (node.op) {
    case 'eq':
    case 'masked_eq':
      op = OP_JEQ;
      break;
    case 'gt':
      op = OP_JGT;
      break;
    case 'ge':
      op = OP_JGE;
      break;
    default: {
      const never: never = node.op;
      throw new GenBpfError(`gen_bpf port: bad op ${String(never)}`);
    }
  }
  const jt: Jump =
    node.nxtT !== null
      ? { type: 'db', db: node.nxtT }
      : node.actTFlg
        ? jHsh(actTHash, { kind: 'rule', tag: node.actTTag })
        : jNxt(0);
  const jf: Jump =
    node.nxtF !== null
      ? { type: 'db', db: node.nxtF }
      : node.actFFlg
        ? jHsh(actFHash, { kind: 'rule', tag: node.actFTag })
        : jNxt(0);
  return blkAppend(blk, ins(op, jt, jf, jK(node.datum)));
}

/** `_gen_bpf_chain_lvl_res`: resolve a block's tree and block pointers, then hash it. */
function chainLvlRes(st: State, sys: DbSys, blk: Blk, nxtJump: Jump): Blk {
  if (blk.flagHash) return blk;
  const resolve = (j: Jump): Jump => {
    switch (j.type) {
      case 'none':
      case 'imm':
      case 'hsh':
        return j;
      case 'blk':
        return jHsh(chainLvlRes(st, sys, j.blk, nxtJump).hash);
      case 'db':
        return jHsh(genChain(st, sys, j.db, nxtJump, blk.accEnd).hash);
      case 'k':
      case 'nxt':
        throw new GenBpfError('gen_bpf port: unexpected jump while resolving a level');
      default: {
        const never: never = j;
        return never;
      }
    }
  };
  for (const i of blk.ins) {
    i.jt = resolve(i.jt);
    i.jf = resolve(i.jf);
    if (i.k.type !== 'none' && i.k.type !== 'k' && i.k.type !== 'hsh') {
      throw new GenBpfError('gen_bpf port: unexpected k while resolving a level');
    }
  }
  return hshAdd(st, blk, false);
}

/** `_gen_bpf_chain`: the blocks of one tree level (and, recursively, of its sub-levels). */
function genChain(st: State, sys: DbSys, chain: DbNode | null, nxtJump: Jump, aState: Acc): Blk {
  const acc: Acc = { ...aState };
  let head: Blk | null = null;
  let tail: Blk | null = null;
  if (chain === null) {
    head = genAction(null, sys.action);
    tail = head;
  } else {
    let c: DbNode | null = levelHead(chain);
    const owner = `${must(st.arch).name}:${sys.num}`;
    do {
      const b = genNode(st, c, acc);
      b.owner = owner;
      if (head !== null) {
        b.lvlPrv = tail;
        must(tail).lvlNxt = b;
        tail = b;
      } else {
        head = b;
        tail = b;
      }
      c = c.lvlNxt;
    } while (c !== null);
    for (let b: Blk | null = head; b !== null; b = b.lvlNxt) {
      const next: Blk | null = b.lvlNxt;
      for (const i of b.ins) {
        if (i.jt.type === 'nxt') i.jt = next === null ? nxtJump : { type: 'blk', blk: next };
        if (i.jf.type === 'nxt') i.jf = next === null ? nxtJump : { type: 'blk', blk: next };
      }
    }
  }
  let it: Blk | null = must(tail);
  do {
    const prev: Blk | null = it.lvlPrv;
    const next: Blk | null = it.lvlNxt;
    const nj: Jump = next === null ? nxtJump : { type: 'blk', blk: next };
    it = chainLvlRes(st, sys, it, nj);
    if (prev !== null) prev.lvlNxt = it;
    it.lvlPrv = prev;
    it.lvlNxt = next;
    if (next !== null) next.lvlPrv = it;
    if (it.lvlPrv === null) head = it;
    it = prev;
  } while (it !== null);
  return must(head);
}

/** `_gen_bpf_syscall`. */
function genSyscall(
  st: State,
  sys: DbSys,
  nxtHash: number,
  nxtOrigin: JumpOrigin | undefined,
  accReset: boolean,
): Blk {
  const defJump = jHsh(st.defHsh, { kind: 'default' });
  let blkS = blkAlloc();
  let a: Acc;
  if (accReset) {
    blkS = blkAppend(blkS, ins(OP_LD, J_NO, J_NO, jK(OFFSET_SYSCALL)));
    a = accOffset(OFFSET_SYSCALL);
    blkS.accStart = accUndef();
    blkS.accEnd = accOffset(OFFSET_SYSCALL);
  } else {
    a = accUndef();
    blkS.accStart = accOffset(OFFSET_SYSCALL);
    blkS.accEnd = accOffset(OFFSET_SYSCALL);
  }
  const blkC = genChain(st, sys, sys.chains, defJump, a);
  const jt = jHsh(
    blkC.hash,
    sys.chains === null ? { kind: 'rule', tag: sys.actionTag } : undefined,
  );
  blkS = blkAppend(blkS, ins(OP_JEQ, jt, jHsh(nxtHash, nxtOrigin), jK(sys.num)));
  blkS.priority = sys.priority;
  blkS.owner = `${must(st.arch).name}:${sys.num}`;
  return hshAdd(st, blkS, true);
}

/** `_sys_priority_sort` / `_sys_num_sort` over the primary then the secondary db: a stable descending sort. */
function sysSort(lists: readonly (readonly DbSys[])[], optimize: 1 | 2): DbSys[] {
  const key = (s: DbSys): number => (optimize !== 2 ? s.priority >>> 0 : s.num >>> 0);
  const all = lists.flat();
  return all
    .map((s, i) => ({ s, i }))
    .sort((x, y) => key(y.s) - key(x.s) || x.i - y.i)
    .map((e) => e.s);
}

/** The db's syscall list in C order (`db_rule_add` keeps it sorted by unsigned number). */
function dbList(db: DbFilter): DbSys[] {
  return [...db.syscalls.values()].sort((a, b) => (a.num >>> 0) - (b.num >>> 0));
}

/** `_skip_syscall` (runc never sets SCMP_FLTATR_API_TSKIP). */
function skipSyscall(s: DbSys): boolean {
  return s.num < 0;
}

/** `_get_bintree_levels`. */
function bintreeLevels(cnt: number): number {
  let i = 2;
  let max = SYSCALLS_PER_NODE * 2;
  if (cnt === 0) return 0;
  while (max < cnt) {
    max *= 2;
    i++;
  }
  return i;
}

/** `_gen_bpf_insert`: append to `existing` (or a new block), link it before `st.bHead`, hash it. */
function genInsert(st: State, i: Ins, existing: Blk | null): Blk {
  const blk = blkAppend(existing, i);
  blk.next = st.bHead;
  if (st.bHead !== null) st.bHead.prev = blk;
  st.bHead = blk;
  return hshAdd(st, blk, true);
}

/** `_gen_bpf_bintree`. */
function genBintree(
  st: State,
  hashes: number[],
  sysnums: number[],
  levels: number,
  totalCnt: number,
  curSyscall: number,
  added: { n: number },
): void {
  let bBintree: Blk | null = null;
  for (let i = levels - 1; i >= 0; i--) {
    const level = SYSCALLS_PER_NODE * 2 ** i;
    if (totalCnt % level === 0) {
      sysnums[i] = curSyscall;
      hashes[i] = must(st.bNew).hash;
      let j: number;
      for (j = 0; j < i; j++) {
        const sj = must(sysnums[j]);
        const hj = must(hashes[j]);
        if (sj === BTREE_INVALID || hj === BTREE_INVALID) continue;
        const jt = jHsh(bBintree === null ? must(st.bNew).hash : bBintree.hash);
        added.n++;
        bBintree = genInsert(st, ins(OP_JGT, jt, jHsh(hj), jK(sj)), null);
      }
      if (bBintree !== null) hashes[j] = bBintree.hash;
      break;
    }
  }
}

/** `_gen_bpf_syscalls`: the syscall blocks of one section; returns the block count and tree levels. */
function genSyscalls(
  st: State,
  db: GenArch,
  secondary: GenArch | null,
  optimize: 1 | 2,
): { added: number; levels: number } {
  st.arch = db.info;
  st.bHead = null;
  st.bTail = null;
  st.bNew = null;
  const added = { n: 0 };
  const sorted = sysSort(
    secondary === null ? [dbList(db.db)] : [dbList(db.db), dbList(secondary.db)],
    optimize,
  );
  const sHead = sorted[0];
  let levels = 0;
  let emptyCnt = 0;
  const hashes: number[] = [];
  const sysnums: number[] = [];
  if (optimize === 2) {
    const cnt = sorted.filter((s) => !skipSyscall(s)).length;
    levels = bintreeLevels(cnt);
    if (levels > 0) {
      emptyCnt = SYSCALLS_PER_NODE * 2 * 2 ** (levels - 1) - cnt;
      for (let i = 0; i < levels; i++) {
        hashes.push(BTREE_INVALID);
        sysnums.push(BTREE_INVALID);
      }
    }
  }
  const x86 = db.info.name === 'x86_64' || db.info.name === 'x32';
  let accReset = !(x86 && secondary === null);
  if (levels > 0) accReset = false;
  if (
    accReset &&
    sHead !== undefined &&
    skipSyscall(sHead) &&
    sorted.some((s) => !skipSyscall(s))
  ) {
    st.withoutNrLoad.push(db.info.name);
    if (secondary !== null) st.withoutNrLoad.push(secondary.info.name);
  }
  let syscallCnt = 0;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const s = must(sorted[i]);
    if (skipSyscall(s)) continue;
    let nxt: number;
    let nxtOrigin: JumpOrigin | undefined;
    if ((levels > 0 && (syscallCnt + emptyCnt) % SYSCALLS_PER_NODE === 0) || st.bHead === null) {
      nxt = st.defHsh;
      nxtOrigin = { kind: 'default' };
    } else {
      nxt = st.bHead.hash;
    }
    const bNew = genSyscall(st, s, nxt, nxtOrigin, s === sHead ? accReset : false);
    st.bNew = bNew;
    bNew.prev = null;
    bNew.next = st.bHead;
    if (st.bTail !== null) {
      must(st.bHead).prev = bNew;
      st.bHead = bNew;
    } else {
      st.bHead = bNew;
      st.bTail = bNew;
    }
    if (st.bTail.next !== null) st.bTail = st.bTail.next;
    added.n++;
    syscallCnt++;
    if (levels > 0) {
      genBintree(st, hashes, sysnums, levels, syscallCnt + emptyCnt, s.num >>> 0, added);
    }
  }
  return { added: added.n, levels };
}

/** `_gen_bpf_arch`: one section, headed by its AUDIT_ARCH check. */
function genArch(st: State, db: GenArch, secondary: GenArch | null, optimize: 1 | 2): Blk {
  const { added, levels } = genSyscalls(st, db, secondary, optimize);
  st.arch = db.info;
  let blkCnt = added;
  if (levels > 0) {
    blkCnt++;
    const b = genInsert(st, ins(OP_LD, J_NO, J_NO, jK(OFFSET_SYSCALL)), null);
    b.accStart = accUndef();
    b.accEnd = accOffset(OFFSET_SYSCALL);
  }
  const name = db.info.name;
  if ((name === 'x86_64' || name === 'x32') && secondary === null) {
    let bNew = blkAppend(null, ins(OP_LD, J_NO, J_NO, jK(OFFSET_SYSCALL)));
    bNew.accEnd = accOffset(OFFSET_SYSCALL);
    const headOrDef = (): Jump =>
      st.bHead !== null ? jHsh(st.bHead.hash) : jHsh(st.defHsh, { kind: 'default' });
    let last: Ins;
    if (name === 'x86_64') {
      bNew = blkAppend(bNew, ins(OP_JGE, J_NO, headOrDef(), jK(X32_SYSCALL_BIT)));
      last = ins(OP_JEQ, headOrDef(), jHsh(st.badArchHsh, { kind: 'bad-arch' }), jK(0xffffffff));
    } else {
      last = ins(
        OP_JGE,
        headOrDef(),
        jHsh(st.badArchHsh, { kind: 'bad-arch' }),
        jK(X32_SYSCALL_BIT),
      );
    }
    blkCnt++;
    st.bNew = genInsert(st, last, bNew);
  }
  const check = ins(
    OP_JEQ,
    st.bHead !== null ? jHsh(st.bHead.hash) : jHsh(st.defHsh, { kind: 'default' }),
    jNxt(blkCnt),
    jK(db.info.auditArch),
  );
  st.bNew = genInsert(st, check, null);
  st.arch = null;
  return must(st.bHead);
}

/** `_gen_bpf_find_nxt`. */
function findNxt(blk: Blk, nxt: number): Blk | null {
  let it = blk.next;
  for (let n = nxt; it !== null && n > 0; n--) it = it.next;
  return it;
}

const bswap32 = (v: number): number =>
  (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/** `_gen_bpf_build_jmp_ret`: the closer copy of the return it had to insert, or null (C: 1 / 0). */
function buildJmpRet(blk: Blk, offset: number, blkRet: Blk, crossEndian: boolean): Blk | null {
  const tgt = blkRet.hash;
  let len = blk.ins.length - (offset + 1);
  let b = blk.next;
  while (b !== null && b !== blkRet && len < JMP_MAX) {
    len += b.ins.length;
    b = b.next;
  }
  if (b === null) throw new GenBpfError('gen_bpf port: return out of reach (EFAULT)');
  if (len <= JMP_MAX && b === blkRet) return null;
  len = blk.ins.length - (offset + 1);
  b = blk.next;
  while (b !== null && b.hash !== tgt && len < JMP_MAX) {
    len += b.ins.length;
    b = b.next;
  }
  if (b === null) throw new GenBpfError('gen_bpf port: return out of reach (EFAULT)');
  if (len <= JMP_MAX && b.hash === tgt) return null;
  const k = kOf(must(blkRet.ins[0]));
  const copy = genAction(null, crossEndian ? bswap32(k) : k);
  copy.hash = tgt;
  insertAfter(blk, copy);
  return copy;
}

function kOf(i: Ins): number {
  if (i.k.type !== 'k') throw new GenBpfError('gen_bpf port: unresolved k');
  return i.k.n;
}

function insertAfter(blk: Blk, b: Blk): void {
  if (blk.ord !== undefined) b.ord = (blk.ord + (blk.next?.ord ?? blk.ord + 2)) / 2;
  b.prev = blk;
  b.next = blk.next;
  must(blk.next).prev = b;
  blk.next = b;
}

/** `_gen_bpf_build_jmp`: 1 when a long jump (or a closer return) had to be inserted. */
function buildJmp(
  index: LongJumpIndex,
  blk: Blk,
  offset: number,
  tgt: number,
  crossEndian: boolean,
): number {
  const bTgt = index.last.get(tgt);
  if (bTgt === undefined || must(bTgt.ord) <= must(blk.ord))
    throw new GenBpfError('gen_bpf port: jump target not found (EFAULT)');
  // Fast path: when the first block after this one with the target's hash is nearer than JMP_MAX,
  // every walk below (and in _gen_bpf_build_jmp_ret) stops there and nothing changes.
  const near = (index.byHash.get(tgt) ?? []).find((b) => must(b.ord) > must(blk.ord));
  if (
    near !== undefined &&
    must(index.endRel.get(blk)) - must(index.endRel.get(near)) - (offset + 1) < JMP_MAX
  )
    return 0;
  if (bTgt.ins.length === 1 && must(bTgt.ins[0]).op === OP_RET) {
    const copy = buildJmpRet(blk, offset, bTgt, crossEndian);
    if (copy !== null) {
      noteInserted(index, blk, copy);
      return 1;
    }
  }
  let len = blk.ins.length - (offset + 1);
  let b = blk.next;
  while (b !== null && b !== bTgt && len < JMP_MAX) {
    len += b.ins.length;
    b = b.next;
  }
  if (b === null) throw new GenBpfError('gen_bpf port: jump out of reach (EFAULT)');
  if (len <= JMP_MAX && b === bTgt) return 0;
  len = blk.ins.length - (offset + 1);
  b = blk.next;
  while (b !== null && b.hash !== tgt && len < JMP_MAX) {
    len += b.ins.length;
    b = b.next;
  }
  if (b === null) throw new GenBpfError('gen_bpf port: jump out of reach (EFAULT)');
  if (len <= JMP_MAX && b.hash === tgt) return 0;
  const ja = blkAppend(null, ins(OP_JA, J_NO, J_NO, jHsh(tgt)));
  ja.hash = tgt;
  insertAfter(blk, ja);
  noteInserted(index, blk, ja);
  return 1;
}

/** The emitted offset of a resolved jump (`hsh` through `distance`). */
function jumpOffset(j: Jump, distance: (h: number) => number): number {
  switch (j.type) {
    case 'none':
      return 0;
    case 'imm':
      return j.n;
    case 'hsh':
      return distance(j.n);
    case 'k':
    case 'nxt':
    case 'db':
    case 'blk':
      throw new GenBpfError('gen_bpf port: unresolved jump (EFAULT)');
    default: {
      const never: never = j;
      return never;
    }
  }
}

/** The origin a resolved jump carries, if any. */
function jumpOrigin(j: Jump): JumpOrigin | undefined {
  return j.type === 'imm' || j.type === 'hsh' ? j.origin : undefined;
}

/** `_gen_bpf_build_bpf` + `gen_bpf_generate`: the whole libseccomp program. */
export function genBpf(input: GenInput): GenProgram {
  const st: State = {
    ids: new Map(),
    idCount: 0,
    buckets: new Map(),
    badArchHsh: 0,
    defHsh: 0,
    arch: null,
    bHead: null,
    bTail: null,
    bNew: null,
    withoutNrLoad: [],
  };
  const badarch = hshAdd(st, genAction(null, input.badArchAction >>> 0), true);
  st.badArchHsh = badarch.hash;
  const def = hshAdd(st, genAction(null, input.defaultAction >>> 0), false);
  st.defHsh = def.hash;
  let head = blkAppend(null, ins(OP_LD, J_NO, J_NO, jK(OFFSET_ARCH)));
  head.accEnd = accOffset(OFFSET_ARCH);
  head = hshAdd(st, head, true);
  let tail = head;

  const arches = input.arches;
  const ix64 = arches.findIndex((a) => a.info.name === 'x86_64');
  const ix32 = arches.findIndex((a) => a.info.name === 'x32');
  let secondary: GenArch | null = null;
  for (let i = 0; i < arches.length; i++) {
    if (i === ix64) {
      if (ix32 > i) secondary = must(arches[ix32]);
      else if (ix32 >= 0) continue;
    } else if (i === ix32) {
      if (ix64 > i) secondary = must(arches[ix64]);
      else if (ix64 >= 0) continue;
    } else secondary = null;
    const bNew = genArch(st, must(arches[i]), secondary, input.optimize);
    bNew.prev = tail;
    tail.next = bNew;
    tail = bNew;
    while (tail.next !== null) tail = tail.next;
  }
  badarch.prev = tail;
  badarch.next = null;
  tail.next = badarch;
  tail = badarch;

  // top-level TGT_NXT jumps (the arch checks' "not this arch")
  let it: Blk | null = head;
  do {
    const b: Blk = must(it);
    for (const i of b.ins) {
      if (i.jt.type === 'nxt') {
        const t = must(findNxt(b, i.jt.n));
        i.jt = jHsh(t.hash, t === badarch ? { kind: 'bad-arch' } : undefined);
      }
      if (i.jf.type === 'nxt') {
        const t = must(findNxt(b, i.jf.n));
        i.jf = jHsh(t.hash, t === badarch ? { kind: 'bad-arch' } : undefined);
      }
    }
    it = b.next;
  } while (it !== null && it.next !== null);

  // pull in the hashed blocks, one at a time, after the block found referencing them
  it = tail;
  do {
    const b: Blk = must(it);
    let bJmp: Blk | null = null;
    for (let k = b.ins.length - 1; k >= 0 && bJmp === null; k--) {
      const i = must(b.ins[k]);
      if (i.jt.type === 'hsh') bJmp = hshFindOnce(st, i.jt.n);
      if (bJmp === null && i.jf.type === 'hsh') bJmp = hshFindOnce(st, i.jf.n);
      if (bJmp === null && i.k.type === 'hsh') bJmp = hshFindOnce(st, i.k.n);
      if (bJmp !== null) {
        if (bJmp.accStart.offset !== -1 && !accEq(b.accEnd, bJmp.accStart)) {
          if (bJmp.accStart.mask !== ARG_MASK_MAX) {
            blkPrepend(bJmp, ins(OP_AND, J_NO, J_NO, jK(bJmp.accStart.mask)));
          }
          blkPrepend(bJmp, ins(OP_LD, J_NO, J_NO, jK(bJmp.accStart.offset)));
          bJmp.accStart = accUndef();
        }
        bJmp.prev = b;
        bJmp.next = b.next;
        b.next = bJmp;
        if (bJmp.next !== null) bJmp.next.prev = bJmp;
      }
    }
    if (bJmp !== null) {
      while (tail.next !== null) tail = tail.next;
      // C restarts the walk at the tail; every block after the inserted one was already scanned
      // and found nothing, and found flags never clear, so resuming at the new block is the same walk
      // without the quadratic rescan.
      it = bJmp;
    } else it = b.prev;
  } while (it !== null);

  // long jumps
  const index: LongJumpIndex = {
    last: new Map(),
    byHash: new Map(),
    endRel: new Map(),
  };
  {
    let n = 0;
    for (let b: Blk | null = head; b !== null; b = b.next) {
      b.ord = n++;
      index.last.set(b.hash, b);
      const list = index.byHash.get(b.hash);
      if (list) list.push(b);
      else index.byHash.set(b.hash, [b]);
    }
  }
  it = tail;
  do {
    const b: Blk = must(it);
    let res = 0;
    noteVisited(index, b);
    for (let k = b.ins.length - 1; k >= 0; k--) {
      const i = must(b.ins[k]);
      for (const j of [i.jt, i.jf]) {
        if (j.type === 'hsh') res += buildJmp(index, b, k, j.n, input.crossEndian ?? false);
        else if (j.type !== 'none' && j.type !== 'imm') {
          throw new GenBpfError('gen_bpf port: unresolved jump (EFAULT)');
        }
      }
    }
    if (res === 0) it = b.prev;
  } while (it !== null);

  // emit
  const insns: Instruction[] = [];
  const jtOrigin: (JumpOrigin | undefined)[] = [];
  const jfOrigin: (JumpOrigin | undefined)[] = [];
  // The first block after each block with a given hash (what C's forward walk finds), found in one
  // backward sweep: `after[i]` maps hash -> start offset of the nearest such block after block i.
  const blocks: Blk[] = [];
  const starts: number[] = [];
  for (let b: Blk | null = head, n = 0; b !== null; b = b.next) {
    blocks.push(b);
    starts.push(n);
    n += b.ins.length;
  }
  const lastWithHash = new Map<number, number>();
  blocks.forEach((b, x) => lastWithHash.set(b.hash, x));
  const nearest = new Map<number, number>();
  const after: Map<number, number>[] = new Array<Map<number, number>>(blocks.length);
  const refs = (b: Blk): number[] => {
    const out: number[] = [];
    for (const i of b.ins) {
      if (i.jt.type === 'hsh') out.push(i.jt.n);
      if (i.jf.type === 'hsh') out.push(i.jf.n);
    }
    return out;
  };
  for (let x = blocks.length - 1; x >= 0; x--) {
    const b = must(blocks[x]);
    const m = new Map<number, number>();
    for (const h of refs(b)) {
      const at = nearest.get(h);
      if (at !== undefined) m.set(h, at);
    }
    after[x] = m;
    nearest.set(b.hash, must(starts[x]));
  }
  let bi = -1;
  const distance = (b: Blk, k: number, h: number): number => {
    const at = after[bi]?.get(h);
    if (at === undefined) throw new GenBpfError('gen_bpf port: bad jump (EFAULT)');
    const len = at - (must(starts[bi]) + k + 1);
    if (len > JMP_MAX || b !== blocks[bi]) throw new GenBpfError('gen_bpf port: bad jump (EFAULT)');
    return len;
  };
  const bySyscall = new Map<string, number>();
  for (let b: Blk | null = head; b !== null; b = b.next) {
    bi++;
    const ins = b.ins;
    if (b.owner !== undefined) bySyscall.set(b.owner, (bySyscall.get(b.owner) ?? 0) + ins.length);
    for (let k = 0; k < ins.length; k++) {
      const i = must(ins[k]);
      const jt = jumpOffset(i.jt, (h) => distance(must(b), k, h));
      const jf = jumpOffset(i.jf, (h) => distance(must(b), k, h));
      let kv: number;
      if (i.k.type === 'hsh') {
        // C walks back from the tail to the last block with the hash and adds up the lengths
        // between: the distance of that block's start from the end of this instruction.
        const at = lastWithHash.get(i.k.n);
        if (at === undefined || at <= bi) throw new GenBpfError('gen_bpf port: bad jump (EFAULT)');
        kv = must(starts[at]) - (must(starts[bi]) + k + 1);
      } else kv = kOf(i);
      insns.push({ code: i.op, jt, jf, k: kv >>> 0 });
      jtOrigin.push(jumpOrigin(i.jt));
      jfOrigin.push(jumpOrigin(i.jf));
    }
  }
  return { insns, jtOrigin, jfOrigin, withoutNrLoad: st.withoutNrLoad, bySyscall };
}
