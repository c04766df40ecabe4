import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { readEvidence } from '../../src/generate/evidence.js';
import { parseProfile } from '../../src/profile/index.js';
import { runCli } from './run-cli.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
// The demo records with strace and proves the profile with bubblewrap: under CI both must be there.
const runnable = process.env.CI === 'true' || (has('strace') && has('bwrap'));
const tmp = mkdtempSync(path.join(tmpdir(), 'sysgate-demo-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(runnable)('sysgate demo (npm start)', () => {
  test('records, generates, compiles, explains, proves on the kernel and advises', async () => {
    const r = await runCli(['demo', '--out', tmp]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/socket: families seen AF_UNIX/);
    expect(r.stdout).toMatch(/socket\(AF_UNIX, SOCK_STREAM, 0\) +ALLOW +by rule \/syscalls\/\d+/);
    expect(r.stdout).toMatch(
      /socket\(AF_INET, SOCK_STREAM, 0\) +ERRNO\(1\) EPERM +by defaultAction/,
    );
    expect(r.stdout).toMatch(/workload under the profile: exit 0 workload ok/);
    expect(r.stdout).toMatch(/socket\(AF_INET\) on the kernel: errno 1/);
    // What it wrote is valid and consistent with what it printed.
    const profile = parseProfile(
      readFileSync(path.join(tmp, 'profile.json'), 'utf8'),
      'profile.json',
    ).profile;
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    const evidence = readEvidence(
      readFileSync(path.join(tmp, 'evidence.json'), 'utf8'),
      'evidence.json',
    );
    expect(evidence.syscalls.some((s) => s.name === 'socketpair')).toBe(true);
    expect(existsSync(path.join(tmp, 'profile.bpf'))).toBe(true);
    const allowedLine = /allows (\d+) syscalls; Docker's default allows (\d+)/.exec(r.stdout);
    expect(Number(allowedLine?.[1])).toBeLessThan(Number(allowedLine?.[2]) / 2);
  });
});
