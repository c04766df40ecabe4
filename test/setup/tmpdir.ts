/**
 * Vitest global setup: the whole run gets one private temporary directory (TMPDIR, which
 * `os.tmpdir()` reads), removed when the run ends, so the temporary files tests make for their
 * inputs never pile up in the machine's /tmp. Tests that check sysgate leaves nothing behind still
 * use a TMPDIR of their own inside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-tests-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  };
}
