/**
 * The monitor's `/metrics` as rollout evidence: a parser for the Prometheus text exposition format
 * (version 0.0.4: `# HELP`/`# TYPE` comments, `name{label="value",...} value [timestamp]`, label
 * values escaped with `\\`, `\"`, `\n`; OpenMetrics' `# EOF` is accepted) and the
 * `<prefix>_violations_total{container,image,profile,syscall,arch,action}` counters turned into
 * violation groups. The npm parser (parse-prometheus-text-format, 2018, untyped) is not used: the
 * grammar is small and the errors here carry line numbers.
 */
import { isArchName, syscallNumber, type ArchName } from '../arch/index.js';
import { UsageError } from '../document/errors.js';
import { riskOf } from '../kb/index.js';
import { violationAction, type ViolationGroup } from './violations.js';

/** One sample. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds, when the line had a timestamp. */
  readonly timestampMs?: number;
  /** 1-based line. */
  readonly line: number;
}

/** A line the parser cannot read. */
export class MetricsParseError extends UsageError {
  constructor(
    readonly source: string,
    readonly line: number,
    message: string,
  ) {
    super(`${source}:${line}: ${message}`, 'metrics-parse');
  }
}

const NAME_RE = /^[a-z_:][\w:]*/i;
const LABEL_RE = /^[a-z_]\w*/i;

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i.test(text)) return undefined;
  return Number(text);
}

/** Parse exposition text; `source` names it in errors. */
export function parseMetrics(text: string, source = 'metrics'): MetricSample[] {
  const out: MetricSample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    const lineNo = i + 1;
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (msg: string): never => {
      throw new MetricsParseError(source, lineNo, msg);
    };
    const name = NAME_RE.exec(line)?.[0];
    if (name === undefined) fail(`expected a metric name, got '${line.slice(0, 40)}'`);
    let pos = (name ?? '').length;
    const labels: Record<string, string> = {};
    if (line[pos] === '{') {
      pos++;
      for (;;) {
        while (line[pos] === ' ' || line[pos] === '\t') pos++;
        if (line[pos] === '}') {
          pos++;
          break;
        }
        const key = LABEL_RE.exec(line.slice(pos))?.[0];
        if (key === undefined) fail(`expected a label name at column ${pos + 1}`);
        pos += (key ?? '').length;
        while (line[pos] === ' ') pos++;
        if (line[pos] !== '=') fail(`expected '=' after label ${key ?? ''}`);
        pos++;
        while (line[pos] === ' ') pos++;
        if (line[pos] !== '"') fail(`expected '"' to open the value of label ${key ?? ''}`);
        pos++;
        let value = '';
        for (;;) {
          const c = line[pos];
          if (c === undefined) fail(`unterminated value of label ${key ?? ''}`);
          if (c === '"') {
            pos++;
            break;
          }
          if (c === '\\') {
            const e = line[pos + 1];
            if (e === 'n') value += '\n';
            else if (e === '\\' || e === '"') value = `${value}${e}`;
            else fail(`bad escape '\\${e ?? ''}' in label ${key ?? ''}`);
            pos += 2;
            continue;
          }
          value = `${value}${c ?? ''}`;
          pos++;
        }
        if (Object.hasOwn(labels, key ?? '')) fail(`label ${key ?? ''} given twice`);
        labels[key ?? ''] = value;
        while (line[pos] === ' ') pos++;
        if (line[pos] === ',') pos++;
        else if (line[pos] !== '}') fail(`expected ',' or '}' after label ${key ?? ''}`);
      }
    }
    const rest = line
      .slice(pos)
      .trim()
      .split(/[ \t]+/);
    if (rest.length < 1 || rest.length > 2 || rest[0] === '') fail('expected a value');
    const value = parseValue(rest[0] ?? '');
    if (value === undefined) fail(`bad value '${rest[0] ?? ''}'`);
    let timestampMs: number | undefined;
    if (rest[1] !== undefined) {
      if (!/^-?\d+$/.test(rest[1])) fail(`bad timestamp '${rest[1]}'`);
      timestampMs = Number(rest[1]);
    }
    out.push({
      name: name ?? '',
      labels,
      value: value ?? 0,
      ...(timestampMs !== undefined ? { timestampMs } : {}),
      line: lineNo,
    });
  }
  return out;
}

/** Which series to read. */
export interface MetricsSelection {
  /** Metric prefix (`seccomp` by default; `workspace_seccomp` for the documents' name). */
  readonly prefix?: string;
  /** Keep only series with these `profile` label values. */
  readonly profile?: readonly string[];
  /** Keep only series with these `container` label values. */
  readonly container?: readonly string[];
}

/** The violation counters of a scrape as violation groups (one per series), and what was lost. */
export function groupsFromMetrics(
  samples: readonly MetricSample[],
  source: string,
  sel: MetricsSelection = {},
): { groups: ViolationGroup[]; lost: number; series: number } {
  const prefix = sel.prefix ?? 'seccomp';
  const groups: ViolationGroup[] = [];
  let lost = 0;
  let series = 0;
  for (const s of samples) {
    if (s.name === `${prefix}_monitor_records_lost_total`) {
      lost += s.value;
      continue;
    }
    if (s.name !== `${prefix}_violations_total`) continue;
    const l = s.labels;
    if (sel.profile !== undefined && !sel.profile.includes(l.profile ?? '')) continue;
    if (sel.container !== undefined && !sel.container.includes(l.container ?? '')) continue;
    series++;
    if (!(s.value > 0)) continue;
    const syscall = l.syscall ?? '';
    const arch = l.arch ?? '';
    const abi: ArchName | undefined = isArchName(arch) ? arch : undefined;
    const action = violationAction(l.action) ?? 'UNKNOWN';
    const nr =
      abi !== undefined
        ? syscall.startsWith('#')
          ? Number(syscall.slice(1))
          : syscallNumber(abi, syscall)
        : undefined;
    const risk = riskOf(syscall);
    groups.push({
      ...(l.container !== undefined && l.container !== '' ? { container: l.container } : {}),
      ...(abi !== undefined ? { abi } : {}),
      syscall,
      ...(nr !== undefined && Number.isInteger(nr) ? { nr } : {}),
      action,
      count: s.value,
      first: { source, line: s.line },
      risk: { level: risk.level, reason: risk.reason },
    });
  }
  return { groups, lost, series };
}
