import type { Command } from 'commander';
import { assemble, encodeProgram, validate } from '../../bpf/index.js';
import { UsageError } from '../../document/errors.js';
import { parseArchOption, parseEndian } from '../host.js';
import { readInput, writeOutput } from '../io.js';

/** Options of `sysgate asm`. */
interface AsmCliOptions {
  readonly output: string;
  readonly format: string;
  readonly arch?: string;
  readonly endian?: string;
  readonly validate: boolean;
}

/** Hex text: one instruction (8 bytes, 16 hex digits) per line. */
export function toHexLines(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let o = 0; o < bytes.length; o += 8)
    lines.push(Buffer.from(bytes.subarray(o, o + 8)).toString('hex'));
  return lines.join('\n') + '\n';
}

/** `sysgate asm`: assemble a listing into a loadable filter. */
export function register(program: Command): void {
  program
    .command('asm')
    .description(
      'assemble a BPF listing (disasm output or bpf_asm-style text) into a seccomp filter',
    )
    .argument('<file>', "listing file, '-' for standard input")
    .option('-o, --output <file>', "output file, '-' for standard output", '-')
    .option(
      '--format <format>',
      'raw (struct sock_filter bytes) or hex (one instruction per line)',
      'raw',
    )
    .option(
      '--arch <arch>',
      'target architecture (sets the byte order and which half of a u64 is high)',
    )
    .option('--endian <order>', 'byte order: little, big or host (default: the arch, else host)')
    .option('--no-validate', "skip the kernel's load-time checks")
    .addHelpText(
      'after',
      `
Accepts its own disasm listing, seccomp-tools style (A = arch, if (A != 0x3e) goto kill, return ALLOW)
and bpf_asm style (ld [4], jeq #0xc000003e, ok, kill, ret #ERRNO(1)), with name: labels.
The result is checked like seccomp(2) checks it (exit 2 on a filter the kernel would refuse).

Examples:
  sysgate asm filter.asm -o filter.bpf
  sysgate disasm filter.bpf > filter.asm && sysgate asm filter.asm --format hex`,
    )
    .action((file: string, opts: AsmCliOptions) => {
      if (opts.format !== 'raw' && opts.format !== 'hex') {
        throw new UsageError(`--format must be raw or hex, not '${opts.format}'`);
      }
      const arch = opts.arch === undefined ? undefined : parseArchOption(opts.arch);
      const endian = parseEndian(opts.endian, arch);
      const prog = assemble(readInput(file), { endian });
      if (opts.validate) validate(prog);
      const bytes = encodeProgram(prog, endian);
      writeOutput(opts.output, opts.format === 'hex' ? toHexLines(bytes) : bytes);
    });
}
