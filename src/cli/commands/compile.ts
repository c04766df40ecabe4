import type { Command } from 'commander';
import { resolveArch } from '../../arch/index.js';
import { disassemble } from '../../bpf/disasm.js';
import { encodeProgram, type Instruction } from '../../bpf/instruction.js';
import { compileProfile, type CompileResult } from '../../compile/compile.js';
import { symbolicAnnotator } from '../../compile/explain.js';
import { formatStats } from '../../compile/stats.js';
import { UsageError } from '../../document/errors.js';
import {
  addHostOptions,
  describeStack,
  loadForHost,
  loaderJson,
  stackJson,
  type HostOptions,
} from '../host.js';
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

/** Render one filter in one format (`raw` and `json` are whole-result formats, see renderCompiled). */
function renderOne(
  program: readonly Instruction[],
  format: Exclude<CompileFormat, 'raw' | 'json'>,
  title: string,
  endian: 'little' | 'big',
): string {
  switch (format) {
    case 'hex':
      return (
        program
          .map((_, i) =>
            Buffer.from(encodeProgram(program.slice(i, i + 1), 'host')).toString('hex'),
          )
          .join('\n') + '\n'
      );
    case 'c':
      return formatC(program, title);
    case 'disasm':
      return disassemble(program, { endian, annotate: symbolicAnnotator() });
    default: {
      const never: never = format;
      return never;
    }
  }
}

/**
 * Render a compile result in one format. A program split into stacked filters (`c.filters`, more than
 * one) renders every filter, in load order: `disasm`, `hex` and `c` one after another under a `#`
 * comment line (C: a comment) naming it; `json` lists them in `filters`; `raw` has no room for more than
 * one program, so it renders the first (the CLI writes one file per filter).
 */
export function renderCompiled(
  c: CompileResult,
  format: CompileFormat,
  title: string,
  endian: 'little' | 'big',
  extra: {
    readonly stack?: unknown;
    readonly loader?: unknown;
    readonly notes?: readonly string[];
  } = {},
): string | Uint8Array {
  if (format === 'raw') return encodeProgram(c.program, 'host');
  if (format === 'json') {
    return (
      toJson({
        instructions: c.program,
        ...(c.filters.length > 1 && { filters: c.filters }),
        stats: c.stats,
        ...(extra.stack !== undefined && { stack: extra.stack }),
        ...(extra.loader !== undefined && { loader: extra.loader }),
        notes: [...(extra.notes ?? []), ...c.plan.notes],
      }) + '\n'
    );
  }
  if (c.filters.length === 1) return renderOne(c.program, format, title, endian);
  const n = c.filters.length;
  return c.filters
    .map((f, i) => {
      const head = `filter ${i + 1} of ${n} stacked filters (load all; the kernel keeps the most restrictive action)`;
      const body = renderOne(f, format, `${title}, ${head}`, endian);
      return format === 'c'
        ? body.replace(/\bfilter\b/g, `filter${i + 1}`).replace(/\bprog\b/g, `prog${i + 1}`)
        : `# ${head}\n${body}`;
    })
    .join(format === 'c' ? '\n' : '');
}

/** Paths the raw filters of a split are written to: FILE, FILE.2, FILE.3, ... */
export function splitPaths(file: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? file : `${file}.${i + 1}`));
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
json is {instructions, stats} ({instructions, filters, stats} when split).

A program longer than BPF_MAXINSNS (4096) is split into stacked filters that decide the same together
(the kernel runs every filter and keeps the most restrictive action; 32768 instructions in all):
--stats says so, raw -o FILE writes FILE, FILE.2, ..., one per filter, to load with one
'bwrap --add-seccomp-fd FD' each. This is for sysgate's own loaders: runc, crun and Docker build their
filter from the profile with libseccomp (see 'sysgate validate' for whether theirs fits).

Examples:
  sysgate compile default.json --arch x86_64 --caps none --stats
  sysgate compile default.json --stack current --stats        # current Docker, runc and libseccomp
  sysgate compile default.json --format raw -o filter.bpf && bwrap --seccomp 9 9<filter.bpf ... 
  sysgate compile default.json --format c -o filter.h
  sysgate compile big.json --format raw -o big.bpf   # split: big.bpf, big.bpf.2: bwrap --add-seccomp-fd 10 10<big.bpf --add-seccomp-fd 11 11<big.bpf.2 ...`,
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
        stack: host.stack.versions,
        optimize: opts.optimize,
        stats: opts.stats === true || format === 'json',
        split: true,
      });
      const endian = resolveArch(host.arch).endian;
      const title = `sysgate compile ${file} --arch ${host.arch}`;
      const target = opts.output ?? '-';
      if (format === 'raw' && target === '-' && process.stdout.isTTY) {
        throw new UsageError('refusing to write raw BPF to a terminal; use -o FILE or redirect');
      }
      if (format === 'raw' && c.filters.length > 1) {
        if (target === '-') {
          throw new UsageError(
            `the program was split into ${c.filters.length} stacked filters, which one raw stream cannot hold; ` +
              'use -o FILE (writes FILE, FILE.2, ...) or another --format',
          );
        }
        const paths = splitPaths(target, c.filters.length);
        c.filters.forEach((f, i) => {
          writeOutput(paths[i] ?? target, encodeProgram(f, 'host'));
        });
        err(
          `split into ${c.filters.length} stacked filters: ${paths.join(', ')}; load every one, e.g. bwrap ` +
            paths.map((p, i) => `--add-seccomp-fd ${10 + i} ${10 + i}<${p}`).join(' ') +
            ' ... (runc, crun and Docker build their own filter from the profile with libseccomp)',
        );
      } else
        writeOutput(
          target,
          renderCompiled(c, format, title, endian, {
            stack: stackJson(host.stack),
            loader: loaderJson(host.stack),
            notes: host.stackNotes,
          }),
        );
      if (opts.stats === true) {
        const notes = [...host.stackNotes, ...c.plan.notes];
        const text =
          formatStats(c.stats) +
          `\nstack: ${describeStack(host.stack)}` +
          (notes.length > 0 ? '\n' + notes.map((n) => `note: ${n}`).join('\n') : '');
        if (target === '-') err(text);
        else out(text);
      }
    });
}
