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

describe('record --docker has the sandbox of run and test', () => {
  const docker =
    process.env.CI === 'true' ||
    (enabled && spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0);

  test.each([
    [['--bind', '/usr'], '--bind applies to --docker'],
    [['--net'], '--net applies to --docker'],
  ])('%j without --docker is bad usage', async (args, message) => {
    const r = await runCli(['record', ...args, '-o', '-', '--', '/bin/true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  /**
   * `record --docker IMAGE -- sh -c SCRIPT` with `args`, in a fresh directory holding `conf`; the
   * exit status (record forwards the workload's stdout to the terminal, not to the captured stream).
   */
  async function recordIn(image: string, args: readonly string[], script: string): Promise<number> {
    const dir = mkdtempSync(join(tmpdir(), 'sg-rec-bind-'));
    writeFileSync(join(dir, 'conf'), 'bound\n');
    const r = await runCli([
      ...['record', '--docker', image, ...args.map((a) => a.replace('DIR', dir))],
      ...['-o', join(dir, 'p.json'), '--', '/bin/sh', '-c', script],
    ]);
    expect(r.stderr).not.toContain('Error');
    return r.code;
  }

  test.runIf(docker)(
    "sysgate's image: the host's /usr and /etc with the secrets masked, --bind, no network",
    async () => {
      const image = await ensureImage();
      // Each test exits 1 when it fails: the bind, the masked /etc/shadow, only loopback.
      const script =
        'grep -qx bound /conf/conf && ! test -s /etc/shadow && test "$(ls /sys/class/net)" = lo';
      expect(await recordIn(image, ['--bind', 'DIR:/conf'], script)).toBe(0);
      // The same checks fail where they should: the host's network with --net.
      expect(await recordIn(image, ['--bind', 'DIR:/conf', '--net'], script)).toBe(1);
    },
    120_000,
  );

  test.runIf(docker)(
    'the current directory, read-only, is where the command starts',
    async () => {
      const image = await ensureImage();
      const dir = mkdtempSync(join(tmpdir(), 'sg-rec-cwd-'));
      writeFileSync(join(dir, 'here'), 'x');
      const old = process.cwd();
      process.chdir(dir);
      try {
        const script = `test "$PWD" = ${dir} && test -f here && ! touch there`;
        expect(await recordIn(image, [], script)).toBe(0);
      } finally {
        process.chdir(old);
      }
    },
    120_000,
  );
});
