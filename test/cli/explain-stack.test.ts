import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const fixture = resolve(import.meta.dirname, '../fixtures/runc/read-write-only.json');
const goldenDir = resolve(import.meta.dirname, '../golden/explain-stack');
// The host part is fixed, so the outputs do not depend on this machine; the stack is given in full.
const base = ['--host', 'x86_64', '--caps', 'none', '--kernel', '6.1', '--arch', 'x86_64'];
const full = ['--docker', '20.10', '--crun', '1.8', '--libseccomp', '2.5'];

/** Compare with the golden file; UPDATE_GOLDEN=1 rewrites it. */
function golden(name: string, text: string): void {
  const file = resolve(goldenDir, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

describe('sysgate explain under a chosen stack', () => {
  test.each([
    ['runc-1.1', [...full, '--runc', '1.1'], 'ERRNO(1) EPERM'],
    ['runc-1.2', [...full, '--runc', '1.2'], 'ERRNO(38) ENOSYS'],
    ['stack-current', ['--stack', 'current'], 'ERRNO(38) ENOSYS'],
    ['stack-current-runc-1.1', ['--stack', 'current', '--runc', '1.1'], 'ERRNO(1) EPERM'],
  ])('%s', async (name, flags, action) => {
    const r = await runCli(['explain', fixture, 'openat', ...base, ...flags]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`openat() on x86_64: ${action}`);
    golden(`${name}.txt`, r.stdout.replaceAll(fixture, 'read-write-only.json'));
  });

  test('--json names the stack and where each version comes from', async () => {
    const r = await runCli([
      'explain',
      fixture,
      'openat',
      ...base,
      '--stack',
      'current',
      '--runc',
      '1.1.5',
      '--json',
    ]);
    const j = JSON.parse(r.stdout) as {
      stack: unknown;
      loader: { engine: string; description: string };
      errno: number;
    };
    expect(j.errno).toBe(1);
    expect(j.loader).toEqual({
      engine: 'docker',
      description:
        "moby's resolution with Docker 28.0.0's differences, then runc 1.1.5 with libseccomp 2.6.0",
    });
    expect(j.stack).toEqual({
      stack: 'current',
      docker: '28.0.0',
      runc: '1.1.5',
      crun: '1.21.0',
      libseccomp: '2.6.0',
      sources: { docker: 'current', runc: 'option', crun: 'current', libseccomp: 'current' },
    });
  });

  test.each([
    [['--stack', 'newest'], /--stack expects host or current/],
    [['--runc', 'latest'], /--runc expects X.Y/],
    [['--docker', '20'], /--docker expects X.Y/],
    [['--libseccomp', '2.4'], /--libseccomp: expected 2.5.4 or 2.6/],
  ])('bad input %j exits 2', async (flags, message) => {
    const r = await runCli(['explain', fixture, 'openat', ...base, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('compile --stats and --format json print the stack', async () => {
    const stats = await runCli([
      'compile',
      fixture,
      '--arch',
      'x86_64',
      '--caps',
      'none',
      '--kernel',
      '6.1',
      '--stack',
      'current',
      '--runc',
      '1.2',
      '--stats',
    ]);
    expect(stats.code).toBe(0);
    expect(stats.stderr).toContain(
      'stack: Docker 28.0.0, runc 1.2.0, crun 1.21.0, libseccomp 2.6.0 (--stack current; runc from --runc)',
    );
    const json = await runCli([
      'compile',
      fixture,
      '--arch',
      'x86_64',
      '--caps',
      'none',
      '--kernel',
      '6.1',
      '--stack',
      'current',
      '--format',
      'json',
    ]);
    const compiled = JSON.parse(json.stdout) as {
      stack: { runc: string };
      loader: { engine: string };
    };
    expect(compiled.stack.runc).toBe('1.5.1');
    expect(compiled.loader.engine).toBe('docker');
  });

  test('resolve --docker 20.10 drops defaultErrnoRet, --docker 23.0 keeps it', async () => {
    const file = resolve(import.meta.dirname, '../fixtures/runc/errno-ret.json');
    const old = await runCli([
      'resolve',
      file,
      '--arch',
      'x86_64',
      '--caps',
      'none',
      '--kernel',
      '6.1',
      '--docker',
      '20.10',
    ]);
    expect(old.stdout).not.toContain('defaultErrnoRet');
    expect(old.stderr).toContain('Docker 20.10.0 does not pass defaultErrnoRet (13) to runc');
    const now = await runCli([
      'resolve',
      file,
      '--arch',
      'x86_64',
      '--caps',
      'none',
      '--kernel',
      '6.1',
      '--docker',
      '23.0',
      '--json',
    ]);
    const j = JSON.parse(now.stdout) as {
      seccomp: { defaultErrnoRet: number };
      stack: { docker: string };
    };
    expect(j.seccomp.defaultErrnoRet).toBe(13);
    expect(j.stack.docker).toBe('23.0.0');
  });

  test('--stack host takes the versions installed here, the current release for what is missing', async () => {
    const r = await runCli(['explain', fixture, 'openat', ...base, '--json']);
    const j = JSON.parse(r.stdout) as {
      stack: { stack: string; runc: string; crun: string; sources: Record<string, string> };
    };
    expect(j.stack.stack).toBe('host');
    for (const [tool, current] of [
      ['runc', '1.5.1'],
      ['crun', '1.21.0'],
    ] as const) {
      const v = spawnSync(tool, ['--version'], { encoding: 'utf8' });
      const m = v.status === 0 ? /(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.stdout) : null;
      const want = m === null ? current : `${m[1]}.${m[2]}.${m[3] ?? 0}`;
      expect(j.stack[tool]).toBe(want);
      expect(j.stack.sources[tool]).toBe(m === null ? 'current' : 'host');
    }
  });

  test('diff --json names the stack both sides were decided for', async () => {
    const r = await runCli([
      'diff',
      fixture,
      fixture,
      '--host',
      'x86_64',
      '--caps',
      'none',
      '--kernel',
      '6.1',
      '--runc',
      '1.2',
      '--json',
    ]);
    expect((JSON.parse(r.stdout) as { stack: { runc: string } }).stack.runc).toBe('1.2.0');
  });
});
