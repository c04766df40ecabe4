/**
 * `sysgate diff` with a running Docker container as one side: the filter the kernel really runs in
 * the container (dumped from the host) diffs as equal to the profile the container was started
 * with, compiled by sysgate for this host; against Docker's default profile it shows the sockets the
 * container may not open. Runs under CI=true (failing if Docker is missing) and wherever dockerd answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { startDocker } from '../../src/run/engines/docker.js';
import { proberPath } from '../../src/run/native.js';
import { runCli } from '../cli/run-cli.js';
import { ensureProber } from '../oracle/kernel.js';
import { AF_UNIX_ONLY_PROFILE } from './container.testkit.js';

const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const enabled = process.env.CI === 'true' || dockerUp;
const dockerDefault = resolve(import.meta.dirname, '../../examples/docker-default.json');

interface JsonDiff {
  differences: {
    abi: string;
    syscall: string;
    old: string;
    new: string;
    args: string[];
    change: string;
  }[];
}

describe.skipIf(!enabled)('sysgate diff against a running Docker container', () => {
  beforeAll(() => {
    ensureProber();
  });

  test('the container runs exactly its profile; Docker default allows more sockets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-diff-docker-'));
    const file = join(dir, 'af-unix.json');
    writeFileSync(file, JSON.stringify(AF_UNIX_ONLY_PROFILE, null, 2));
    const c = await startDocker({
      argv: ['sleep', 'infinity'],
      seccomp: AF_UNIX_ONLY_PROFILE,
      prober: proberPath(),
    });
    try {
      // Docker's default capabilities, the running kernel, this machine's libseccomp: what the container got.
      const same = await runCli([
        'diff',
        file,
        c.id,
        '--caps',
        'default',
        '--json',
        '--fail-on',
        'any',
      ]);
      expect(same.stderr).not.toContain('error');
      expect((JSON.parse(same.stdout) as JsonDiff).differences).toEqual([]);
      expect(same.code).toBe(0);
      const byPid = await runCli(['diff', `pid:${c.pid}`, file, '--caps', 'default', '--json']);
      expect((JSON.parse(byPid.stdout) as JsonDiff).differences).toEqual([]);

      const wider = await runCli([
        'diff',
        `container:${c.id}`,
        dockerDefault,
        '--caps',
        'default',
        '--json',
        '--fail-on',
        'looser',
      ]);
      expect(wider.code).toBe(1);
      const diffs = (JSON.parse(wider.stdout) as JsonDiff).differences;
      const inet = diffs.find((d) => d.abi === 'x86_64' && d.syscall === 'socket');
      expect(inet).toMatchObject({ old: 'ERRNO(1) EPERM', new: 'ALLOW', change: 'looser' });
      expect(inet?.args[0]).not.toBe('1'); // AF_UNIX stays allowed on both sides
      // The container's filter has only x86_64: Docker's default adds the x86 and x32 ABIs.
      expect(diffs.some((d) => d.abi === 'x86' && d.old === 'KILL_THREAD')).toBe(true);
    } finally {
      await c.stop();
    }
  });
});
