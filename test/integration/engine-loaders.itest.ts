/**
 * Each engine decided by its own seccomp loader, on the real engines: a profile asking for
 * `defaultErrnoRet: 38` answers an unlisted call with ENOSYS under bwrap, runc and crun (sysgate loads
 * the filter or hands them the OCI profile itself), and with EPERM under Docker 20.10 (the daemon drops
 * the field, moby/moby#42604). `sysgate test` expects and observes each, and the cross-check predicts
 * each engine from its own plan with no disagreement. Runs under CI=true (failing if an engine is
 * missing) and wherever the engines answer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureProber, hasTool } from '../oracle/kernel.js';
import { runCli } from '../cli/run-cli.js';

const root = resolve(import.meta.dirname, '../..');
const CI = process.env.CI === 'true';
const dockerVersion = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
  encoding: 'utf8',
  timeout: 20_000,
});
const dockerUp = dockerVersion.status === 0;
/** Docker before 23.0 drops defaultErrnoRet; this host's Debian 12 daemon is 20.10. */
const oldDocker = dockerUp && /^(?:1\d|2[0-2])\./.test(dockerVersion.stdout.trim());
const bwrap = CI || hasTool('bwrap');
const runc = CI || hasTool('runc');
const crun = CI || hasTool('crun');
const docker = CI || dockerUp;

let work: string;
let profile: string;

/** A probe-only suite: quotactl (refused by the default: its Docker rule needs CAP_SYS_ADMIN; ENODEV unconfined) expecting `errno`. */
function suite(errno: string): string {
  const file = join(work, `suite-${errno}.yaml`);
  writeFileSync(
    file,
    [
      `name: errno-ret-${errno}`,
      'probes:',
      '  - name: quotactl',
      '    syscall: quotactl',
      `    expect: {errno: ${errno}}`,
      '',
    ].join('\n'),
  );
  return file;
}

beforeAll(() => {
  ensureProber();
  work = mkdtempSync(join(tmpdir(), 'sysgate-loaders-'));
  // Docker's default profile (so every runtime starts), its default answer changed to ENOSYS.
  const doc = JSON.parse(readFileSync(join(root, 'examples/docker-default.json'), 'utf8')) as {
    defaultErrnoRet?: number;
  };
  doc.defaultErrnoRet = 38;
  profile = join(work, 'enosys.json');
  writeFileSync(profile, JSON.stringify(doc, null, 2));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface JsonResult {
  engine: string;
  failed: number;
  cases: { name: string; passed: boolean; actual: string; model?: string }[];
}

async function testSuite(file: string, engine: string): Promise<{ code: number; r: JsonResult }> {
  const run = await runCli(['test', file, '--engine', engine, '--profile', profile, '--json']);
  return { code: run.code, r: JSON.parse(run.stdout) as JsonResult };
}

describe('defaultErrnoRet 38: each engine by its own loader', () => {
  test.each([
    ['bwrap', bwrap],
    ['runc', runc],
    ['crun', crun],
  ])('%s expects and observes ENOSYS', async (engine, available) => {
    if (!available) return;
    const { code, r } = await testSuite(suite('ENOSYS'), engine);
    expect(r.cases).toEqual([
      expect.objectContaining({ name: 'quotactl', passed: true, model: 'ERRNO(38) ENOSYS' }),
    ]);
    expect(r.cases[0]?.actual).toBe('errno ENOSYS');
    expect(code).toBe(0);
  });

  test.skipIf(!docker)('docker 20.10 expects and observes EPERM', async () => {
    expect(oldDocker).toBe(true);
    const { code, r } = await testSuite(suite('EPERM'), 'docker');
    expect(r.cases).toEqual([
      expect.objectContaining({ name: 'quotactl', passed: true, model: 'ERRNO(1) EPERM' }),
    ]);
    expect(r.cases[0]?.actual).toBe('errno EPERM');
    expect(code).toBe(0);
  });

  test.skipIf(!(bwrap && docker))(
    'the cross-check predicts ENOSYS for bwrap and EPERM for docker, with no disagreement',
    async () => {
      const run = await runCli([
        'test',
        suite('ENOSYS'),
        '--cross-check',
        '--profile',
        profile,
        '--json',
      ]);
      const c = (
        JSON.parse(run.stdout) as {
          crossCheck: {
            engines: string[];
            disagreements: number;
            rows: {
              probe: string;
              predicted: Record<string, string>;
              engines: Record<string, string>;
            }[];
          };
        }
      ).crossCheck;
      expect(c.engines).toEqual(expect.arrayContaining(['bwrap', 'docker']));
      const row = c.rows.find((x) => x.probe === 'quotactl');
      expect(row?.predicted.bwrap).toBe('errno ENOSYS');
      expect(row?.engines.bwrap).toBe('errno ENOSYS');
      expect(row?.predicted.docker).toBe('errno EPERM');
      expect(row?.engines.docker).toBe('errno EPERM');
      expect(c.disagreements).toBe(0);
      expect(run.code).toBe(0);
    },
  );
});
