/** The architecture of the machine sysgate runs on (the default of every `--arch`). */
import { endianness } from 'node:os';
import { UsageError } from '../document/errors.js';
import type { ArchName } from './types.js';

/** The arch this process runs on: Node's `process.arch` (with the byte order) -> our arch name. */
export function hostArch(
  nodeArch: string = process.arch,
  littleEndian = endianness() === 'LE',
): ArchName {
  const map: Readonly<Record<string, ArchName>> = {
    x64: 'x86_64',
    ia32: 'x86',
    arm64: 'aarch64',
    arm: 'arm',
    s390x: 's390x',
    s390: 's390',
    ppc64: littleEndian ? 'ppc64le' : 'ppc64',
    ppc: 'ppc',
    riscv64: 'riscv64',
    loong64: 'loongarch64',
    mips: 'mips',
    mipsel: 'mipsel',
    mips64: 'mips64',
    mips64el: 'mipsel64',
  };
  const arch = map[nodeArch];
  if (arch === undefined)
    throw new UsageError(`cannot map host architecture '${nodeArch}'; pass --arch`);
  return arch;
}
