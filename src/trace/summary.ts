/**
 * Parser for strace's summary tables (`-c`, `-C`, `-w`, custom `-S`/`-U` columns). Columns are located
 * from the dashed rule under the header, so blank `errors` cells and reordered columns are handled.
 * Several tables (one per personality) may follow each other (docs/semantics.md#strace-summary).
 */
import type { Personality } from './strace.js';

/** One row of a summary table. */
export interface SummaryRow {
  /** Syscall name. */
  readonly name: string;
  /** Number of calls. */
  readonly calls: number;
  /** Number of failed calls (0 when the cell is blank). */
  readonly errors: number;
  /** Personality of the table the row is in. */
  readonly personality: Personality;
  /** 1-based line. */
  readonly line: number;
}

/** Parse every summary table in `text`; lines outside tables are ignored. */
export function parseSummary(text: string): {
  rows: SummaryRow[];
  warnings: { line: number; message: string }[];
} {
  const rows: SummaryRow[] = [];
  const warnings: { line: number; message: string }[] = [];
  const lines = text.split('\n');
  let personality: Personality = '64';
  let columns: { name: string }[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    const pers = /^System call usage summary for (32 bit|x32) mode:$/.exec(line);
    if (pers) {
      personality = pers[1] === '32 bit' ? '32' : 'x32';
      columns = undefined;
      continue;
    }
    const next = lines[i + 1] ?? '';
    if (
      /\bcalls\b/.test(line) &&
      /\bsyscall\b/.test(line) &&
      /^[- ]+$/.test(next) &&
      next.includes('-')
    ) {
      const spans: { start: number; end: number }[] = [];
      for (const m of next.matchAll(/-+/g))
        spans.push({ start: m.index, end: m.index + m[0].length });
      // Header cells are right- or left-aligned within the span of their dashes.
      columns = spans.map((s, k) => {
        const from = k === 0 ? 0 : s.start;
        const to = k === spans.length - 1 ? line.length : s.end;
        return { name: line.slice(from, to).trim() };
      });
      i++;
      continue;
    }
    if (!columns) continue;
    if (/^[- ]+$/.test(line) && line.includes('-')) continue;
    if (line.trim() === '') {
      columns = undefined;
      continue;
    }
    // Split on white space: only the `errors` cell may be blank, so one token fewer means no errors.
    const tokens = line.trim().split(/\s+/);
    const names = columns.map((c) => c.name);
    const present = tokens.length === names.length ? names : names.filter((n) => n !== 'errors');
    const cell = (name: string): string | undefined => {
      const k = present.indexOf(name);
      return k < 0 || present.length !== tokens.length ? undefined : tokens[k];
    };
    const name = cell('syscall');
    const calls = cell('calls');
    if (
      name === undefined ||
      calls === undefined ||
      !/^\d+$/.test(calls) ||
      !/^[a-z0-9_]+$/.test(name)
    ) {
      warnings.push({ line: i + 1, message: `unrecognised summary row: ${line.slice(0, 80)}` });
      continue;
    }
    if (name === 'total') continue;
    const errors = cell('errors') ?? '';
    rows.push({
      name,
      calls: Number(calls),
      errors: errors === '' ? 0 : Number(errors),
      personality,
      line: i + 1,
    });
  }
  return { rows, warnings };
}
