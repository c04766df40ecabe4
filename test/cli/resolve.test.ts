import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import type * as fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { runCli } from './run-cli.js';

/** What a test feeds to fd 0 (readInput('-') reads it with readFileSync(0)). */
const stdin = vi.hoisted(() => ({ text: '' }));
vi.mock('node:fs', async (importOriginal) =>
  (await import('./stdin-mock.js')).fsWithStdin(await importOriginal<typeof fs>(), stdin),
);

const repoRoot = path.resolve(import.meta.dirname, '../..');
const DEFAULT = path.resolve(
  repoRoot,
  'test/fixtures/corpus/profiles/moby__profiles__seccomp_default.json',
);
const golden = (name: string): string =>
  readFileSync(path.resolve(repoRoot, 'test/golden/resolve', name), 'utf8');
const tmp = mkdtempSync(path.join(tmpdir(), 'sysgate-resolve-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

// The goldens are what a Docker >= 23.0 daemon passes to runc (an older one drops defaultErrnoRet,
// test/cli/explain-stack.test.ts), so the daemon is named rather than detected on this machine.
const CURRENT_DOCKER = ['--docker', '23.0'];

describe('sysgate resolve', () => {
  // The goldens were checked by hand against docs/semantics.md#moby-default-profile (see src/profile/resolve.test.ts).
  test.each([
    [['--arch', 'amd64', '--caps', 'none', '--kernel', '6.1'], 'moby-default.amd64.no-caps.json'],
    [['--arch', 'x86_64', '--kernel', '6.1'], 'moby-default.amd64.default-caps.json'],
    [
      ['--arch', 'amd64', '--caps', 'default', '--kernel', '6.1.0-18-amd64'],
      'moby-default.amd64.default-caps.json',
    ],
    [
      ['--arch', 'amd64', '--caps', 'default,CAP_SYS_ADMIN', '--kernel', '6.1'],
      'moby-default.amd64.sys-admin.json',
    ],
    [
      ['--arch', 'amd64', '--caps', 'sys_admin,default', '--kernel', '6.1'],
      'moby-default.amd64.sys-admin.json',
    ],
    [['--arch', 'arm64', '--caps', 'none', '--kernel', '6.1'], 'moby-default.arm64.no-caps.json'],
    [
      ['--arch', 'SCMP_ARCH_AARCH64', '--caps', 'default', '--kernel', '5.15'],
      'moby-default.arm64.default-caps.json',
    ],
  ])('%j prints the plain OCI profile', async (args, file) => {
    const r = await runCli(['resolve', DEFAULT, ...args, ...CURRENT_DOCKER]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(golden(file));
  });

  test('--json: host, OCI profile, pointer of every kept rule, dropped rules with reasons', async () => {
    const r = await runCli([
      'resolve',
      DEFAULT,
      '--arch',
      'arm64',
      '--caps',
      'none',
      '--kernel',
      '4.7',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      host: { arch: string; native: string; caps: string[]; kernel: string };
      seccomp: { syscalls: unknown[]; architectures: string[] };
      rules: { pointer: string; names: number }[];
      dropped: { pointer: string; reason: string }[];
    };
    expect(j.host).toEqual({ arch: 'aarch64', native: 'arm64', caps: [], kernel: '4.7' });
    expect(j.seccomp.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    // arm64 without caps keeps 13 entries; kernel 4.7 also drops the ptrace entry (/syscalls/1, minKernel 4.8).
    expect(j.rules).toHaveLength(12);
    expect(j.seccomp.syscalls).toHaveLength(12);
    expect(j.rules[0]).toEqual({ pointer: '/syscalls/0', names: 361 });
    expect(j.dropped).toHaveLength(33 - 12);
    expect(j.dropped.find((d) => d.pointer === '/syscalls/1')?.reason).toBe('includes-min-kernel');
    expect(j.dropped.find((d) => d.pointer === '/syscalls/12')?.reason).toBe('includes-arch');
  });

  test('defaults: the running kernel and Docker default caps', async () => {
    const r = await runCli(['resolve', DEFAULT, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { host: { caps: string[]; kernel: string } };
    const [major, minor] = release().split('.');
    expect(j.host.kernel).toBe(`${major}.${minor}`);
    expect(j.host.caps).toHaveLength(14);
    expect(j.host.caps).toContain('CAP_AUDIT_WRITE');
  });

  test('minKernel "" is 0.0 as moby decodes it: excludes always drops, includes always keeps', async () => {
    stdin.text = JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '' } },
        { names: ['write'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '' } },
      ],
    });
    const r = await runCli(['resolve', '-', '--arch', 'amd64', '--kernel', '3.10']);
    expect(r.code).toBe(0);
    const names = (JSON.parse(r.stdout) as { syscalls: { names: string[] }[] }).syscalls.flatMap(
      (x) => x.names,
    );
    expect(names).toEqual(['write']);
  });

  test('reads stdin for -', async () => {
    stdin.text = readFileSync(DEFAULT, 'utf8');
    const r = await runCli([
      'resolve',
      '-',
      '--arch',
      'amd64',
      '--caps',
      'none',
      '--kernel',
      '6.1',
      ...CURRENT_DOCKER,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(golden('moby-default.amd64.no-caps.json'));
  });

  test('-o writes the file atomically and nothing to stdout', async () => {
    const out = path.join(tmp, 'out.json');
    const r = await runCli([
      'resolve',
      DEFAULT,
      '--arch',
      'arm64',
      '--caps',
      'none',
      '--kernel',
      '6.1',
      '-o',
      out,
      ...CURRENT_DOCKER,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(golden('moby-default.arm64.no-caps.json'));
    expect(readdirSync(tmp)).toEqual(['out.json']);
  });

  test('a profile that turns seccomp off prints null and says so', async () => {
    stdin.text = '{}';
    const r = await runCli(['resolve', '-', '--arch', 'amd64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('null\n');
    expect(r.stderr).toContain('without seccomp');
  });

  test.each([
    [['--caps', 'CAP_BOGUS'], 'unknown capability'],
    [['--kernel', 'six'], '--kernel expects'],
    [['--arch', 'vax'], "unknown architecture 'vax'"],
  ])('bad option %j: exit 2', async (args, message) => {
    const r = await runCli(['resolve', DEFAULT, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  test('profiles moby refuses: exit 2 with FILE:LINE:COL and pointer, nothing on stdout', async () => {
    stdin.text = [
      '{',
      '  "defaultAction": "SCMP_ACT_ERRNO",',
      '  "architectures": ["SCMP_ARCH_X86_64"],',
      '  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}],',
      '  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "0.0"}}]',
      '}',
    ].join('\n');
    const out = path.join(tmp, 'refused.json');
    const r = await runCli(['resolve', '-', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^-:\d+:\d+: error\[[\w-]+\]: .*\(at \/arch/m);
    expect(r.stderr).toMatch(
      /^-:5:\d+: error\[invalid-min-kernel\]: .*\(at \/syscalls\/0\/includes\/minKernel\)/m,
    );
    expect(existsSync(out)).toBe(false);
  });

  test('unparseable input and missing files: exit 2', async () => {
    const bad = path.resolve(
      repoRoot,
      'test/fixtures/corpus/profiles/s3fs-fuse__s3fs-fuse__seccomp.json',
    );
    const r = await runCli(['resolve', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('s3fs-fuse__s3fs-fuse__seccomp.json:1:1: error');
    expect((await runCli(['resolve', path.join(tmp, 'missing.json')])).code).toBe(2);
  });

  test('--help has examples', async () => {
    const r = await runCli(['resolve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('sysgate resolve default.json');
  });
});
