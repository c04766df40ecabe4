/**
 * `sysgate run`: the command's exit status comes back, a refused syscall shows up in the command, and
 * a missing engine is a runtime failure (exit 3) that says how to install it. Runs under CI=true and
 * wherever bwrap is installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { hasTool } from '../oracle/kernel.js';
import { runCli } from './run-cli.js';

const root = resolve(import.meta.dirname, '../..');
const profile = join(root, 'examples/workspace-profile.json');
const enabled = process.env.CI === 'true' || hasTool('bwrap');

describe.skipIf(!enabled)('run under bwrap', () => {
  test('forwards the exit status', async () => {
    const r = await runCli([
      'run',
      '--profile',
      profile,
      '--engine',
      'bwrap',
      '--',
      'sh',
      '-c',
      'exit 7',
    ]);
    expect(r.code).toBe(7);
  });

  test('forwards stdout, and the profile is in force (AF_INET refused)', () => {
    const script =
      "import socket\ntry:\n    socket.socket(socket.AF_INET)\n    print('inet allowed')\nexcept OSError as e:\n    print('inet refused', e.errno)";
    const r = spawnSync(
      'npx',
      [
        'tsx',
        join(root, 'src/cli/main.ts'),
        'run',
        '--profile',
        profile,
        '--engine',
        'bwrap',
        '--',
        '/usr/bin/python3',
        '-c',
        script,
      ],
      { encoding: 'utf8', cwd: root },
    );
    expect(r.stdout).toBe('inet refused 1\n');
    expect(r.status).toBe(0);
  });
});

/** `sysgate ARGS` as a child process in `cwd` (the sandbox's stdio is the child's). */
function sysgate(
  args: readonly string[],
  cwd: string,
): ReturnType<typeof spawnSync> & {
  stdout: string;
  stderr: string;
} {
  return spawnSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    cwd,
  });
}

describe.skipIf(!enabled)('what the command sees (bwrap)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-run-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data/in.txt'), 'hello\n');
  writeFileSync(join(dir, 'app.py'), "print(open('data/in.txt').read().strip(), 'from app.py')\n");
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (...args: string[]) =>
    sysgate(['run', '--profile', profile, '--engine', 'bwrap', ...args], dir);

  test("regression: the tour's python3 app.py finds app.py (the current directory, read-only)", () => {
    const r = run('--', 'python3', 'app.py');
    expect(r.stdout).toBe('hello from app.py\n');
    expect(r.status).toBe(0);
    const w = run('--', 'sh', '-c', 'touch new 2>/dev/null; echo $?');
    expect(w.stdout).not.toBe('0\n');
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });

  test('--no-cwd: the current directory stays hidden, the command starts in /', () => {
    const r = run('--no-cwd', '--', 'sh', '-c', 'pwd; test -e app.py || echo hidden');
    expect(r.stdout).toBe('/\nhidden\n');
  });

  test('regression: --bind is no internal error (was exit 70); read-only unless :rw, repeatable', () => {
    const r = run(
      '--no-cwd',
      '--bind',
      'data:/in',
      '--bind',
      'data:/out:rw',
      '--',
      'sh',
      '-c',
      'cat /in/in.txt; touch /in/x 2>/dev/null || echo ro; echo written > /out/w.txt',
    );
    expect(r.stderr).not.toContain('internal error');
    expect(r.stdout).toBe('hello\nro\n');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'data/w.txt'), 'utf8')).toBe('written\n');
  });

  test('a bad --bind is bad usage (exit 2) naming the path', () => {
    const r = run('--bind', 'nowhere:/x', '--', 'true');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(join(dir, 'nowhere'));
  });

  test("regression: docker version under Docker's default profile cannot reach the host daemon", () => {
    const dockerDefault = join(root, 'examples/docker-default.json');
    const r = sysgate(
      [
        'run',
        '--profile',
        dockerDefault,
        '--engine',
        'bwrap',
        '--',
        'sh',
        '-c',
        'docker version; ls /run; grep CapEff /proc/self/status',
      ],
      dir,
    );
    expect(r.stdout).not.toContain('Server:');
    expect(r.stdout).toContain('CapEff:\t0000000000000000');
    expect(r.stderr).toContain('/run');
  });
});

describe.each(['runc', 'crun', 'docker'])('what the command sees (%s)', (engine) => {
  const on = process.env.CI === 'true' || hasTool(engine);

  test.skipIf(!on)(
    'the current directory read-only, where the command starts; --bind :rw writes',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'sysgate-run-'));
      try {
        writeFileSync(join(dir, 'app.py'), "print('from app.py')\n");
        const r = sysgate(
          [
            ...['run', '--profile', join(root, 'examples/docker-default.json'), '--engine', engine],
            ...['--bind', `${dir}:/out:rw`, '--'],
            ...['sh', '-c', 'python3 app.py; pwd; touch x 2>/dev/null || echo ro; echo w > /out/w'],
          ],
          dir,
        );
        expect(r.stdout).toBe(`from app.py\n${dir}\nro\n`);
        expect(r.status).toBe(0);
        expect(readFileSync(join(dir, 'w'), 'utf8')).toBe('w\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

test('a missing engine exits 3 and says how to install it', async () => {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    const r = await runCli(['run', '--profile', profile, '--engine', 'bwrap', '--', 'true']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('apt-get install bubblewrap');
  } finally {
    process.env.PATH = path;
  }
});

test('an unknown engine is bad usage', async () => {
  const r = await runCli(['run', '--profile', profile, '--engine', 'lxc', '--', 'true']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/lxc/);
});
