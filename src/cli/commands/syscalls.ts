import type { Command } from 'commander';
import {
  ARCH_NAMES,
  hostArch,
  isSyscallName,
  suggestSyscall,
  syscallEntries,
  syscallEntry,
  syscallInfo,
  syscallName,
  type ArchName,
  type SyscallEntry,
} from '../../arch/index.js';
import { UsageError } from '../../document/errors.js';
import {
  CATEGORY_LABELS,
  RISK_LEVELS,
  SYSCALL_CATEGORIES,
  categoryLabel,
  DEFAULT_NEVER_ALLOW,
  dockerStatusLabel,
  isKnownSyscall,
  knownSyscallNames,
  parseCategory,
  riskAtLeast,
  syscallKb,
  type RiskLevel,
  type SyscallCategory,
} from '../../kb/index.js';
import { parseArchOption } from '../host.js';
import { out, outJson, paint } from '../io.js';
import { closest, didYouMean } from '../suggest.js';

/** Options of `sysgate syscalls`. */
interface SyscallsOptions {
  readonly arch?: string;
  readonly category?: string;
  readonly risk?: string;
  readonly json?: boolean;
}

/** Resolve `--arch` (default: this machine). */
function parseArch(text: string | undefined): ArchName {
  return text === undefined ? hostArch() : parseArchOption(text).name;
}

function parseCategoryOption(text: string | undefined): SyscallCategory | undefined {
  if (text === undefined) return undefined;
  const c = parseCategory(text);
  if (c !== undefined) return c;
  const hint = closest(text, [...SYSCALL_CATEGORIES, ...Object.values(CATEGORY_LABELS)]);
  throw new UsageError(
    `unknown category '${text}'${didYouMean(hint)}; expected one of: ${SYSCALL_CATEGORIES.join(', ')}`,
    'unknown-category',
  );
}

function parseRiskOption(text: string | undefined): RiskLevel | undefined {
  if (text === undefined) return undefined;
  const level = RISK_LEVELS.find((l) => l === text.toLowerCase());
  if (level !== undefined) return level;
  throw new UsageError(
    `unknown risk level '${text}'${didYouMean(closest(text, RISK_LEVELS))}; expected one of: ${RISK_LEVELS.join(', ')}`,
    'unknown-risk',
  );
}

/** A syscall number as typed: decimal or 0x hex. */
function parseNumber(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10);
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16);
  return undefined;
}

/** Resolve the NAME|NR argument to a syscall name (throws UsageError with a suggestion). */
function resolveSyscall(arg: string, arch: ArchName): string {
  const nr = parseNumber(arg);
  if (nr !== undefined) {
    const name = syscallName(arch, nr);
    if (name === undefined)
      throw new UsageError(`no syscall number ${arg} on ${arch}`, 'unknown-syscall');
    return name;
  }
  if (isSyscallName(arg) || isKnownSyscall(arg)) return arg;
  const hint = suggestSyscall(arg) ?? closest(arg, knownSyscallNames());
  throw new UsageError(`unknown syscall '${arg}'${didYouMean(hint)}`, 'unknown-syscall');
}

/** One row of the JSON output. */
function record(
  name: string,
  arch: ArchName,
  entry: SyscallEntry | undefined,
): Record<string, unknown> {
  const kb = syscallKb(name);
  const info = syscallInfo(name);
  return {
    name,
    nr: entry?.nr ?? null,
    arch,
    kernel: entry?.kernel ?? info?.kernel ?? null,
    numbers: info?.numbers ?? {},
    category: kb.category,
    categoryLabel: categoryLabel(kb.category),
    description: kb.description,
    risk: kb.risk.level,
    riskReason: kb.risk.reason,
    cves: kb.risk.cves,
    essential: kb.risk.essential,
    ...(kb.risk.escalation ? { riskEscalation: kb.risk.escalation } : {}),
    caps: kb.caps,
    docker: { ...kb.docker, label: dockerStatusLabel(kb.docker) },
    neverAllow: DEFAULT_NEVER_ALLOW[name] ?? [],
  };
}

const RISK_COLOR = {
  critical: 'red',
  high: 'magenta',
  medium: 'yellow',
  low: 'cyan',
  info: 'gray',
} as const;

/** Pad cells to column widths (the last column is not padded). */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)];
}

function printList(
  arch: ArchName,
  category: SyscallCategory | undefined,
  minRisk: RiskLevel | undefined,
): string[] {
  const entries = syscallEntries(arch).filter((e) => {
    const kb = syscallKb(e.name);
    return (
      (category === undefined || kb.category === category) &&
      (minRisk === undefined || riskAtLeast(kb.risk.level, minRisk))
    );
  });
  const rows = entries.map((e) => {
    const kb = syscallKb(e.name);
    return [
      String(e.nr),
      e.name,
      categoryLabel(kb.category),
      kb.risk.level,
      dockerStatusLabel(kb.docker),
    ];
  });
  const lines = table(['NR', 'NAME', 'CATEGORY', 'RISK', 'DOCKER DEFAULT'], rows);
  lines[0] = paint('bold', lines[0] ?? '');
  for (let i = 1; i < lines.length; i++) {
    const level = syscallKb(entries[i - 1]?.name ?? '').risk.level;
    if (level === 'critical' || level === 'high')
      lines[i] = paint(RISK_COLOR[level], lines[i] ?? '');
  }
  lines.push(
    '',
    `${String(entries.length)} syscall(s) on ${arch}` +
      (category === undefined ? '' : `, category ${categoryLabel(category)}`) +
      (minRisk === undefined ? '' : `, risk >= ${minRisk}`),
  );
  return lines;
}

function printDetails(name: string, arch: ArchName): string[] {
  const kb = syscallKb(name);
  const info = syscallInfo(name);
  const here = syscallEntry(arch, name);
  const lines: string[] = [];
  lines.push(paint('bold', name), `  ${kb.description}`, '');
  const field = (label: string, value: string): void => {
    lines.push(`  ${`${label}:`.padEnd(14)}${value}`);
  };
  field('number', here ? `${String(here.nr)} on ${arch}` : `none on ${arch}`);
  const present = ARCH_NAMES.filter((a) => info?.numbers[a] !== undefined);
  const absent = ARCH_NAMES.filter((a) => info?.numbers[a] === undefined);
  field(
    'on arches',
    present.length === 0
      ? '(not in the syscall tables)'
      : present.map((a) => `${a}=${String(info?.numbers[a])}`).join(' '),
  );
  if (present.length > 0 && absent.length > 0) field('absent on', absent.join(' '));
  // libseccomp's table starts at 3.0: that value means "3.0 or earlier".
  const added = here?.kernel ?? info?.kernel;
  field('kernel added', added == null ? 'unknown' : added === '3.0' ? '3.0 or earlier' : added);
  field('category', categoryLabel(kb.category));
  field(
    'risk',
    paint(RISK_COLOR[kb.risk.level], kb.risk.level) + (kb.risk.essential ? ' (essential)' : ''),
  );
  field('  reason', kb.risk.reason);
  if (kb.risk.escalation)
    field('  escalation', `${kb.risk.escalation.level} when ${kb.risk.escalation.when}`);
  if (kb.risk.cves.length > 0) field('  CVEs', kb.risk.cves.join(', '));
  field('capability', kb.caps.length === 0 ? 'none' : kb.caps.join(' or '));
  field('Docker', dockerStatusLabel(kb.docker));
  field('  reason', kb.docker.reason);
  if (kb.docker.errnoWhenDenied !== undefined)
    field('  denied with', `errno ${String(kb.docker.errnoWhenDenied)}`);
  const sources = DEFAULT_NEVER_ALLOW[kb.name];
  if (sources !== undefined)
    field(
      'never-allow',
      `on generate's default never-allow list (--deny), from the block list${sources.length === 1 ? '' : 's'} of the ${sources.join(' and ')} profile${sources.length === 1 ? '' : 's'}`,
    );
  return lines;
}

/** `sysgate syscalls`: the syscall table of an arch, or everything known about one syscall. */
export function register(program: Command): void {
  program
    .command('syscalls')
    .description('list the syscalls of an architecture, or show everything known about one syscall')
    .argument('[syscall]', 'syscall name or number (decimal or 0x hex) to describe')
    .option(
      '-a, --arch <arch>',
      "architecture (x86_64, aarch64, SCMP_ARCH_ARM, amd64...; default: the host's)",
    )
    .option('-c, --category <category>', `only this category (${SYSCALL_CATEGORIES.join(', ')})`)
    .option('-r, --risk <level>', `only syscalls at least this risky (${RISK_LEVELS.join(', ')})`)
    .option('--json', 'print a JSON array of objects (name, nr, category, risk, docker, ...)')
    .addHelpText(
      'after',
      `
The list shows number, name, category, risk of an unconditional allow and Docker's default-profile
status. With a NAME or NR it shows the numbers on every architecture, the kernel version that added
it, the description, risk with reason and CVEs, the gating capability and Docker's reason.

Examples:
  sysgate syscalls                           # the host architecture's table
  sysgate syscalls --arch aarch64 openat     # one syscall, its number on aarch64
  sysgate syscalls --arch x86 102            # which syscall is number 102 on i386 (socketcall)
  sysgate syscalls --category namespaces-mounts --json
  sysgate syscalls --risk high               # the critical list`,
    )
    .action((syscall: string | undefined, opts: SyscallsOptions) => {
      const arch = parseArch(opts.arch);
      const category = parseCategoryOption(opts.category);
      const minRisk = parseRiskOption(opts.risk);
      if (syscall !== undefined) {
        if (category !== undefined || minRisk !== undefined) {
          throw new UsageError(
            '--category and --risk filter the list; they cannot be combined with a syscall',
          );
        }
        const name = resolveSyscall(syscall, arch);
        if (opts.json === true) outJson([record(name, arch, syscallEntry(arch, name))]);
        else for (const l of printDetails(name, arch)) out(l);
        return;
      }
      if (opts.json === true) {
        outJson(
          syscallEntries(arch)
            .map((e) => record(e.name, arch, e))
            .filter(
              (r) =>
                (category === undefined || r.category === category) &&
                (minRisk === undefined || riskAtLeast(r.risk as RiskLevel, minRisk)),
            ),
        );
        return;
      }
      for (const l of printList(arch, category, minRisk)) out(l);
    });
}
