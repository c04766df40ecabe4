#!/usr/bin/env node
/**
 * The sysgate CLI entry point: the only place that turns errors into messages and exit codes.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import {
  DocumentError,
  InterruptedError,
  LogParseError,
  RuntimeError,
  SeccompToolError,
  UsageError,
} from '../document/errors.js';
import { BpfError } from '../bpf/errors.js';
import { constantValue } from '../arch/index.js';
import { commands } from './commands/index.js';
import { EXIT, takeRequestedExit } from './exit.js';
import { BAD_PATH_ERRNOS, detectClosedStdout, err, paint, writeError } from './io.js';
import { formatIssue } from './format-issue.js';
import { sysgateVersion } from '../generate/provenance.js';

/** Build the commander program with every registered command. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sysgate')
    .description(
      'Record, generate, compile, explain and verify Linux seccomp profiles,\nfaithful to Docker -> runc -> libseccomp -> kernel.',
    )
    .version(sysgateVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
    })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 findings or failures, 2 bad input or usage (a bad -o path included), 3 runtime
failure (a runtime missing or failing, or the system failing to store output: ENOSPC, EIO),
128+N interrupted by signal N, 70 internal error.
Set NO_COLOR to disable colour. Use '-' for standard input wherever a file is read.

Examples:
  sysgate validate profile.json
  sysgate resolve default.json --arch x86_64 --caps none
  sysgate syscalls --arch aarch64 openat`,
    );
  for (const c of commands) c.register(program);
  return program;
}

/** Map an error to its exit code and print it. */
export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    if (
      e.code === 'commander.helpDisplayed' ||
      e.code === 'commander.version' ||
      e.code === 'commander.help'
    )
      return EXIT.ok;
    return EXIT.badInput;
  }
  if (e instanceof DocumentError) {
    const { issues } = e as DocumentError;
    for (const issue of issues) err(formatIssue(issue));
    const errors = issues.filter((i) => i.severity === 'error').length;
    err(paint('red', `${errors} error(s)`, process.stderr));
    return EXIT.badInput;
  }
  if (e instanceof RuntimeError) {
    err(`${paint('red', 'error', process.stderr)}[${e.runtime}]: ${e.message}`);
    if (e.stderr) err(e.stderr.trimEnd());
    return EXIT.runtime;
  }
  if (e instanceof InterruptedError) {
    err(`${paint('red', 'interrupted', process.stderr)}: ${e.message}`);
    // As the shell reports a command a signal ended: 128 + the signal's number.
    return 128 + Number(constantValue(e.signal) ?? 2n);
  }
  if (e instanceof UsageError || e instanceof LogParseError || e instanceof BpfError) {
    err(`${paint('red', 'error', process.stderr)}[${e.code}]: ${e.message}`);
    return EXIT.badInput;
  }
  if (e instanceof SeccompToolError) {
    err(`${paint('red', 'error', process.stderr)}[${e.code}]: ${e.message}`);
    return EXIT.badInput;
  }
  if (
    e instanceof Error &&
    'code' in e &&
    typeof e.code === 'string' &&
    /^E[A-Z0-9]+$/.test(e.code)
  ) {
    // A file system error nobody wrapped: a bad path is bad input, anything else the system failing.
    err(`${paint('red', 'error', process.stderr)}: ${e.message}`);
    return BAD_PATH_ERRNOS.has(e.code) ? EXIT.badInput : EXIT.runtime;
  }
  err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return EXIT.internal;
}

/** Run the CLI with `argv` (without node and script) and return the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  takeRequestedExit();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    takeRequestedExit();
    return reportError(e);
  }
  return takeRequestedExit();
}

function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  detectClosedStdout();
  // Output errors arrive as events after the write; the first one decides the exit code.
  let outputFailed: number | undefined;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    outputFailed ??= reportError(writeError('-', e));
    process.exitCode = outputFailed;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = outputFailed ?? code;
    },
    (e: unknown) => {
      process.exitCode = outputFailed ?? reportError(e);
    },
  );
}
