import type { Command } from 'commander';
import { buildPlan } from '../../compile/build.js';
import { UsageError } from '../../document/errors.js';
import {
  hasViolations,
  suggestedAllow,
  ViolationCollector,
  violationAction,
  VIOLATION_ACTIONS,
  type ViolationFilter,
} from '../../operate/violations.js';
import { EXIT, requestExit } from '../exit.js';
import { addHostOptions, loadForHost, type HostOptions } from '../host.js';
import { err, outJson } from '../io.js';
import { checkLogFiles, collectLogs } from '../kernel-logs.js';
import { printTable } from '../violation-table.js';

interface ViolationsOptions extends HostOptions {
  json?: boolean;
  since?: string;
  until?: string;
  comm?: string[];
  action?: string[];
  container?: string[];
  profile?: string;
}

const UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * A `--since`/`--until` value in ms since the epoch: an ISO date or `YYYY-MM-DD HH:MM[:SS]` (local),
 * epoch seconds (`1796409887` or `@1796409887.5`), a duration before now (`30m`, `2h`, `7d`,
 * `1h ago`), `now`, `today` or `yesterday`.
 */
export function parseTimeOption(flag: string, text: string, now: number = Date.now()): number {
  const t = text.trim();
  const epoch = /^@?(\d+(?:\.\d+)?)$/.exec(t);
  if (epoch?.[1] !== undefined && (t.startsWith('@') || t.length >= 9))
    return Math.round(Number(epoch[1]) * 1000);
  const rel = /^(\d+)\s*([smhdw])(?:\s+ago)?$/.exec(t);
  if (rel?.[1] !== undefined && rel[2] !== undefined)
    return now - Number(rel[1]) * (UNITS[rel[2]] ?? 0);
  if (t === 'now') return now;
  if (t === 'today' || t === 'yesterday') {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    return d.getTime() - (t === 'yesterday' ? 86_400_000 : 0);
  }
  const parsed = Date.parse(t);
  if (Number.isNaN(parsed))
    throw new UsageError(
      `${flag}: cannot read '${text}' as a time (ISO date, 'YYYY-MM-DD HH:MM:SS', epoch seconds, or a duration like 2h)`,
    );
  return parsed;
}

function filterFrom(opts: ViolationsOptions): ViolationFilter {
  const action = opts.action
    ?.flatMap((a) => a.split(','))
    .map((a) => {
      const up = a
        .trim()
        .toUpperCase()
        .replace(/^SCMP_ACT_/, '');
      const name = up === 'KILL' ? 'KILL_THREAD' : up;
      const found = violationAction(name);
      if (found === undefined)
        throw new UsageError(
          `--action must be one of ${VIOLATION_ACTIONS.join(', ')} (got '${a}')`,
        );
      return found;
    });
  return {
    ...(opts.since !== undefined ? { sinceMs: parseTimeOption('--since', opts.since) } : {}),
    ...(opts.until !== undefined ? { untilMs: parseTimeOption('--until', opts.until) } : {}),
    ...(opts.comm !== undefined ? { comm: opts.comm } : {}),
    ...(action !== undefined ? { action } : {}),
    ...(opts.container !== undefined ? { container: opts.container } : {}),
  };
}

/** `sysgate violations [FILE|-]...`: seccomp records in kernel logs, grouped, optionally decided by a profile. */
export function register(program: Command): void {
  const cmd = program
    .command('violations')
    .description(
      'find seccomp audit records in kernel logs (dmesg, journalctl -k, kern.log, audit.log, ausearch -i) and group them by container, process, syscall and outcome',
    )
    .argument('[files...]', "log files ('-' or none for stdin)")
    .option('--json', 'print the report as JSON')
    .option(
      '--since <time>',
      'only records at or after TIME (ISO date, epoch seconds, or 2h, 7d ago)',
    )
    .option('--until <time>', 'only records at or before TIME')
    .option('--comm <name...>', 'only records of these process names (comm) or executables')
    .option('--action <action...>', `only these outcomes: ${VIOLATION_ACTIONS.join(', ')}`)
    .option(
      '--container <name...>',
      'only records attributed to these containers (name or short id)',
    )
    .option(
      '--profile <file>',
      'decide each group with this profile (the rule, its risk, the smallest change)',
    );
  addHostOptions(cmd, { scope: '--profile', libseccomp: true }).addHelpText(
    'after',
    `
Records are found wherever they sit: other lines are counted, never errors; cut records are warnings.
Syscalls are named from each record's own arch (i386 syscall=1 is exit, not write). Times come from
the audit(...) stamp (ausearch -i prints local time). The kernel's printk rate limit drops records
("kauditd_printk_skb: N callbacks suppressed"): their sum is reported, they are not in the counts.
Without SECCOMP_FILTER_FLAG_LOG the kernel records only LOG and KILL outcomes, not ERRNO/TRAP/TRACE
(sysgate convert --mode audit sets it). Container names come from the log when it has them
(journal CONTAINER_NAME, a docker-/cri-containerd-/libpod- cgroup in the line).

With --profile, each group is decided by the same engine as 'sysgate explain' (arguments are not in
audit records: a call the profile decides on arguments is judged with zeros and marked), with the
risk of allowing it and the smallest change: an allow rule, or never allow for critical calls.

Exit codes: 0 no violation, 1 violations found (any record; with --profile, any call the profile
would not let run or decides on arguments), 2 bad input, 3 runtime error.

Examples:
  dmesg | sysgate violations
  journalctl -k -o json --since today | sysgate violations --json
  sysgate violations /var/log/kern.log --since 2h --action KILL_PROCESS,ERRNO
  sysgate violations /var/log/audit/audit.log --comm nginx --profile nginx-profile.json`,
  );
  cmd.action(async (files: string[], opts: ViolationsOptions) => {
    const filter = filterFrom(opts);
    if (files.length === 0 && process.stdin.isTTY)
      throw new UsageError(
        'give log files, or pipe a log in (dmesg | sysgate violations); see --help',
      );
    const inputs = files.length === 0 ? ['-'] : files;
    checkLogFiles(inputs);
    const host = opts.profile === undefined ? undefined : loadForHost(opts.profile, opts);
    const plan = host === undefined ? undefined : buildPlan(host.resolved, host.planOptions);
    const collector = new ViolationCollector(filter);
    await collectLogs(inputs, collector);
    const report = collector.report(plan);
    const withProfile = plan !== undefined;
    const suggestion = suggestedAllow(report.groups);
    if (opts.json === true) {
      outJson({ ...report, ...(suggestion !== undefined ? { suggestion } : {}) });
    } else {
      for (const w of report.warnings) err(`warning: ${w}`);
      if (report.droppedWarnings > 0) err(`warning: ${report.droppedWarnings} more warnings`);
      if (report.groups.length > 0)
        printTable(report, withProfile, host?.loaded.locate, opts.profile);
      err(
        `${report.lines} lines: ${report.records} seccomp records${report.filtered > 0 ? ` (${report.filtered} filtered out)` : ''}, ${report.otherLines} other lines; ${report.groups.length} groups${report.overflow > 0 ? ` (+${report.overflow} records past ${report.groups.length} groups)` : ''}`,
      );
      if (report.suppressed > 0)
        err(
          `the kernel's rate limit dropped ${report.suppressed} records (kauditd_printk_skb: callbacks suppressed); they are not counted; auditd or the netlink source loses none`,
        );
      if (suggestion !== undefined)
        err(`smallest change: add the rule ${JSON.stringify(suggestion)}`);
      const never = [
        ...new Set(
          report.groups
            .filter((g) => g.verdict?.change.kind === 'never-allow')
            .map((g) => g.syscall),
        ),
      ];
      if (never.length > 0) err(`never allow: ${never.sort().join(', ')} (critical)`);
    }
    if (hasViolations(report, withProfile)) requestExit(EXIT.findings);
  });
}
