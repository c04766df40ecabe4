/**
 * Canonical Docker JSON writer. Output is deterministic: keys in the order of moby's `Seccomp`,
 * `Syscall`, `Arg` and `Filter` structs (the order of moby's default.json), two-space indentation
 * with every array element on its own line (Go's `json.MarshalIndent` layout), empty optional
 * fields left out (moby's `omitempty`), and 64-bit values written as exact decimal literals, even
 * above 2^53.
 */
import type { ArgCondition, Profile, RuleFilter, SyscallRule } from './types.js';

/** A JSON value whose numbers may be bigints (written textually). */
type Json =
  | string
  | number
  | bigint
  | boolean
  | null
  | readonly Json[]
  | { readonly [key: string]: Json | undefined };

function render(value: Json, indent: string): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    const items = value as readonly Json[];
    if (items.length === 0) return '[]';
    return `[\n${items.map((v) => inner + render(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, Json | undefined>).filter(
    (e): e is [string, Json] => e[1] !== undefined,
  );
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${render(v, inner)}`).join(',\n')}\n${indent}}`;
}

function argJson(a: ArgCondition): Json {
  return {
    index: a.index,
    value: a.value,
    valueTwo: a.valueTwo === 0n ? undefined : a.valueTwo,
    op: a.op,
  };
}

function filterJson(f: RuleFilter | undefined): Json | undefined {
  if (f === undefined) return undefined;
  const out = {
    caps: f.caps.length > 0 ? f.caps : undefined,
    arches: f.arches.length > 0 ? f.arches : undefined,
    minKernel: f.minKernel,
  };
  return Object.values(out).every((v) => v === undefined) ? undefined : out;
}

function ruleJson(r: SyscallRule): Json {
  return {
    names: r.names,
    action: r.action,
    errnoRet: r.errnoRet,
    args: r.args.length > 0 ? r.args.map(argJson) : undefined,
    comment: r.comment === undefined || r.comment === '' ? undefined : r.comment,
    includes: filterJson(r.includes),
    excludes: filterJson(r.excludes),
  };
}

/** The profile as a plain JSON value in canonical key order (bigints kept). */
export function profileToJson(p: Profile): Json {
  return {
    defaultAction: p.defaultAction,
    defaultErrnoRet: p.defaultErrnoRet,
    architectures: p.architectures.length > 0 ? p.architectures : undefined,
    archMap:
      p.archMap !== undefined && p.archMap.length > 0
        ? p.archMap.map((e) => ({
            architecture: e.architecture,
            subArchitectures: e.subArchitectures,
          }))
        : undefined,
    syscalls: p.syscalls.map(ruleJson),
    flags: p.flags,
    listenerPath: p.listenerPath,
    listenerMetadata: p.listenerMetadata,
  };
}

/** Write a profile as canonical Docker JSON (ends with a newline). */
export function writeProfile(p: Profile): string {
  return render(profileToJson(p), '') + '\n';
}

/** Whether `text` is already byte-for-byte the canonical form of `profile`. */
export function isCanonical(text: string, profile: Profile): boolean {
  return text === writeProfile(profile);
}
