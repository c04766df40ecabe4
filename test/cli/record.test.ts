import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { validateForRunc as validateProfileSource } from '../../src/runc/index.js';
import { ensureImage } from '../../src/run/engines/docker.js';
import { runCli } from './run-cli.js';

const enabled =
  process.env.CI === 'true' ||
  spawnSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' }).status === 0;

describe('sysgate record', () => {
  test('--help has examples', async () => {
    const r = await runCli(['record', '--help']);
    expect(r.stdout).toMatch(/Examples:\n {2}sysgate record/);
  });

  test('no command is exit 2', async () => {
    const r = await runCli(['record']);
    expect(r.code).toBe(2);
  });

  test.runIf(enabled)('writes profile, evidence and trace; forwards the exit status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-rec-'));
    const r = await runCli([
      'record',
      '-o',
      join(dir, 'p.json'),
      '--evidence',
      join(dir, 'e.json'),
      '--save-trace',
      join(dir, 't'),
      '--target',
      'docker',
      '--',
      '/bin/sh',
      '-c',
      'exit 7',
    ]);
    expect(r.code, r.stderr).toBe(7);
    expect(validateProfileSource(readFileSync(join(dir, 'p.json'), 'utf8'), 'p.json').valid).toBe(
      true,
    );
    const ev = JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as {
      meta: { exitCode: number; command: string[] };
    };
    expect(ev.meta).toMatchObject({ exitCode: 7, command: ['/bin/sh', '-c', 'exit 7'] });
    expect(existsSync(join(dir, 't', 'trace.strace'))).toBe(true);
    expect(readFileSync(join(dir, 't', 'trace.strace'), 'utf8')).toMatch(/execve\("\/bin\/sh"/);
    expect(r.stderr).toMatch(/recorded \d+ calls, \d+ syscalls, \d+ processes in [\d.]+s; exit 7/);
  });

  test.runIf(enabled)('a missing strace is exit 3 with how to install it', async () => {
    const old = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const r = await runCli(['record', '-o', '-', '--', '/bin/true']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/apt-get install strace/);
    } finally {
      process.env.PATH = old;
    }
  });
});

describe('record --docker mounts like run and test', () => {
  const docker =
    process.env.CI === 'true' ||
    (enabled && spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0);

  test('--bind without --docker is bad usage', async () => {
    const r = await runCli(['record', '--bind', '/usr', '-o', '-', '--', '/bin/true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--bind applies to --docker');
  });

  test.runIf(docker)(
    '--bind reaches the container: no hand-written -v needed',
    async () => {
      const image = await ensureImage();
      const dir = mkdtempSync(join(tmpdir(), 'sg-rec-bind-'));
      writeFileSync(join(dir, 'conf'), 'bound\n');
      const r = await runCli([
        'record',
        '--docker',
        image,
        '--bind',
        '/usr',
        '--bind',
        `${dir}:/conf`,
        '-o',
        join(dir, 'p.json'),
        '--',
        '/usr/bin/cat',
        '/conf/conf',
      ]);
      // cat exits 1 when /conf/conf is not there.
      expect(r.code, r.stderr).toBe(0);
    },
    120_000,
  );
});
