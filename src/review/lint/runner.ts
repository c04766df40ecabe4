/**
 * The lint runner: read every profile of a file with the parser validate uses, build each one's
 * context for the host, run every enabled rule, and turn what the detectors return into findings
 * with FILE:LINE:COL, a JSON pointer and the configured severity. A file with no readable profile
 * (a syntax error, not a profile at all) is bad input, reported with validate's issues.
 */
import { readProfileSource } from '../../profile/parse.js';
import type { ProfileIssue } from '../../profile/errors.js';
import type { RuleSettings } from './config.js';
import { lintContext } from './context.js';
import type { Finding, Fix, LintHost, LintRule, LintSeverity } from './types.js';

/** Options of {@link lintText}. */
export interface LintOptions {
  /** The host profiles are linted for. */
  readonly host: LintHost;
  /** The rules to run (default: the registry, passed by the caller to keep this module registry-free). */
  readonly rules: readonly LintRule[];
  /** Per-rule settings (severity or off); rules not named keep their default severity. */
  readonly settings?: RuleSettings;
}

/** The result of linting one file. */
export interface LintFileResult {
  /** File name as given. */
  readonly file: string;
  /** Findings, by line, column, then rule. */
  readonly findings: readonly Finding[];
  /** When the file holds no readable profile: why (validate's errors, with positions). */
  readonly badInput?: readonly ProfileIssue[];
}

function severityOf(rule: LintRule, settings: RuleSettings | undefined): LintSeverity | 'off' {
  return settings?.[rule.meta.id] ?? rule.meta.severity;
}

/** Lint every profile in `text` (read from `file`). Never throws for bad input. */
export function lintText(text: string, file: string, opts: LintOptions): LintFileResult {
  const parsed = readProfileSource(text, file);
  if (parsed.documents.length === 0) {
    const errors = parsed.issues.filter((i) => i.severity === 'error');
    return { file, findings: [], badInput: errors.length > 0 ? errors : parsed.issues };
  }
  const findings: Finding[] = [];
  parsed.documents.forEach((doc, i) => {
    const ctx = lintContext(doc, opts.host, i === 0 ? parsed.issues : []);
    for (const rule of opts.rules) {
      const severity = severityOf(rule, opts.settings);
      if (severity === 'off') continue;
      for (const raw of rule.detect(ctx)) {
        const pos = doc.locate(raw.pointer);
        findings.push({
          file,
          rule: rule.meta.id,
          severity,
          pointer: raw.pointer,
          line: pos?.line ?? 1,
          column: pos?.column ?? 1,
          message: raw.message,
          ...(doc.name === undefined ? {} : { document: doc.name }),
          ...(raw.abis === undefined ? {} : { abis: raw.abis }),
          ...(raw.syscalls === undefined ? {} : { syscalls: raw.syscalls }),
          ...(raw.fix === undefined
            ? {}
            : { fix: { ...raw.fix, documentIndex: doc.documentIndex ?? 0 } }),
        });
      }
    }
  });
  findings.sort(
    (a, b) =>
      a.line - b.line ||
      a.column - b.column ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
      (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0),
  );
  return { file, findings };
}

/** The fixes of a file's findings, in finding order. */
export function fixesOf(result: LintFileResult): Fix[] {
  return result.findings.flatMap((f) => (f.fix === undefined ? [] : [f.fix]));
}
