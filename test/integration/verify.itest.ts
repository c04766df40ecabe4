/**
 * `sysgate verify` on real Docker containers: a container started with the profile passes every
 * check; the same container checked against another profile, a container under the daemon's default
 * and one without seccomp each fail, naming the checks that fail. Runs under CI=true (failing if
 * Docker is missing) and wherever dockerd answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { startDocker } from '../../src/run/engines/docker.js';
import { runCli } from '../cli/run-cli.js';
import { AF_UNIX_ONLY_PROFILE } from './container.testkit.js';

const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const enabled = process.env.CI === 'true' || dockerUp;
const dockerDefault = resolve(import.meta.dirname, '../../examples/docker-default.json');

interface JsonVerify {
  ok: boolean;
  checks: { id: string; ok: boolean; detail: string }[];
  probes: { call: string; expected: string; got: string }[];
}

const failing = (j: JsonVerify): string[] => j.checks.filter((c) => !c.ok).map((c) => c.id);

describe.skipIf(!enabled)('sysgate verify on running containers', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sysgate-verify-'));
    file = join(dir, 'docker-default.json');
    // Docker's default profile (moby's current one): sleep runs under it, mount and keyctl are refused.
    writeFileSync(file, readFileSync(dockerDefault, 'utf8'));
  });

  test('started with the profile: every check holds, refused calls end as the profile says', async () => {
    const c = await startDocker({
      argv: ['sleep', 'infinity'],
      seccomp: readFileSync(file, 'utf8'),
    });
    try {
      const r = await runCli(['verify', c.id, '--profile', file, '--json']);
      const j = JSON.parse(r.stdout) as JsonVerify;
      expect(failing(j), r.stdout).toEqual([]);
      expect(r.code).toBe(0);
      expect(j.ok).toBe(true);
      expect(j.probes.map((p) => p.call)).toContain('mount');
      for (const p of j.probes) expect(p.got).toBe(p.expected);
      // Against another profile: what Docker recorded and what the kernel runs both differ.
      const other = join(dir, 'af-unix.json');
      writeFileSync(other, JSON.stringify(AF_UNIX_ONLY_PROFILE));
      const o = await runCli(['verify', c.id, '--profile', other, '--json']);
      expect(o.code).toBe(1);
      expect(failing(JSON.parse(o.stdout) as JsonVerify)).toEqual(
        expect.arrayContaining(['docker-profile', 'loaded-filters']),
      );
    } finally {
      await c.stop();
    }
  });

  test("started without a profile: the daemon's default is not the file, and the text says so", async () => {
    const c = await startDocker({ argv: ['sleep', 'infinity'] });
    try {
      const r = await runCli(['verify', c.id, '--profile', file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL docker-profile\s+started without --security-opt seccomp=/);
    } finally {
      await c.stop();
    }
  });

  test('unconfined: seccomp mode 0, nothing refused inside', async () => {
    const c = await startDocker({ argv: ['sleep', 'infinity'], seccomp: 'unconfined' });
    try {
      const r = await runCli(['verify', c.id, '--profile', file, '--json']);
      expect(r.code).toBe(1);
      const j = JSON.parse(r.stdout) as JsonVerify;
      expect(failing(j)).toEqual([
        'seccomp-mode',
        'docker-profile',
        'loaded-filters',
        'refused-calls',
      ]);
    } finally {
      await c.stop();
    }
  });

  test('a container that is not running: exit 3', async () => {
    const r = await runCli(['verify', 'sysgate-no-such-container', '--profile', file]);
    expect(r.code).toBe(3);
  });
});
