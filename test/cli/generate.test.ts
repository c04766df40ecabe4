import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { validateForRunc as validateProfileSource } from '../../src/runc/index.js';
import { runCli } from './run-cli.js';

const TRACES = resolve(import.meta.dirname, '../fixtures/corpus/traces');

describe('sysgate generate', () => {
  test('--help has examples', async () => {
    const r = await runCli(['generate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}.*sysgate generate/);
  });

  test('a -f trace to a profile file and evidence, atomically written and valid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-gen-'));
    const out = join(dir, 'p.json');
    const ev = join(dir, 'e.json');
    const r = await runCli([
      'generate',
      '--from',
      join(TRACES, 'python-f.strace'),
      '-o',
      out,
      '--evidence',
      ev,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const v = validateProfileSource(readFileSync(out, 'utf8'), out);
    expect(v.valid).toBe(true);
    expect(JSON.parse(readFileSync(ev, 'utf8'))).toMatchObject({
      format: 'sysgate-evidence',
      version: 1,
    });
    expect(r.stderr).toMatch(/\d+ calls, \d+ syscalls from 1 input\(s\)/);
  });

  test('mixed inputs (strace -c table, audit log, -ff directory) merge; stdout by default', async () => {
    const r = await runCli([
      'generate',
      '--from',
      join(TRACES, 'python-c-f.txt'),
      join(TRACES, 'seccomp/netlink-docker-log-all.txt'),
      join(TRACES, 'ff'),
      '--mode',
      'audit',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { defaultAction: string; syscalls: { names: string[] }[] };
    expect(p.defaultAction).toBe('SCMP_ACT_LOG');
    expect(r.stderr).toMatch(/from 3 input\(s\)/);
  });

  test.each([
    [['--mode', 'loud'], /--mode must be/],
    [['--target', 'k8s'], /--target must be/],
    [['--errno', 'EACCES'], /--errno must be/],
    [['--arch', 'vax'], /unknown architecture/],
  ])('bad option %j exits 2', async (extra, msg) => {
    const r = await runCli(['generate', '--from', join(TRACES, 'git-init.strace'), ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  });

  test('a broken evidence file is exit 2 with a pointer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-gen-'));
    const bad = join(dir, 'bad.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      bad,
      '{"format":"sysgate-evidence","version":1,"host":"x86_64","syscalls":[{"abi":"x86_64","name":"read","count":"x"}]}',
    );
    const r = await runCli(['generate', '--from', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\(at \/syscalls\/0\/count\)/);
  });
});
