/**
 * Reader for the pre-release libcontainer config format Docker's very first default profile used
 * (moby d57816de, February 2016): `default_action` and per-rule `action` are numbers from
 * libcontainer's `configs.Action` enum, `op` from `configs.Operator`, arches in libcontainer's
 * spelling (`amd64`, `x86`, `x32`). No released Docker reads it (today's decoder fails with
 * "cannot unmarshal number into ... of type string"), so `checkProfile` reports it as an error;
 * reading it still lets `sysgate fmt` convert it to today's format.
 */
import type { ActionName, ArgCondition, OpName, Profile, SyscallRule } from '../types.js';
import type { SourceNode } from '../../document/source.js';
import {
  type DecodeContext,
  decodeArray,
  decodeString,
  decodeStringArray,
  decodeStruct,
  decodeUint,
  toSafeNumber,
} from '../decode.js';
import { LIBCONTAINER_ARCHES } from '../arches.js';

/** libcontainer `configs.Action` (iota + 1). */
const ACTIONS_BY_NUMBER: readonly (ActionName | undefined)[] = [
  undefined,
  'SCMP_ACT_KILL',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_TRACE',
];

/** libcontainer `configs.Operator` (iota + 1). */
const OPS_BY_NUMBER: readonly (OpName | undefined)[] = [
  undefined,
  'SCMP_CMP_EQ',
  'SCMP_CMP_NE',
  'SCMP_CMP_GT',
  'SCMP_CMP_GE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_MASKED_EQ',
];

/** Whether a root object is in the libcontainer format (snake_case `default_action` or numeric actions). */
export function looksLikeLibcontainer(root: SourceNode): boolean {
  if (root.kind !== 'object') return false;
  return root.members.some((m) => m.key === 'default_action' && m.value.kind === 'number');
}

function enumValue<T>(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  table: readonly (T | undefined)[],
  what: string,
): T | undefined {
  const n = decodeUint(ctx, node, pointer, what, 32);
  if (n === undefined) return undefined;
  const v = table[Number(n)];
  if (v === undefined)
    ctx.error(
      what.endsWith('op') ? 'unknown-op' : 'unknown-action',
      `unknown libcontainer ${what} ${n}`,
      pointer,
    );
  return v;
}

function readArg(ctx: DecodeContext, node: SourceNode, pointer: string): ArgCondition | undefined {
  let index = 0n;
  let value = 0n;
  let valueTwo = 0n;
  let op: OpName | undefined;
  const ok = decodeStruct(
    ctx,
    node,
    pointer,
    {
      index: (n, p) => (index = decodeUint(ctx, n, p, 'Arg.index', 64) ?? index),
      value: (n, p) => (value = decodeUint(ctx, n, p, 'Arg.value', 64) ?? value),
      value_two: (n, p) => (valueTwo = decodeUint(ctx, n, p, 'Arg.value_two', 64) ?? valueTwo),
      op: (n, p) => (op = enumValue(ctx, n, p, OPS_BY_NUMBER, 'Arg.op')),
    },
    { typeName: 'Arg', unknown: 'warning' },
  );
  if (!ok || op === undefined) return undefined;
  return { index: toSafeNumber(index), value, valueTwo, op };
}

function readRule(ctx: DecodeContext, node: SourceNode, pointer: string): SyscallRule | undefined {
  let name = '';
  let action: ActionName | undefined;
  let args: ArgCondition[] = [];
  const ok = decodeStruct(
    ctx,
    node,
    pointer,
    {
      name: (n, p) => (name = decodeString(ctx, n, p, 'Syscall.name') ?? name),
      action: (n, p) => (action = enumValue(ctx, n, p, ACTIONS_BY_NUMBER, 'Syscall.action')),
      args: (n, p) =>
        (args = decodeArray(ctx, n, p, 'Syscall.args', (a, ap) => readArg(ctx, a, ap)) ?? []),
    },
    { typeName: 'Syscall', unknown: 'warning' },
  );
  if (!ok || action === undefined) return undefined;
  return { names: [name], legacyName: true, action, args, pointer };
}

/** Read a libcontainer-format profile into the model. */
export function readLibcontainer(ctx: DecodeContext, root: SourceNode): Profile | undefined {
  let defaultAction: ActionName | undefined;
  let architectures: string[] = [];
  let syscalls: SyscallRule[] = [];
  const ok = decodeStruct(
    ctx,
    root,
    '',
    {
      default_action: (n, p) =>
        (defaultAction = enumValue(ctx, n, p, ACTIONS_BY_NUMBER, 'Seccomp.default_action')),
      architectures: (n, p) => {
        const list = decodeStringArray(ctx, n, p, 'Seccomp.architectures') ?? [];
        architectures = list.map((a, i) => {
          const scmp = LIBCONTAINER_ARCHES[a];
          if (scmp === undefined)
            ctx.error('unknown-arch', `unknown libcontainer architecture "${a}"`, `${p}/${i}`);
          return scmp ?? a;
        });
      },
      syscalls: (n, p) =>
        (syscalls =
          decodeArray(ctx, n, p, 'Seccomp.syscalls', (r, rp) => readRule(ctx, r, rp)) ?? []),
    },
    { typeName: 'libcontainer Seccomp', unknown: 'warning' },
  );
  if (!ok) return undefined;
  return { defaultAction, architectures, syscalls };
}
