/**
 * Reader for Firecracker's seccompiler JSON: thread name -> `{default_action, filter_action,
 * filter: [{syscall, args?: [{index, type, op, val, comment?}], comment?}]}` (2021 files spell the
 * argument keys `arg_index`/`arg_type`). Each thread becomes one Docker-form profile.
 *
 * Mapping to Docker form (seccompiler semantics at firecracker 9ac6f3ab8db4, compiler.rs/backend.rs):
 * - actions: `allow`, `trap`, `kill_process`, `kill_thread`, `log` map to the SCMP_ACT_ names;
 *   `{"errno": n}` and `{"trace": n}` to ERRNO/TRACE with `errnoRet: n`.
 * - every filter entry is its own rule (entries for one syscall are ORed, conditions in an entry ANDed),
 *   with the thread's `filter_action`.
 * - `qword` compares all 64 bits: `eq/ne/lt/le/gt/ge` become `SCMP_CMP_EQ/NE/LT/LE/GT/GE` with the
 *   value; `{"masked_eq": m}` becomes `SCMP_CMP_MASKED_EQ` with value m and valueTwo `val`.
 * - `dword` compares only the low 32 bits (the upper half is ignored, which matters for ioctl on musl):
 *   `eq` becomes `SCMP_CMP_MASKED_EQ` mask 0xffffffff valueTwo `val`; `masked_eq(m)` becomes
 *   MASKED_EQ with mask `m & 0xffffffff`. Other dword operators have no exact Docker equivalent and
 *   are kept as 64-bit comparisons with a warning.
 * Seccompiler refuses unknown keys (serde deny_unknown_fields) and a filter whose default and filter
 * actions are equal; so do we.
 */
import type { ActionName, ArgCondition, OpName, Profile, SyscallRule } from '../types.js';
import type { SourceNode } from '../../document/source.js';
import {
  type DecodeContext,
  type FieldHandler,
  decodeArray,
  decodeString,
  decodeStruct,
  decodeUint,
  join,
  jsonType,
  toSafeNumber,
} from '../decode.js';

/** One thread filter read from the file. */
export interface FirecrackerThread {
  /** Thread name (`vmm`, `api`, `vcpu`). */
  readonly name: string;
  /** Pointer of the thread object. */
  readonly pointer: string;
  /** The converted profile. */
  readonly profile: Profile;
}

interface FcAction {
  readonly action: ActionName;
  readonly errnoRet?: number;
}

const SIMPLE_ACTIONS: Readonly<Record<string, ActionName>> = {
  allow: 'SCMP_ACT_ALLOW',
  trap: 'SCMP_ACT_TRAP',
  kill_process: 'SCMP_ACT_KILL_PROCESS',
  kill_thread: 'SCMP_ACT_KILL_THREAD',
  log: 'SCMP_ACT_LOG',
};

const SIMPLE_OPS: Readonly<Record<string, OpName>> = {
  eq: 'SCMP_CMP_EQ',
  ne: 'SCMP_CMP_NE',
  lt: 'SCMP_CMP_LT',
  le: 'SCMP_CMP_LE',
  gt: 'SCMP_CMP_GT',
  ge: 'SCMP_CMP_GE',
};

const LOW32 = 0xffffffffn;

function readAction(ctx: DecodeContext, node: SourceNode, pointer: string): FcAction | undefined {
  if (node.kind === 'string') {
    const a = SIMPLE_ACTIONS[node.value];
    if (a !== undefined) return { action: a };
  } else if (node.kind === 'object' && node.members.length === 1) {
    const m = node.members[0];
    if (m !== undefined && (m.key === 'errno' || m.key === 'trace')) {
      const n = decodeUint(ctx, m.value, join(pointer, m.key), `SeccompAction.${m.key}`, 32);
      if (n === undefined) return undefined;
      return {
        action: m.key === 'errno' ? 'SCMP_ACT_ERRNO' : 'SCMP_ACT_TRACE',
        errnoRet: toSafeNumber(n),
      };
    }
  }
  ctx.error(
    'unknown-action',
    `unknown seccompiler action ${node.kind === 'string' ? `"${node.value}"` : jsonType(node)} (expected allow, trap, kill_process, kill_thread, log, {"errno": n} or {"trace": n})`,
    pointer,
  );
  return undefined;
}

/** Pointers of a condition's keys as the file spells them (`index` or `arg_index`...). */
interface ConditionKeys {
  index: string;
  type: string;
  val: string;
}

function readCondition(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  keys: ConditionKeys = { index: '', type: '', val: '' },
): ArgCondition | undefined {
  let index: bigint | undefined;
  let type: string | undefined;
  let opNode: SourceNode | undefined;
  let opPtr = '';
  let val: bigint | undefined;
  keys.index = join(pointer, 'index');
  keys.type = join(pointer, 'type');
  keys.val = join(pointer, 'val');
  const fields: Record<string, FieldHandler> = {
    index: (n, p) => {
      keys.index = p;
      index = decodeUint(ctx, n, p, 'SeccompCondition.index', 8);
    },
    arg_index: (n, p) => {
      keys.index = p;
      index = decodeUint(ctx, n, p, 'SeccompCondition.arg_index', 8);
    },
    type: (n, p) => {
      keys.type = p;
      type = decodeString(ctx, n, p, 'SeccompCondition.type');
    },
    arg_type: (n, p) => {
      keys.type = p;
      type = decodeString(ctx, n, p, 'SeccompCondition.arg_type');
    },
    op: (n, p) => {
      opNode = n;
      opPtr = p;
    },
    val: (n, p) => {
      keys.val = p;
      val = decodeUint(ctx, n, p, 'SeccompCondition.val', 64);
    },
    comment: (n, p) => decodeString(ctx, n, p, 'SeccompCondition.comment'),
  };
  if (
    !decodeStruct(ctx, node, pointer, fields, {
      typeName: 'SeccompCondition',
      unknown: 'error',
      unknownHint: ' (seccompiler denies unknown fields)',
    })
  ) {
    if (node.kind === 'null') ctx.error('wrong-type', 'null condition', pointer);
    return undefined;
  }
  if (index === undefined || type === undefined || opNode === undefined || val === undefined) {
    ctx.error('missing-field', 'condition needs index, type, op and val', pointer);
    return undefined;
  }
  if (type !== 'dword' && type !== 'qword') {
    ctx.error(
      'unknown-arg-type',
      `unknown argument type "${type}" (expected dword or qword)`,
      keys.type,
    );
    return undefined;
  }
  const idx = Number(index);
  const node2: SourceNode = opNode;
  if (node2.kind === 'string') {
    const op = SIMPLE_OPS[node2.value];
    if (op === undefined) {
      ctx.error('unknown-op', `unknown seccompiler operator "${node2.value}"`, opPtr);
      return undefined;
    }
    if (type === 'dword') {
      if (val > LOW32)
        ctx.warn('dword-value-too-large', `dword value ${val} does not fit in 32 bits`, keys.val);
      if (op === 'SCMP_CMP_EQ')
        return { index: idx, value: LOW32, valueTwo: val & LOW32, op: 'SCMP_CMP_MASKED_EQ' };
      ctx.warn(
        'dword-widened',
        `dword ${node2.value} has no exact Docker form; converted to a 64-bit ${op} (differs when the upper 32 bits are set)`,
        opPtr,
      );
    }
    return { index: idx, value: val, valueTwo: 0n, op };
  }
  if (
    node2.kind === 'object' &&
    node2.members.length === 1 &&
    node2.members[0]?.key === 'masked_eq'
  ) {
    const mask = decodeUint(ctx, node2.members[0].value, join(opPtr, 'masked_eq'), 'masked_eq', 64);
    if (mask === undefined) return undefined;
    const m = type === 'dword' ? mask & LOW32 : mask;
    return { index: idx, value: m, valueTwo: val, op: 'SCMP_CMP_MASKED_EQ' };
  }
  ctx.error(
    'unknown-op',
    `unknown seccompiler operator (expected eq, ne, lt, le, gt, ge or {"masked_eq": mask})`,
    opPtr,
  );
  return undefined;
}

function readFilterRule(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  action: FcAction,
): SyscallRule | undefined {
  let syscall: string | undefined;
  let syscallPtr = join(pointer, 'syscall');
  let args: ArgCondition[] = [];
  const argIndexes: string[] = [];
  let comment: string | undefined;
  const st = { argsOk: true };
  const fields: Record<string, FieldHandler> = {
    syscall: (n, p) => {
      syscallPtr = p;
      syscall = decodeString(ctx, n, p, 'SyscallRule.syscall');
    },
    args: (n, p) => {
      const count = n.kind === 'array' ? n.items.length : 0;
      args =
        decodeArray(ctx, n, p, 'SyscallRule.args', (c, cp) => {
          const keys: ConditionKeys = { index: '', type: '', val: '' };
          const cond = readCondition(ctx, c, cp, keys);
          if (cond !== undefined) argIndexes.push(keys.index);
          return cond;
        }) ?? [];
      if (args.length !== count) st.argsOk = false;
    },
    comment: (n, p) => (comment = decodeString(ctx, n, p, 'SyscallRule.comment')),
  };
  if (
    !decodeStruct(ctx, node, pointer, fields, {
      typeName: 'SyscallRule',
      unknown: 'error',
      unknownHint: ' (seccompiler denies unknown fields)',
    })
  ) {
    if (node.kind === 'null') ctx.error('wrong-type', 'null filter entry', pointer);
    return undefined;
  }
  if (syscall === undefined) {
    ctx.error('missing-field', 'filter entry without "syscall"', pointer);
    return undefined;
  }
  if (!st.argsOk) return undefined;
  return {
    names: [syscall],
    action: action.action,
    ...(action.errnoRet === undefined ? {} : { errnoRet: action.errnoRet }),
    args,
    ...(comment === undefined || comment === '' ? {} : { comment }),
    pointer,
    sourcePointers: { names: [syscallPtr], argIndexes },
  };
}

/** Whether a root object looks like a seccompiler file (every value a thread filter). */
export function looksLikeFirecracker(root: SourceNode): boolean {
  if (root.kind !== 'object' || root.members.length === 0) return false;
  return root.members.every(
    (m) =>
      m.value.kind === 'object' &&
      m.value.members.some(
        (x) => x.key === 'default_action' || x.key === 'filter_action' || x.key === 'filter',
      ),
  );
}

/** Read every thread filter of a seccompiler file. */
export function readFirecracker(ctx: DecodeContext, root: SourceNode): FirecrackerThread[] {
  const threads: FirecrackerThread[] = [];
  if (root.kind !== 'object') return threads;
  for (const m of root.members) {
    const pointer = join('', m.key);
    let def: FcAction | undefined;
    let act: FcAction | undefined;
    let filterNode: SourceNode | undefined;
    let filterPtr = '';
    const ok = decodeStruct(
      ctx,
      m.value,
      pointer,
      {
        default_action: (n, p) => (def = readAction(ctx, n, p)),
        filter_action: (n, p) => (act = readAction(ctx, n, p)),
        filter: (n, p) => {
          filterNode = n;
          filterPtr = p;
        },
      },
      { typeName: 'Filter', unknown: 'error', unknownHint: ' (seccompiler denies unknown fields)' },
    );
    if (!ok) continue;
    if (def === undefined || act === undefined) {
      ctx.error(
        'missing-field',
        `thread "${m.key}" needs default_action and filter_action`,
        pointer,
      );
      continue;
    }
    if (def.action === act.action && def.errnoRet === act.errnoRet) {
      ctx.error(
        'same-action',
        `default_action and filter_action of "${m.key}" are equal (seccompiler refuses this)`,
        join(pointer, 'filter_action'),
      );
    }
    const filterAction = act;
    const rules =
      filterNode === undefined
        ? []
        : (decodeArray(ctx, filterNode, filterPtr, 'Filter.filter', (r, rp) =>
            readFilterRule(ctx, r, rp, filterAction),
          ) ?? []);
    threads.push({
      name: m.key,
      pointer,
      profile: {
        defaultAction: def.action,
        ...(def.errnoRet === undefined ? {} : { defaultErrnoRet: def.errnoRet }),
        architectures: [],
        syscalls: rules,
      },
    });
  }
  return threads;
}
