/**
 * Reader for the Docker/moby profile JSON (moby `profiles/seccomp` `Seccomp` type) and its
 * relatives that share the shape: the OCI `linux.seccomp` object (runtime-spec `LinuxSeccomp`), the
 * containers/common (Podman) dialect with `errno`/`defaultErrno` names, and the `spec` of a
 * security-profiles-operator `SeccompProfile`. Decoding follows Go's encoding/json (see decode.ts);
 * what the daemon's decoder refuses is an error, what it ignores is a warning.
 */
import type {
  ActionName,
  ArchMapEntry,
  ArgCondition,
  OpName,
  Profile,
  RuleFilter,
  SyscallRule,
} from '../types.js';
import { ACTIONS, OPS } from '../types.js';
import type { SourceNode } from '../../document/source.js';
import {
  type DecodeContext,
  type FieldHandler,
  decodeArray,
  decodeString,
  decodeStringArray,
  decodeStruct,
  decodeUint,
  join,
  toSafeNumber,
} from '../decode.js';
import { errnoNumber } from '../../arch/constants.js';

/** Which Go type decodes the document: decides the known keys. */
export type DockerDialect = 'docker' | 'podman' | 'oci' | 'spo';

/** Extra data a reader found beside the model. */
export interface DockerExtras {
  /** SPO `baseProfileName`. */
  baseProfileName?: string;
}

const ACTION_SET = new Set<string>(ACTIONS);
const OP_SET = new Set<string>(OPS);

/** Whether a string is one of runc's nine actions. */
export function isActionName(s: string): s is ActionName {
  return ACTION_SET.has(s);
}

/** Whether a string is one of runc's seven operators. */
export function isOpName(s: string): s is OpName {
  return OP_SET.has(s);
}

const TYPE_NAMES: Record<DockerDialect, { top: string; rule: string }> = {
  docker: { top: 'Seccomp', rule: 'Syscall' },
  podman: { top: 'Seccomp', rule: 'Syscall' },
  oci: { top: 'specs.LinuxSeccomp', rule: 'specs.LinuxSyscall' },
  spo: { top: 'SeccompProfileSpec', rule: 'Syscall' },
};

function readAction(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  what: string,
): ActionName | undefined {
  const s = decodeString(ctx, node, pointer, what);
  if (s === undefined) return undefined;
  if (isActionName(s)) return s;
  ctx.error(
    'unknown-action',
    s === '' ? 'empty action' : `unknown action "${s}" (runc: not a valid action for seccomp)`,
    pointer,
    {
      expected: ACTIONS.join(', '),
      received: s,
    },
  );
  return undefined;
}

/**
 * moby `KernelVersion.UnmarshalJSON` takes a string; "" means absent. Its format (exactly
 * `<0-255>.<0-255>`, not `0.0`) is checked by checkProfile so that old profiles still load.
 */
function readMinKernel(ctx: DecodeContext, node: SourceNode, pointer: string): string | undefined {
  // "" is kept: moby decodes it to a non-nil KernelVersion 0.0, which every kernel satisfies.
  return decodeString(ctx, node, pointer, 'Filter.minKernel');
}

function readFilter(ctx: DecodeContext, node: SourceNode, pointer: string): RuleFilter | undefined {
  let arches: string[] = [];
  let caps: string[] = [];
  let minKernel: string | undefined;
  const fields: Record<string, FieldHandler> = {
    arches: (n, p) => (arches = decodeStringArray(ctx, n, p, 'Filter.arches') ?? []),
    caps: (n, p) => (caps = decodeStringArray(ctx, n, p, 'Filter.caps') ?? []),
    minKernel: (n, p) => (minKernel = readMinKernel(ctx, n, p)),
  };
  if (!decodeStruct(ctx, node, pointer, fields, { typeName: 'Filter', unknown: 'warning' }))
    return undefined;
  return { arches, caps, ...(minKernel === undefined ? {} : { minKernel }) };
}

function readArg(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  what: string,
): ArgCondition | undefined {
  if (node.kind === 'null') {
    ctx.error('null-value', 'null argument condition (moby dereferences it)', pointer);
    return undefined;
  }
  let index = 0n;
  let value = 0n;
  let valueTwo = 0n;
  let op: OpName | undefined;
  // Set from the field handlers below (closures), so kept in an object for the checker.
  const st = { opSeen: false, ok: true };
  const fields: Record<string, FieldHandler> = {
    index: (n, p) => {
      const v = decodeUint(ctx, n, p, `${what}.index`, 64);
      if (v === undefined && n.kind !== 'null') st.ok = false;
      index = v ?? index;
    },
    value: (n, p) => {
      const v = decodeUint(ctx, n, p, `${what}.value`, 64);
      if (v === undefined && n.kind !== 'null') st.ok = false;
      value = v ?? value;
    },
    valueTwo: (n, p) => {
      const v = decodeUint(ctx, n, p, `${what}.valueTwo`, 64);
      if (v === undefined && n.kind !== 'null') st.ok = false;
      valueTwo = v ?? valueTwo;
    },
    op: (n, p) => {
      const s = decodeString(ctx, n, p, `${what}.op`);
      if (s === undefined) {
        if (n.kind !== 'null') st.ok = false;
        return;
      }
      st.opSeen = true;
      if (isOpName(s)) op = s;
      else {
        op = undefined;
        st.ok = false;
        ctx.error(
          'unknown-op',
          s === ''
            ? 'empty operator'
            : `unknown operator "${s}" (runc: not a valid operator for seccomp)`,
          p,
          {
            expected: OPS.join(', '),
            received: s,
          },
        );
      }
    },
  };
  if (!decodeStruct(ctx, node, pointer, fields, { typeName: what, unknown: 'warning' }))
    return undefined;
  if (!st.opSeen && st.ok) {
    ctx.error('unknown-op', 'missing operator (runc refuses an empty op)', pointer);
    return undefined;
  }
  if (!st.ok || op === undefined) return undefined;
  return { index: toSafeNumber(index), value, valueTwo, op };
}

function readRule(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  dialect: DockerDialect,
): SyscallRule | undefined {
  const types = TYPE_NAMES[dialect];
  if (node.kind === 'null') {
    ctx.error('null-value', 'null syscalls entry (the daemon dereferences it)', pointer);
    return undefined;
  }
  let name: string | undefined;
  let namePtr = '';
  let names: string[] | undefined;
  let action: ActionName | undefined;
  const seen = { action: false };
  let errnoRet: bigint | undefined;
  let errnoName: string | undefined;
  let errnoNamePtr = '';
  let args: ArgCondition[] = [];
  let comment: string | undefined;
  let includes: RuleFilter | undefined;
  let excludes: RuleFilter | undefined;
  const fields: Record<string, FieldHandler> = {
    names: (n, p) => (names = decodeStringArray(ctx, n, p, `${types.rule}.names`)),
    action: (n, p) => {
      seen.action = n.kind !== 'null';
      action = readAction(ctx, n, p, `${types.rule}.action`);
    },
    errnoRet: (n, p) =>
      (errnoRet = decodeUint(ctx, n, p, `${types.rule}.errnoRet`, dialect === 'oci' ? 32 : 64)),
    args: (n, p) =>
      (args =
        decodeArray(ctx, n, p, `${types.rule}.args`, (a, ap) => readArg(ctx, a, ap, 'Arg')) ?? []),
  };
  if (dialect === 'docker' || dialect === 'podman') {
    fields.name = (n, p) => {
      name = decodeString(ctx, n, p, `${types.rule}.name`);
      namePtr = p;
    };
    fields.comment = (n, p) => (comment = decodeString(ctx, n, p, `${types.rule}.comment`));
    fields.includes = (n, p) => (includes = readFilter(ctx, n, p));
    fields.excludes = (n, p) => (excludes = readFilter(ctx, n, p));
  }
  if (dialect === 'podman') {
    fields.errno = (n, p) => {
      errnoName = decodeString(ctx, n, p, `${types.rule}.errno`);
      errnoNamePtr = p;
    };
  }
  if (!decodeStruct(ctx, node, pointer, fields, { typeName: types.rule, unknown: 'warning' })) {
    return undefined;
  }
  if (!seen.action) {
    ctx.error('unknown-action', 'missing action (runc refuses an empty action)', pointer);
  }
  const hasName = name !== undefined && name !== '';
  if (hasName && names !== undefined && names.length > 0) {
    ctx.error(
      'name-and-names',
      "both 'name' and 'names' are set: the daemon refuses this; use 'names'",
      namePtr,
    );
  }
  if (errnoName !== undefined && errnoName !== '') {
    const n = errnoNumber(errnoName);
    if (n === undefined) {
      ctx.error('unknown-errno', `unknown errno name "${errnoName}"`, errnoNamePtr, {
        received: errnoName,
      });
    } else if (errnoRet === undefined) {
      errnoRet = BigInt(n);
    } else if (BigInt(n) !== errnoRet) {
      ctx.warn(
        'errno-mismatch',
        `errno "${errnoName}" (${n}) disagrees with errnoRet ${errnoRet}; errnoRet is used`,
        errnoNamePtr,
      );
    }
  }
  if (action === undefined) return undefined;
  const legacy = hasName && (names === undefined || names.length === 0);
  return {
    names: legacy && name !== undefined ? [name] : (names ?? []),
    ...(legacy ? { legacyName: true } : {}),
    action,
    ...(errnoRet === undefined ? {} : { errnoRet: toSafeNumber(errnoRet) }),
    args,
    ...(comment === undefined || comment === '' ? {} : { comment }),
    ...(includes === undefined || isEmptyFilter(includes) ? {} : { includes }),
    ...(excludes === undefined || isEmptyFilter(excludes) ? {} : { excludes }),
    pointer,
  };
}

/** Whether a filter constrains nothing (moby treats it like an absent one). */
export function isEmptyFilter(f: RuleFilter): boolean {
  return f.arches.length === 0 && f.caps.length === 0 && f.minKernel === undefined;
}

function readArchMapEntry(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
): ArchMapEntry | undefined {
  let architecture = '';
  let subArchitectures: string[] = [];
  const ok = decodeStruct(
    ctx,
    node,
    pointer,
    {
      architecture: (n, p) =>
        (architecture = decodeString(ctx, n, p, 'Architecture.architecture') ?? architecture),
      subArchitectures: (n, p) =>
        (subArchitectures = decodeStringArray(ctx, n, p, 'Architecture.subArchitectures') ?? []),
    },
    { typeName: 'Architecture', unknown: 'warning' },
  );
  if (!ok) return node.kind === 'null' ? { architecture: '', subArchitectures: [] } : undefined;
  return { architecture, subArchitectures };
}

/** Options for {@link readDockerProfile}. */
export interface ReadDockerOptions {
  /** Which Go type decodes the object. */
  readonly dialect: DockerDialect;
  /** Keys accepted silently at the top level (e.g. SPO's `targetWorkload` for v1alpha1). */
  readonly extraKeys?: readonly string[];
  /** Receives data that is not part of the model. */
  readonly extras?: DockerExtras;
}

/**
 * Read a Docker-shaped profile object at `pointer`. Returns undefined when the node is not an
 * object; every problem is recorded in `ctx`.
 */
export function readDockerProfile(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  opts: ReadDockerOptions,
): Profile | undefined {
  const { dialect } = opts;
  const types = TYPE_NAMES[dialect];
  let defaultAction: ActionName | undefined;
  const seen = { defaultAction: false };
  let defaultErrnoRet: bigint | undefined;
  let defaultErrnoName: string | undefined;
  let defaultErrnoPtr = '';
  let architectures: string[] = [];
  let archMap: ArchMapEntry[] | undefined;
  let syscalls: SyscallRule[] = [];
  let syscallsCount = 0;
  let flags: string[] | undefined;
  let listenerPath: string | undefined;
  let listenerMetadata: string | undefined;
  const fields: Record<string, FieldHandler> = {
    defaultAction: (n, p) => {
      seen.defaultAction = n.kind !== 'null' && !(n.kind === 'string' && n.value === '');
      defaultAction = seen.defaultAction
        ? readAction(ctx, n, p, `${types.top}.defaultAction`)
        : undefined;
      if (!seen.defaultAction) decodeString(ctx, n, p, `${types.top}.defaultAction`);
    },
    defaultErrnoRet: (n, p) =>
      (defaultErrnoRet = decodeUint(
        ctx,
        n,
        p,
        `${types.top}.defaultErrnoRet`,
        dialect === 'oci' ? 32 : 64,
      )),
    architectures: (n, p) =>
      (architectures = decodeStringArray(ctx, n, p, `${types.top}.architectures`) ?? []),
    syscalls: (n, p) => {
      syscallsCount = n.kind === 'array' ? n.items.length : 0;
      syscalls =
        decodeArray(ctx, n, p, `${types.top}.syscalls`, (r, rp) => readRule(ctx, r, rp, dialect)) ??
        [];
    },
    flags: (n, p) => (flags = decodeStringArray(ctx, n, p, `${types.top}.flags`)),
    listenerPath: (n, p) => (listenerPath = decodeString(ctx, n, p, `${types.top}.listenerPath`)),
    listenerMetadata: (n, p) =>
      (listenerMetadata = decodeString(ctx, n, p, `${types.top}.listenerMetadata`)),
  };
  if (dialect === 'docker' || dialect === 'podman') {
    fields.archMap = (n, p) =>
      (archMap = decodeArray(ctx, n, p, 'Seccomp.archMap', (e, ep) =>
        readArchMapEntry(ctx, e, ep),
      ));
  }
  if (dialect === 'podman') {
    fields.defaultErrno = (n, p) => {
      defaultErrnoName = decodeString(ctx, n, p, 'Seccomp.defaultErrno');
      defaultErrnoPtr = p;
    };
  }
  if (dialect === 'spo') {
    fields.baseProfileName = (n, p) => {
      const s = decodeString(ctx, n, p, 'SeccompProfileSpec.baseProfileName');
      if (s !== undefined && s !== '' && opts.extras) opts.extras.baseProfileName = s;
    };
  }
  const hint =
    dialect === 'oci' ? ' by runc' : dialect === 'spo' ? ' (pruned by the API server)' : '';
  if (
    !decodeStruct(ctx, node, pointer, fields, {
      typeName: types.top,
      unknown: 'warning',
      unknownHint: hint,
      ...(opts.extraKeys ? { ignored: opts.extraKeys } : {}),
    })
  ) {
    if (node.kind === 'null') ctx.error('wrong-type', `null profile (object expected)`, pointer);
    return undefined;
  }
  if (defaultErrnoName !== undefined && defaultErrnoName !== '') {
    const n = errnoNumber(defaultErrnoName);
    if (n === undefined) {
      ctx.error('unknown-errno', `unknown errno name "${defaultErrnoName}"`, defaultErrnoPtr, {
        received: defaultErrnoName,
      });
    } else if (defaultErrnoRet === undefined) defaultErrnoRet = BigInt(n);
    else if (BigInt(n) !== defaultErrnoRet) {
      ctx.warn(
        'errno-mismatch',
        `defaultErrno "${defaultErrnoName}" (${n}) disagrees with defaultErrnoRet ${defaultErrnoRet}; defaultErrnoRet is used`,
        defaultErrnoPtr,
      );
    }
  }
  if (!seen.defaultAction) {
    if (dialect === 'docker' || dialect === 'podman') {
      if (syscallsCount > 0) {
        ctx.error(
          'missing-default-action',
          'defaultAction is missing but syscalls are listed (runc refuses an empty action)',
          pointer,
        );
      }
    } else {
      ctx.error('missing-default-action', 'defaultAction is required', pointer);
    }
  }
  return {
    defaultAction,
    ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet: toSafeNumber(defaultErrnoRet) }),
    architectures,
    ...(archMap === undefined || archMap.length === 0 ? {} : { archMap }),
    syscalls,
    ...(flags === undefined ? {} : { flags }),
    ...(listenerPath === undefined || listenerPath === '' ? {} : { listenerPath }),
    ...(listenerMetadata === undefined || listenerMetadata === '' ? {} : { listenerMetadata }),
  };
}

/** Pointer of a rule's name `j` in the source document. */
export function namePointer(rule: SyscallRule, j: number): string {
  const own = rule.sourcePointers?.names?.[j];
  if (own !== undefined) return own;
  return rule.legacyName === true
    ? join(rule.pointer, 'name')
    : join(join(rule.pointer, 'names'), j);
}

/** Pointer of condition `k`'s argument index in the source (`args/k/index` in Docker form). */
export function argIndexPointer(rule: SyscallRule, k: number): string {
  return rule.sourcePointers?.argIndexes?.[k] ?? join(join(join(rule.pointer, 'args'), k), 'index');
}
