#!/usr/bin/env node
/**
 * The sysgate CLI entry point: the only place that turns errors into messages and exit codes.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';
import { Command, CommanderError, Help } from 'commander';
import {
  DocumentError,
  InterruptedError,
  LogParseError,
  RuntimeError,
  SeccompToolError,
  UsageError,
} from '../document/errors.js';
import { BpfError } from '../bpf/errors.js';
import { commands } from './commands/index.js';
import { COMMAND_HELP } from './commands/manifest.js';
import { EXIT, takeRequestedExit } from './exit.js';
import { BAD_PATH_ERRNOS, detectClosedStdout, err, paint, writeError } from './io.js';
import { formatIssue } from './format-issue.js';
import { mapStackTrace } from './stack.js';
import { sysgateVersion } from '../generate/provenance.js';

/** The program without its commands: name, description, version, output and the general help. */
function baseProgram(): Command {
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
  return program;
}

/** Build the commander program with every command's module loaded and registered. */
export async function buildProgram(): Promise<Command> {
  const program = baseProgram();
  for (const c of commands) (await c.load()).register(program);
  return program;
}

/** What `--help` shows of each command: its usage term and description (the source of manifest.ts). */
export function commandHelp(
  program: Command,
): Record<string, { readonly term: string; readonly description: string }> {
  const help = program.createHelp();
  return Object.fromEntries(
    program.commands.map((c) => [
      c.name(),
      { term: help.subcommandTerm(c), description: help.subcommandDescription(c) },
    ]),
  );
}

/** The command `argv` runs or asks help for (`help NAME` included), if it names one. */
export function targetCommand(argv: readonly string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return commands.some((c) => c.name === name) ? name : undefined;
}

/**
 * The program for one run: the module of the command `argv` names is loaded and registered; every
 * other command is a stub carrying the name, usage term and description from the manifest, so that
 * `--help`, the list of commands and "did you mean" stay complete without importing 30 modules.
 */
export async function programFor(argv: readonly string[]): Promise<Command> {
  const program = baseProgram();
  const target = targetCommand(argv);
  const stubs = new Map<Command, string>();
  for (const c of commands) {
    if (c.name === target) {
      (await c.load()).register(program);
      continue;
    }
    const help = COMMAND_HELP[c.name];
    if (help === undefined) throw new Error(`command ${c.name} is missing from manifest.ts`);
    stubs.set(program.command(c.name).description(help.description), help.term);
  }
  program.configureHelp({
    subcommandTerm(cmd: Command): string {
      return stubs.get(cmd) ?? Help.prototype.subcommandTerm.call(this, cmd);
    },
  });
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
    return 128 + osConstants.signals[e.signal];
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
  err(`internal error: ${e instanceof Error ? mapStackTrace(e.stack ?? e.message) : String(e)}`);
  return EXIT.internal;
}

/** Run the CLI with `argv` (without node and script) and return the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = await programFor(argv);
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
