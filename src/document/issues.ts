/**
 * The one issue collector: every document reader (profiles, suites, evidence files) records its
 * problems here, with a JSON pointer and, when the source text is known, the file position the
 * pointer maps to. Readers collect every issue before throwing (valibot style), so a user sees
 * all problems of a file at once.
 */
import type { Issue, IssueList, IssueSeverity } from './errors.js';

/** A 1-based line and column. */
export interface LineColumn {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** Maps a JSON pointer to the position of the node it names (or its nearest existing ancestor). */
export type Locate = (pointer: string) => LineColumn | undefined;

/** Collects issues for one document, attaching file positions as it goes. */
export class IssueCollector<TCode extends string = string> {
  /** Every issue found so far, in discovery order. */
  readonly issues: Issue<TCode>[] = [];

  constructor(
    /** File name as given; no positions are attached without one. */
    readonly file: string | undefined,
    /** Pointer-to-position mapping of the document, when its source text is known. */
    readonly locate: Locate | undefined,
  ) {}

  /** Record an issue at `pointer`; `extra` may override the computed position. */
  add(
    severity: IssueSeverity,
    code: TCode,
    message: string,
    pointer: string,
    extra: Partial<Issue<TCode>> = {},
  ): void {
    const pos = this.file === undefined || 'position' in extra ? undefined : this.locate?.(pointer);
    this.issues.push({
      code,
      severity,
      message,
      pointer,
      ...(pos === undefined || this.file === undefined
        ? {}
        : { position: { file: this.file, line: pos.line, column: pos.column } }),
      ...extra,
    });
  }

  /** Record an error. */
  error(code: TCode, message: string, pointer: string, extra: Partial<Issue<TCode>> = {}): void {
    this.add('error', code, message, pointer, extra);
  }

  /** Record a warning. */
  warn(code: TCode, message: string, pointer: string, extra: Partial<Issue<TCode>> = {}): void {
    this.add('warning', code, message, pointer, extra);
  }

  /** Whether any error has been recorded. */
  hasErrors(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }

  /** Every issue, errors first (see {@link sortIssues}), when at least one is an error. */
  errors(): IssueList<TCode> | undefined {
    return errorList(this.issues);
  }
}

/** Sort issues errors first, each severity in file order (issues without a position last, in discovery order). */
export function sortIssues<TCode extends string>(issues: readonly Issue<TCode>[]): Issue<TCode>[] {
  const byPosition = (a: Issue<TCode>, b: Issue<TCode>): number => {
    const pa = a.position;
    const pb = b.position;
    if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
    return pa.line - pb.line || pa.column - pb.column;
  };
  return [
    ...issues.filter((i) => i.severity === 'error').sort(byPosition),
    ...issues.filter((i) => i.severity !== 'error').sort(byPosition),
  ];
}

/** The sorted issues as a non-empty list when any of them is an error, else undefined. */
export function errorList<TCode extends string>(
  issues: readonly Issue<TCode>[],
): IssueList<TCode> | undefined {
  if (!issues.some((i) => i.severity === 'error')) return undefined;
  const [first, ...rest] = sortIssues(issues);
  return first === undefined ? undefined : [first, ...rest];
}
