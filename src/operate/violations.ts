/**
 * Offline violation analysis: seccomp audit records found in any log text a user has (dmesg,
 * `journalctl -k`, kern.log, audit.log, `ausearch -i`), grouped by container, process, syscall and
 * outcome, with counts and first/last times. Given a profile's filter plan, each group also says what
 * that profile does with the call (the rule that decides it, through the decision model), the call's
 * risk, and the smallest change: an allow rule, or never allow for critical calls.
 *
 * Streaming: one pass, constant work per line, memory bounded by the number of groups (capped at
 * {@link MAX_GROUPS}; more go to one overflow count). Lines that are not seccomp records are counted.
 */
import {
  archForAudit,
  archInfo,
  syscallName,
  syscallNumber,
  type ArchName,
} from '../arch/index.js';
import { actionKind, seccompArgs, type SeccompActionKind } from '../bpf/seccomp.js';
import { decide } from '../compile/decide.js';
import { describeAction } from '../compile/explain.js';
import type { DecisionOrigin, FilterPlan } from '../compile/plan.js';
import { criticalSyscalls, riskOf } from '../kb/index.js';
import { auditCallRan, auditCodeKey, auditCodeKind, parseAuditLine } from '../trace/audit.js';
import type { AuditRecord } from '../trace/audit.js';
import { recordTimeMs, SUPPRESSED_RE } from '../trace/kernlog.js';
import { archFromAusearch } from '../trace/observe.js';

/** Most groups kept; records of further groups are counted in `overflow`. */
export const MAX_GROUPS = 10_000;
/** Most warnings kept (the rest are counted). */
const MAX_WARNINGS = 100;

/** An outcome as users read it: `LOG`, `ERRNO`, `KILL_PROCESS`..., or `UNKNOWN` (cut record). */
export type ViolationAction = Uppercase<SeccompActionKind> | 'UNKNOWN';

/** Every {@link ViolationAction}, the most severe first. */
export const VIOLATION_ACTIONS: readonly ViolationAction[] = [
  'KILL_PROCESS',
  'KILL_THREAD',
  'TRAP',
  'ERRNO',
  'USER_NOTIF',
  'TRACE',
  'LOG',
  'ALLOW',
  'UNKNOWN',
];

/** `text` as a {@link ViolationAction}, or undefined when it names none. */
export function violationAction(text: string | undefined): ViolationAction | undefined {
  return VIOLATION_ACTIONS.find((a) => a === text);
}

/** Which records to keep. */
export interface ViolationFilter {
  /** Keep records at or after this time (ms since the epoch); records without a time are dropped. */
  readonly sinceMs?: number;
  /** Keep records at or before this time (ms since the epoch); records without a time are dropped. */
  readonly untilMs?: number;
  /** Keep records of these process names (comm) or executables. */
  readonly comm?: readonly string[];
  /** Keep records of these outcomes. */
  readonly action?: readonly ViolationAction[];
  /** Keep records attributed to these containers (name or short id). */
  readonly container?: readonly string[];
}

/** What a profile does with a group's call, and the smallest change. */
export interface ProfileVerdict {
  /** The profile's action, e.g. `ERRNO(1) EPERM`, `ALLOW`. */
  readonly action: string;
  /** Whether that action lets the call run. */
  readonly runs: boolean;
  /** The rule (JSON pointer), the default, runc's ENOSYS stub or the bad-arch action. */
  readonly origin: DecisionOrigin;
  /** The profile decides this syscall on arguments the record does not carry (judged with zeros). */
  readonly onArguments: boolean;
  /**
   * `none` (it runs), an allow rule, never allow (critical), check the arguments (the profile
   * decides the call on arguments an audit record does not carry: record the workload to see them),
   * or add the ABI (the profile does not cover the record's arch, so the kernel refuses every call).
   */
  readonly change:
    | { readonly kind: 'none' }
    | { readonly kind: 'check-arguments'; readonly reason: string }
    | { readonly kind: 'add-arch'; readonly architecture: string }
    | { readonly kind: 'allow'; readonly rule: { names: string[]; action: 'SCMP_ACT_ALLOW' } }
    | { readonly kind: 'never-allow'; readonly reason: string };
}

/** Records of one container x process x syscall x outcome. */
export interface ViolationGroup {
  /** Container name or short id, when the log said. */
  readonly container?: string;
  /** Process name (comm). */
  readonly comm?: string;
  /** Executable. */
  readonly exe?: string;
  /** ABI of the call, from the record's arch (undefined when unknown). */
  readonly abi?: ArchName;
  /** Syscall name in that ABI's table, or `#NR` when it has none. */
  readonly syscall: string;
  /** Number as recorded. */
  readonly nr?: number;
  /** The outcome the kernel recorded. */
  readonly action: ViolationAction;
  /** Records. */
  count: number;
  /** First and last record time (ms since the epoch), when the records had one. */
  firstMs?: number;
  lastMs?: number;
  /** Where the first record was. */
  readonly first: { readonly source: string; readonly line: number };
  /** Risk of allowing the call (knowledge base). */
  readonly risk: { readonly level: string; readonly reason: string };
  /** With a profile: what it does and the smallest change. */
  verdict?: ProfileVerdict;
}

/** The result of an analysis. */
export interface ViolationReport {
  /** Lines read. */
  readonly lines: number;
  /** Seccomp records read (before filters). */
  readonly records: number;
  /** Records the filters dropped. */
  readonly filtered: number;
  /** Lines that were not seccomp records (counted, not errors). */
  readonly otherLines: number;
  /** Records the kernel did not print (`kauditd_printk_skb: N callbacks suppressed`, summed). */
  readonly suppressed: number;
  /** Records in groups past {@link MAX_GROUPS}. */
  readonly overflow: number;
  /** Unusable records, `source:line: message` (at most 100 kept). */
  readonly warnings: readonly string[];
  /** Warnings not kept. */
  readonly droppedWarnings: number;
  /** Groups, most records first. */
  readonly groups: readonly ViolationGroup[];
}

/** A flat copy (a slice of a line would keep the whole line, and its read chunk, alive). */
function flat(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('utf8');
}

/** The outcome of a record as a {@link ViolationAction}. */
export function recordAction(rec: AuditRecord): ViolationAction {
  const kind =
    rec.code === undefined && rec.codeName === undefined
      ? undefined
      : auditCodeKind(auditCodeKey(rec));
  return kind === undefined ? 'UNKNOWN' : (kind.toUpperCase() as Uppercase<SeccompActionKind>);
}

/** The ABI and syscall name of a record, from its own arch (i386 `syscall=1` is exit). */
export function recordSyscall(rec: AuditRecord): { abi?: ArchName; name: string; nr?: number } {
  const abi =
    rec.arch !== undefined
      ? archForAudit(rec.arch, rec.syscall)?.name
      : rec.archName !== undefined
        ? archFromAusearch(rec.archName)
        : undefined;
  let nr = rec.syscall;
  if (nr === undefined && abi !== undefined && rec.syscallName !== undefined)
    nr = syscallNumber(abi, rec.syscallName);
  const name =
    rec.syscallName ??
    (abi !== undefined && nr !== undefined ? syscallName(abi, nr) : undefined) ??
    `#${nr ?? '?'}`;
  return { ...(abi !== undefined ? { abi } : {}), name, ...(nr !== undefined ? { nr } : {}) };
}

/** Collects violation groups from log lines, one at a time. */
export class ViolationCollector {
  private readonly groups = new Map<string, ViolationGroup>();
  private readonly names = new Map<string, ReturnType<typeof recordSyscall>>();
  private lineCount = 0;
  private recordCount = 0;
  private filteredCount = 0;
  private suppressedCount = 0;
  private overflowCount = 0;
  private readonly warnings: string[] = [];
  private droppedWarnings = 0;
  private readonly comms: ReadonlySet<string> | undefined;
  private readonly actions: ReadonlySet<string> | undefined;
  private readonly containers: ReadonlySet<string> | undefined;

  constructor(private readonly filter: ViolationFilter = {}) {
    this.comms = filter.comm && new Set(filter.comm);
    this.actions = filter.action && new Set(filter.action);
    this.containers = filter.container && new Set(filter.container);
  }

  /** Read one line of `source` (1-based `line`). */
  push(text: string, source: string, line: number): void {
    this.lineCount++;
    // Cheap markers first: most lines of a kernel log are something else.
    if (!text.includes('1326') && !text.includes('SECCOMP')) {
      const s = text.includes('callbacks suppressed') ? SUPPRESSED_RE.exec(text) : null;
      if (s?.[1] !== undefined && text.includes('kauditd')) this.suppressedCount += Number(s[1]);
      return;
    }
    const r = parseAuditLine(text, line);
    if (r === undefined) return;
    if ('message' in r) {
      if (this.warnings.length < MAX_WARNINGS)
        this.warnings.push(`${source}:${r.line}: ${r.message}`);
      else this.droppedWarnings++;
      return;
    }
    this.recordCount++;
    this.add(r, source);
  }

  private keep(rec: AuditRecord, action: ViolationAction, time: number | undefined): boolean {
    const f = this.filter;
    if (f.sinceMs !== undefined && (time === undefined || time < f.sinceMs)) return false;
    if (f.untilMs !== undefined && (time === undefined || time > f.untilMs)) return false;
    if (this.comms && !(this.comms.has(rec.comm ?? '') || this.comms.has(rec.exe ?? '')))
      return false;
    if (this.actions && !this.actions.has(action)) return false;
    if (this.containers && !this.containers.has(rec.container ?? '')) return false;
    return true;
  }

  private add(rec: AuditRecord, source: string): void {
    const action = recordAction(rec);
    const time =
      rec.timestamp === undefined ? rec.logTimeMs : (recordTimeMs(rec.timestamp) ?? rec.logTimeMs);
    if (!this.keep(rec, action, time)) {
      this.filteredCount++;
      return;
    }
    // Naming goes through the arch tables; a log repeats few (arch, number) pairs: cache them.
    const scKey = `${rec.arch ?? rec.archName ?? ''}:${rec.syscall ?? rec.syscallName ?? ''}`;
    let sc = this.names.get(scKey);
    if (sc === undefined) {
      sc = recordSyscall(rec);
      if (this.names.size < MAX_GROUPS) this.names.set(flat(scKey) ?? scKey, sc);
    }
    const key = `${rec.container ?? ''}\u0000${rec.comm ?? ''}\u0000${rec.exe ?? ''}\u0000${sc.abi ?? ''}\u0000${sc.name}\u0000${action}`;
    let g = this.groups.get(key);
    if (g === undefined) {
      if (this.groups.size >= MAX_GROUPS) {
        this.overflowCount++;
        return;
      }
      const risk = riskOf(sc.name);
      const fresh: ViolationGroup = {
        ...(rec.container !== undefined ? { container: flat(rec.container) ?? '' } : {}),
        ...(rec.comm !== undefined ? { comm: flat(rec.comm) ?? '' } : {}),
        ...(rec.exe !== undefined ? { exe: flat(rec.exe) ?? '' } : {}),
        ...sc,
        syscall: flat(sc.name) ?? sc.name,
        action,
        count: 0,
        first: { source, line: rec.line },
        risk: { level: risk.level, reason: risk.reason },
      };
      g = fresh;
      this.groups.set(flat(key) ?? key, g);
    }
    g.count++;
    if (time !== undefined) {
      if (g.firstMs === undefined || time < g.firstMs) g.firstMs = time;
      if (g.lastMs === undefined || time > g.lastMs) g.lastMs = time;
    }
  }

  /** The report so far; with `plan`, each group carries the profile's verdict. */
  report(plan?: FilterPlan): ViolationReport {
    const groups = [...this.groups.values()].sort(
      (a, b) =>
        b.count - a.count ||
        (a.container ?? '').localeCompare(b.container ?? '') ||
        (a.comm ?? '').localeCompare(b.comm ?? '') ||
        a.syscall.localeCompare(b.syscall) ||
        a.action.localeCompare(b.action),
    );
    if (plan !== undefined)
      for (const g of groups) {
        const v = verdictFor(plan, g);
        if (v !== undefined) g.verdict = v;
      }
    return {
      lines: this.lineCount,
      records: this.recordCount,
      filtered: this.filteredCount,
      otherLines: this.lineCount - this.recordCount - this.warnings.length - this.droppedWarnings,
      suppressed: this.suppressedCount,
      overflow: this.overflowCount,
      warnings: this.warnings,
      droppedWarnings: this.droppedWarnings,
      groups,
    };
  }
}

/** What `plan` does with a group's call (arguments unknown: judged with zeros) and the smallest change. */
export function verdictFor(plan: FilterPlan, g: ViolationGroup): ProfileVerdict | undefined {
  if (g.abi === undefined || g.nr === undefined) return undefined;
  const token = archInfo(g.abi).auditArch;
  const d = decide(plan, { nr: g.nr, arch: token, instructionPointer: 0n, args: seccompArgs([]) });
  const kind = actionKind(d.value);
  const runs = auditCallRan(kind);
  const onArguments =
    plan.arches.find((a) => a.arch === g.abi)?.syscalls.find((p) => p.nr === g.nr)?.root.kind ===
    'cmp';
  let change: ProfileVerdict['change'];
  if (runs && !onArguments) change = { kind: 'none' };
  else if (d.origin.kind === 'bad-arch')
    change = { kind: 'add-arch', architecture: archInfo(g.abi).scmpName };
  else if (onArguments)
    change = {
      kind: 'check-arguments',
      reason: `the profile decides ${g.syscall} on its arguments, which audit records do not carry; record the workload (sysgate record) to see them`,
    };
  else if (g.syscall.startsWith('#'))
    change = {
      kind: 'never-allow',
      reason: `no syscall ${g.nr} in the ${g.abi} table: a profile cannot name it`,
    };
  else if (criticalSyscalls().includes(g.syscall))
    change = {
      kind: 'never-allow',
      reason: `${g.risk.level} risk: ${g.risk.reason}`,
    };
  else change = { kind: 'allow', rule: { names: [g.syscall], action: 'SCMP_ACT_ALLOW' } };
  return { action: describeAction(d.value), runs, origin: d.origin, onArguments, change };
}

/** One allow rule for every group the profile refuses and that may be allowed (names sorted). */
export function suggestedAllow(
  groups: readonly ViolationGroup[],
): { names: string[]; action: 'SCMP_ACT_ALLOW' } | undefined {
  const names = new Set<string>();
  for (const g of groups) if (g.verdict?.change.kind === 'allow') names.add(g.syscall);
  return names.size === 0 ? undefined : { names: [...names].sort(), action: 'SCMP_ACT_ALLOW' };
}

/** Whether a report shows a violation: any record, or with a profile, any call it would not let run. */
export function hasViolations(report: ViolationReport, withProfile: boolean): boolean {
  if (!withProfile) return report.groups.length > 0 || report.overflow > 0;
  return report.groups.some((g) => g.verdict?.change.kind !== 'none');
}
