import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const TRACES = resolve(import.meta.dirname, '../fixtures/corpus/traces');

describe('sysgate merge', () => {
  test('--help has examples', async () => {
    const r = await runCli(['merge', '--help']);
    expect(r.stdout).toMatch(/Examples:\n {2}sysgate merge/);
  });

  test('profiles and evidence files, with coverage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-merge-'));
    for (const w of ['git-init', 'git-add', 'node-f']) {
      const r = await runCli([
        'generate',
        '--from',
        join(TRACES, `${w}.strace`),
        '-o',
        join(dir, `${w}.json`),
        '--evidence',
        join(dir, `${w}.ev.json`),
      ]);
      expect(r.code, r.stderr).toBe(0);
    }
    const p = await runCli([
      'merge',
      join(dir, 'git-init.json'),
      join(dir, 'git-add.json'),
      join(dir, 'node-f.json'),
      '-o',
      join(dir, 'm.json'),
    ]);
    expect(p.code, p.stderr).toBe(0);
    interface Doc {
      syscalls: { names: string[]; action: string }[];
    }
    const names = (f: string): Set<string> =>
      new Set(
        (JSON.parse(readFileSync(join(dir, f), 'utf8')) as Doc).syscalls
          .filter((r) => r.action === 'SCMP_ACT_ALLOW')
          .flatMap((r) => r.names),
      );
    const all = names('m.json');
    for (const f of ['git-init.json', 'git-add.json', 'node-f.json'])
      for (const n of names(f)) expect(all.has(n), n).toBe(true);

    const e = await runCli(['merge', join(dir, 'git-init.ev.json'), join(dir, 'git-add.ev.json')]);
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout) as {
      meta: { inputs: number };
      syscalls: { name: string; coverage: number }[];
    };
    expect(ev.meta.inputs).toBe(2);
    expect(ev.syscalls.find((s) => s.name === 'execve')?.coverage).toBe(2);
    expect(e.stderr).toMatch(/2 input\(s\): \d+ syscalls, \d+ seen by every input/);
  });

  test('mixing profiles and evidence is exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-merge-'));
    await runCli([
      'generate',
      '--from',
      join(TRACES, 'git-init.strace'),
      '-o',
      join(dir, 'p.json'),
      '--evidence',
      join(dir, 'e.json'),
    ]);
    const r = await runCli(['merge', join(dir, 'p.json'), join(dir, 'e.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot merge profiles with evidence/);
  });
});
