/**
 * The data an HTML report shows, computed in Node from the real engine: the attack surface against a
 * reference, the allowed syscalls by category (with who used them and how often, from evidence), the
 * argument rules in words, the refused dangerous calls with risk and reason, lint findings, the
 * semantic diff against a baseline, and the resolved profile the page's "try a syscall" box compiles.
 */
import type { ArchName } from '../arch/types.js';
import type { LibseccompVersion } from '../arch/syscalls.js';
import { CATEGORY_LABELS, categoryOf, criticalSyscalls, riskOf } from '../kb/index.js';
import { syscallNumber } from '../arch/syscalls.js';
import type { RiskLevel, SyscallCategory } from '../kb/types.js';
import type { ResolvedProfile } from '../profile/resolve.js';
import type { ArgCondition } from '../profile/types.js';
import type { Evidence } from '../generate/evidence.js';
import { familyName } from '../generate/symbols.js';
import { attackSurface, surfaceReduction, type AbiSurface } from '../review/score.js';
import { diffFilters, describeRegion, type FilterSide } from '../review/diff.js';
import type { Finding } from '../review/lint/types.js';
import type { ViolationReport } from '../operate/violations.js';

/** One allowed syscall as the report lists it. */
export interface ReportSyscall {
  readonly name: string;
  readonly exposure: 'allowed' | 'conditional';
  readonly risk: RiskLevel;
  /** Process names that made it, from the evidence. */
  readonly usedBy: readonly string[];
  /** Calls seen in the evidence. */
  readonly count: number;
}

/** What the page needs. */
export interface ReportModel {
  readonly title: string;
  readonly generated: string;
  readonly host: {
    readonly arch: ArchName;
    readonly abis: readonly ArchName[];
    readonly libseccomp: LibseccompVersion;
  };
  readonly defaultAction: string;
  readonly score: readonly {
    readonly abi: ArchName;
    readonly allowed: number;
    readonly conditional: number;
    readonly refused: number;
    readonly against: { readonly label: string; readonly reachable: number };
    readonly reduction: number | null;
  }[];
  readonly categories: readonly {
    readonly label: string;
    readonly syscalls: readonly ReportSyscall[];
  }[];
  readonly argumentRules: readonly {
    readonly pointer: string;
    readonly line?: number;
    readonly text: string;
  }[];
  readonly refusals: readonly {
    readonly name: string;
    readonly risk: RiskLevel;
    readonly reason: string;
  }[];
  readonly lint: readonly Pick<
    Finding,
    'rule' | 'severity' | 'pointer' | 'line' | 'column' | 'message'
  >[];
  readonly diff?: {
    readonly against: string;
    readonly differences: readonly {
      abi: string;
      syscall: string;
      old: string;
      new: string;
      change: string;
      where: string;
    }[];
  };
  /** Kernel-log violations, when logs were given: the groups with their time span, and totals. */
  readonly violations?: {
    readonly records: number;
    readonly suppressed: number;
    readonly groups: readonly {
      readonly who: string;
      readonly syscall: string;
      readonly abi: string;
      readonly action: string;
      readonly count: number;
      readonly firstMs?: number;
      readonly lastMs?: number;
      readonly risk: string;
      readonly profile?: string;
      readonly change?: string;
    }[];
  };
  /** The resolved profile (64-bit values as decimal strings) and rule positions, for the try box. */
  readonly tryBox: {
    readonly file: string;
    readonly profile: unknown;
    readonly positions: Readonly<Record<string, { line: number; column: number }>>;
  };
}

/** Inputs of {@link reportModel}. */
export interface ReportInputs {
  readonly file: string;
  readonly resolved: ResolvedProfile;
  readonly side: FilterSide;
  readonly against: FilterSide;
  readonly baseline?: FilterSide;
  readonly evidence?: Evidence;
  readonly lint: readonly Finding[];
  readonly violations?: ViolationReport;
  readonly abis: readonly ArchName[];
  readonly libseccomp: LibseccompVersion;
  readonly locate: (pointer: string) => { line: number; column: number } | undefined;
  readonly now: Date;
}

/** Violation groups shown at most (most records first). */
const MAX_VIOLATION_GROUPS = 50;

const OPS: Readonly<Record<string, string>> = {
  SCMP_CMP_EQ: '==',
  SCMP_CMP_NE: '!=',
  SCMP_CMP_LT: '<',
  SCMP_CMP_LE: '<=',
  SCMP_CMP_GT: '>',
  SCMP_CMP_GE: '>=',
};

/** One argument condition in words: `args[0] == 1 (AF_UNIX)`, `args[0] & 0x7e020000 == 0`. */
export function conditionText(name: string, c: ArgCondition): string {
  const hex = (v: bigint): string => (v < 10n ? String(v) : `0x${v.toString(16)}`);
  const symbol = name === 'socket' && c.index === 0 ? familyName(c.value) : undefined;
  const value = `${hex(c.value)}${symbol === undefined ? '' : ` (${symbol})`}`;
  if (c.op === 'SCMP_CMP_MASKED_EQ')
    return `args[${c.index}] & ${hex(c.value)} == ${hex(c.valueTwo)}`;
  return `args[${c.index}] ${OPS[c.op] ?? c.op} ${value}`;
}

/** JSON-safe copy of a value with bigints as decimal strings. */
export function jsonSafe(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)),
  ) as unknown;
}

/** Compute the report's model. */
export function reportModel(i: ReportInputs): ReportModel {
  const mine = attackSurface(i.side, i.abis);
  const ref = attackSurface(i.against, i.abis);
  const used = new Map<string, { by: Set<string>; count: number }>();
  for (const s of i.evidence?.syscalls ?? []) {
    const u = used.get(s.name) ?? { by: new Set<string>(), count: 0 };
    for (const p of s.processes) u.by.add(p);
    u.count += s.count;
    used.set(s.name, u);
  }
  const native: AbiSurface | undefined = mine[0];
  const byCategory = new Map<SyscallCategory, ReportSyscall[]>();
  const add = (name: string, exposure: 'allowed' | 'conditional'): void => {
    const c = categoryOf(name);
    const list = byCategory.get(c) ?? [];
    const u = used.get(name);
    list.push({
      name,
      exposure,
      risk: riskOf(name).level,
      usedBy: [...(u?.by ?? [])].sort(),
      count: u?.count ?? 0,
    });
    byCategory.set(c, list);
  };
  for (const n of native?.allowed ?? []) add(n, 'allowed');
  for (const n of native?.conditional ?? []) add(n, 'conditional');
  const categories = [...byCategory.entries()]
    .map(([c, list]) => ({
      label: CATEGORY_LABELS[c],
      syscalls: list.sort((a, b) => a.name.localeCompare(b.name)),
    }))
    .sort((a, b) => a.label.localeCompare(b.label));

  const argumentRules = i.resolved.syscalls
    .filter((r) => r.args.length > 0)
    .map((r) => {
      const at = i.locate(r.pointer);
      const verb = r.action === 'SCMP_ACT_ALLOW' ? 'allowed only when' : `${r.action} when`;
      return {
        pointer: r.pointer,
        ...(at === undefined ? {} : { line: at.line }),
        text: `${r.names.join(', ')}: ${verb} ${r.args.map((c) => conditionText(r.names[0] ?? '', c)).join(' and ')}`,
      };
    });

  const reachable = new Set([...(native?.allowed ?? []), ...(native?.conditional ?? [])]);
  // The knowledge base's critical and high-risk syscalls (kb criticalSyscalls) this ABI has and the
  // profile never lets run, most dangerous first.
  const nativeAbi = native?.abi ?? i.resolved.host.arch;
  const refusals = criticalSyscalls()
    .filter((n) => syscallNumber(nativeAbi, n) !== undefined && !reachable.has(n))
    .map((name) => {
      const r = riskOf(name);
      return { name, risk: r.level, reason: r.reason };
    });

  const positions: Record<string, { line: number; column: number }> = {};
  i.resolved.syscalls.forEach((r) => {
    const at = i.locate(r.pointer);
    if (at !== undefined) positions[r.pointer] = at;
  });

  const diff =
    i.baseline === undefined
      ? undefined
      : {
          against: i.baseline.label,
          differences: diffFilters(i.baseline, i.side, {
            abis: i.abis,
            maxRegions: 1,
          }).differences.map((d) => ({
            abi: d.abi,
            syscall: d.syscall,
            old: d.old,
            new: d.new,
            change: d.change,
            where: describeRegion(d.region),
          })),
        };

  const violations =
    i.violations === undefined
      ? undefined
      : {
          records: i.violations.records,
          suppressed: i.violations.suppressed,
          groups: i.violations.groups.slice(0, MAX_VIOLATION_GROUPS).map((g) => {
            const c = g.verdict?.change;
            return {
              who: [g.container, g.comm ?? g.exe].filter((x) => x !== undefined).join(' / ') || '?',
              syscall: g.syscall,
              abi: g.abi ?? '?',
              action: g.action,
              count: g.count,
              ...(g.firstMs === undefined ? {} : { firstMs: g.firstMs }),
              ...(g.lastMs === undefined ? {} : { lastMs: g.lastMs }),
              risk: g.risk.level,
              ...(g.verdict === undefined ? {} : { profile: g.verdict.action }),
              ...(c === undefined
                ? {}
                : {
                    change:
                      c.kind === 'allow'
                        ? `allow ${c.rule.names.join(', ')}`
                        : c.kind === 'never-allow'
                          ? `never allow: ${c.reason}`
                          : c.kind === 'add-arch'
                            ? `add ${c.architecture}`
                            : c.kind === 'check-arguments'
                              ? c.reason
                              : 'none',
                  }),
            };
          }),
        };

  return {
    title: i.file,
    generated: i.now.toISOString(),
    host: { arch: i.resolved.host.arch, abis: i.abis, libseccomp: i.libseccomp },
    defaultAction: i.resolved.defaultAction,
    score: mine.map((m, k) => {
      const r = ref[k];
      return {
        abi: m.abi,
        allowed: m.allowed.length,
        conditional: m.conditional.length,
        refused: m.refused,
        against: {
          label: i.against.label,
          reachable: (r?.allowed.length ?? 0) + (r?.conditional.length ?? 0),
        },
        reduction: r === undefined ? null : surfaceReduction(m, r).total,
      };
    }),
    categories,
    argumentRules,
    refusals,
    lint: i.lint.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      pointer: f.pointer,
      line: f.line,
      column: f.column,
      message: f.message,
    })),
    ...(diff === undefined ? {} : { diff }),
    ...(violations === undefined ? {} : { violations }),
    tryBox: { file: i.file, profile: jsonSafe(i.resolved), positions },
  };
}
