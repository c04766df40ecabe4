import type { Command } from 'commander';
import {
  archForAudit,
  archesByAuditArch,
  errnoName,
  syscallName,
  type ArchInfo,
} from '../../arch/index.js';
import {
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  checkProgram,
  decodeProgram,
  disassemble,
  disassembleLines,
  type Annotator,
  type Instruction,
} from '../../bpf/index.js';
import { UsageError } from '../../document/errors.js';
import { parseArchOption, parseEndian } from '../host.js';
import { err, out, outJson, paint, readInputBytes } from '../io.js';

/** Options of `sysgate disasm`. */
interface DisasmCliOptions {
  readonly arch?: string;
  readonly endian?: string;
  readonly json?: boolean;
}

/**
 * Read a filter: raw `struct sock_filter` bytes, or hex text (whitespace ignored, optional `0x`
 * prefixes), as `sysgate asm --format hex` writes.
 */
export function readFilter(file: string, endian: 'little' | 'big'): Instruction[] {
  const bytes = readInputBytes(file);
  const text = bytes.toString('latin1');
  if (bytes.length > 0 && /^[\s0-9a-fA-Fx,]*$/.test(text)) {
    const digits = text.replace(/0x/gi, '').replace(/[\s,]/g, '');
    if (digits.length % 16 !== 0 || !/^[0-9a-f]*$/i.test(digits)) {
      throw new UsageError(
        `${file}: hex input must hold whole 8-byte instructions (16 hex digits each)`,
      );
    }
    return decodeProgram(Uint8Array.from(Buffer.from(digits, 'hex')), endian);
  }
  return decodeProgram(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), endian);
}

/** Names syscalls (for the arch the program pinned, else `fallback`), AUDIT_ARCH tokens and errnos. */
export function archAnnotator(fallback: ArchInfo | undefined): Annotator {
  return (s) => {
    if (s.kind === 'return') {
      if ((s.value & SECCOMP_RET_ACTION_FULL) >>> 0 !== SECCOMP_RET_ERRNO) return undefined;
      return errnoName(s.value & SECCOMP_RET_DATA, fallback?.name);
    }
    if (s.field === 'arch') {
      const names = [...new Set(archesByAuditArch(s.value).map((a) => a.auditArchName))];
      return names.length === 0 ? undefined : names.join('/');
    }
    const arch = s.arch !== undefined ? archForAudit(s.arch, s.value) : fallback;
    if (arch === undefined) return undefined;
    return syscallName(arch.name, s.value);
  };
}

/** `sysgate disasm`: list a raw filter in seccomp-tools' layout. */
export function register(program: Command): void {
  program
    .command('disasm')
    .description('disassemble a classic BPF seccomp filter (raw struct sock_filter bytes or hex)')
    .argument('<file>', "filter file, '-' for standard input")
    .option('--arch <arch>', 'architecture to name syscalls after (also sets the byte order)')
    .option(
      '--endian <order>',
      'byte order of the filter: little, big or host (default: the arch, else host)',
    )
    .option('--json', 'print the instructions as JSON')
    .addHelpText(
      'after',
      `
Syscall numbers are named after the architecture the filter itself checks for, else after --arch.
A filter the kernel would refuse is still listed, with a warning on standard error.

Examples:
  sysgate compile profile.json --format raw -o filter.bpf && sysgate disasm filter.bpf --arch x86_64
  sysgate asm filter.asm --format hex | sysgate disasm - --json`,
    )
    .action((file: string, opts: DisasmCliOptions) => {
      const arch = opts.arch === undefined ? undefined : parseArchOption(opts.arch);
      const endian = parseEndian(opts.endian, arch);
      const prog = readFilter(file, endian);
      const annotate = archAnnotator(arch);
      const problem = checkProgram(prog);
      if (opts.json === true) {
        outJson({
          arch: arch?.name ?? null,
          endian,
          length: prog.length,
          valid: problem === undefined,
          error:
            problem === undefined
              ? null
              : { code: problem.code, pc: problem.pc, message: problem.message },
          instructions: disassembleLines(prog, { endian, annotate }),
        });
        return;
      }
      out(disassemble(prog, { endian, annotate }).trimEnd());
      if (problem !== undefined) {
        err(
          `${paint('yellow', 'warning', process.stderr)}[${problem.code}]: the kernel would refuse this filter: ${problem.message}`,
        );
      }
    });
}
