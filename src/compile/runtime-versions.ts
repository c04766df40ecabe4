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
 *
 * Both are described in docs/semantics.md#moby-versions and docs/semantics.md#runc-filter-setup.
 *
 * Version strings come from `docker version --format '{{.Server.Version}}'` and `runc --version`;
 * running those is the caller's job (this module is pure).
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
}

/** What a given stack does differently from the model's reference behaviour. */
export interface StackBehaviour {
  /** Whether the daemon passes `defaultErrnoRet`, `listenerPath` and `listenerMetadata` on to runc. */
  readonly dockerPassesDefaultErrnoRet: boolean;
  /** Whether runc switches libseccomp to optimize level 2 for more than 32 flattened rules. */
  readonly runcBinaryTree: boolean;
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

/** The behaviour of a stack; unknown versions behave like current releases. */
export function stackBehaviour(versions: RuntimeVersions): StackBehaviour {
  return {
    dockerPassesDefaultErrnoRet:
      versions.docker === undefined ||
      versionAtLeast(versions.docker, DOCKER_DEFAULT_ERRNO_RET_SINCE),
    runcBinaryTree:
      versions.runc === undefined || versionAtLeast(versions.runc, RUNC_BINARY_TREE_SINCE),
  };
}

/** What {@link applyStackVersions} returns: the profile runc really receives, plan options, notes. */
export interface VersionedProfile {
  /** The OCI profile as the given daemon hands it to runc. */
  readonly profile: ModelProfile;
  /** `buildPlan` options implied by the runc version (the caller adds `arch` and `libseccomp`). */
  readonly planOptions: Pick<BuildPlanOptions, 'optimize'>;
  /** One sentence per version difference that changed the profile or the plan options. */
  readonly notes: readonly string[];
}

/** Number of rules runc's flattened list holds (one per name), the count its optimize switch uses. */
export function flattenedRuleCount(profile: ModelProfile): number {
  return profile.syscalls.reduce((n, r) => n + r.names.length, 0);
}

/**
 * Turn a profile resolved by moby's current logic into what the given stack really builds: drop the
 * fields an old daemon does not pass on, and pick runc's optimize level.
 */
export function applyStackVersions(
  resolved: ResolvedProfile | ModelProfile,
  versions: RuntimeVersions,
): VersionedProfile {
  const b = stackBehaviour(versions);
  const notes: string[] = [];
  let profile: ModelProfile = resolved;
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
    profile = kept;
  }
  const rules = flattenedRuleCount(profile);
  const optimize = b.runcBinaryTree && rules > RUNC_BINARY_TREE_MIN_RULES ? 2 : 1;
  if (optimize === 2) {
    notes.push(
      `runc ${versions.runc === undefined ? '>= 1.2' : formatStackVersion(versions.runc)} builds a binary tree (libseccomp optimize 2) for ${rules} flattened rules`,
    );
  }
  return { profile, planOptions: { optimize }, notes };
}
