/**
 * Kernel logs named on the command line (`-` for stdin), checked before any is read and fed line by
 * line to a violation collector: one home for `violations` and `rollout status|promote`.
 */
import { statSync } from 'node:fs';
import { UsageError } from '../document/errors.js';
import type { ViolationCollector } from '../operate/violations.js';
import { forEachLine } from '../trace/lines.js';

/** Fail with a usage error when a named log is missing or not a regular file. */
export function checkLogFiles(files: readonly string[]): void {
  for (const f of files) {
    if (f === '-') continue;
    let isFile: boolean;
    try {
      isFile = statSync(f).isFile();
    } catch {
      throw new UsageError(`${f}: no such file`);
    }
    if (!isFile) throw new UsageError(`${f}: not a regular file`);
  }
}

/** Check the logs, then push every line of each (named by file and line number) to `collector`. */
export async function collectLogs(
  files: readonly string[],
  collector: ViolationCollector,
): Promise<void> {
  checkLogFiles(files);
  for (const f of files) {
    let n = 0;
    const source = f === '-' ? (process.stdin as AsyncIterable<Buffer>) : f;
    await forEachLine(
      source,
      (line) => {
        n++;
        collector.push(line, f, n);
      },
      f,
    );
  }
}
