/**
 * crun's seccomp loader, as data: how crun turns an OCI `linux.seccomp` object into the filter it
 * loads, where that differs from runc's (the model's reference loader), and which crun releases that
 * was checked on. crun (libcrun `src/libcrun/seccomp.c`, `libcrun_generate_seccomp`) feeds libseccomp
 * the same rules runc does: a rule whose action equals the default is skipped, a name libseccomp cannot
 * resolve is ignored with a warning, repeated argument indices become one-condition rules. What
 * differs is what happens to libseccomp's program afterwards: crun exports it (`seccomp_export_bpf`)
 * and loads it unchanged, so there is no ENOSYS stub, and it never sets an optimize level.
 *
 * Each fact names the crun source it comes from, with release and commit; docs/stacks.md says which
 * were verified by experiment (a filter dumped from a live container) and which by reading the source.
 */
import type { BuildPlanOptions } from './build.js';
import type { StackVersion } from './runtime-versions.js';

/** One fact about crun's loader with its upstream source. */
export interface CrunFact {
  /** Short identifier. */
  readonly id: string;
  /** What crun does, in one sentence. */
  readonly summary: string;
  /** Whether it changes what the loaded filter decides compared with runc's loader. */
  readonly changesDecisions: boolean;
  /** Upstream source: file and function, release(s) and commit(s). */
  readonly source: string;
}

/** A crun release whose loader was checked, and how. */
export interface CrunRelease {
  /** The release. */
  readonly version: StackVersion;
  /** Its commit in github.com/containers/crun. */
  readonly commit: string;
  /** `experiment`: filters dumped from live containers matched the model; `source`: read only. */
  readonly verified: 'experiment' | 'source';
  /** Where the binary came from. */
  readonly binary: string;
}

/** crun's loader facts (libcrun seccomp.c, unchanged in what it decides from 1.8.1 to 1.29.1). */
export const CRUN_LOADER: readonly CrunFact[] = [
  {
    id: 'no-enosys-stub',
    summary:
      "libseccomp's exported program is loaded as it is: a number above the profile's highest gets the default action, not runc's ENOSYS",
    changesDecisions: true,
    source:
      'containers/crun src/libcrun/seccomp.c libcrun_generate_seccomp (seccomp_export_bpf) and libcrun_apply_seccomp; 1.8.1 f8a096be060b, 1.21 (Debian 1.21-1), 1.27.1 3ec076b3b671, 1.29.1 f0d911de5587',
  },
  {
    id: 'optimize-default',
    summary:
      "crun never sets SCMP_FLTATR_CTL_OPTIMIZE: libseccomp's default level 1 (linear chain) whatever the rule count (runc >= 1.2 switches to 2 above 32 rules)",
    changesDecisions: false,
    source: 'containers/crun src/libcrun/seccomp.c libcrun_generate_seccomp, 1.8.1 to 1.29.1',
  },
  {
    id: 'rules-as-runc',
    summary:
      'rules equal to the default skipped, unknown names ignored with a warning (an error with the annotation run.oci.seccomp_fail_unknown_syscall), repeated argument indices split into one-condition rules',
    changesDecisions: false,
    source: 'containers/crun src/libcrun/seccomp.c libcrun_generate_seccomp, 1.8.1 to 1.29.1',
  },
  {
    id: 'default-errno-ret',
    summary:
      'defaultErrnoRet and errnoRet are read from the OCI spec by crun itself (no daemon in between drops them)',
    changesDecisions: false,
    source:
      'containers/crun src/libcrun/seccomp.c libcrun_generate_seccomp (default_errno_ret), 1.8.1 to 1.29.1',
  },
  {
    id: 'flags',
    summary:
      'no flags given: SECCOMP_FILTER_FLAG_SPEC_ALLOW; SECCOMP_FILTER_FLAG_LOG, TSYNC, SPEC_ALLOW and WAIT_KILLABLE_RECV honoured; a kernel refusing them gets the filter without flags',
    changesDecisions: false,
    source: 'containers/crun src/libcrun/seccomp.c libcrun_apply_seccomp, 1.8.1 to 1.29.1',
  },
  {
    id: 'cache-digest-errno',
    summary:
      "the compiled-filter cache (/run/crun/.cache/seccomp) keys on defaultErrnoRet only from 1.14 on; Debian's 1.8.1-1+deb12u1 measured: two profiles differing only in defaultErrnoRet load their own filters",
    changesDecisions: false,
    source:
      'containers/crun 4f1f3d4c ("seccomp: include default_errno_ret in cache digest", first released in 1.14)',
  },
];

/** The crun releases checked, newest last. */
export const CRUN_RELEASES: readonly CrunRelease[] = [
  {
    version: { major: 1, minor: 8, patch: 1 },
    commit: 'f8a096be060b22ccd3d5f3ebe44108517fbf6c30',
    verified: 'experiment',
    binary: 'Debian 12 crun 1.8.1-1+deb12u1',
  },
  {
    version: { major: 1, minor: 21, patch: 0 },
    commit: '10269840aa07fb7e6b7e1acff6198692d8ff5c88',
    verified: 'experiment',
    binary:
      "built from Debian's crun 1.21 source (scripts/build-oracles.mjs crun, scripts/build-crun.sh)",
  },
  {
    version: { major: 1, minor: 27, patch: 1 },
    commit: '3ec076b3b6714ec2f1a10533cf18d5605a6de637',
    verified: 'source',
    binary: 'none (source reading: filter generation as in 1.8.1 and 1.21, both measured)',
  },
  {
    version: { major: 1, minor: 29, patch: 1 },
    commit: 'f0d911de5587342cfeb16473bf32ecdfeaf25957',
    verified: 'source',
    binary: 'none: seccomp.c differs from 1.27.1 only in an #include',
  },
];

/**
 * The plan options of crun's loader (`buildPlan`'s `arch` and `libseccomp` are the caller's): no
 * ENOSYS stub, libseccomp's default optimize level. The same for every release in
 * {@link CRUN_RELEASES}: none of {@link CRUN_LOADER}'s decision-changing facts depends on the version.
 */
export function crunPlanOptions(): Pick<BuildPlanOptions, 'stub' | 'optimize'> {
  return { stub: false, optimize: 1 };
}
