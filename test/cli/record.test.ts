import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SECCOMP_UNSEEN } from '../../src/generate/record.js';
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

  test('--help says what --via seccomp cannot see', async () => {
    const r = await runCli(['record', '--help']);
    for (const u of SECCOMP_UNSEEN) expect(r.stdout.replace(/\s+/g, ' ')).toContain(u);
  });

  test.each([
    [['--via', 'ptrace'], "--via must be strace or seccomp, not 'ptrace'"],
    [['--via', 'seccomp', '--save-trace', 'dir'], '--save-trace keeps strace text'],
  ])('%j is exit 2', async (args, message) => {
    const r = await runCli(['record', ...args, '-o', '-', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('--via seccomp records, the evidence says what it cannot see, the exit status is forwarded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-rec-seccomp-'));
    try {
      const ev = join(dir, 'ev.json');
      const r = await runCli([
        'record',
        '--via',
        'seccomp',
        '--evidence',
        ev,
        '-o',
        join(dir, 'p.json'),
        '--',
        '/bin/sh',
        '-c',
        'exit 5',
      ]);
      expect(r.code, r.stderr).toBe(5);
      const e = JSON.parse(readFileSync(ev, 'utf8')) as {
        meta: { recorder: string; unseen: string[] };
      };
      expect(e.meta).toMatchObject({ recorder: 'seccomp', unseen: SECCOMP_UNSEEN });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

describe('record --podman', () => {
  const podman =
    process.env.CI === 'true' ||
    (enabled && spawnSync('sh', ['-c', 'command -v podman'], { stdio: 'ignore' }).status === 0);

  test('--docker and --podman together is bad usage', async () => {
    const r = await runCli(['record', '--docker', 'a', '--podman', 'b', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--docker or --podman');
  });

  test.runIf(podman)(
    "sysgate's Podman image: the sandbox of run (masked secrets, no network), and the recorded profile runs the workload under podman",
    async () => {
      const image = await ensureImage(undefined, 'podman');
      const dir = mkdtempSync(join(tmpdir(), 'sg-rec-podman-'));
      const out = join(dir, 'p.json');
      const script =
        '! test -s /etc/shadow && test "$(ls /sys/class/net)" = lo && /usr/bin/python3 -c "print(6*7)"';
      try {
        const rec = await runCli([
          ...['record', '--podman', image, '--no-cwd', '-o', out],
          ...['--', '/bin/sh', '-c', script],
        ]);
        expect(rec.stderr).not.toContain('Error');
        expect(rec.code).toBe(0);
        const profile = JSON.parse(readFileSync(out, 'utf8')) as {
          syscalls: { names: string[] }[];
        };
        expect(profile.syscalls.flatMap((r) => r.names)).toContain('execve');
        const run = await runCli([
          ...['run', '--engine', 'podman', '--profile', out, '--no-cwd'],
          ...['--', '/bin/sh', '-c', script],
        ]);
        expect(run.code).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe('sysgate record --runs', () => {
  test('--runs must be a whole number from 1 to 100; --vary-cpu needs two runs or more', async () => {
    for (const bad of ['0', '-1', '1.5', 'x', '101']) {
      const r = await runCli(['record', '--runs', bad, '--', 'true']);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('--runs must be');
    }
    const r = await runCli(['record', '--vary-cpu', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vary-cpu');
  });

  test.runIf(enabled)(
    '--runs 3 --vary-cpu: a real Pool recorded three times; coverage is the runs whose trace has the call, partial ones flagged',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sg-rec-runs-'));
      writeFileSync(
        join(dir, 'pool.py'),
        [
          'import multiprocessing as mp',
          'def sq(x): return x * x',
          "if __name__ == '__main__':",
          '    with mp.Pool(3) as p:',
          '        print(sum(p.map(sq, range(30))))',
          '',
        ].join('\n'),
      );
      const r = await runCli([
        'record',
        '--runs',
        '3',
        '--vary-cpu',
        '-o',
        join(dir, 'p.json'),
        '--evidence',
        join(dir, 'e.json'),
        '--save-trace',
        join(dir, 't'),
        '--target',
        'bare',
        '--',
        'python3',
        join(dir, 'pool.py'),
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/over 3 runs/);
      expect(r.stderr).toMatch(
        /run 1 \(CPU \d+\)[^\n]*\n[^\n]*run 2 \(all CPUs\)[^\n]*\n[^\n]*run 3 \(CPU \d+, nice 19\)/,
      );
      const ev = JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as {
        meta: { inputs: number; runs: { schedule: string; exitCode: number }[] };
        syscalls: { abi: string; name: string; coverage: number }[];
        widened?: { name: string; kind: string; reason: string; source: string }[];
      };
      expect(ev.meta.inputs).toBe(3);
      expect(ev.meta.runs.map((x) => x.exitCode)).toEqual([0, 0, 0]);
      // Independently of the parser: the names each saved trace shows (strace -n: "[ nr] name(").
      const perRun = [1, 2, 3].map((i) => {
        const text = readFileSync(join(dir, 't', `run-${i}`, 'trace.strace'), 'utf8');
        return new Set(
          [...text.matchAll(/\[\s*\d+\] (?:<\.\.\. )?([a-z0-9_]+)[( ]/g)].map((m) => m[1]),
        );
      });
      for (const s of ev.syscalls) {
        const want = perRun.filter((set) => set.has(s.name)).length;
        expect(s.coverage, s.name).toBe(want);
      }
      for (const n of ['read', 'write', 'exit_group', 'wait4'])
        expect(ev.syscalls.find((s) => s.name === n)?.coverage, n).toBe(3);
      const profile = JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8')) as {
        syscalls: { names: string[]; comment?: string }[];
      };
      for (const s of ev.syscalls.filter((x) => x.coverage < 3 && x.name !== 'clone3')) {
        const rule = profile.syscalls.find((x) => x.names.includes(s.name));
        expect(rule?.names, s.name).toEqual([s.name]);
        expect(rule?.comment, s.name).toContain(`seen in only ${s.coverage} of 3 inputs`);
        expect(r.stderr).toContain(`warning: ${s.name} seen in only ${s.coverage} of 3 inputs`);
      }
      // --widen safe by default: the additions are in the evidence with their reasons and sources.
      expect(ev.widened?.length).toBeGreaterThan(0);
      for (const w of ev.widened ?? []) {
        expect(w.kind).toBe('family');
        expect(w.source).toMatch(/glibc|musl|man/);
        expect(ev.syscalls.some((s) => s.name === w.name)).toBe(false);
      }
    },
    180_000,
  );
});
