/**
 * `sysgate test` on real engines: the seeds' workspace suite passes under its recorded profile on
 * Docker, bubblewrap and runc, and fails under Docker's default profile (which allows AF_INET) and
 * under a profile that refuses rename; the nginx suite passes with its load step. Runs under CI=true
 * (failing if an engine is missing) and wherever the engines answer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureProber, hasTool } from '../oracle/kernel.js';
import { runCli } from './run-cli.js';

const root = resolve(import.meta.dirname, '../..');
const suite = join(root, 'examples/workspace-suite.yaml');
const CI = process.env.CI === 'true';
const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const bwrap = CI || hasTool('bwrap');
const runc = CI || hasTool('runc');
const crun = CI || hasTool('crun');
const docker = CI || dockerUp;
const podman = CI || hasTool('podman');

interface JsonResult {
  engine: string;
  passed: number;
  failed: number;
  cases: { kind: string; name: string; passed: boolean; actual: string }[];
}

let work: string;
beforeAll(() => {
  ensureProber();
  work = mkdtempSync(join(tmpdir(), 'sysgate-test-cli-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function runSuite(
  args: string[],
): Promise<{ code: number; result: JsonResult; stderr: string }> {
  const r = await runCli(['test', ...args, '--json']);
  return { code: r.code, result: JSON.parse(r.stdout) as JsonResult, stderr: r.stderr };
}

function failedNames(r: JsonResult): string[] {
  return r.cases.filter((c) => !c.passed).map((c) => c.name);
}

describe('workspace suite under its recorded profile', () => {
  test.skipIf(!docker)('passes on docker', async () => {
    const { code, result } = await runSuite([suite, '--engine', 'docker']);
    expect(failedNames(result)).toEqual([]);
    expect(result.engine).toBe('docker');
    expect(result.passed).toBe(19);
    expect(code).toBe(0);
  });

  test.skipIf(!bwrap)('passes on bwrap, with a JUnit report', async () => {
    const junit = join(work, 'report.xml');
    const { code, result } = await runSuite([suite, '--engine', 'bwrap', '--junit', junit]);
    expect(failedNames(result)).toEqual([]);
    expect(code).toBe(0);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('tests="19" failures="0"');
    expect(xml).toContain('classname="bwrap.workload" name="pip-install-offline"');
  });

  test.skipIf(!runc)('passes on runc', async () => {
    const { code, result } = await runSuite([suite, '--engine', 'runc']);
    expect(failedNames(result)).toEqual([]);
    expect(code).toBe(0);
  });

  // Podman resolves the profile with containers/common's loader and runs it with runc.
  test.skipIf(!podman)('passes on podman', async () => {
    const { code, result } = await runSuite([suite, '--engine', 'podman']);
    expect(failedNames(result)).toEqual([]);
    expect(result.engine).toBe('podman');
    expect(result.passed).toBe(19);
    expect(code).toBe(0);
  });

  test.skipIf(!(podman && docker && bwrap))(
    'the cross-check includes podman: every engine and the emulator agree on the workspace probes',
    async () => {
      const r = await runCli(['test', suite, '--cross-check', '--json']);
      const c = (
        JSON.parse(r.stdout) as { crossCheck: { engines: string[]; disagreements: number } }
      ).crossCheck;
      expect(c.engines).toEqual(expect.arrayContaining(['bwrap', 'docker', 'podman']));
      expect(c.disagreements).toBe(0);
      expect(r.code).toBe(0);
    },
  );

  // crun makes setresgid/setresuid and resets signal handlers after loading the filter.
  test.skipIf(!crun)('passes on crun', async () => {
    const { code, result } = await runSuite([suite, '--engine', 'crun']);
    expect(failedNames(result)).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('workspace suite under profiles that must fail it', () => {
  test.skipIf(!docker)("Docker's default profile allows AF_INET: fails", async () => {
    const { code, result } = await runSuite([
      suite,
      '--engine',
      'docker',
      '--profile',
      join(root, 'examples/docker-default.json'),
    ]);
    expect(code).toBe(1);
    const failed = failedNames(result);
    expect(failed).toContain('inet-blocked');
    expect(failed).toContain('af-inet-stream');
    // What the workspace needs still works under Docker's default.
    expect(failed).not.toContain('git-commit');
    expect(failed).not.toContain('pip-install-offline');
  });

  test.skipIf(!bwrap)(
    'a profile refusing rename: fails (git and the Python file I/O rename)',
    async () => {
      const profile = JSON.parse(
        readFileSync(join(root, 'examples/workspace-profile.json'), 'utf8'),
      ) as {
        syscalls: { names: string[] }[];
      };
      const renames = ['rename', 'renameat', 'renameat2'];
      let removed = 0;
      for (const r of profile.syscalls) {
        removed += r.names.filter((n) => renames.includes(n)).length;
        r.names = r.names.filter((n) => !renames.includes(n));
      }
      expect(removed).toBeGreaterThan(0);
      profile.syscalls = profile.syscalls.filter((r) => r.names.length > 0);
      const file = join(work, 'no-rename.json');
      writeFileSync(file, JSON.stringify(profile));
      const { code, result } = await runSuite([suite, '--engine', 'bwrap', '--profile', file]);
      expect(code).toBe(1);
      const failed = failedNames(result);
      expect(failed).toContain('git-commit');
      expect(failed).toContain('python-basics');
      expect(failed).not.toContain('node-fs-crypto');
    },
  );
});

describe('nginx suite', () => {
  test.skipIf(!bwrap)('passes on bwrap, including 10000 requests with zero errors', async () => {
    const { code, result } = await runSuite([
      join(root, 'examples/nginx-suite.yaml'),
      '--engine',
      'bwrap',
    ]);
    expect(failedNames(result)).toEqual([]);
    const load = result.cases.find((c) => c.kind === 'load');
    expect(load?.actual).toMatch(/^10000 requests, 0 errors/);
    expect(result.cases.filter((c) => c.kind === 'probe').map((c) => c.name)).toEqual(
      expect.arrayContaining(['mount', 'ptrace', 'unshare', 'kexec-load']),
    );
    expect(code).toBe(0);
  });
});

describe('cross-check', () => {
  test.skipIf(!bwrap)(
    'engines and the emulator agree on the workspace probes under a wide profile',
    async () => {
      const r = await runCli([
        'test',
        suite,
        '--cross-check',
        '--json',
        '--profile',
        join(root, 'examples/docker-default.json'),
      ]);
      const c = (
        JSON.parse(r.stdout) as {
          crossCheck: {
            engines: string[];
            disagreements: number;
            rows: { probe: string; model: string }[];
          };
        }
      ).crossCheck;
      expect(c.engines).toContain('bwrap');
      expect(c.disagreements).toBe(0);
      expect(c.rows.find((x) => x.probe === 'af-inet-stream')?.model).toBe('ALLOW');
      expect(c.rows.find((x) => x.probe === 'kexec-load')?.model).toBe('ERRNO(1) EPERM');
      expect(r.code).toBe(0);
    },
  );
});

describe('bad input', () => {
  test('a malformed suite exits 2 with file:line:col', async () => {
    const file = join(work, 'bad.yaml');
    writeFileSync(file, 'profile: p.json\nworkloads:\n  - name: a\n    run: x\n    expct: {}\n');
    const r = await runCli(['test', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:5:5: error[unknown-key]`);
    expect(r.stderr).toContain('/workloads/0/expct');
  });
});
