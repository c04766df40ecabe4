/**
 * containerd's seccomp loader, as data: how containerd turns a profile file into the OCI
 * `linux.seccomp` it hands runc. containerd does not use moby's profile code: `ctr run --seccomp
 * --seccomp-profile FILE` and the CRI plugin's `Localhost` profile (what kubelet passes for
 * `seccompProfile: {type: Localhost}`) both go through contrib/seccomp `WithProfile`, which decodes
 * the file with Go's `json.Unmarshal` straight into runtime-spec's `LinuxSeccomp`. So only the OCI
 * fields count: moby's `archMap`, `includes`/`excludes` and the singular `name` are dropped without a
 * word, every rule is kept for every capability set, and runc then loads the result as usual.
 *
 * Each fact names the containerd source it comes from, with release and commit; docs/stacks.md says
 * which were verified by experiment (a filter dumped from a live container) and which by reading.
 */
import type { Profile } from '../profile/types.js';
import type { ModelProfile } from './build.js';

/** One fact about containerd's loader with its upstream source. */
export interface ContainerdFact {
  /** Short identifier. */
  readonly id: string;
  /** What containerd does, in one sentence. */
  readonly summary: string;
  /** Upstream source: file and function, release and commit. */
  readonly source: string;
}

/** containerd 1.6.20 (Debian 12's 1.6.20~ds1), the release checked. */
export const CONTAINERD_RELEASE = {
  version: { major: 1, minor: 6, patch: 20 },
  tag: 'v1.6.20',
  binary: 'Debian 12 containerd 1.6.20~ds1-1+deb12u3 (ctr and containerd), runc 1.1.5',
} as const;

/** containerd's loader facts. */
export const CONTAINERD_LOADER: readonly ContainerdFact[] = [
  {
    id: 'oci-fields-only',
    summary:
      "the profile file is decoded into runtime-spec's LinuxSeccomp: defaultAction, defaultErrnoRet, architectures, flags, listenerPath, listenerMetadata and syscalls (names, action, errnoRet, args); anything else is ignored",
    source:
      'containerd/containerd contrib/seccomp/seccomp.go WithProfile (json.Unmarshal into specs.LinuxSeccomp), v1.6.20',
  },
  {
    id: 'no-archmap',
    summary:
      "moby's archMap is ignored: a profile that lists its arches only there gets the native arch alone",
    source: 'containerd/containerd contrib/seccomp/seccomp.go WithProfile, v1.6.20',
  },
  {
    id: 'no-includes-excludes',
    summary:
      'includes and excludes (capabilities, arches, minKernel) are ignored: every rule applies',
    source: 'containerd/containerd contrib/seccomp/seccomp.go WithProfile, v1.6.20',
  },
  {
    id: 'no-singular-name',
    summary: "a rule's singular name (moby's old format) is ignored: such a rule has no names",
    source: 'containerd/containerd contrib/seccomp/seccomp.go WithProfile, v1.6.20',
  },
  {
    id: 'cri-localhost',
    summary:
      "the CRI plugin loads a Localhost profile (localhost/ prefix trimmed) with the same WithProfile; RuntimeDefault is containerd's own DefaultProfile (contrib/seccomp/seccomp_default.go), not moby's",
    source:
      'containerd/containerd pkg/cri/server/container_create_linux.go generateSeccompSpecOpts, v1.6.20',
  },
];

/**
 * The profile as containerd hands it to runc: the OCI fields of `profile` only (see
 * {@link CONTAINERD_LOADER}); rules keep their pointers. `profile` is sysgate's parse of the file.
 */
export function containerdProfile(profile: Profile): ModelProfile {
  return {
    defaultAction: profile.defaultAction ?? 'SCMP_ACT_ERRNO',
    ...(profile.defaultErrnoRet !== undefined && { defaultErrnoRet: profile.defaultErrnoRet }),
    architectures: profile.architectures,
    ...(profile.listenerPath !== undefined && { listenerPath: profile.listenerPath }),
    syscalls: profile.syscalls.map((r) => ({
      names: r.legacyName === true ? [] : r.names,
      action: r.action,
      ...(r.errnoRet !== undefined && { errnoRet: r.errnoRet }),
      args: r.args,
      pointer: r.pointer,
    })),
  };
}
