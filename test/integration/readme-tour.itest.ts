/**
 * The README tour's runtime steps, for real: a profile `record` writes with its defaults runs the
 * tour's workload under runc, crun and bubblewrap (issue 9 item 13: it used to lack what runc does
 * after loading the filter, and runc failed with "ensure /proc/self/fd is on procfs"), and `doctor`
 * agrees the workload succeeds. Runs under CI=true (failing if a runtime is missing) and wherever
 * strace, runc, crun and bwrap are installed.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { hasTool } from '../oracle/kernel.js';

const ROOT = resolve(import.meta.dirname, '../..');
const enabled =
  process.env.CI === 'true' || ['strace', 'runc', 'crun', 'bwrap'].every((t) => hasTool(t));

let dir = '';

/** `sysgate ARGS` in the tour directory. */
function sysgate(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    join(ROOT, 'node_modules/.bin/tsx'),
    [join(ROOT, 'src/cli/main.ts'), ...args],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 300_000,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const APP = /^app: read \d+ bytes, checksum \d+, over an AF_UNIX socket pair$/m;

describe.runIf(enabled)('the README tour under real runtimes', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sysgate-tour-'));
    cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
    const r = sysgate('record', '-o', 'app.json', '--', 'python3', 'examples/app.py');
    expect(r.status, r.stderr).toBe(0);
    const bare = sysgate(
      'record',
      '--target',
      'bare',
      '-o',
      'bare.json',
      '--',
      'python3',
      'examples/app.py',
    );
    expect(bare.status, bare.stderr).toBe(0);
  });

  test.each(['runc', 'crun', 'bwrap'])(
    'sysgate run --profile app.json --engine %s -- python3 examples/app.py',
    (engine) => {
      const r = sysgate(
        'run',
        '--profile',
        'app.json',
        '--engine',
        engine,
        '--',
        'python3',
        'examples/app.py',
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(APP);
    },
  );

  test('the default profile holds what runc needs; the bare one does not (why docker is the default)', () => {
    const app = JSON.parse(readFileSync(join(dir, 'app.json'), 'utf8')) as {
      syscalls: { names: string[]; comment?: string }[];
    };
    const runtime = app.syscalls.filter((r) => r.comment?.startsWith('runtime: ') === true);
    expect(runtime.flatMap((r) => r.names)).toContain('fstatfs');
    const r = sysgate(
      'run',
      '--profile',
      'bare.json',
      '--engine',
      'runc',
      '--',
      'python3',
      'examples/app.py',
    );
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toMatch(APP);
  });

  test('sysgate doctor --profile app.json -- python3 examples/app.py', () => {
    const r = sysgate('doctor', '--profile', 'app.json', '--', 'python3', 'examples/app.py');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/succeeds under the profile/);
  });
});
