/**
 * `sysgate doctor` on the real kernel: with `rename` removed from the workspace profile, a workload
 * that renames a file fails, and doctor names rename; a workload that fails on its own is not blamed
 * on seccomp. Runs under CI=true (failing without strace or bwrap) and wherever both are installed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasTool } from '../oracle/kernel.js';
import { runCli } from './run-cli.js';

const root = resolve(import.meta.dirname, '../..');
const enabled = process.env.CI === 'true' || (hasTool('strace') && hasTool('bwrap'));
const RENAME =
  "import os; open('/tmp/a', 'w').close(); os.rename('/tmp/a', '/tmp/b'); print('renamed')";

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sysgate-doctor-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!enabled)('doctor', () => {
  test('names the one syscall removed from the profile', async () => {
    const profile = JSON.parse(
      readFileSync(join(root, 'examples/workspace-profile.json'), 'utf8'),
    ) as {
      syscalls: { names: string[] }[];
    };
    for (const r of profile.syscalls) r.names = r.names.filter((n) => n !== 'rename');
    profile.syscalls = profile.syscalls.filter((r) => r.names.length > 0);
    const file = join(work, 'no-rename.json');
    writeFileSync(file, JSON.stringify(profile));
    const r = await runCli([
      'doctor',
      '--profile',
      file,
      '--json',
      '--',
      '/usr/bin/python3',
      '-c',
      RENAME,
    ]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as {
      verdict: string;
      unconfinedExit: number;
      refused: { name: string; action: string; rules: unknown[] }[];
    };
    expect(d.verdict).toBe('seccomp');
    expect(d.unconfinedExit).toBe(0);
    expect(d.refused.map((x) => x.name)).toEqual(['rename']);
    expect(d.refused[0]?.action).toBe('ERRNO(1) EPERM');
    expect(d.refused[0]?.rules).toEqual([
      { names: ['rename'], action: 'SCMP_ACT_ALLOW', comment: 'doctor: refused for python3' },
    ]);
  });

  test('a workload that succeeds under the full profile: exit 0', async () => {
    const r = await runCli([
      'doctor',
      '--profile',
      join(root, 'examples/workspace-profile.json'),
      '--',
      '/usr/bin/python3',
      '-c',
      RENAME,
    ]);
    expect(r.stdout).toContain('succeeds under the profile');
    expect(r.code).toBe(0);
  });

  test('a workload failing on its own: seccomp is not the cause', async () => {
    const r = await runCli([
      'doctor',
      '--profile',
      join(root, 'examples/workspace-profile.json'),
      '--',
      '/usr/bin/python3',
      '-c',
      'import sys; sys.exit(3)',
    ]);
    expect(r.stdout).toContain('seccomp is not the cause');
    expect(r.code).toBe(0);
  });
});

/** The traced rerun happens in the engine's sandbox, bounded, with run's mounts: never on the host. */
describe.each(['bwrap', 'runc', 'crun', 'docker'] as const)('doctor on %s', (engine) => {
  const on = process.env.CI === 'true' || (hasTool('strace') && hasTool(engine));

  test.skipIf(!on)(
    'neither run touches the host: a file the workload creates stays in the sandbox',
    async () => {
      const marker = join('/var/tmp', `sysgate-doctor-${engine}-${process.pid}`);
      rmSync(marker, { force: true });
      const r = await runCli([
        'doctor',
        '--engine',
        engine,
        '--profile',
        join(root, 'examples/docker-default.json'),
        '--',
        'sh',
        '-c',
        `touch ${marker}; exit 1`,
      ]);
      expect(r.stdout).toContain('seccomp is not the cause');
      expect(existsSync(marker)).toBe(false);
    },
    120_000,
  );

  test.skipIf(!on)(
    '--bind reaches both runs, and --timeout bounds them',
    async () => {
      writeFileSync(join(work, 'conf'), 'ok\n');
      const bound = await runCli([
        'doctor',
        '--engine',
        engine,
        '--no-cwd',
        '--bind',
        `${work}:/conf`,
        '--profile',
        join(root, 'examples/docker-default.json'),
        '--',
        'sh',
        '-c',
        'grep -q ok /conf/conf || exit 9; exit 4',
      ]);
      expect(bound.stdout).toContain('exit 4; without seccomp: exit 4');
      const slow = await runCli([
        'doctor',
        '--engine',
        engine,
        '--timeout',
        '2',
        '--profile',
        join(root, 'examples/docker-default.json'),
        '--',
        'sleep',
        '3333',
      ]);
      expect(slow.code).toBe(3);
      expect(slow.stderr).toContain('timed out after 2 s');
    },
    180_000,
  );
});

describe.skipIf(!enabled)('doctor on a loud workload', () => {
  test('over 512 MiB of output: kept bounded, no crash, no temporary files left', async () => {
    // A private TMPDIR: other sysgate runs on the machine cannot blur what this one leaves.
    const tmp = mkdtempSync(join(work, 'tmp-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const r = await runCli([
      'doctor',
      '--engine',
      'bwrap',
      '--profile',
      join(root, 'examples/docker-default.json'),
      '--',
      'sh',
      '-c',
      'head -c 629145600 /dev/zero; exit 1',
    ]).finally(() => {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('exit 1; without seccomp: exit 1');
    expect(readdirSync(tmp)).toEqual([]);
  }, 180_000);
});

describe.skipIf(!(process.env.CI === 'true' || (hasTool('strace') && hasTool('podman'))))(
  'doctor on podman',
  () => {
    test('a refused mkdir is found in the Podman container and the fix makes every run pass', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sg-doctor-podman-'));
      const profile = join(dir, 'no-mkdir.json');
      writeFileSync(
        profile,
        JSON.stringify({
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
        }),
      );
      try {
        const r = await runCli([
          ...['doctor', '--engine', 'podman', '--profile', profile, '--no-cwd'],
          ...['--', '/bin/sh', '-c', 'mkdir /tmp/x'],
        ]);
        expect(r.stdout).toContain('on podman: exit 1; without seccomp: exit 0');
        expect(r.stdout).toMatch(/mkdir: ERRNO\(1\) EPERM/);
        expect(r.stdout).toMatch(/the workload passed 3 of 3 run\(s\)/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  },
);
