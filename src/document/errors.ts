/**
 * Error base classes shared by every layer. Only `cli/` turns them into output and exit codes.
 * Every error has a stable kebab-case `code`; errors about a document (a profile, a suite, an
 * evidence file) hold every {@link Issue} found, each with an RFC 6901 JSON pointer and, when the
 * source text is known, a 1-based file position. Each stage narrows `code` to its own union
 * (`ProfileIssueCode`, `SuiteIssueCode`, `EvidenceIssueCode`, `BpfErrorCode`, `AsmErrorCode`).
 */

/** Base class of every error sysgate throws on purpose. */
export class SeccompToolError<TCode extends string = string> extends Error {
  /** Stable kebab-case identifier, e.g. `profile-invalid`. */
  readonly code: TCode;

  constructor(code: TCode, message: string, options?: { cause?: unknown }) {
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

/** Severity of an issue: errors make a document unusable, warnings do not. */
export type IssueSeverity = 'error' | 'warning';

/** One problem found in a document. */
export interface Issue<TCode extends string = string> {
  /** Stable code, e.g. `unknown-action`, `duplicate-key`. */
  readonly code: TCode;
  /** Whether the real stack refuses the document (`error`) or silently accepts it (`warning`). */
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

/** A non-empty list of issues, errors first. */
export type IssueList<TCode extends string = string> = readonly [Issue<TCode>, ...Issue<TCode>[]];

/**
 * A document the real stack (or sysgate) cannot use; holds every issue found, not just the first.
 * Subclassed once per document kind, so callers can tell a bad suite from a bad profile.
 */
export class DocumentError<
  TIssueCode extends string = string,
  TCode extends string = string,
> extends SeccompToolError<TCode> {
  /** Every issue found (errors first); never empty. */
  readonly issues: IssueList<TIssueCode>;

  constructor(code: TCode, issues: IssueList<TIssueCode>, message: string) {
    super(code, message);
    this.issues = issues;
  }
}

/** A runtime (strace, bwrap, runc, crun, docker) is missing or failed. Exit code 3. */
export class RuntimeError extends SeccompToolError<'runtime-failure'> {
  /** Which runtime failed. */
  readonly runtime: string;
  /** Its exit code, when it ran. */
  readonly exitCode: number | null;
  /** What it printed on stderr. */
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
export class InterruptedError extends SeccompToolError<'interrupted'> {
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

/** Bad command-line usage or an input that is not a document problem (unknown syscall name, bad number). Exit 2. */
export class UsageError extends SeccompToolError {
  constructor(message: string, code = 'usage') {
    super(code, message);
  }
}

/** Codes of {@link LogParseError}. */
export type LogParseErrorCode = 'log-parse' | 'log-line-too-long';

/** A line of an strace or audit log that cannot be used. */
export class LogParseError extends SeccompToolError<LogParseErrorCode> {
  /** File name as given (`-` for stdin). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;

  constructor(
    file: string,
    line: number,
    column: number,
    message: string,
    code: LogParseErrorCode = 'log-parse',
  ) {
    super(code, `${file}:${line}:${column}: ${message}`);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}
