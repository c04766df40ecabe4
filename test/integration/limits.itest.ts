/**
 * Bounds and interrupts on the real engines, through `sysgate run` as a user starts it: a fork bomb
 * stops at the pids limit, an allocation at the memory limit, a command at `--timeout`; a profile that
 * kills runc's own init ends with a clear error instead of hanging; and SIGINT or SIGTERM to sysgate
 * leaves no workload, container or temporary bundle behind. Runs under CI=true (failing if an engine
 * is missing) and wherever the engine is installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { hasTool } from '../oracle/kernel.js';

const root = resolve(import.meta.dirname, '../..');
const main = join(root, 'src/cli/main.ts');
const profile = join(root, 'examples/docker-default.json');
const scratch = mkdtempSync(join(tmpdir(), 'limits-itest-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** libseccomp's README example as a Docker profile: kill everything but write and exit. */
const WRITE_EXIT_ONLY = join(scratch, 'write-exit.json');
writeFileSync(
  WRITE_EXIT_ONLY,
  JSON.stringify({
    defaultAction: 'SCMP_ACT_KILL',
    syscalls: [{ names: ['write', 'exit'], action: 'SCMP_ACT_ALLOW' }],
  }),
);

const ENGINES = ['runc', 'crun', 'docker'] as const;
type Engine = (typeof ENGINES)[number] | 'bwrap';

/** Whether the engine's tests run here. */
function enabled(engine: Engine): boolean {
  return process.env.CI === 'true' || hasTool(engine);
}

/** `sysgate ARGS` in a child process; resolves with its exit status and output. */
function sysgate(
  args: readonly string[],
  onStart?: (pid: number) => void,
  tmp: string = scratch,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => {
      done({ code, stdout, stderr, ms: Date.now() - t0 });
    });
    if (child.pid !== undefined) onStart?.(child.pid);
  });
}

/** Processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))?.[1];
      if (cmd.includes(marker) && state !== 'Z' && !cmd.includes('tsx')) pids.push(Number(e));
    } catch {
      // Gone.
    }
  }
  return pids;
}

/** What sysgate run by `pid` could have left behind: containers and temporary bundles. */
function leftovers(pid: number): string[] {
  const prefix = `sysgate-${pid}-`;
  const found: string[] = [];
  for (const rt of ['runc', 'crun'] as const) {
    if (!hasTool(rt)) continue;
    const list = spawnSync(rt, ['list', '-q'], { encoding: 'utf8' }).stdout;
    found.push(
      ...list
        .split('\n')
        .filter((l) => l.startsWith(prefix))
        .map((l) => `${rt} ${l}`),
    );
  }
  if (hasTool('docker')) {
    const ps = spawnSync(
      'docker',
      ['ps', '-a', '--filter', 'label=sysgate.managed=1', '--format', '{{.Names}}'],
      { encoding: 'utf8' },
    ).stdout;
    found.push(
      ...ps
        .split('\n')
        .filter((l) => l.startsWith(prefix))
        .map((l) => `docker ${l}`),
    );
  }
  return found;
}

/** A private temporary directory for one sysgate run (others' runs cannot blur what it leaves). */
function privateTmp(): string {
  return mkdtempSync(join(scratch, 'tmp-'));
}

describe.each(ENGINES)('%s limits', (engine) => {
  test.skipIf(!enabled(engine))(
    'a fork bomb stops at the pids limit',
    async () => {
      const r = await sysgate([
        'run',
        '--engine',
        engine,
        '--profile',
        profile,
        '--pids-limit',
        '20',
        '--',
        'sh',
        '-c',
        'for i in $(seq 1 60); do sleep 2 & done; wait; echo done',
      ]);
      expect(r.stderr).toMatch(/Cannot fork|Resource temporarily unavailable/);
    },
    120_000,
  );

  test.skipIf(!enabled(engine))(
    'an allocation stops at --memory',
    async () => {
      const r = await sysgate([
        'run',
        '--engine',
        engine,
        '--profile',
        profile,
        '--memory',
        '64m',
        '--',
        'python3',
        '-c',
        "b = b'x' * (300 * 2**20); print('allocated')",
      ]);
      expect(r.stdout).not.toContain('allocated');
      expect(r.code).toBe(137);
    },
    120_000,
  );

  test.skipIf(!enabled(engine))(
    '--timeout kills the sandbox and exits 3',
    async () => {
      const r = await sysgate([
        'run',
        '--engine',
        engine,
        '--profile',
        profile,
        '--timeout',
        '2',
        '--',
        'sleep',
        '3007',
      ]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('timed out after 2 s');
      expect(processesWith('sleep 3007')).toEqual([]);
    },
    120_000,
  );

  test.skipIf(!enabled(engine))(
    "libseccomp's write+exit example ends with a clear error, not a hang",
    async () => {
      const tmp = privateTmp();
      let pid = 0;
      const r = await sysgate(
        ['run', '--engine', engine, '--profile', WRITE_EXIT_ONLY, '--timeout', '60', '--', 'true'],
        (p) => (pid = p),
        tmp,
      );
      expect(r.ms).toBeLessThan(30_000);
      // crun is single-threaded: the kill ends its init, and crun reports it.
      expect(r.code).toBe(engine === 'crun' ? 1 : 3);
      if (engine !== 'crun') expect(r.stderr).toContain('the container never started');
      expect(leftovers(pid)).toEqual([]);
      expect(readdirSync(tmp).filter((n) => !n.startsWith('tsx-'))).toEqual([]);
    },
    120_000,
  );
});

describe.each([...ENGINES, 'bwrap'] as const)('%s interrupted', (engine) => {
  test.skipIf(!enabled(engine)).each(['SIGINT', 'SIGTERM'] as const)(
    '%s leaves no workload, container or temporary directory',
    async (signal) => {
      const marker = `sleep ${engine === 'bwrap' ? 3100 : 3200 + ENGINES.indexOf(engine)}`;
      const tmp = privateTmp();
      let pid = 0;
      const run = sysgate(
        ['run', '--engine', engine, '--profile', profile, '--', ...marker.split(' ')],
        (p) => (pid = p),
        tmp,
      );
      const deadline = Date.now() + 60_000;
      while (processesWith(marker).length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(processesWith(marker).length).toBeGreaterThan(0);
      process.kill(pid, signal);
      const r = await run;
      expect(r.code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(processesWith(marker)).toEqual([]);
      expect(leftovers(pid)).toEqual([]);
      expect(readdirSync(tmp).filter((n) => !n.startsWith('tsx-'))).toEqual([]);
    },
    120_000,
  );
});

describe.skipIf(!enabled('runc'))('test interrupted', () => {
  test('SIGINT stops the suite at the running case and removes its container', async () => {
    const dir = mkdtempSync(join(scratch, 'suite-'));
    writeFileSync(
      join(dir, 'suite.yaml'),
      [
        `profile: ${profile}`,
        'workloads:',
        '  - name: slow',
        '    run: sleep 3301',
        '  - name: after',
        '    run: sleep 3302',
        '',
      ].join('\n'),
    );
    const tmp = privateTmp();
    let pid = 0;
    const run = sysgate(
      ['test', join(dir, 'suite.yaml'), '--engine', 'runc'],
      (p) => (pid = p),
      tmp,
    );
    const deadline = Date.now() + 60_000;
    while (processesWith('sleep 3301').length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 500));
    process.kill(pid, 'SIGINT');
    const r = await run;
    expect(r.code).toBe(130);
    expect(processesWith('sleep 330')).toEqual([]);
    expect(leftovers(pid)).toEqual([]);
    expect(readdirSync(tmp).filter((n) => !n.startsWith('tsx-'))).toEqual([]);
  }, 120_000);
});
