/**
 * Podman's seccomp loader as data: containers/common `pkg/seccomp` (`setupSeccomp` in
 * seccomp_linux.go), the copy Podman vendors. Podman 4.3.1 (Debian 12) vendors containers/common
 * v0.50.1 (podman v4.3.1 go.mod; the vendored seccomp_linux.go is byte-identical to the tag's), commit
 * 3772563040a5d82e8a084f1141f19d523b737721; Debian's golang-github-containers-common 0.50.1+ds1-4
 * installs the same default profile as /usr/share/containers/seccomp.json (sha256 cc374cf2...).
 *
 * Where it differs from moby's resolution (kb/moby, profile/resolve.ts):
 * - `includes`/`excludes` have no `minKernel` (its `Filter` type holds only `caps` and `arches`), so
 *   Go's decoder ignores the field: a rule is never dropped for the kernel, and a malformed value is
 *   not refused;
 * - the native arch is libseccomp-golang's `GetNativeArch().String()`, and `nativeToSeccomp`, the
 *   table that picks an `archMap` entry, has 7 keys only (no x86, arm, ppc, riscv64, s390);
 * - `defaultErrno` and a rule's `errno` name an errno (or give it in decimal) and win over
 *   `defaultErrnoRet`/`errnoRet` (`getErrno`);
 * - `defaultErrnoRet`, `listenerPath` and `listenerMetadata` reach the OCI runtime (Podman 4.3.1 passes
 *   the spec on; runc 1.1 honours `defaultErrnoRet`).
 * Caps (every `includes.caps` present, any `excludes.caps` present drops) and the refusals of
 * `architectures` with `archMap` and of `name` with `names` are moby's. Podman's bounding set is the
 * spec's `process.capabilities.bounding` after `--cap-add`/`--cap-drop` (pkg/specgen/generate
 * security_linux.go sets it before `getSeccompConfig`).
 */

/** Where the model comes from. */
export const CONTAINERS_COMMON_SOURCE = Object.freeze({
  repository: 'github.com/containers/common',
  release: 'v0.50.1',
  commit: '3772563040a5d82e8a084f1141f19d523b737721',
  file: 'pkg/seccomp/seccomp_linux.go',
  podman: '4.3.1',
});

/**
 * libseccomp-golang v0.10.0's `ScmpArch.String()` for each `SCMP_ARCH_*`: the string containers/common
 * compares `includes.arches`/`excludes.arches` with (the native arch of the host).
 */
export const LIBSECCOMP_GOLANG_ARCH_NAMES: Readonly<Record<string, string>> = Object.freeze({
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'amd64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'arm64',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
});

/** containers/common's `nativeToSeccomp`: native string -> the `archMap` entry it expands. */
export const CONTAINERS_COMMON_NATIVE_TO_SECCOMP: Readonly<Record<string, string>> = Object.freeze({
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mipsel64n32: 'SCMP_ARCH_MIPSEL64N32',
  s390x: 'SCMP_ARCH_S390X',
});

/** Whether containers/common reads `includes.minKernel`/`excludes.minKernel` (v0.50.1: no). */
export const CONTAINERS_COMMON_READS_MIN_KERNEL = false;
