import type { Issue } from '../document/errors.js';
import { paint } from './io.js';

/** Render `FILE:LINE:COL: error[CODE]: message (at /json/pointer)`. */
export function formatIssue(issue: Issue): string {
  const where = issue.position
    ? `${issue.position.file}:${issue.position.line}:${issue.position.column}: `
    : '';
  const sev =
    issue.severity === 'error'
      ? paint('red', 'error', process.stderr)
      : paint('yellow', 'warning', process.stderr);
  return `${where}${sev}[${issue.code}]: ${issue.message} (at ${issue.pointer === '' ? '/' : issue.pointer})`;
}
