/**
 * The architecture strings a profile may name, as runc accepts them (libcontainer/seccomp/config.go
 * `archs`), with libseccomp's byte order for each (libseccomp `src/arch-*.c`), which decides whether
 * two arches can share one filter (libseccomp refuses to mix byte orders with EDOM).
 */
import type { ArchName } from '../arch/types.js';

/** One architecture runc knows. */
export interface ProfileArch {
  /** The profile spelling, e.g. `SCMP_ARCH_X86_64`. */
  readonly scmp: string;
  /** Our (libseccomp) name. */
  readonly name: ArchName;
  /** Byte order of the ABI. */
  readonly endian: 'little' | 'big';
}

/** The 18 `SCMP_ARCH_*` strings runc accepts; anything else fails container creation. */
export const RUNC_ARCHES: readonly ProfileArch[] = [
  { scmp: 'SCMP_ARCH_X86', name: 'x86', endian: 'little' },
  { scmp: 'SCMP_ARCH_X86_64', name: 'x86_64', endian: 'little' },
  { scmp: 'SCMP_ARCH_X32', name: 'x32', endian: 'little' },
  { scmp: 'SCMP_ARCH_ARM', name: 'arm', endian: 'little' },
  { scmp: 'SCMP_ARCH_AARCH64', name: 'aarch64', endian: 'little' },
  { scmp: 'SCMP_ARCH_MIPS', name: 'mips', endian: 'big' },
  { scmp: 'SCMP_ARCH_MIPS64', name: 'mips64', endian: 'big' },
  { scmp: 'SCMP_ARCH_MIPS64N32', name: 'mips64n32', endian: 'big' },
  { scmp: 'SCMP_ARCH_MIPSEL', name: 'mipsel', endian: 'little' },
  { scmp: 'SCMP_ARCH_MIPSEL64', name: 'mipsel64', endian: 'little' },
  { scmp: 'SCMP_ARCH_MIPSEL64N32', name: 'mipsel64n32', endian: 'little' },
  { scmp: 'SCMP_ARCH_PPC', name: 'ppc', endian: 'big' },
  { scmp: 'SCMP_ARCH_PPC64', name: 'ppc64', endian: 'big' },
  { scmp: 'SCMP_ARCH_PPC64LE', name: 'ppc64le', endian: 'little' },
  { scmp: 'SCMP_ARCH_RISCV64', name: 'riscv64', endian: 'little' },
  { scmp: 'SCMP_ARCH_S390', name: 's390', endian: 'big' },
  { scmp: 'SCMP_ARCH_S390X', name: 's390x', endian: 'big' },
  { scmp: 'SCMP_ARCH_LOONGARCH64', name: 'loongarch64', endian: 'little' },
];

/**
 * Strings that other tools accept (OCI schema, SPO CRD, libseccomp) but runc refuses, with the
 * reason shown to the user.
 */
export const NON_RUNC_ARCHES: Readonly<Record<string, string>> = {
  SCMP_ARCH_NATIVE:
    'runc does not accept SCMP_ARCH_NATIVE (omit the architecture list for the native one)',
  SCMP_ARCH_PARISC: 'runc does not support parisc',
  SCMP_ARCH_PARISC64: 'runc does not support parisc64',
  SCMP_ARCH_M68K: 'runc does not support m68k',
  SCMP_ARCH_SH: 'runc does not support sh',
  SCMP_ARCH_SHEB: 'runc does not support sheb',
};

const BY_SCMP = new Map(RUNC_ARCHES.map((a) => [a.scmp, a]));

/** Look up an `SCMP_ARCH_*` string runc accepts. */
export function profileArch(scmp: string): ProfileArch | undefined {
  return BY_SCMP.get(scmp);
}

/**
 * The native (daemon) architecture names moby compares `includes.arches`/`excludes.arches` with
 * (Go/libseccomp spelling; moby `nativeToSeccomp` plus the 32-bit names libseccomp reports).
 */
export const NATIVE_ARCH_NAMES: readonly string[] = [
  'amd64',
  'x86',
  'x32',
  'arm',
  'arm64',
  'mips',
  'mipsel',
  'mips64',
  'mips64n32',
  'mipsel64',
  'mipsel64n32',
  'ppc',
  'ppc64',
  'ppc64le',
  'riscv64',
  's390',
  's390x',
  'loong64',
  'loongarch64',
];

/** The libcontainer (2016) arch spellings, mapped to `SCMP_ARCH_*`. */
export const LIBCONTAINER_ARCHES: Readonly<Record<string, string>> = {
  amd64: 'SCMP_ARCH_X86_64',
  x86: 'SCMP_ARCH_X86',
  x32: 'SCMP_ARCH_X32',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips: 'SCMP_ARCH_MIPS',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel: 'SCMP_ARCH_MIPSEL',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mipsel64n32: 'SCMP_ARCH_MIPSEL64N32',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};
