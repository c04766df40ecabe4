/** The violation groups as a table (violations, rollout status). */
import type { ViolationGroup, ViolationReport } from '../operate/violations.js';
import { describeOrigin } from './describe-origin.js';
import { out } from './io.js';

const iso = (ms: number | undefined): string =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function changeText(g: ViolationGroup): string {
  const c = g.verdict?.change;
  if (c === undefined) return '-';
  switch (c.kind) {
    case 'none':
      return 'none (runs)';
    case 'allow':
      return `allow: ${JSON.stringify(c.rule)}`;
    case 'never-allow':
      return `never allow (${c.reason})`;
    case 'check-arguments':
      return 'check arguments (decided on arguments; sysgate record shows them)';
    case 'add-arch':
      return `add ${c.architecture} to architectures (the profile does not cover this ABI)`;
    default: {
      const never: never = c;
      return never;
    }
  }
}

/** Print the groups as a table (with a profile: its action, the risk and the smallest change). */
export function printTable(
  report: ViolationReport,
  withProfile: boolean,
  locate?: LocateFn,
  file?: string,
): void {
  const head = ['COUNT', 'ACTION', 'SYSCALL', 'ABI', 'PROCESS', 'CONTAINER', 'FIRST', 'LAST'];
  if (withProfile) head.push('PROFILE', 'RISK', 'CHANGE');
  const rows = report.groups.map((g) => {
    const proc = [g.comm, g.exe !== undefined && g.exe !== g.comm ? `(${g.exe})` : undefined]
      .filter((x) => x !== undefined)
      .join(' ');
    const row = [
      String(g.count),
      g.action,
      g.syscall,
      g.abi ?? '?',
      proc === '' ? '-' : proc,
      g.container ?? '-',
      iso(g.firstMs),
      iso(g.lastMs),
    ];
    if (withProfile) {
      const v = g.verdict;
      row.push(
        v === undefined
          ? 'unknown arch/number'
          : `${v.action} by ${describeOrigin(v.origin, locate, file)}${v.onArguments ? ' (on arguments)' : ''}`,
        g.risk.level,
        changeText(g),
      );
    }
    return row;
  });
  const widths = head.map((h, i) =>
    i === head.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  out(line(head));
  for (const r of rows) out(line(r));
}

/** Where a JSON pointer sits in the profile file. */
export type LocateFn = (p: string) => { line: number; column: number } | undefined;
