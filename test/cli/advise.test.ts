import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const TRACES = resolve(import.meta.dirname, '../fixtures/corpus/traces');

function evidenceFile(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-adv-'));
  const file = join(dir, 'ev.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'sysgate-evidence',
      version: 1,
      host: 'x86_64',
      syscalls: names.map((name) => ({
        abi: 'x86_64',
        name,
        count: 1,
        firstSeen: { source: 't', line: 1 },
      })),
    }),
  );
  return file;
}

describe('sysgate advise', () => {
  test('--help has examples', async () => {
    const r = await runCli(['advise', '--help']);
    expect(r.stdout).toMatch(/Examples:\n {2}sysgate advise/);
  });

  test('a workload Docker runs as is: exit 0, nothing needed', async () => {
    const r = await runCli([
      'advise',
      '--from',
      join(TRACES, 'git-commit.strace'),
      '--kernel',
      '6.1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/needed: nothing/);
  });

  test('ptrace on kernel 4.4: exit 1, --cap-add SYS_PTRACE; never unconfined', async () => {
    const r = await runCli([
      'advise',
      '--from',
      evidenceFile(['ptrace', 'read']),
      '--kernel',
      '4.4',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/blocked ptrace x1: EPERM; --cap-add SYS_PTRACE/);
    expect(r.stdout).toMatch(/needed: --cap-add SYS_PTRACE/);
    expect(r.stdout).not.toMatch(/unconfined/);
  });

  test('--json', async () => {
    const r = await runCli([
      'advise',
      '--json',
      '--from',
      evidenceFile(['add_key']),
      '--kernel',
      '6.1',
    ]);
    expect(r.code).toBe(1);
    const a = JSON.parse(r.stdout) as { verdict: string; blocked: { name: string }[] };
    expect(a.verdict).toBe('custom-profile');
    expect(a.blocked.map((b) => b.name)).toEqual(['add_key']);
  });

  test('a trace whose workload segfaulted: exit 1, the crash named, not "nothing needed"', async () => {
    const r = await runCli([
      'advise',
      '--from',
      join(TRACES, 'signals-sigsegv-core.strace'),
      '--kernel',
      '6.1',
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /needed: unknown: the workload crashed while recorded \(pid \d+ killed by SIGSEGV/,
    );
    expect(r.stdout).not.toMatch(/needed: nothing/);
  });

  test('SYS_MODULE for init_module is marked as breaking container isolation', async () => {
    const r = await runCli(['advise', '--from', evidenceFile(['init_module']), '--kernel', '6.1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/--cap-add SYS_MODULE \(breaks container isolation, see below\)/);
    expect(r.stdout).toMatch(/warning: SYS_MODULE breaks container isolation: .*; instead: /);
  });

  test('no input is exit 2', async () => {
    const r = await runCli(['advise']);
    expect(r.code).toBe(2);
  });
});
