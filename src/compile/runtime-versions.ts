/**
 * Version-dependent behaviour of the real stack that changes a filter's decisions, kept apart from the
 * decision model (which follows current Docker and Debian 12's runc 1.1 + libseccomp 2.5.4).
 *
 * Modelled differences, each measured on a live container or taken from the project's history:
 * - **Docker < 23.0 drops `defaultErrnoRet`** (and `listenerPath`, `listenerMetadata`): moby's own
 *   seccomp type lacked the fields until moby/moby#42604 (first released in 23.0), so the daemon never
 *   copied them into the OCI spec and runc fell back to EPERM for the default action. Measured on
 *   Debian 12's Docker 20.10.24: a profile asking for EACCES answered the default with EPERM.
 * - **runc >= 1.2 sets libseccomp's optimize level 2** (binary tree) when the flattened rule list is
 *   longer than 32 (runc commit b265d12); runc 1.1 leaves level 1 (linear chain). The decisions are the
 *   same, but level 2 has its own gen_bpf quirks, which `buildPlan` reproduces per level.
 * - **runc >= 1.2.0 and >= 1.1.15 give the native arch an ENOSYS stub** even when the profile lists no
 *   `architectures` (runc commit ccc500c, backported to 1.1 as 618e149, patchbpf `findLastSyscalls`:
 *   "always include the native architecture"); older runc stubs only the listed arches, so a profile
 *   without `architectures` answers unknown numbers with its default action.
 *
 * Each difference is one entry of {@link STACK_DIFFERENCES}, with the release and commit it comes from
 * (docs/stacks.md lists which are verified by experiment and which by reading the source).
 *
 * Version strings come from `dockerd --version` (or `docker version --format '{{.Server.Version}}'`),
 * `runc --version`, `crun --version` and libseccomp's library name; running those is the caller's job
 * (this module is pure).
 */
import type { ResolvedProfile } from '../profile/resolve.js';
import type { BuildPlanOptions, ModelProfile } from './build.js';

/** A `major.minor.patch` version (distribution suffixes such as `+dfsg1` are dropped). */
export interface StackVersion {
  /** Major number. */
  readonly major: number;
  /** Minor number. */
  readonly minor: number;
  /** Patch number (0 when absent). */
  readonly patch: number;
}

/** The versions of the container stack on a host; absent ones are taken to be current. */
export interface RuntimeVersions {
  /** The Docker daemon (server) version. */
  readonly docker?: StackVersion;
  /** The runc that Docker or the caller runs. */
  readonly runc?: StackVersion;
  /** The crun installed beside runc (recorded; Docker's decisions are runc's). */
  readonly crun?: StackVersion;
  /** The libseccomp runc links against. */
  readonly libseccomp?: StackVersion;
}

/** The stack components, in the order they are printed. */
export const STACK_COMPONENTS = ['docker', 'runc', 'crun', 'libseccomp'] as const;
/** One stack component. */
export type StackComponent = (typeof STACK_COMPONENTS)[number];

/**
 * The current releases, the stack assumed when nothing is installed (`--stack current`): the newest
 * releases whose seccomp handling the data below was checked against (runc from its repository's tags,
 * v1.5.1; libseccomp 2.6.0; Docker 28.0; crun 1.21).
 */
export const CURRENT_STACK: Required<RuntimeVersions> = Object.freeze({
  docker: { major: 28, minor: 0, patch: 0 },
  runc: { major: 1, minor: 5, patch: 1 },
  crun: { major: 1, minor: 21, patch: 0 },
  libseccomp: { major: 2, minor: 6, patch: 0 },
});

/** What a given stack does differently from the model's reference behaviour. */
export interface StackBehaviour {
  /** Whether the daemon passes `defaultErrnoRet`, `listenerPath` and `listenerMetadata` on to runc. */
  readonly dockerPassesDefaultErrnoRet: boolean;
  /** Whether runc switches libseccomp to optimize level 2 for more than 32 flattened rules. */
  readonly runcBinaryTree: boolean;
  /** Whether runc's ENOSYS stub covers the native arch when `architectures` does not list it. */
  readonly runcStubCoversNative: boolean;
}

/** One version difference that changes what a filter decides, with where it comes from. */
export interface StackDifference {
  /** The {@link StackBehaviour} field it sets. */
  readonly behaviour: keyof StackBehaviour;
  /** The component whose version decides. */
  readonly component: StackComponent;
  /** First releases with the behaviour, one per maintained line (the newest line's entry last). */
  readonly since: readonly StackVersion[];
  /** Upstream change(s): repository and commit or pull request. */
  readonly source: string;
  /** What changes, in one sentence. */
  readonly summary: string;
}

/** First Docker release whose daemon copies `defaultErrnoRet` into the OCI spec (moby/moby#42604). */
export const DOCKER_DEFAULT_ERRNO_RET_SINCE: StackVersion = { major: 23, minor: 0, patch: 0 };
/** First runc release that sets optimize level 2 for long rule lists (runc commit b265d12). */
export const RUNC_BINARY_TREE_SINCE: StackVersion = { major: 1, minor: 2, patch: 0 };
/** runc's threshold: more flattened rules than this selects the binary tree. */
export const RUNC_BINARY_TREE_MIN_RULES = 32;

const VERSION_RE = /(\d+)\.(\d+)(?:\.(\d+))?/;

/**
 * Parse the first `X.Y[.Z]` in `text`: `20.10.24+dfsg1`, `runc version 1.1.5+ds1`, `v1.2.0-rc.1`.
 * Returns undefined when there is none.
 */
export function parseStackVersion(text: string): StackVersion | undefined {
  const m = VERSION_RE.exec(text);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

/** Whether `v` is `min` or later. */
export function versionAtLeast(v: StackVersion, min: StackVersion): boolean {
  if (v.major !== min.major) return v.major > min.major;
  if (v.minor !== min.minor) return v.minor > min.minor;
  return v.patch >= min.patch;
}

/** `1.2.3` */
export function formatStackVersion(v: StackVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** First runc releases whose stub always covers the native arch: 1.1.15 (618e149), 1.2.0 (ccc500c). */
export const RUNC_STUB_NATIVE_SINCE: readonly StackVersion[] = [
  { major: 1, minor: 1, patch: 15 },
  { major: 1, minor: 2, patch: 0 },
];

/** Every modelled version difference, with its upstream source. */
export const STACK_DIFFERENCES: readonly StackDifference[] = [
  {
    behaviour: 'dockerPassesDefaultErrnoRet',
    component: 'docker',
    since: [DOCKER_DEFAULT_ERRNO_RET_SINCE],
    source: 'moby/moby#42604 (first released in Docker 23.0)',
    summary:
      'the daemon copies defaultErrnoRet, listenerPath and listenerMetadata into the OCI spec; before, the default ERRNO was EPERM',
  },
  {
    behaviour: 'runcBinaryTree',
    component: 'runc',
    since: [RUNC_BINARY_TREE_SINCE],
    source:
      'opencontainers/runc b265d1288faf ("libct/seccomp: enable binary tree optimization", v1.2.0)',
    summary: `libseccomp optimize level 2 (binary tree) above ${RUNC_BINARY_TREE_MIN_RULES} flattened rules; same decisions, other program`,
  },
  {
    behaviour: 'runcStubCoversNative',
    component: 'runc',
    since: RUNC_STUB_NATIVE_SINCE,
    source:
      'opencontainers/runc ccc500c427da ("seccomp: patchbpf: always include native architecture in stub", v1.2.0), backport 618e149e4ae5 (v1.1.15)',
    summary:
      'the ENOSYS stub covers the native arch even when architectures does not list it: unknown numbers get ERRNO(38) instead of the default action',
  },
];

/** Whether `v` has a behaviour first released in `since` (one entry per release line, oldest first). */
export function versionHas(v: StackVersion, since: readonly StackVersion[]): boolean {
  return since.some((s, i) => {
    const next = since[i + 1];
    // An entry covers its own line only; the last entry covers every later line too.
    const sameLine = v.major === s.major && v.minor === s.minor;
    return next === undefined ? versionAtLeast(v, s) : sameLine && versionAtLeast(v, s);
  });
}

/** The behaviour of a stack; unknown versions behave like current releases. */
export function stackBehaviour(versions: RuntimeVersions): StackBehaviour {
  const has = (d: StackDifference): boolean => {
    const v = versions[d.component];
    return v === undefined || versionHas(v, d.since);
  };
  const out: Record<keyof StackBehaviour, boolean> = {
    dockerPassesDefaultErrnoRet: true,
    runcBinaryTree: true,
    runcStubCoversNative: true,
  };
  for (const d of STACK_DIFFERENCES) out[d.behaviour] = has(d);
  return out;
}

/** The plan options a runc version implies for `profile`: optimize level and native stub. */
export function runcPlanOptions(
  profile: ModelProfile,
  versions: RuntimeVersions,
): Pick<BuildPlanOptions, 'optimize' | 'stubNative'> {
  const b = stackBehaviour(versions);
  return {
    optimize: b.runcBinaryTree && flattenedRuleCount(profile) > RUNC_BINARY_TREE_MIN_RULES ? 2 : 1,
    stubNative: b.runcStubCoversNative,
  };
}

/** What {@link applyStackVersions} returns: the profile runc really receives, plan options, notes. */
export interface VersionedProfile<P extends ModelProfile = ModelProfile> {
  /** The OCI profile as the given daemon hands it to runc. */
  readonly profile: P;
  /** `buildPlan` options implied by the runc version (the caller adds `arch` and `libseccomp`). */
  readonly planOptions: Pick<BuildPlanOptions, 'optimize' | 'stubNative'>;
  /** One sentence per version difference that changed the profile or the plan options. */
  readonly notes: readonly string[];
}

/**
 * {@link applyStackVersions} when a stack is given; the profile unchanged (the reference stack:
 * current Docker, runc 1.1.5) when not.
 */
export function maybeStack<P extends ResolvedProfile | ModelProfile>(
  resolved: P,
  versions: RuntimeVersions | undefined,
): VersionedProfile<P> {
  if (versions === undefined) return { profile: resolved, planOptions: {}, notes: [] };
  return applyStackVersions(resolved, versions);
}

/** Number of rules runc's flattened list holds (one per name), the count its optimize switch uses. */
export function flattenedRuleCount(profile: ModelProfile): number {
  return profile.syscalls.reduce((n, r) => n + r.names.length, 0);
}

/**
 * Turn a profile resolved by moby's current logic into what the given stack really builds: drop the
 * fields an old daemon does not pass on, and pick runc's optimize level.
 */
export function applyStackVersions<P extends ResolvedProfile | ModelProfile>(
  resolved: P,
  versions: RuntimeVersions,
): VersionedProfile<P> {
  const b = stackBehaviour(versions);
  const notes: string[] = [];
  let profile: P = resolved;
  if (!b.dockerPassesDefaultErrnoRet) {
    const {
      defaultErrnoRet,
      listenerPath,
      listenerMetadata,
      ...kept
    }: ModelProfile & { listenerMetadata?: string } = resolved;
    const dockerText = versions.docker === undefined ? '' : formatStackVersion(versions.docker);
    // EPERM is also runc's fallback, so dropping a defaultErrnoRet of 1 changes nothing.
    if (defaultErrnoRet !== undefined && defaultErrnoRet !== 1) {
      notes.push(
        `Docker ${dockerText} does not pass defaultErrnoRet (${defaultErrnoRet}) to runc: the default ERRNO is EPERM (fixed in Docker 23.0, moby/moby#42604)`,
      );
    }
    if (listenerPath !== undefined || listenerMetadata !== undefined) {
      notes.push(`Docker ${dockerText} does not pass listenerPath and listenerMetadata to runc`);
    }
    // Only optional fields are left out, so `kept` is still a P.
    profile = kept as P;
  }
  const rules = flattenedRuleCount(profile);
  const planOptions = runcPlanOptions(profile, versions);
  const runcText = versions.runc === undefined ? '>= 1.2' : formatStackVersion(versions.runc);
  if (planOptions.optimize === 2) {
    notes.push(
      `runc ${runcText} builds a binary tree (libseccomp optimize 2) for ${rules} flattened rules`,
    );
  }
  return { profile, planOptions, notes };
}
