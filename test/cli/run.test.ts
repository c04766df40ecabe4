/**
 * `sysgate run`: the command's exit status comes back, a refused syscall shows up in the command, and
 * a missing engine is a runtime failure (exit 3) that says how to install it. Runs under CI=true and
 * wherever bwrap is installed.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hasTool } from '../oracle/kernel.js';
import { runCli } from './run-cli.js';

const root = resolve(import.meta.dirname, '../..');
const profile = join(root, 'examples/workspace-profile.json');
const enabled = process.env.CI === 'true' || hasTool('bwrap');

describe.skipIf(!enabled)('run under bwrap', () => {
  test('forwards the exit status', async () => {
    const r = await runCli([
      'run',
      '--profile',
      profile,
      '--engine',
      'bwrap',
      '--',
      'sh',
      '-c',
      'exit 7',
    ]);
    expect(r.code).toBe(7);
  });

  test('forwards stdout, and the profile is in force (AF_INET refused)', () => {
    const script =
      "import socket\ntry:\n    socket.socket(socket.AF_INET)\n    print('inet allowed')\nexcept OSError as e:\n    print('inet refused', e.errno)";
    const r = spawnSync(
      'npx',
      [
        'tsx',
        join(root, 'src/cli/main.ts'),
        'run',
        '--profile',
        profile,
        '--engine',
        'bwrap',
        '--',
        '/usr/bin/python3',
        '-c',
        script,
      ],
      { encoding: 'utf8', cwd: root },
    );
    expect(r.stdout).toBe('inet refused 1\n');
    expect(r.status).toBe(0);
  });
});

test('a missing engine exits 3 and says how to install it', async () => {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    const r = await runCli(['run', '--profile', profile, '--engine', 'bwrap', '--', 'true']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('apt-get install bubblewrap');
  } finally {
    process.env.PATH = path;
  }
});

test('an unknown engine is bad usage', async () => {
  const r = await runCli(['run', '--profile', profile, '--engine', 'podman', '--', 'true']);
  expect(r.code).toBe(2);
});
