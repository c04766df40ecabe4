/**
 * Error classes shared by every layer. Only `cli/` turns them into output and exit codes.
 * Every error has a stable kebab-case `code`; profile problems carry RFC 6901 JSON pointers.
 */

/** Base class of every error sysgate throws on purpose. */
export class SeccompToolError extends Error {
  /** Stable kebab-case identifier, e.g. `profile-invalid`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where in a source file something is (1-based line and column). */
export interface SourcePosition {
  /** File name as given by the user (`-` for stdin). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** Severity of a profile issue: errors make a profile invalid, warnings do not. */
export type IssueSeverity = 'error' | 'warning';

/** One problem found in a profile. */
export interface ProfileIssue {
  /** Stable code, e.g. `unknown-action`, `duplicate-key`. */
  readonly code: string;
  /** Whether the real stack refuses the profile (`error`) or silently accepts it (`warning`). */
  readonly severity: IssueSeverity;
  /** Human sentence, no trailing period needed. */
  readonly message: string;
  /** RFC 6901 JSON pointer into the document, e.g. `/syscalls/12/args/0/op`. */
  readonly pointer: string;
  /** Source position of the pointer, when the source text is known. */
  readonly position?: SourcePosition;
  /** What was expected, when it helps. */
  readonly expected?: string;
  /** What was found, when it helps. */
  readonly received?: string;
}

/** A profile the real stack would refuse; holds every issue found, not just the first. */
export class ProfileError extends SeccompToolError {
  /** Every issue found (errors first); never empty. */
  readonly issues: readonly [ProfileIssue, ...ProfileIssue[]];

  constructor(issues: readonly [ProfileIssue, ...ProfileIssue[]], message?: string) {
    super(
      'profile-invalid',
      message ?? `${issues.length} problem(s) in profile: ${issues[0].message}`,
    );
    this.issues = issues;
  }
}

/** An invalid classic BPF program or emulator input (gVisor style: a code and a program counter). */
export class BpfError extends SeccompToolError {
  /** Instruction index the problem is at, or -1 for the whole program. */
  readonly pc: number;

  constructor(code: string, pc: number, message: string) {
    super(code, pc >= 0 ? `at l${pc}: ${message}` : message);
    this.pc = pc;
  }
}

/** A line of an strace or audit log that cannot be used. */
export class LogParseError extends SeccompToolError {
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(file: string, line: number, column: number, message: string) {
    super('log-parse', `${file}:${line}:${column}: ${message}`);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** A runtime (strace, bwrap, runc, crun, docker) is missing or failed. Exit code 3. */
export class RuntimeError extends SeccompToolError {
  readonly runtime: string;
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(
    runtime: string,
    message: string,
    opts: { exitCode?: number | null; stderr?: string; cause?: unknown } = {},
  ) {
    super('runtime-failure', message, { cause: opts.cause });
    this.runtime = runtime;
    this.exitCode = opts.exitCode ?? null;
    this.stderr = opts.stderr ?? '';
  }
}

/**
 * sysgate received SIGINT, SIGTERM or SIGHUP while a workload ran; the workload was stopped and its
 * sandbox removed. The CLI exits with 128 + the signal's number, as the shell would.
 */
export class InterruptedError extends SeccompToolError {
  /** The signal received (`SIGINT`...). */
  readonly signal: NodeJS.Signals;

  constructor(signal: NodeJS.Signals) {
    super(
      'interrupted',
      `interrupted by ${signal}; the workload was stopped and its sandbox removed`,
    );
    this.signal = signal;
  }
}

/** Bad command-line usage or an input that is not a profile problem (unknown syscall name, bad number). Exit 2. */
export class UsageError extends SeccompToolError {
  constructor(message: string, code = 'usage') {
    super(code, message);
  }
}

/** Escape one RFC 6901 reference token. */
export function escapePointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Build an RFC 6901 pointer from path segments. `[]` is the whole document (`""`). */
export function toPointer(path: readonly (string | number)[]): string {
  return path.map((p) => '/' + escapePointerToken(p)).join('');
}

/** Split an RFC 6901 pointer into unescaped tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}
