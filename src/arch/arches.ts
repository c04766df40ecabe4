/**
 * One {@link ArchInfo} record per architecture / ABI, and lookups by every spelling users and
 * tools use: our name, `SCMP_ARCH_*`, Go's GOARCH, libseccomp-golang's name, and the audit token.
 *
 * Audit tokens follow include/uapi/linux/audit.h: `AUDIT_ARCH_* = EM_* | __AUDIT_ARCH_64BIT
 * (0x80000000) | __AUDIT_ARCH_LE (0x40000000)` (plus `__AUDIT_ARCH_CONVENTION_MIPS64_N32`,
 * 0x20000000, for the n32 ABIs), with `EM_*` from include/uapi/linux/elf-em.h.
 */

import { UsageError } from '../document/errors.js';
import type { ArchInfo, ArchName } from './types.js';

/** `__AUDIT_ARCH_64BIT` (include/uapi/linux/audit.h). */
export const AUDIT_ARCH_64BIT = 0x80000000;
/** `__AUDIT_ARCH_LE` (include/uapi/linux/audit.h). */
export const AUDIT_ARCH_LE = 0x40000000;
/** `__AUDIT_ARCH_CONVENTION_MIPS64_N32` (include/uapi/linux/audit.h). */
export const AUDIT_ARCH_CONVENTION_MIPS64_N32 = 0x20000000;

/** ELF machine numbers used by seccomp arches (include/uapi/linux/elf-em.h). */
export const EM = {
  EM_386: 3,
  EM_MIPS: 8,
  EM_PARISC: 15,
  EM_PPC: 20,
  EM_PPC64: 21,
  EM_S390: 22,
  EM_ARM: 40,
  EM_X86_64: 62,
  EM_AARCH64: 183,
  EM_RISCV: 243,
  EM_LOONGARCH: 258,
} as const;

/** Bit 30 (`__X32_SYSCALL_BIT`, arch/x86/include/uapi/asm/unistd.h) marks x32 syscall numbers. */
export const X32_SYSCALL_BIT = 0x40000000;

/** Builds an AUDIT_ARCH token the way audit.h does. */
function audit(em: number, is64: boolean, le: boolean, n32 = false): number {
  return (
    (em |
      (is64 ? AUDIT_ARCH_64BIT : 0) |
      (le ? AUDIT_ARCH_LE : 0) |
      (n32 ? AUDIT_ARCH_CONVENTION_MIPS64_N32 : 0)) >>>
    0
  );
}

/** Arguments of {@link record}: the facts that are not derived. */
interface RecordInput {
  name: ArchName;
  auditArchName: string;
  em: number;
  bits: 32 | 64;
  endian: 'little' | 'big';
  n32?: boolean;
  nrBias: number;
  multiplexed: boolean;
  goArch: string | null;
  seccompGoName: string;
}

/** Builds one frozen ArchInfo. */
function record(r: RecordInput): ArchInfo {
  // x32 shares AUDIT_ARCH_X86_64 with x86_64; its bits describe the ABI's long (32).
  const is64 = r.name === 'x32' || r.bits === 64 || r.n32 === true;
  const auditArch = audit(r.em, is64, r.endian === 'little', r.n32 ?? false);
  return Object.freeze({
    name: r.name,
    scmpName: `SCMP_ARCH_${r.name.toUpperCase()}`,
    auditArch,
    auditArchName: r.auditArchName,
    bits: r.bits,
    endian: r.endian,
    nrBias: r.nrBias,
    multiplexed: r.multiplexed,
    elfMachine: r.em,
    goArch: r.goArch,
    seccompGoName: r.seccompGoName,
    // seccomp.h: SCMP_ARCH_X32 is (EM_X86_64 | __AUDIT_ARCH_LE); every other token is the audit token.
    scmpToken: r.name === 'x32' ? (EM.EM_X86_64 | AUDIT_ARCH_LE) >>> 0 : auditArch,
  });
}

/**
 * Every arch Docker, runc and libseccomp know, in libseccomp's order. `multiplexed` lists the
 * arches whose libseccomp arch_def has `syscall_rewrite`/`rule_add = abi_rule_add` and
 * `sys_socketcall`/`sys_ipc` (src/arch-x86.c, arch-mips.c, arch-ppc.c, arch-ppc64.c,
 * arch-s390.c, arch-s390x.c; m68k and sh also do, but are not seccomp arches of runc).
 */
export const ARCHES: readonly ArchInfo[] = Object.freeze([
  record({
    name: 'x86_64',
    auditArchName: 'AUDIT_ARCH_X86_64',
    em: EM.EM_X86_64,
    bits: 64,
    endian: 'little',
    nrBias: 0,
    multiplexed: false,
    goArch: 'amd64',
    seccompGoName: 'amd64',
  }),
  record({
    name: 'x86',
    auditArchName: 'AUDIT_ARCH_I386',
    em: EM.EM_386,
    bits: 32,
    endian: 'little',
    nrBias: 0,
    multiplexed: true,
    goArch: '386',
    seccompGoName: 'x86',
  }),
  record({
    name: 'x32',
    auditArchName: 'AUDIT_ARCH_X86_64',
    em: EM.EM_X86_64,
    bits: 32,
    endian: 'little',
    nrBias: X32_SYSCALL_BIT,
    multiplexed: false,
    goArch: null,
    seccompGoName: 'x32',
  }),
  record({
    name: 'aarch64',
    auditArchName: 'AUDIT_ARCH_AARCH64',
    em: EM.EM_AARCH64,
    bits: 64,
    endian: 'little',
    nrBias: 0,
    multiplexed: false,
    goArch: 'arm64',
    seccompGoName: 'arm64',
  }),
  record({
    name: 'arm',
    auditArchName: 'AUDIT_ARCH_ARM',
    em: EM.EM_ARM,
    bits: 32,
    endian: 'little',
    nrBias: 0,
    multiplexed: false,
    goArch: 'arm',
    seccompGoName: 'arm',
  }),
  record({
    name: 'mips',
    auditArchName: 'AUDIT_ARCH_MIPS',
    em: EM.EM_MIPS,
    bits: 32,
    endian: 'big',
    nrBias: 4000,
    multiplexed: true,
    goArch: 'mips',
    seccompGoName: 'mips',
  }),
  record({
    name: 'mipsel',
    auditArchName: 'AUDIT_ARCH_MIPSEL',
    em: EM.EM_MIPS,
    bits: 32,
    endian: 'little',
    nrBias: 4000,
    multiplexed: true,
    goArch: 'mipsle',
    seccompGoName: 'mipsel',
  }),
  record({
    name: 'mips64',
    auditArchName: 'AUDIT_ARCH_MIPS64',
    em: EM.EM_MIPS,
    bits: 64,
    endian: 'big',
    nrBias: 5000,
    multiplexed: false,
    goArch: 'mips64',
    seccompGoName: 'mips64',
  }),
  record({
    name: 'mips64n32',
    auditArchName: 'AUDIT_ARCH_MIPS64N32',
    em: EM.EM_MIPS,
    bits: 32,
    endian: 'big',
    n32: true,
    nrBias: 6000,
    multiplexed: false,
    goArch: 'mips64p32',
    seccompGoName: 'mips64n32',
  }),
  record({
    name: 'mipsel64',
    auditArchName: 'AUDIT_ARCH_MIPSEL64',
    em: EM.EM_MIPS,
    bits: 64,
    endian: 'little',
    nrBias: 5000,
    multiplexed: false,
    goArch: 'mips64le',
    seccompGoName: 'mipsel64',
  }),
  record({
    name: 'mipsel64n32',
    auditArchName: 'AUDIT_ARCH_MIPSEL64N32',
    em: EM.EM_MIPS,
    bits: 32,
    endian: 'little',
    n32: true,
    nrBias: 6000,
    multiplexed: false,
    goArch: 'mips64p32le',
    seccompGoName: 'mipsel64n32',
  }),
  record({
    name: 'ppc',
    auditArchName: 'AUDIT_ARCH_PPC',
    em: EM.EM_PPC,
    bits: 32,
    endian: 'big',
    nrBias: 0,
    multiplexed: true,
    goArch: null,
    seccompGoName: 'ppc',
  }),
  record({
    name: 'ppc64',
    auditArchName: 'AUDIT_ARCH_PPC64',
    em: EM.EM_PPC64,
    bits: 64,
    endian: 'big',
    nrBias: 0,
    multiplexed: true,
    goArch: 'ppc64',
    seccompGoName: 'ppc64',
  }),
  record({
    name: 'ppc64le',
    auditArchName: 'AUDIT_ARCH_PPC64LE',
    em: EM.EM_PPC64,
    bits: 64,
    endian: 'little',
    nrBias: 0,
    multiplexed: true,
    goArch: 'ppc64le',
    seccompGoName: 'ppc64le',
  }),
  record({
    name: 's390',
    auditArchName: 'AUDIT_ARCH_S390',
    em: EM.EM_S390,
    bits: 32,
    endian: 'big',
    nrBias: 0,
    multiplexed: true,
    goArch: null,
    seccompGoName: 's390',
  }),
  record({
    name: 's390x',
    auditArchName: 'AUDIT_ARCH_S390X',
    em: EM.EM_S390,
    bits: 64,
    endian: 'big',
    nrBias: 0,
    multiplexed: true,
    goArch: 's390x',
    seccompGoName: 's390x',
  }),
  record({
    name: 'riscv64',
    auditArchName: 'AUDIT_ARCH_RISCV64',
    em: EM.EM_RISCV,
    bits: 64,
    endian: 'little',
    nrBias: 0,
    multiplexed: false,
    goArch: 'riscv64',
    seccompGoName: 'riscv64',
  }),
  record({
    name: 'loongarch64',
    auditArchName: 'AUDIT_ARCH_LOONGARCH64',
    em: EM.EM_LOONGARCH,
    bits: 64,
    endian: 'little',
    nrBias: 0,
    multiplexed: false,
    goArch: 'loong64',
    seccompGoName: 'loong64',
  }),
  record({
    name: 'parisc',
    auditArchName: 'AUDIT_ARCH_PARISC',
    em: EM.EM_PARISC,
    bits: 32,
    endian: 'big',
    nrBias: 0,
    multiplexed: false,
    goArch: null,
    seccompGoName: 'parisc',
  }),
  record({
    name: 'parisc64',
    auditArchName: 'AUDIT_ARCH_PARISC64',
    em: EM.EM_PARISC,
    bits: 64,
    endian: 'big',
    nrBias: 0,
    multiplexed: false,
    goArch: null,
    seccompGoName: 'parisc64',
  }),
]);

/** Every arch name, in {@link ARCHES} order. */
export const ARCH_NAMES: readonly ArchName[] = Object.freeze(ARCHES.map((a) => a.name));

const byName = new Map<string, ArchInfo>(ARCHES.map((a) => [a.name, a]));
const byScmp = new Map<string, ArchInfo>(ARCHES.map((a) => [a.scmpName, a]));
const byGo = new Map<string, ArchInfo>(
  ARCHES.flatMap((a) => (a.goArch === null ? [] : [[a.goArch, a] as const])),
);
const bySeccompGo = new Map<string, ArchInfo>(ARCHES.map((a) => [a.seccompGoName, a]));

/** True when `name` is one of our arch names. */
export function isArchName(name: string): name is ArchName {
  return byName.has(name);
}

/** The record for an arch name; throws UsageError (with the valid names) for anything else. */
export function archInfo(name: string): ArchInfo {
  const a = byName.get(name);
  if (a === undefined) {
    throw new UsageError(
      `unknown architecture '${name}' (expected one of: ${ARCH_NAMES.join(', ')})`,
    );
  }
  return a;
}

/** The record for `SCMP_ARCH_X86_64`-style names (as in Docker/OCI profiles), or undefined. */
export function archByScmpName(scmpName: string): ArchInfo | undefined {
  return byScmp.get(scmpName);
}

/** The record for a Go `GOARCH` (`amd64`, `arm64`, `386`, `mips64le`, `loong64`, ...), or undefined. */
export function archByGoArch(goArch: string): ArchInfo | undefined {
  return byGo.get(goArch);
}

/** The record for a libseccomp-golang name (`amd64`, `x86`, `mipsel64`, `loong64`, ...), or undefined. */
export function archBySeccompGoName(name: string): ArchInfo | undefined {
  return bySeccompGo.get(name);
}

/**
 * The arches whose `seccomp_data.arch` is `token`. x86_64 and x32 share AUDIT_ARCH_X86_64, so
 * that token yields both (tell them apart by bit 30 of the syscall number, see {@link archForAudit}).
 */
export function archesByAuditArch(token: number): readonly ArchInfo[] {
  return byAuditArch.get(token >>> 0) ?? NO_ARCHES;
}

const NO_ARCHES: readonly ArchInfo[] = Object.freeze([]);
/** The arches of each audit token (looked up once per audit record). */
const byAuditArch = new Map<number, readonly ArchInfo[]>();
for (const a of ARCHES) byAuditArch.set(a.auditArch, [...(byAuditArch.get(a.auditArch) ?? []), a]);

/** The single arch a (token, syscall number) pair belongs to: x32 when the token is x86_64's and bit 30 is set. */
export function archForAudit(token: number, nr?: number): ArchInfo | undefined {
  const found = archesByAuditArch(token);
  if (found.length <= 1) return found[0];
  const x32 = nr !== undefined && nr >= 0 && (nr & X32_SYSCALL_BIT) !== 0;
  return found.find((a) => (a.name === 'x32') === x32);
}

/**
 * Resolves any spelling to an arch: our name, `SCMP_ARCH_*` (any case), a GOARCH, a
 * libseccomp-golang name, `i386`/`i686`, or a `0x...` audit token. Throws UsageError otherwise.
 */
export function resolveArch(text: string): ArchInfo {
  const t = text.trim();
  const direct = byName.get(t) ?? byScmp.get(t.toUpperCase()) ?? byGo.get(t) ?? bySeccompGo.get(t);
  if (direct !== undefined) return direct;
  const lower = t.toLowerCase();
  const aliases: Readonly<Record<string, ArchName>> = {
    i386: 'x86',
    i686: 'x86',
    x86_32: 'x86',
    arm64: 'aarch64',
    amd64: 'x86_64',
  };
  const alias = aliases[lower] ?? (isArchName(lower) ? lower : undefined);
  if (alias !== undefined) return archInfo(alias);
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const found = archForAudit(Number.parseInt(t, 16));
    if (found !== undefined) return found;
  }
  throw new UsageError(
    `unknown architecture '${text}' (expected one of: ${ARCH_NAMES.join(', ')})`,
  );
}
