import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const dir = resolve(import.meta.dirname, '../fixtures/diff');
const oldFile = join(dir, 'old.json');
const newFile = join(dir, 'new.json');
const base = ['--host', 'x86_64', '--caps', 'none', '--kernel', '6.1', '--libseccomp', '2.5.4'];

interface JsonDiff {
  differences: {
    abi: string;
    syscall: string;
    nr: number;
    old: string;
    new: string;
    args: string[];
    change: string;
  }[];
}

describe('sysgate diff', () => {
  test('--json: one entry per differing region, actions as explain spells them, args as decimal strings', async () => {
    const r = await runCli(['diff', oldFile, newFile, ...base, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as JsonDiff;
    const rows = j.differences.map((d) => [d.abi, d.syscall, d.nr, d.old, d.new, d.change]);
    expect(rows).toEqual([
      ['x86_64', 'write', 1, 'ALLOW', 'ERRNO(1) EPERM', 'tighter'],
      ['x86_64', 'socket', 41, 'ERRNO(1) EPERM', 'ALLOW', 'looser'],
      ['x86_64', 'clone', 56, 'ERRNO(1) EPERM', 'ALLOW', 'looser'],
    ]);
    for (const d of j.differences) {
      expect(d.args).toHaveLength(6);
      for (const a of d.args) expect(a).toMatch(/^\d+$/);
    }
    // The explain command agrees with each counterexample on both sides.
    for (const d of j.differences) {
      for (const [file, want] of [
        [oldFile, d.old],
        [newFile, d.new],
      ] as const) {
        const e = await runCli(['explain', file, d.syscall, ...d.args, ...base, '--json']);
        expect((JSON.parse(e.stdout) as { actionText: string }).actionText).toBe(want);
      }
    }
  });

  test('--fail-on: looser trips on a widening, tighter on a narrowing, any on both', async () => {
    expect((await runCli(['diff', oldFile, newFile, ...base, '--fail-on', 'looser'])).code).toBe(1);
    expect((await runCli(['diff', oldFile, newFile, ...base, '--fail-on', 'tighter'])).code).toBe(
      1,
    );
    expect((await runCli(['diff', oldFile, oldFile, ...base, '--fail-on', 'any'])).code).toBe(0);
    const tmp = mkdtempSync(join(tmpdir(), 'sysgate-diff-'));
    const narrower = join(tmp, 'narrower.json');
    writeFileSync(
      narrower,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
      }),
    );
    expect((await runCli(['diff', oldFile, narrower, ...base, '--fail-on', 'looser'])).code).toBe(
      0,
    );
    expect((await runCli(['diff', narrower, oldFile, ...base, '--fail-on', 'looser'])).code).toBe(
      1,
    );
    expect((await runCli(['diff', oldFile, newFile, ...base, '--fail-on', 'wider'])).code).toBe(2);
  });

  test('text output names the region, a call and the deciding rules with positions', async () => {
    const r = await runCli(['diff', oldFile, newFile, ...base]);
    // The region is read off the compiled BPF: `<= 0x2` and `< 0x3` are the same bound, written as
    // the code generator happens to compare.
    expect(r.stdout).toMatch(
      /x86_64 socket \(41\): ERRNO\(1\) EPERM -> ALLOW \[looser\] where args\[0\]\.lo != 0x1 && args\[0\]\.lo (?:<= 0x2|< 0x3) && args\[0\]\.hi == 0x0/,
    );
    expect(r.stdout).toContain('e.g. socket(0, 0, 0, 0, 0, 0)');
    expect(r.stdout).toMatch(/new \(rule \/syscalls\/1 \(.*new\.json:\d+:\d+\) for socket\)/);
    expect(r.stdout).toContain('3 syscall(s) decided differently (2 looser, 1 tighter');
    const same = await runCli(['diff', oldFile, oldFile, ...base]);
    expect(same.stdout).toContain('no difference in decisions on x86_64, x86, x32');
  });

  test('a raw BPF side equals the profile it was compiled from', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sysgate-diff-'));
    const bpf = join(tmp, 'new.bpf');
    const c = await runCli([
      'compile',
      newFile,
      '--arch',
      ...base.slice(1),
      '--format',
      'raw',
      '-o',
      bpf,
    ]);
    expect(c.code).toBe(0);
    const r = await runCli(['diff', newFile, bpf, ...base, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as JsonDiff).differences).toEqual([]);
    const d = await runCli(['diff', oldFile, `bpf:${bpf}`, ...base, '--json']);
    expect((JSON.parse(d.stdout) as JsonDiff).differences.map((x) => x.syscall)).toEqual([
      'write',
      'socket',
      'clone',
    ]);
  });

  test('--arch limits the ABIs; an unknown side is bad input', async () => {
    const r = await runCli(['diff', oldFile, newFile, ...base, '--arch', 'x86', '--json']);
    expect((JSON.parse(r.stdout) as JsonDiff).differences).toEqual([]);
    const bad = await runCli(['diff', oldFile, join(dir, 'missing.json'), ...base]);
    expect(bad.code).toBe(2);
  });
});
