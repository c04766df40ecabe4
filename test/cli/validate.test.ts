import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const FIXTURES = 'test/fixtures/profile';
const fixtures = readdirSync(FIXTURES).sort();

describe('sysgate validate: golden output per fixture', () => {
  test.each(fixtures)('%s', async (name) => {
    const r = await runCli(['validate', `${FIXTURES}/${name}`]);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    await expect(`exit ${r.code}\n${r.stderr}`).toMatchFileSnapshot(
      `../golden/profile/${name}.txt`,
    );
  });
});

describe('sysgate validate: exit codes and options', () => {
  test('every error line has FILE:LINE:COL, a code and a pointer', async () => {
    const r = await runCli(['validate', `${FIXTURES}/negative-number.json`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'test/fixtures/profile/negative-number.json:7:38: error[negative-number]: cannot unmarshal number -1 into Arg.value of type uint64: negative (at /syscalls/0/args/0/value)',
    );
  });

  test('warnings alone exit 0; --strict makes them errors', async () => {
    const file = `${FIXTURES}/warnings.json`;
    expect((await runCli(['validate', file])).code).toBe(0);
    const strict = await runCli(['validate', '--strict', file]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/error\[unknown-key\]/);
  });

  test('--json prints one entry per file with its issues', async () => {
    const r = await runCli([
      'validate',
      '--json',
      `${FIXTURES}/spo-multi.yaml`,
      `${FIXTURES}/duplicate-key.json`,
    ]);
    expect(r.code).toBe(2);
    const data = JSON.parse(r.stdout) as {
      file: string;
      format: string;
      documents: number;
      issues: { code: string; position?: { line: number } }[];
    }[];
    expect(data.map((d) => [d.file, d.format, d.documents])).toEqual([
      [`${FIXTURES}/spo-multi.yaml`, 'spo', 2],
      [`${FIXTURES}/duplicate-key.json`, 'docker', 1],
    ]);
    expect(data[0]?.issues.map((i) => [i.code, i.position?.line])).toEqual([
      ['negative-number', 22],
    ]);
    expect(data[1]?.issues.map((i) => i.code)).toEqual(['duplicate-key']);
  });

  test('a profile whose libseccomp filter passes BPF_MAXINSNS: a warning naming the costliest rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-validate-'));
    const file = join(dir, 'two-conditions.json');
    const rules = Array.from({ length: 700 }, (_, i) => ({
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [
        { index: 0, value: i, op: 'SCMP_CMP_EQ' },
        { index: 1, value: 7 * i + 1, op: 'SCMP_CMP_EQ' },
      ],
    }));
    writeFileSync(
      file,
      JSON.stringify(
        {
          defaultAction: 'SCMP_ACT_ERRNO',
          architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
          syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, ...rules],
        },
        null,
        2,
      ),
    );
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /two-conditions\.json:\d+:\d+: warning\[libseccomp-too-long\]: on x86_64 libseccomp, as runc uses it, exports \d+ at optimize 1 \(runc 1\.1\) and \d+ at optimize 2 \(runc >= 1\.2\) instructions .* Most instructions: socket on x86_64 \d+ \(700 rules from \/syscalls\/1\)/,
    );
    expect((await runCli(['validate', '--strict', file])).code).toBe(2);
  }, 120_000);

  test('a missing file is an error, not a crash', async () => {
    const r = await runCli(['validate', `${FIXTURES}/does-not-exist.json`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does-not-exist.json: error\[unreadable\]/);
  });

  test('a bad --libseccomp value is a usage error', async () => {
    const r = await runCli(['validate', '--libseccomp', '9', `${FIXTURES}/warnings.json`]);
    expect(r.code).toBe(2);
  });
});
