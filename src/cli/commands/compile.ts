import type { Command } from 'commander';
import { resolveArch } from '../../arch/index.js';
import { disassemble } from '../../bpf/disasm.js';
import { encodeProgram, type Instruction } from '../../bpf/instruction.js';
import { compileProfile, type CompileResult } from '../../compile/compile.js';
import { symbolicAnnotator } from '../../compile/explain.js';
import { formatStats } from '../../compile/stats.js';
import { UsageError } from '../../document/errors.js';
import { addHostOptions, loadForHost, type HostOptions } from '../host.js';
import { err, out, toJson, writeOutput } from '../io.js';

/** Output formats of `sysgate compile`. */
export const COMPILE_FORMATS = ['raw', 'hex', 'c', 'disasm', 'json'] as const;
/** One output format. */
export type CompileFormat = (typeof COMPILE_FORMATS)[number];

/** A C array of `struct sock_filter` plus its `struct sock_fprog`. */
export function formatC(program: readonly Instruction[], title: string): string {
  const lines = program.map((i) => {
    const code = `0x${i.code.toString(16).padStart(2, '0')}`;
    return `\t{ ${code}, ${i.jt}, ${i.jf}, 0x${i.k.toString(16).padStart(8, '0')} },`;
  });
  return [
    `/* ${title.replaceAll('*/', '* /')}: ${program.length} instructions */`,
    '#include <linux/filter.h>',
    '',
    'struct sock_filter filter[] = {',
    ...lines,
    '};',
    '',
    'struct sock_fprog prog = {',
    '\t.len = (unsigned short)(sizeof(filter) / sizeof(filter[0])),',
    '\t.filter = filter,',
    '};',
    '',
  ].join('\n');
}

/** Render a compile result in one format. */
export function renderCompiled(
  c: CompileResult,
  format: CompileFormat,
  title: string,
  endian: 'little' | 'big',
): string | Uint8Array {
  switch (format) {
    case 'raw':
      return encodeProgram(c.program, 'host');
    case 'hex':
      return (
        c.program
          .map((_, i) =>
            Buffer.from(encodeProgram(c.program.slice(i, i + 1), 'host')).toString('hex'),
          )
          .join('\n') + '\n'
      );
    case 'c':
      return formatC(c.program, title);
    case 'disasm':
      return disassemble(c.program, { endian, annotate: symbolicAnnotator() });
    case 'json':
      return toJson({ instructions: c.program, stats: c.stats, notes: c.plan.notes }) + '\n';
    default: {
      const never: never = format;
      return never;
    }
  }
}

interface CompileCliOptions extends HostOptions {
  readonly format: string;
  readonly output?: string;
  readonly stats?: boolean;
  readonly optimize: boolean;
}

/** `sysgate compile`: a profile to a classic BPF filter. */
export function register(program: Command): void {
  const cmd = program
    .command('compile')
    .description('compile a profile to an optimised classic BPF seccomp filter for one host')
    .argument('<profile>', "profile file ('-' for stdin)");
  addHostOptions(cmd)
    .option('--format <format>', `output format: ${COMPILE_FORMATS.join(', ')}`, 'disasm')
    .option('-o, --output <file>', "write to FILE (atomically) instead of stdout ('-')")
    .option(
      '--stats',
      'print length, instructions executed per ABI and the kernel-cached syscall count',
    )
    .option('--no-optimize', 'emit the straightforward linear layout (for comparison)')
    .addHelpText(
      'after',
      `
Formats: raw is the bytes of struct sock_filter[] in host byte order (loadable with 'bwrap --seccomp FD');
hex is one instruction per line; c is a C array with its sock_fprog; disasm is an annotated listing;
json is {instructions, stats}.

Examples:
  sysgate compile default.json --arch x86_64 --caps none --stats
  sysgate compile default.json --format raw -o filter.bpf && bwrap --seccomp 9 9<filter.bpf ... 
  sysgate compile default.json --format c -o filter.h`,
    )
    .action((file: string, opts: CompileCliOptions) => {
      if (!(COMPILE_FORMATS as readonly string[]).includes(opts.format)) {
        throw new UsageError(
          `--format: expected one of ${COMPILE_FORMATS.join(', ')}, got '${opts.format}'`,
        );
      }
      const format = opts.format as CompileFormat;
      const host = loadForHost(file, opts);
      const c = compileProfile(host.resolved, {
        arch: host.arch,
        libseccompVersion: host.libseccomp,
        optimize: opts.optimize,
        stats: opts.stats === true || format === 'json',
      });
      const endian = resolveArch(host.arch).endian;
      const title = `sysgate compile ${file} --arch ${host.arch}`;
      const target = opts.output ?? '-';
      if (format === 'raw' && target === '-' && process.stdout.isTTY) {
        throw new UsageError('refusing to write raw BPF to a terminal; use -o FILE or redirect');
      }
      writeOutput(target, renderCompiled(c, format, title, endian));
      if (opts.stats === true) {
        const text =
          formatStats(c.stats) +
          (c.plan.notes.length > 0 ? '\n' + c.plan.notes.map((n) => `note: ${n}`).join('\n') : '');
        if (target === '-') err(text);
        else out(text);
      }
    });
}
