/**
 * Docker/moby JSON output of the model, in the field order moby's own `Seccomp` type marshals
 * (`defaultAction`, `defaultErrnoRet`, `architectures`, `flags`, `listenerPath`, `listenerMetadata`,
 * `archMap`, `syscalls`; per rule `names`, `action`, `errnoRet`, `args`, `comment`, `includes`,
 * `excludes`; per filter `caps`, `arches`, `minKernel`). Deterministic: same model, same bytes.
 */
import type { Profile, RuleFilter, SyscallRule } from '../types.js';
import { stringifyJson, type JsonValue } from './json.js';
import { ociArg } from './oci.js';

function filter(f: RuleFilter | undefined): JsonValue {
  if (f === undefined) return undefined;
  return {
    caps: f.caps.length === 0 ? undefined : f.caps,
    arches: f.arches.length === 0 ? undefined : f.arches,
    minKernel: f.minKernel,
  };
}

function rule(r: SyscallRule): JsonValue {
  return {
    names: r.names,
    action: r.action,
    errnoRet: r.errnoRet,
    args: r.args.length === 0 ? undefined : r.args.map(ociArg),
    comment: r.comment === '' ? undefined : r.comment,
    includes: filter(r.includes),
    excludes: filter(r.excludes),
  };
}

/** The Docker-form JSON value of a profile (the deprecated `name` is always written as `names`). */
export function toDockerObject(profile: Profile): JsonValue {
  return {
    defaultAction: profile.defaultAction,
    defaultErrnoRet: profile.defaultErrnoRet,
    architectures: profile.architectures.length === 0 ? undefined : profile.architectures,
    flags: profile.flags,
    listenerPath: profile.listenerPath,
    listenerMetadata: profile.listenerMetadata,
    archMap:
      profile.archMap === undefined
        ? undefined
        : profile.archMap.map((a) => ({
            architecture: a.architecture,
            subArchitectures: a.subArchitectures,
          })),
    syscalls: profile.syscalls.map(rule),
  };
}

/** Serialize a profile as Docker/moby JSON (deterministic, trailing newline). */
export function toDocker(profile: Profile): string {
  return stringifyJson(toDockerObject(profile));
}
