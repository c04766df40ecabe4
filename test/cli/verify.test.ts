import { describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

describe('sysgate verify (usage; the checks run on real containers in verify.itest.ts)', () => {
  test('--help names every check and has examples', async () => {
    const r = await runCli(['verify', '--help']);
    expect(r.code).toBe(0);
    for (const id of ['seccomp-mode', 'docker-profile', 'loaded-filters', 'refused-calls'])
      expect(r.stdout).toContain(id);
    expect(r.stdout).toContain('Examples:');
  });

  test('without --profile: exit 2', async () => {
    const r = await runCli(['verify', 'web']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--profile');
  });

  test('a profile that does not parse: exit 2 with its position', async () => {
    const r = await runCli(['verify', 'web', '--profile', 'examples/app.py']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/app\.py:\d+:\d+/);
  });
});
