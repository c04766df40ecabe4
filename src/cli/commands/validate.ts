import type { Command } from 'commander';
import { sortIssues } from '../../document/index.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../kb/index.js';
import { libseccompSizeIssues } from '../../compile/libseccomp-size.js';
import { multiplexerBypassIssues } from '../../compile/multiplexer-check.js';
import type { ProfileIssue } from '../../profile/errors.js';
import type { ValidationResult } from '../../profile/index.js';
import { validateForRunc } from '../../runc/index.js';
import { EXIT, requestExit } from '../exit.js';
import { formatIssue } from '../format-issue.js';
import {
  addLibseccompOption,
  parseKernel,
  parseStack,
  stackJson,
  type StackOptions,
} from '../host.js';
import { err, outJson, paint, readInput } from '../io.js';
import type { LibseccompVersion } from '../../arch/index.js';

interface ValidateOptions extends StackOptions {
  json?: boolean;
  strict?: boolean;
}

function readResult(file: string, opts: { libseccomp: LibseccompVersion }): ValidationResult {
  let text: string;
  try {
    text = readInput(file);
  } catch (e) {
    const issue: ProfileIssue = {
      code: 'unreadable',
      severity: 'error',
      message: `cannot read file: ${e instanceof Error ? e.message : String(e)}`,
      pointer: '',
    };
    return { file, format: undefined, documents: [], issues: [issue], valid: false };
  }
  const r = validateForRunc(text, file, opts);
  // Semantic checks that need the decision model (the compile layer) run here, above the profile layer.
  const host = { caps: DOCKER_DEFAULT_CAPABILITIES, kernel: parseKernel(undefined) };
  const extra = r.documents.flatMap((d) =>
    [
      ...multiplexerBypassIssues(d.profile, { ...host, libseccomp: opts.libseccomp }),
      ...libseccompSizeIssues(d.profile, { ...host, libseccomp: opts.libseccomp }),
    ].map((i): ProfileIssue => {
      const pos = d.locate(i.pointer);
      return pos === undefined ? i : { ...i, position: { file, ...pos } };
    }),
  );
  return extra.length === 0 ? r : { ...r, issues: sortIssues([...r.issues, ...extra]) };
}

/** `sysgate validate FILE...`: parse and check profiles of any supported format. */
export function register(program: Command): void {
  const cmd = program
    .command('validate')
    .description(
      'check seccomp profiles (Docker, Podman, OCI config.json, SPO CRD, ConfigMap, Firecracker) the way Docker, runc and libseccomp would',
    )
    .argument('<file...>', "profile files ('-' for stdin)")
    .option('--json', 'print the results as JSON on stdout')
    .option('--strict', 'treat warnings as errors');
  addLibseccompOption(cmd, 'syscall table for "unknown on the declared arches"')
    .addHelpText(
      'after',
      `
Every problem is reported as FILE:LINE:COL: error[CODE]: message (at /json/pointer).
Errors are what the real stack refuses; warnings are what it silently ignores, and a profile whose
libseccomp filter (as runc builds it, ENOSYS stub included) passes BPF_MAXINSNS (4096), so the kernel
refuses it and the container does not start (libseccomp-too-long, naming the costliest syscalls).
Exit codes: 0 valid (warnings allowed), 2 any error (or any warning with --strict).

Examples:
  sysgate validate default.json
  sysgate validate profiles/*.json profiles/*.yaml
  cat profile.json | sysgate validate -
  sysgate validate --json --strict seccompprofile.yaml`,
    )
    .action((files: string[], opts: ValidateOptions) => {
      const stack = parseStack(opts);
      const version = stack.libseccomp;
      const results = files.map((f) => {
        const r = readResult(f, { libseccomp: version });
        if (!opts.strict) return r;
        const issues = r.issues.map((i) => ({ ...i, severity: 'error' as const }));
        return { ...r, issues, valid: issues.length === 0 };
      });
      const errors = results.reduce(
        (n, r) => n + r.issues.filter((i) => i.severity === 'error').length,
        0,
      );
      const warnings = results.reduce(
        (n, r) => n + r.issues.filter((i) => i.severity === 'warning').length,
        0,
      );
      if (opts.json === true) {
        outJson(
          results.map((r) => ({
            file: r.file,
            format: r.format ?? null,
            documents: r.documents.length,
            valid: r.valid,
            issues: r.issues,
            stack: stackJson(stack),
          })),
        );
      } else {
        for (const r of results) {
          for (const issue of r.issues) {
            err(
              issue.position === undefined
                ? `${r.file}: ${formatIssue(issue)}`
                : formatIssue(issue),
            );
          }
        }
        const invalid = results.filter((r) => !r.valid).length;
        const summary = `${results.length} file(s), ${results.length - invalid} valid, ${invalid} invalid: ${errors} error(s), ${warnings} warning(s)`;
        err(invalid > 0 ? paint('red', summary, process.stderr) : summary);
      }
      if (errors > 0) requestExit(EXIT.badInput);
    });
}
