/**
 * moby's architecture facts: the default profile's `archMap`, and the two tables of moby/profiles
 * `seccomp/seccomp_linux.go` that pick an archMap entry and evaluate `includes/excludes.arches`
 * (docs/semantics.md#moby-archmap).
 */
import { DOCKER_DEFAULT_PROFILE_JSON } from './default-profile.js';

/** One `archMap` entry of a Docker profile: a host arch and the sub-arches its filter also covers. */
export interface DockerArchMapEntry {
  /** `SCMP_ARCH_*` of the host. */
  readonly architecture: string;
  /** `SCMP_ARCH_*` of the other ABIs that host can run (null in the JSON means none). */
  readonly subArchitectures: readonly string[];
}

/** Docker's default `archMap`, read from the embedded default profile (`null` sub-arches as `[]`). */
export const DOCKER_DEFAULT_ARCH_MAP: readonly DockerArchMapEntry[] = Object.freeze(
  DOCKER_DEFAULT_PROFILE_JSON.archMap.map((e) =>
    Object.freeze({
      architecture: e.architecture,
      subArchitectures: Object.freeze([...(e.subArchitectures ?? [])]),
    }),
  ),
);

/**
 * moby's `goToNative` (moby/profiles seccomp/seccomp_linux.go): GOARCH -> the "native" arch
 * string used for `includes.arches`/`excludes.arches` and for picking the archMap entry.
 * Kept verbatim, typos included (`mips3l64n32`).
 */
export const MOBY_GO_TO_NATIVE: Readonly<Record<string, string>> = Object.freeze({
  '386': 'x86',
  amd64: 'amd64',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips64: 'mips64',
  mips64p32: 'mips64n32',
  mips64le: 'mipsel64',
  mips64p32le: 'mips3l64n32',
  mipsle: 'mipsel',
  ppc: 'ppc',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
});

/**
 * moby's `nativeToSeccomp` (same file): native string -> `SCMP_ARCH_*` of the archMap entry
 * to use. Its keys disagree with {@link MOBY_GO_TO_NATIVE} for loong64 (`loong64` vs
 * `loongarch64`) and mipsle (`mipsle` vs `mipsel`), so on those hosts no archMap entry applies
 * (docs/semantics.md#moby-archmap).
 */
export const MOBY_NATIVE_TO_SECCOMP: Readonly<Record<string, string>> = Object.freeze({
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
});

/** moby's native arch string for a daemon built for `goArch` ('' when moby has none, as Go's map lookup gives). */
export function mobyNativeArch(goArch: string): string {
  return MOBY_GO_TO_NATIVE[goArch] ?? '';
}

/**
 * The `SCMP_ARCH_*` list moby puts in `architectures` for a daemon on `goArch`, from an archMap
 * (default: Docker's): the matching entry's arch then its sub-arches; empty when nothing matches
 * (moby then leaves `architectures` empty and libseccomp uses only the native arch).
 */
export function mobyArchitectures(
  goArch: string,
  archMap: readonly DockerArchMapEntry[] = DOCKER_DEFAULT_ARCH_MAP,
): readonly string[] {
  const seccompArch = MOBY_NATIVE_TO_SECCOMP[mobyNativeArch(goArch)];
  if (seccompArch === undefined) return [];
  const entry = archMap.find((e) => e.architecture === seccompArch);
  return entry === undefined ? [] : [entry.architecture, ...entry.subArchitectures];
}
