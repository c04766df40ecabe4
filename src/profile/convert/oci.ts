/**
 * OCI runtime-spec `linux.seccomp` output: what moby marshals for runc (`specs.LinuxSeccomp`), with
 * Go's field order and `omitempty` rules (so `flags: []` disappears on the way, exactly as it does
 * when Docker hands the spec to containerd).
 */
import type { ArgCondition } from '../types.js';
import type { ResolvedProfile, ResolvedSyscall } from '../resolve.js';
import { stringifyJson, type JsonValue } from './json.js';

/** `specs.LinuxSeccompArg`: `valueTwo` is omitted when zero. */
export function ociArg(arg: ArgCondition): JsonValue {
  return {
    index: arg.index,
    value: arg.value,
    valueTwo: arg.valueTwo === 0n ? undefined : arg.valueTwo,
    op: arg.op,
  };
}

/** `specs.LinuxSyscall`: `errnoRet` and `args` omitted when absent/empty. */
function ociSyscall(s: ResolvedSyscall): JsonValue {
  return {
    names: s.names,
    action: s.action,
    errnoRet: s.errnoRet,
    args: s.args.length === 0 ? undefined : s.args.map(ociArg),
  };
}

/** The `linux.seccomp` object of a resolved profile, as a JSON-ready value (no pointers, no host). */
export function toOciObject(resolved: ResolvedProfile): JsonValue {
  const nonEmpty = <T>(xs: readonly T[] | undefined): readonly T[] | undefined =>
    xs === undefined || xs.length === 0 ? undefined : xs;
  const str = (s: string | undefined): string | undefined => (s === '' ? undefined : s);
  return {
    defaultAction: resolved.defaultAction,
    defaultErrnoRet: resolved.defaultErrnoRet,
    architectures: nonEmpty(resolved.architectures),
    flags: nonEmpty(resolved.flags),
    listenerPath: str(resolved.listenerPath),
    listenerMetadata: str(resolved.listenerMetadata),
    syscalls: resolved.syscalls.length === 0 ? undefined : resolved.syscalls.map(ociSyscall),
  };
}

/** Serialize a resolved profile as the runtime-spec `linux.seccomp` JSON runc receives (deterministic). */
export function toOci(resolved: ResolvedProfile): string {
  return stringifyJson(toOciObject(resolved));
}
