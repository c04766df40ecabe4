import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, test, vi } from 'vitest';
import { runCli } from './run-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DMESG = join(ROOT, 'test/fixtures/kernlog/dmesg.txt');
const CODES = join(ROOT, 'test/fixtures/corpus/traces/seccomp/netlink-seccomp-codes.txt');
const dir = mkdtempSync(join(tmpdir(), 'sg-viol-'));

const rec = (serial: number, nr: number, code: string, comm = 'app'): string =>
  `[ 1100.14${serial}] audit: type=1326 audit(1795453800.709:${serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=10098 comm="${comm}" exe="/usr/bin/${comm}" sig=0 arch=c000003e syscall=${nr} compat=0 ip=0x7fdc8af92b07 code=${code}`;

interface JsonReport {
  records: number;
  otherLines: number;
  suppressed: number;
  groups: {
    comm: string;
    syscall: string;
    action: string;
    count: number;
    verdict?: { origin: { kind: string; pointer?: string }; change: { kind: string } };
  }[];
  suggestion?: { names: string[] };
}

describe('sysgate violations', () => {
  test('--help has examples and the exit codes', async () => {
    const r = await runCli(['violations', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}dmesg \| sysgate violations/);
    expect(r.stdout).toMatch(/Exit codes: 0 no violation, 1 violations found/);
  });

  test('a real dmesg: table on stdout, summary on stderr, exit 1', async () => {
    const r = await runCli(['violations', DMESG]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^COUNT\s+ACTION\s+SYSCALL\s+ABI\s+PROCESS/);
    expect(r.stdout).toMatch(/KILL_THREAD\s+getpid\s+x86\s+prober/);
    expect(r.stderr).toMatch(/320 lines: 128 seccomp records, 192 other lines/);
    expect(r.stderr).toMatch(/rate limit dropped \d+ records/);
  });

  test('--json, --action and --comm; stdin', async () => {
    const text = [rec(1, 165, '0x50000'), rec(2, 0, '0x7ffc0000', 'nginx'), 'other'].join('\n');
    const stdin = vi
      .spyOn(process, 'stdin', 'get')
      .mockReturnValue(Readable.from([Buffer.from(text)]) as unknown as typeof process.stdin);
    try {
      const r = await runCli(['violations', '--json', '--action', 'errno']);
      expect(r.code, r.stderr).toBe(1);
      const j = JSON.parse(r.stdout) as JsonReport;
      expect(j.records).toBe(2);
      expect(j.groups).toMatchObject([
        { comm: 'app', syscall: 'mount', action: 'ERRNO', count: 1 },
      ]);
    } finally {
      stdin.mockRestore();
    }
    const file = join(dir, 'k.log');
    writeFileSync(file, text);
    const none = await runCli(['violations', file, '--comm', 'sshd']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
  });

  test('--profile: the deciding rule (file:line), risk and smallest change', async () => {
    const profile = join(dir, 'p.json');
    writeFileSync(
      profile,
      JSON.stringify(
        {
          defaultAction: 'SCMP_ACT_ERRNO',
          architectures: ['SCMP_ARCH_X86_64'],
          syscalls: [{ names: ['read', 'uname'], action: 'SCMP_ACT_ALLOW' }],
        },
        null,
        2,
      ),
    );
    const r = await runCli(['violations', CODES, '--profile', profile, '--arch', 'x86_64']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /ALLOW by rule \/syscalls\/0 \(.*p\.json:\d+:\d+\) for uname\s+info\s+none \(runs\)/,
    );
    expect(r.stdout).toMatch(/ERRNO\(1\) EPERM by the profile's defaultAction/);
    expect(r.stderr).toMatch(
      /smallest change: add the rule \{"names":\[.*"times".*\],"action":"SCMP_ACT_ALLOW"\}/,
    );
    const j = JSON.parse(
      (await runCli(['violations', CODES, '--profile', profile, '--json'])).stdout,
    ) as JsonReport;
    expect(j.groups.every((g) => g.verdict !== undefined)).toBe(true);
    expect(j.suggestion?.names).toContain('times');
    // seccomp-codes calls number 999, which no table names: nothing to allow by name.
    expect(j.suggestion?.names.some((n) => n.startsWith('#'))).toBe(false);
  });

  test.each([
    [['violations', '/nonexistent/kern.log'], /no such file/],
    [['violations', DMESG, '--since', 'last tuesday-ish'], /--since: cannot read/],
    [['violations', DMESG, '--action', 'maybe'], /--action must be one of/],
    [['violations', DMESG, '--profile', '/nonexistent.json'], /nonexistent/],
  ])('%j is exit 2', async (args, msg) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  });

  test('--since/--until on record times', async () => {
    const file = join(dir, 't.log');
    writeFileSync(file, [rec(1, 0, '0x7ffc0000'), rec(2, 1, '0x7ffc0000')].join('\n'));
    const r = await runCli([
      'violations',
      file,
      '--since',
      '@1795453800',
      '--until',
      '2026-11-24T00:00:00Z',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect((JSON.parse(r.stdout) as JsonReport).groups).toHaveLength(2);
    const later = await runCli(['violations', file, '--since', '@1795453801']);
    expect(later.code).toBe(0);
  });
});
