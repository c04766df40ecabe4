/**
 * Exit codes of input and environment problems (issue 9, item 12): bad input is 2, a missing or
 * broken runtime 3, each with a message that names the cause.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'sysgate-exit-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Run the CLI in a child process with `env` added to the environment. */
function sysgate(args: readonly string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
}

describe('exit codes name the cause', () => {
  test.each(['-3.8', '3.-8', '+3.8'])(
    '--kernel %s is refused (exit 2), as moby refuses it',
    async (v) => {
      const r = await runCli(['resolve', 'examples/docker-default.json', `--kernel=${v}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--kernel expects MAJOR.MINOR');
    },
  );

  test('inspect of a pid that names no process is bad input (exit 2)', async () => {
    const r = await runCli(['inspect', '999999999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no process with id 999999999');
  });

  test('test --cross-check with no engine is a runtime failure (exit 3)', () => {
    const r = sysgate(['test', 'examples/workspace-suite.yaml', '--cross-check'], { PATH: tmp });
    expect(r.stderr).toContain('no engine is available for --cross-check');
    expect(r.status).toBe(3);
  });

  test('record --docker with the daemon down says so (exit 3)', () => {
    const r = sysgate(['record', '--docker', 'alpine', '-o', join(tmp, 'p.json'), '--', 'true'], {
      DOCKER_HOST: `unix://${join(tmp, 'no-daemon.sock')}`,
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/Docker daemon is not running|docker is not installed/);
    expect(r.stderr).not.toContain('the trace is empty');
  });
});
