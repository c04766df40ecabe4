import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { hostAbis } from '../../review/diff.js';
import {
  LINT_RULES,
  applyFixes,
  applyRuleOverrides,
  findingsJson,
  fixesOf,
  formatFindingText,
  lintText,
  parseLintConfig,
  sarifLog,
  type Finding,
  type LintFileResult,
  type LintHost,
  type LintSeverity,
  type RuleSettings,
} from '../../review/lint/index.js';
import { EXIT, requestExit } from '../exit.js';
import { formatIssue } from '../format-issue.js';
import { addHostOptions, hostFromOptions, parseStack, type HostOptions } from '../host.js';
import { err, out, paint, readInput, toJson, writeOutput } from '../io.js';

interface LintCliOptions extends HostOptions {
  format?: string;
  json?: boolean;
  config?: string;
  rule?: string[];
  fix?: boolean;
  output?: string;
  docsUrl?: string;
}

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

function parseFormat(opts: LintCliOptions): Format {
  if (opts.json === true) return 'json';
  const f = opts.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(f))
    throw new UsageError(`--format must be text, json or sarif, not '${f}'`);
  return f as Format;
}

function settingsFrom(opts: LintCliOptions): RuleSettings {
  const base =
    opts.config === undefined
      ? {}
      : parseLintConfig(readInput(opts.config), opts.config, LINT_RULES);
  return applyRuleOverrides(base, opts.rule ?? [], LINT_RULES);
}

function collect(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), value];
}

/** Read a file as lint input; an unreadable file is bad input, reported like validate does. */
function readLintInput(file: string): string | undefined {
  try {
    return readInput(file);
  } catch (e) {
    err(
      `${file}: error[unreadable]: cannot read file: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  }
}

/** `sysgate lint PROFILE...`: rules over the decisions the real stack makes, text/JSON/SARIF output. */
export function register(program: Command): void {
  const cmd = program
    .command('lint')
    .description(
      'check seccomp profiles for mistakes and risks, decided on what Docker, runc and libseccomp really build (text, JSON or SARIF for GitHub code scanning)',
    )
    .argument('<profile...>', "profile files ('-' for stdin)")
    .option('--format <format>', 'text, json or sarif', 'text')
    .option('--json', 'same as --format json')
    .option('--config <file>', 'YAML or JSON file: {rules: {ID: off|info|warn|error}}')
    .option('--rule <ID=setting>', 'set one rule: off, info, warn or error (repeatable)', collect)
    .option(
      '--fix',
      'apply the exact and safe fixes in place (atomic write); refused if the fix would allow more',
    )
    .option('-o, --output <file>', 'write the report to a file (atomically) instead of stdout')
    .option('--docs-url <base>', "base URL of the rules' pages in SARIF (ID.md is appended)");
  addHostOptions(cmd, { scope: 'decisions' }).addHelpText(
    'after',
    `
Each finding is FILE:LINE:COL: severity[RULE]: message (at /json/pointer). Rules answer through the
decision model for the host (--arch, --caps, --kernel, --libseccomp; default: this machine, Docker's
capabilities): a rule gated by a capability the container lacks does not count as allowed.
Rules and their pages: docs/rules/ID.md; docs/lint.md shows the SARIF upload to GitHub.
Exit codes: 0 no error-severity finding, 1 some, 2 bad input (unreadable, not a profile, bad options).

Examples:
  sysgate lint profile.json
  sysgate lint profiles/*.json --format sarif -o lint.sarif
  sysgate lint profile.json --rule socket-family=error --rule shadowed=off
  sysgate lint profile.json --config .sysgate-lint.yaml --json
  sysgate lint profile.json --fix
  cat profile.json | sysgate lint -`,
  );
  cmd.action((files: string[], opts: LintCliOptions) => {
    const format = parseFormat(opts);
    const settings = settingsFrom(opts);
    if (opts.fix === true && files.includes('-'))
      throw new UsageError('--fix cannot rewrite standard input; give a file');
    const stack = parseStack(opts);
    const resolveHost = hostFromOptions(opts);
    const host: LintHost = {
      ...resolveHost,
      abis: hostAbis(resolveHost.arch),
      libseccomp: stack.libseccomp,
      stack: stack.versions,
    };
    const results: LintFileResult[] = [];
    for (const file of files) {
      const text = readLintInput(file);
      if (text === undefined) {
        requestExit(EXIT.badInput);
        continue;
      }
      let r = lintText(text, file, { host, rules: LINT_RULES, settings });
      if (opts.fix === true && r.badInput === undefined) {
        const fixes = fixesOf(r);
        const fixed = applyFixes(text, file, fixes, host);
        if (fixed.refused !== undefined) err(`${file}: fixes not applied: ${fixed.refused}`);
        else if (fixed.applied > 0) {
          writeOutput(file, fixed.text);
          err(`${file}: applied ${fixed.applied} fix(es)`);
          r = lintText(fixed.text, file, { host, rules: LINT_RULES, settings });
        }
      }
      if (r.badInput !== undefined) {
        for (const i of r.badInput)
          err(i.position === undefined ? `${file}: ${formatIssue(i)}` : formatIssue(i));
        err(`${file}: not linted: no seccomp profile could be read`);
        requestExit(EXIT.badInput);
      }
      results.push(r);
    }
    const findings: Finding[] = results.flatMap((r) => [...r.findings]);
    const severities: Record<string, LintSeverity> = {};
    for (const [id, s] of Object.entries(settings)) if (s !== 'off') severities[id] = s;
    let report: string;
    switch (format) {
      case 'json':
        report = toJson(findingsJson(findings)) + '\n';
        break;
      case 'sarif':
        report =
          toJson(
            sarifLog(findings, LINT_RULES, {
              version: program.version() ?? '0.0.0',
              root: process.cwd(),
              severities,
              ...(opts.docsUrl === undefined ? {} : { docsBase: opts.docsUrl }),
            }),
          ) + '\n';
        break;
      case 'text':
        report = findings.map((f) => formatFindingText(f) + '\n').join('');
        break;
    }
    if (opts.output === undefined) {
      if (report !== '') out(report.replace(/\n$/, ''));
    } else writeOutput(opts.output, report);
    const errors = findings.filter((f) => f.severity === 'error').length;
    if (format === 'text' || opts.output !== undefined) {
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      const infos = findings.length - errors - warnings;
      const summary = `${results.length} file(s): ${errors} error(s), ${warnings} warning(s), ${infos} info`;
      err(errors > 0 ? paint('red', summary, process.stderr) : summary);
    }
    if (errors > 0) requestExit(EXIT.findings);
  });
}
