/**
 * One record per architecture (libseccomp's `struct arch_def`): tokens, word size, endianness.
 * Numbers come from the kernel's uapi headers (`include/uapi/linux/audit.h`, `elf-em.h`).
 */

/** Architecture names as runc / libseccomp spell them without the `SCMP_ARCH_` prefix, lower case. */
export type ArchName =
  | 'x86_64'
  | 'x86'
  | 'x32'
  | 'aarch64'
  | 'arm'
  | 'mips'
  | 'mipsel'
  | 'mips64'
  | 'mips64n32'
  | 'mipsel64'
  | 'mipsel64n32'
  | 'ppc'
  | 'ppc64'
  | 'ppc64le'
  | 's390'
  | 's390x'
  | 'riscv64'
  | 'loongarch64'
  | 'parisc'
  | 'parisc64';

/** Static facts about one architecture / ABI. */
export interface ArchInfo {
  /** Our name (libseccomp's, lower case). */
  readonly name: ArchName;
  /** The OCI / Docker spelling, e.g. `SCMP_ARCH_X86_64`. */
  readonly scmpName: string;
  /** AUDIT_ARCH_* token the kernel puts in `seccomp_data.arch`. */
  readonly auditArch: number;
  /** AUDIT_ARCH_* symbolic name, e.g. `AUDIT_ARCH_X86_64`. */
  readonly auditArchName: string;
  /** 32 or 64: width of syscall arguments on this ABI. */
  readonly bits: 32 | 64;
  /** Byte order of `seccomp_data` fields. */
  readonly endian: 'little' | 'big';
  /** Syscall number offset added to the table number (x32: 0x40000000; mips o32 4000 etc. are in the table). */
  readonly nrBias: number;
  /** Socket/IPC calls also reachable through socketcall(2)/ipc(2) multiplexers on this ABI. */
  readonly multiplexed: boolean;
  /** ELF machine number (`EM_*`, include/uapi/linux/elf-em.h) the audit token is built from. */
  readonly elfMachine: number;
  /** Go's `GOARCH` for this ABI, or null when Go has none (x32, ppc, s390, parisc, ...). */
  readonly goArch: string | null;
  /** libseccomp-golang's `ScmpArch.String()` spelling (`amd64`, `arm64`, `mipsel64`, `loong64`, ...). */
  readonly seccompGoName: string;
  /** Numeric `SCMP_ARCH_*` token of libseccomp (seccomp.h; equal to the audit token except x32). */
  readonly scmpToken: number;
}
