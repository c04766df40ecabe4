/**
 * moby's profile resolution (`setupSeccomp` in moby/profiles `seccomp/seccomp_linux.go`): turns a
 * Docker-form profile into the plain OCI `LinuxSeccomp` the daemon hands to runc, for one host
 * (native arch, kernel `major.minor`) and one container (bounding capabilities).
 *
 * Rules are kept in document order and never merged; each kept rule remembers the JSON pointer of
 * its source entry so later layers (explain, lint) can point back into the user's file. The rules it
 * follows: docs/semantics.md#moby-resolution, docs/semantics.md#moby-archmap and
 * docs/semantics.md#moby-includes-excludes.
 */
import { archInfo } from '../arch/index.js';
import type { ArchName } from '../arch/types.js';
import { ProfileError, type ProfileIssue } from './errors.js';
import { mobyNativeArch, MOBY_NATIVE_TO_SECCOMP } from '../kb/index.js';
import {
  CONTAINERS_COMMON_NATIVE_TO_SECCOMP,
  CONTAINERS_COMMON_READS_MIN_KERNEL,
  LIBSECCOMP_GOLANG_ARCH_NAMES,
} from '../kb/podman.js';
import type { ActionName, ArgCondition, Profile, RuleFilter, SyscallRule } from './types.js';

/** A kernel version as moby compares it: only `major.minor` (3.12.25-gentoo and 3.12-1-amd64 are both 3.12). */
export interface KernelVersion {
  /** The "3" in 3.12. */
  readonly major: number;
  /** The "12" in 3.12. */
  readonly minor: number;
}

/** The host and container a profile is resolved for. */
export interface ResolveHost {
  /** The daemon's native architecture (never a sub-architecture: Docker decides by its own GOARCH). */
  readonly arch: ArchName;
  /** The container's bounding capabilities (`CAP_*` names), as `WithCapabilities` set them. */
  readonly caps: readonly string[];
  /** The running kernel (uname release, `major.minor`). */
  readonly kernel: KernelVersion;
}

/** One rule of the resolved profile: an OCI `LinuxSyscall` plus where it came from. */
export interface ResolvedSyscall {
  /** Syscall names, as written (unknown names are runc's business, not moby's). */
  readonly names: readonly string[];
  /** Action string as written. */
  readonly action: ActionName;
  /** `errnoRet`, when the source had one. */
  readonly errnoRet?: number;
  /** Argument conditions in document order (moby does not split same-index args; runc does). */
  readonly args: readonly ArgCondition[];
  /** JSON pointer of the source `syscalls[]` entry, e.g. `/syscalls/18`. */
  readonly pointer: string;
}

/** Why moby left a rule out: which test of `excludes` or `includes` decided. */
export type DropReason =
  | 'excludes-arch'
  | 'excludes-cap'
  | 'excludes-min-kernel'
  | 'includes-arch'
  | 'includes-caps'
  | 'includes-min-kernel';

/** A rule moby left out for this host, with the reason (for explain). */
export interface DroppedRule {
  /** JSON pointer of the source `syscalls[]` entry. */
  readonly pointer: string;
  /** The names the rule would have covered. */
  readonly names: readonly string[];
  /** Which test dropped it (the first one that failed, in moby's order). */
  readonly reason: DropReason;
  /** Human sentence, e.g. `excludes.caps: CAP_SYS_ADMIN is present`. */
  readonly detail: string;
}

/** The host a profile was resolved for, with Docker's own spelling of the arch. */
export interface ResolvedHost extends ResolveHost {
  /**
   * The daemon's arch in moby's "native" spelling (`amd64`, `arm64`, `loongarch64`, ...), the string
   * `includes.arches`/`excludes.arches` are compared with; `''` when Docker has no name for it.
   */
  readonly native: string;
}

/**
 * The plain OCI `LinuxSeccomp` moby passes to runc (field names as in runtime-spec), plus the
 * source pointer of every kept rule and the rules that were dropped.
 */
export interface ResolvedProfile {
  /** `defaultAction`. */
  readonly defaultAction: ActionName;
  /** `defaultErrnoRet`, when set. */
  readonly defaultErrnoRet?: number;
  /** `architectures`: the profile's own list, or the archMap entry of the native arch expanded. */
  readonly architectures: readonly string[];
  /**
   * `flags` as runc receives them: `undefined` when absent or empty in the profile (Go's `omitempty`
   * drops `[]` on the way to runc, which then applies SPEC_ALLOW when it can).
   */
  readonly flags?: readonly string[];
  /** `listenerPath`. */
  readonly listenerPath?: string;
  /** `listenerMetadata`. */
  readonly listenerMetadata?: string;
  /** Kept rules, in document order. */
  readonly syscalls: readonly ResolvedSyscall[];
  /** Rules moby dropped for this host, in document order (not part of the OCI document). */
  readonly dropped: readonly DroppedRule[];
  /** The host and container the profile was resolved for (not part of the OCI document). */
  readonly host: ResolvedHost;
}

/**
 * The string a Docker daemon running natively on `arch` compares `includes/excludes.arches` with:
 * moby's `goToNative[GOARCH]`, `''` when Go has no port for the arch (x32, ppc, s390, parisc) or moby
 * no entry for it (big-endian mips).
 */
export function dockerNativeArch(arch: ArchName): string {
  const goArch = archInfo(arch).goArch;
  return goArch === null ? '' : mobyNativeArch(goArch);
}

/**
 * The `archMap` key (`SCMP_ARCH_*`) a Docker daemon on `arch` selects (moby's `nativeToSeccomp`), or
 * `undefined` when none ever matches: loong64 and mipsle, whose `goToNative` values are not keys of
 * `nativeToSeccomp`, and arches without a native name.
 */
export function dockerArchMapKey(arch: ArchName): string | undefined {
  return MOBY_NATIVE_TO_SECCOMP[dockerNativeArch(arch)];
}

const MIN_KERNEL_RE = /^(\d+)\.(\d+)$/;

/**
 * Parse a `minKernel` like moby's `KernelVersion.UnmarshalJSON`: exactly `"<0-255>.<0-255>"`, not `"0.0"`;
 * the empty string means 0.0 (every kernel satisfies it). Returns an error sentence on failure.
 */
export function parseMinKernel(text: string): KernelVersion | string {
  if (text === '') return { major: 0, minor: 0 };
  const m = MIN_KERNEL_RE.exec(text);
  if (m === null) return `invalid kernel version "${text}", expected "<kernel>.<major>"`;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major > 255 || minor > 255)
    return `invalid kernel version "${text}": each part must be 0-255`;
  if (major === 0 && minor === 0) return `invalid kernel version "${text}": version cannot be 0.0`;
  return { major, minor };
}

/**
 * Parse a kernel release like moby's `parseRelease` (`fmt.Sscanf("%d.%d")` into unsigned fields):
 * `6.1.0-18-amd64` → 6.1. Returns `undefined` when the text does not start with `<n>.<n>`; a sign
 * (`-3.8`, `3.-8`, `+3.8`) fails, because Go scans unsigned integers without one.
 */
export function parseKernelRelease(release: string): KernelVersion | undefined {
  const m = /^\s*(\d+)\.\s*(\d+)/.exec(release);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** moby's `kernelGreaterEqualThan`: compare `major.minor` only. */
export function kernelAtLeast(kernel: KernelVersion, min: KernelVersion): boolean {
  return kernel.major > min.major || (kernel.major === min.major && kernel.minor >= min.minor);
}

/**
 * Whose `setupSeccomp` resolves the profile: moby's (Docker) or containers/common's (Podman; see
 * kb/podman.ts for what differs).
 */
export type ResolveLoader = 'moby' | 'containers-common';

/** The native arch string `includes/excludes.arches` are compared with, per loader. */
function nativeArchFor(arch: ArchName, loader: ResolveLoader): string {
  return loader === 'moby'
    ? dockerNativeArch(arch)
    : (LIBSECCOMP_GOLANG_ARCH_NAMES[archInfo(arch).scmpName] ?? '');
}

/** Whether the loader reads `minKernel` (containers/common v0.50.1 does not). */
function readsMinKernel(loader: ResolveLoader): boolean {
  return loader === 'moby' || CONTAINERS_COMMON_READS_MIN_KERNEL;
}

/** Problems moby's `setupSeccomp` (or runc right after it) refuses, collected over the whole profile. */
function checkResolvable(profile: Profile, loader: ResolveLoader): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  if (
    profile.architectures.length > 0 &&
    profile.archMap !== undefined &&
    profile.archMap.length > 0
  ) {
    issues.push({
      code: 'architectures-and-archmap',
      severity: 'error',
      message: "both 'architectures' and 'archMap' are specified; moby accepts only one of them",
      pointer: '/archMap',
    });
  }
  if (profile.defaultAction === undefined && profile.syscalls.length > 0) {
    issues.push({
      code: 'missing-default-action',
      severity: 'error',
      message: 'no defaultAction but syscalls are listed; runc refuses an empty default action',
      pointer: '/defaultAction',
    });
  }
  for (const rule of profile.syscalls) {
    if (rule.legacyName === true && rule.names.length !== 1) {
      issues.push({
        code: 'name-and-names',
        severity: 'error',
        message: "both 'name' and 'names' are specified; moby accepts only one of them",
        pointer: `${rule.pointer}/name`,
      });
    }
    for (const key of readsMinKernel(loader) ? (['includes', 'excludes'] as const) : []) {
      const mk = rule[key]?.minKernel;
      if (mk === undefined) continue;
      const parsed = parseMinKernel(mk);
      if (typeof parsed === 'string') {
        issues.push({
          code: 'invalid-min-kernel',
          severity: 'error',
          message: parsed,
          pointer: `${rule.pointer}/${key}/minKernel`,
          expected: '"<0-255>.<0-255>", not "0.0"',
          received: JSON.stringify(mk),
        });
      }
    }
  }
  return issues;
}

/** Turn a checked minKernel string into a version (checkResolvable has already refused bad ones). */
function minKernelOf(filter: RuleFilter): KernelVersion | undefined {
  if (filter.minKernel === undefined) return undefined;
  const parsed = parseMinKernel(filter.minKernel);
  return typeof parsed === 'string' ? undefined : parsed;
}

/** Decide one rule the way the `Loop:` body of `setupSeccomp` does; `undefined` means kept. */
function dropReason(
  rule: SyscallRule,
  native: string,
  caps: ReadonlySet<string>,
  kernel: KernelVersion,
  minKernel: boolean,
): { reason: DropReason; detail: string } | undefined {
  const ex = rule.excludes;
  if (ex !== undefined) {
    if (ex.arches.length > 0 && ex.arches.includes(native)) {
      return {
        reason: 'excludes-arch',
        detail: `excludes.arches contains the native arch ${native}`,
      };
    }
    const present = ex.caps.find((c) => caps.has(c));
    if (present !== undefined) {
      return { reason: 'excludes-cap', detail: `excludes.caps: ${present} is present` };
    }
    const min = minKernel ? minKernelOf(ex) : undefined;
    if (min !== undefined && kernelAtLeast(kernel, min)) {
      return {
        reason: 'excludes-min-kernel',
        detail: `excludes.minKernel ${min.major}.${min.minor}: kernel ${kernel.major}.${kernel.minor} is at least that`,
      };
    }
  }
  const inc = rule.includes;
  if (inc !== undefined) {
    if (inc.arches.length > 0 && !inc.arches.includes(native)) {
      return {
        reason: 'includes-arch',
        detail: `includes.arches [${inc.arches.join(', ')}] lacks the native arch ${native === '' ? '(none)' : native}`,
      };
    }
    const missing = inc.caps.find((c) => !caps.has(c));
    if (missing !== undefined) {
      return { reason: 'includes-caps', detail: `includes.caps: ${missing} is missing` };
    }
    const min = minKernel ? minKernelOf(inc) : undefined;
    if (min !== undefined && !kernelAtLeast(kernel, min)) {
      return {
        reason: 'includes-min-kernel',
        detail: `includes.minKernel ${min.major}.${min.minor}: kernel ${kernel.major}.${kernel.minor} is older`,
      };
    }
  }
  return undefined;
}

/**
 * Resolve `profile` for `host` exactly as moby's `setupSeccomp` does: refuse both `architectures` and
 * `archMap`, both `name` and `names`, and a malformed `minKernel` (every such issue is collected, then a
 * `ProfileError` is thrown); expand only the archMap entry of the native arch; then per rule apply
 * `excludes` (native arch listed, ANY cap present, kernel ≥ minKernel → drop) and `includes` (native arch
 * not listed, a cap missing, kernel < minKernel → drop). Returns `null` when moby turns seccomp off
 * (no `defaultAction` and no syscalls). `loader: 'containers-common'` resolves as Podman does
 * instead (kb/podman.ts: no minKernel, its own native arch names and archMap table).
 */
export function resolveProfile(
  profile: Profile,
  host: ResolveHost,
  loader: ResolveLoader = 'moby',
): ResolvedProfile | null {
  const issues = checkResolvable(profile, loader);
  const [first, ...rest] = issues;
  if (first !== undefined) throw new ProfileError([first, ...rest]);
  const defaultAction = profile.defaultAction;
  if (defaultAction === undefined) return null;

  const native = nativeArchFor(host.arch, loader);
  const architectures = [...profile.architectures];
  const key = (loader === 'moby' ? MOBY_NATIVE_TO_SECCOMP : CONTAINERS_COMMON_NATIVE_TO_SECCOMP)[
    native
  ];
  if (key !== undefined) {
    const entry = profile.archMap?.find((a) => a.architecture === key);
    if (entry !== undefined) architectures.push(entry.architecture, ...entry.subArchitectures);
  }

  const caps = new Set(host.caps);
  const syscalls: ResolvedSyscall[] = [];
  const dropped: DroppedRule[] = [];
  for (const rule of profile.syscalls) {
    const why = dropReason(rule, native, caps, host.kernel, readsMinKernel(loader));
    if (why !== undefined) {
      dropped.push({ pointer: rule.pointer, names: rule.names, ...why });
      continue;
    }
    syscalls.push({
      names: rule.names,
      action: rule.action,
      ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
      args: rule.args,
      pointer: rule.pointer,
    });
  }

  return {
    defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures,
    // The spec reaches runc as JSON with Go's `omitempty`: `flags: []` and empty strings vanish on the way.
    ...(profile.flags !== undefined && profile.flags.length > 0 ? { flags: profile.flags } : {}),
    ...(profile.listenerPath !== undefined && profile.listenerPath !== ''
      ? { listenerPath: profile.listenerPath }
      : {}),
    ...(profile.listenerMetadata !== undefined && profile.listenerMetadata !== ''
      ? { listenerMetadata: profile.listenerMetadata }
      : {}),
    syscalls,
    dropped,
    host: { arch: host.arch, caps: [...host.caps], kernel: host.kernel, native },
  };
}

/** Turn a resolved profile back into the model (plain `architectures`, no includes/excludes). */
export function resolvedToProfile(resolved: ResolvedProfile): Profile {
  return {
    defaultAction: resolved.defaultAction,
    ...(resolved.defaultErrnoRet !== undefined
      ? { defaultErrnoRet: resolved.defaultErrnoRet }
      : {}),
    architectures: resolved.architectures,
    syscalls: resolved.syscalls.map((s) => ({
      names: s.names,
      action: s.action,
      ...(s.errnoRet !== undefined ? { errnoRet: s.errnoRet } : {}),
      args: s.args,
      pointer: s.pointer,
    })),
    ...(resolved.flags !== undefined ? { flags: resolved.flags } : {}),
    ...(resolved.listenerPath !== undefined ? { listenerPath: resolved.listenerPath } : {}),
    ...(resolved.listenerMetadata !== undefined
      ? { listenerMetadata: resolved.listenerMetadata }
      : {}),
  };
}

/** What the container's `--security-opt seccomp=...` holds: nothing, a keyword, or a profile document. */
export type SeccompOption = undefined | 'unconfined' | 'builtin' | { readonly profile: Profile };

/** Which profile Docker applies to a container (docs/semantics.md#moby-profile-choice). */
export type DockerProfileChoice =
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'default'; readonly reason: string }
  | { readonly kind: 'custom'; readonly profile: Profile; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string };

/**
 * Model moby's `WithSeccomp` (daemon/seccomp_linux.go): `unconfined` → no filter; a privileged container
 * gets a filter only when a profile is named; a kernel without seccomp runs unconfined (and refuses a
 * custom profile); otherwise `builtin` → the default profile, a named profile → it, else the daemon's
 * `--seccomp-profile` (which may itself be `unconfined`), else the default profile.
 */
export function chooseDockerProfile(opts: {
  /** `--security-opt seccomp=` of the container. */
  readonly container?: SeccompOption;
  /** `--privileged`. */
  readonly privileged?: boolean;
  /** The daemon's `--seccomp-profile` (a document, `unconfined`, or `builtin`/absent for the default). */
  readonly daemon?: SeccompOption;
  /** Whether the kernel supports seccomp (default true). */
  readonly kernelSupportsSeccomp?: boolean;
}): DockerProfileChoice {
  const c = opts.container;
  if (c === 'unconfined')
    return { kind: 'none', reason: 'the container asked for seccomp=unconfined' };
  if (opts.privileged === true) {
    if (c === undefined)
      return {
        kind: 'none',
        reason: 'privileged containers get no seccomp filter unless one is named',
      };
    if (c === 'builtin') {
      return {
        kind: 'error',
        reason:
          'for a privileged container moby passes "builtin" to LoadProfile, which cannot decode it',
      };
    }
    return {
      kind: 'custom',
      profile: c.profile,
      reason: 'privileged container with a named profile',
    };
  }
  if (opts.kernelSupportsSeccomp === false) {
    if (c !== undefined && c !== 'builtin') {
      return {
        kind: 'error',
        reason: 'seccomp is not enabled in the kernel, cannot run a custom seccomp profile',
      };
    }
    return {
      kind: 'none',
      reason: 'seccomp is not enabled in the kernel; running without the default profile',
    };
  }
  if (c === 'builtin')
    return { kind: 'default', reason: 'the container asked for seccomp=builtin' };
  if (c !== undefined)
    return { kind: 'custom', profile: c.profile, reason: 'the container named a profile' };
  const d = opts.daemon;
  if (d === 'unconfined')
    return { kind: 'none', reason: 'the daemon runs with --seccomp-profile=unconfined' };
  if (d !== undefined && d !== 'builtin') {
    return { kind: 'custom', profile: d.profile, reason: "the daemon's --seccomp-profile" };
  }
  return { kind: 'default', reason: "Docker's default profile" };
}
