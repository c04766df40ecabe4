/**
 * The profile model: moby's `Seccomp` type (OCI `LinuxSeccomp` plus `archMap`, `includes`/`excludes`,
 * deprecated `name`, `comment`). Every supported input format (Docker, OCI config.json, Podman,
 * SPO CRDs, Firecracker) is parsed into this one model. Numbers from the document that are
 * uint64 in Go (`value`, `valueTwo`) are `bigint`.
 */
import type { ProfileIssue } from './errors.js';

/** The nine action strings runc accepts (`SetupSeccomp`, runc libcontainer/specconv). */
export const ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;

/** An action string as written in a profile. */
export type ActionName = (typeof ACTIONS)[number];

/** The seven comparison operators runc accepts. */
export const OPS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;

/** A comparison operator as written in a profile. */
export type OpName = (typeof OPS)[number];

/** One argument condition (`args[]` entry). */
export interface ArgCondition {
  /** Argument index 0-5. */
  readonly index: number;
  /** Datum, or the mask for MASKED_EQ. */
  readonly value: bigint;
  /** Second datum: the value compared after masking for MASKED_EQ; ignored otherwise. */
  readonly valueTwo: bigint;
  /** Operator. */
  readonly op: OpName;
}

/** moby's `Filter`: the conditions of `includes` and `excludes`. */
export interface RuleFilter {
  /** Native (daemon) architectures in Go/libseccomp spelling, e.g. `amd64`, `arm64`, `s390x`. */
  readonly arches: readonly string[];
  /** Capability names such as `CAP_SYS_ADMIN`. */
  readonly caps: readonly string[];
  /** `"major.minor"`; `""` means 0.0 (moby decodes it to a non-nil version every kernel satisfies); undefined when absent. */
  readonly minKernel?: string;
}

/** One `syscalls[]` entry. */
export interface SyscallRule {
  /** Syscall names (from `names`, or the deprecated `name` as a one-element list). */
  readonly names: readonly string[];
  /** True when the document used the deprecated singular `name`. */
  readonly legacyName?: boolean;
  /** Action. */
  readonly action: ActionName;
  /** `errnoRet`, for ERRNO and TRACE. */
  readonly errnoRet?: number;
  /** Argument conditions, in document order. */
  readonly args: readonly ArgCondition[];
  /** Free-text comment. */
  readonly comment?: string;
  /** moby `includes`. */
  readonly includes?: RuleFilter;
  /** moby `excludes`. */
  readonly excludes?: RuleFilter;
  /** JSON pointer of this rule in the source document (e.g. `/syscalls/3`, `/spec/syscalls/3`). */
  readonly pointer: string;
  /**
   * Pointers of the rule's parts when the source format names them differently from Docker's
   * `names[j]` and `args[k].index` (Firecracker's `syscall` and `arg_index`), so that issues point
   * at the keys the file really has.
   */
  readonly sourcePointers?: {
    /** Pointer of each name, by position in `names`. */
    readonly names?: readonly string[];
    /** Pointer of each condition's argument index, by position in `args`. */
    readonly argIndexes?: readonly string[];
  };
}

/** moby `archMap` entry. */
export interface ArchMapEntry {
  /** e.g. `SCMP_ARCH_X86_64`. */
  readonly architecture: string;
  /** e.g. `["SCMP_ARCH_X86", "SCMP_ARCH_X32"]`. */
  readonly subArchitectures: readonly string[];
}

/** A seccomp profile in Docker form (the superset of the formats we read). */
export interface Profile {
  /** Default action; `undefined` only for a document with no `defaultAction` (seccomp off in moby). */
  readonly defaultAction: ActionName | undefined;
  /** `defaultErrnoRet`. */
  readonly defaultErrnoRet?: number;
  /** Plain `architectures` list (`SCMP_ARCH_*`). */
  readonly architectures: readonly string[];
  /** moby `archMap`; mutually exclusive with a non-empty `architectures`. */
  readonly archMap?: readonly ArchMapEntry[];
  /** Rules in document order. */
  readonly syscalls: readonly SyscallRule[];
  /** `flags` (`SECCOMP_FILTER_FLAG_*`); `undefined` when absent (runc then applies SPEC_ALLOW). */
  readonly flags?: readonly string[];
  /** Notify listener socket path. */
  readonly listenerPath?: string;
  /** Opaque metadata sent to the listener. */
  readonly listenerMetadata?: string;
}

/** The input formats we recognise. */
export type ProfileFormat =
  'docker' | 'podman' | 'oci-config' | 'spo' | 'configmap' | 'firecracker' | 'libcontainer';

/** A parsed document: the model plus where it came from. */
export interface LoadedProfile {
  /** The model. */
  readonly profile: Profile;
  /** Detected input format. */
  readonly format: ProfileFormat;
  /** File name as given (`-` for stdin). */
  readonly file: string;
  /** Name of the document (SPO `metadata.name`, Firecracker thread name), when there is one. */
  readonly name?: string;
  /** JSON pointer of the profile object inside its document (`""`, `/linux/seccomp`, `/spec`, `/vmm`). */
  readonly pointer?: string;
  /** 0-based index of the YAML document (or ConfigMap entry's document) the profile came from. */
  readonly documentIndex?: number;
  /** SPO `spec.baseProfileName`: the profile this one extends, when set. */
  readonly baseProfileName?: string;
  /** Warnings about things the real stack silently ignores. */
  readonly warnings: readonly ProfileIssue[];
  /** Map a JSON pointer of the source document to a 1-based line/column. */
  readonly locate: (pointer: string) => { line: number; column: number } | undefined;
}
