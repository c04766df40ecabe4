import { release } from 'node:os';
import type { Command } from 'commander';
import { resolveArch, type ArchName } from '../../arch/index.js';
import type { LibseccompVersion } from '../../arch/syscalls.js';
import { disassemble } from '../../bpf/disasm.js';
import { encodeProgram, type Instruction } from '../../bpf/instruction.js';
import { compileProfile, type CompileResult } from '../../compile/compile.js';
import { symbolicAnnotator } from '../../compile/explain.js';
import { formatStats } from '../../compile/stats.js';
import { UsageError } from '../../errors.js';
import { loadProfile } from '../../profile/load.js';
import {
  parseKernelRelease,
  resolveProfile,
  type KernelVersion,
  type ResolvedProfile,
} from '../../profile/resolve.js';
import type { LoadedProfile } from '../../profile/types.js';
import { err, out, readInput, toJson, writeOutput } from '../io.js';
import { hostArch } from './syscalls.js';

/** The bounding capabilities Docker gives a container by default (moby `oci/caps/defaults.go`). */
export const DOCKER_DEFAULT_CAPS: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Host options shared by `compile` and `explain`. */
export interface HostOptions {
  readonly arch?: string | undefined;
  readonly caps?: string | undefined;
  readonly kernel?: string | undefined;
  readonly libseccomp?: string | undefined;
}

/** A profile loaded and resolved for one host. */
export interface LoadedForHost {
  readonly loaded: LoadedProfile;
  readonly resolved: ResolvedProfile;
  readonly arch: ArchName;
  readonly libseccomp: LibseccompVersion;
}

/** Parse `--caps`: `none`, or a comma list with or without the `CAP_` prefix; default Docker's set. */
export function parseCaps(text: string | undefined): string[] {
  if (text === undefined) return [...DOCKER_DEFAULT_CAPS];
  if (text.trim() === 'none' || text.trim() === '') return [];
  return text
    .split(',')
    .map((c) => c.trim().toUpperCase())
    .filter((c) => c !== '')
    .map((c) => (c.startsWith('CAP_') ? c : `CAP_${c}`));
}

/** Parse `--kernel X.Y`; default the running kernel. */
export function parseKernel(text: string | undefined): KernelVersion {
  const k = parseKernelRelease(text ?? release());
  if (k === undefined) throw new UsageError(`--kernel: expected X.Y, got '${text ?? release()}'`);
  return k;
}

/** Parse `--libseccomp`. */
export function parseLibseccomp(text: string | undefined): LibseccompVersion {
  if (text === undefined || text === '2.5.4' || text === '2.5') return '2.5.4';
  if (text === '2.6' || text.startsWith('2.6.')) return '2.6';
  throw new UsageError(`--libseccomp: expected 2.5.4 or 2.6, got '${text}'`);
}

/** Load a profile file and resolve it for the host described by the options. */
export function loadForHost(file: string, opts: HostOptions): LoadedForHost {
  const arch = opts.arch === undefined ? hostArch() : resolveArch(opts.arch).name;
  const libseccomp = parseLibseccomp(opts.libseccomp);
  const loaded = loadProfile(file, readInput(file), { libseccomp });
  for (const w of loaded.warnings)
    err(`${file}: warning[${w.code}]: ${w.message}${w.pointer ? ` (at ${w.pointer})` : ''}`);
  const resolved = resolveProfile(loaded.profile, {
    arch,
    caps: parseCaps(opts.caps),
    kernel: parseKernel(opts.kernel),
  });
  if (resolved === null)
    throw new UsageError(
      `${file}: the profile has no defaultAction and no syscalls; Docker runs without seccomp`,
      'seccomp-off',
    );
  return { loaded, resolved, arch, libseccomp };
}

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
  program
    .command('compile')
    .description('compile a profile to an optimised classic BPF seccomp filter for one host')
    .argument('<profile>', "profile file ('-' for stdin)")
    .option('--arch <arch>', 'host architecture (default: this machine)')
    .option(
      '--caps <list>',
      "container bounding capabilities, comma separated, or 'none' (default: Docker's)",
    )
    .option('--kernel <X.Y>', 'kernel version for minKernel (default: the running kernel)')
    .option('--libseccomp <version>', 'libseccomp syscall table: 2.5.4 or 2.6', '2.5.4')
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
