/**
 * `sysgate lint` in-process: exit codes (0 clean, 1 error findings, 2 bad input, never 70), the JSON
 * shape, rule settings from --rule and --config, stdin, and --fix writing the file atomically.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { RUNC_POST_LOAD } from '../../src/kb/index.js';
import { runCli } from './run-cli.js';

const stdin = vi.hoisted(() => ({ text: '' }));
vi.mock('node:fs', async (importOriginal) =>
  (await import('./stdin-mock.js')).fsWithStdin(await importOriginal<typeof fs>(), stdin),
);

const dir = mkdtempSync(path.join(tmpdir(), 'sysgate-lint-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const HOST = ['--arch', 'x86_64', '--caps', 'default', '--kernel', '6.1', '--libseccomp', '2.5.4'];

function file(name: string, value: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value, null, 2) + '\n');
  return p;
}

const ARCHES = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
// Clean under every rule: what runc itself calls after loading the filter, futex_time64 for 32-bit
// glibc, and clone3 answered with ENOSYS (the default stays EPERM: Docker before 23.0 drops
// defaultErrnoRet).
const clean = {
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ARCHES,
  syscalls: [
    { names: [...Object.keys(RUNC_POST_LOAD), 'futex_time64'], action: 'SCMP_ACT_ALLOW' },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  ],
};
const risky = {
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ARCHES,
  syscalls: [
    { names: ['read', 'write', 'socket', 'mount'], action: 'SCMP_ACT_ALLOW' },
    { names: ['kill'], action: 'SCMP_ACT_ERRNO' },
    { names: ['execve'], action: 'SCMP_ACT_ALLOW' },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  ],
};

describe('sysgate lint', () => {
  test('a clean profile exits 0 with no output on stdout', async () => {
    const r = await runCli(['lint', ...HOST, file('clean.json', clean)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('0 error(s), 0 warning(s)');
  });

  test('findings as FILE:LINE:COL with pointers; an error finding exits 1', async () => {
    const f = file('risky.json', risky);
    const r = await runCli(['lint', ...HOST, f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${f}:14:9: error[critical-allowed]:`);
    expect(r.stdout).toContain('(at /syscalls/0/names/3)');
    expect(r.stdout).toContain(`${f}:13:9: warning[socket-family]:`);
    expect(r.stdout).toContain(`${f}:22:17: warning[runc-dropped]:`);
  });

  test('--format json: {"findings": [...]} with the documented fields', async () => {
    const f = file('risky.json', risky);
    const r = await runCli(['lint', ...HOST, '--format', 'json', f]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { findings: Record<string, unknown>[] };
    expect(Object.keys(doc)).toEqual(['findings']);
    const crit = doc.findings.find((x) => x.rule === 'critical-allowed');
    expect(crit).toMatchObject({
      file: f,
      rule: 'critical-allowed',
      severity: 'error',
      pointer: '/syscalls/0/names/3',
      line: 14,
      column: 9,
    });
    expect(typeof crit?.message).toBe('string');
    for (const x of doc.findings) expect(['error', 'warning', 'info']).toContain(x.severity);
  });

  test('--rule turns a rule off or up; --config from YAML', async () => {
    const f = file('risky.json', risky);
    const off = await runCli(['lint', ...HOST, '--rule', 'critical-allowed=off', f]);
    expect(off.code).toBe(0);
    expect(off.stdout).not.toContain('critical-allowed');
    const up = await runCli([
      'lint',
      ...HOST,
      '--rule',
      'critical-allowed=off',
      '--rule',
      'socket-family=error',
      f,
    ]);
    expect(up.code).toBe(1);
    expect(up.stdout).toContain('error[socket-family]');
    const cfg = file('lint.yaml', 'rules:\n  critical-allowed: warn\n  runc-dropped: off\n');
    const c = await runCli(['lint', ...HOST, '--config', cfg, f]);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('warning[critical-allowed]');
    expect(c.stdout).not.toContain('runc-dropped');
  });

  test('--config as JSON; a config with an unknown key is a usage error', async () => {
    const f = file('risky.json', risky);
    const json = file('lint.json', { rules: { 'critical-allowed': 'off' } });
    const ok = await runCli(['lint', ...HOST, '--config', json, '--json', f]);
    const doc = JSON.parse(ok.stdout) as { findings: { rule: string }[] };
    expect(doc.findings.some((x) => x.rule === 'critical-allowed')).toBe(false);
    expect(doc.findings.some((x) => x.rule === 'socket-family')).toBe(true);
    const bad = file('bad.yaml', 'rule:\n  shadowed: off\n');
    const r = await runCli(['lint', ...HOST, '--config', bad, f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown key(s) rule');
  });

  test.each([
    ['an unknown rule', ['--rule', 'no-such-rule=off'], /no lint rule 'no-such-rule'/],
    ['a bad setting', ['--rule', 'shadowed=loud'], /'loud' is not a rule setting/],
    ['a bad format', ['--format', 'xml'], /--format must be text, json or sarif/],
  ])('%s is a usage error (exit 2)', async (_n, args, msg) => {
    const r = await runCli(['lint', ...HOST, ...args, file('clean.json', clean)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  });

  test('a syntax error, a non-profile and a missing file are bad input (exit 2), others still linted', async () => {
    const broken = file('broken.json', '{"defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n');
    const notProfile = file('list.json', '[1, 2]');
    const r = await runCli([
      'lint',
      ...HOST,
      broken,
      notProfile,
      path.join(dir, 'missing.json'),
      file('risky.json', risky),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`${broken.replaceAll('.', '\\.')}:\\d+:\\d+: error\\[syntax\\]`),
    );
    expect(r.stderr).toContain(`${notProfile}: not linted`);
    expect(r.stderr).toContain('missing.json: error[unreadable]');
    expect(r.stdout).toContain('error[critical-allowed]');
  });

  test('- reads standard input', async () => {
    stdin.text = JSON.stringify(risky);
    const r = await runCli(['lint', ...HOST, '--json', '-']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { findings: { file: string }[] };
    expect(doc.findings.every((x) => x.file === '-')).toBe(true);
  });

  test('--fix removes what runc skips, atomically, and keeps the rest of the file', async () => {
    const text = [
      '{',
      '  "defaultAction": "SCMP_ACT_ERRNO",',
      '  "architectures": ["SCMP_ARCH_X86_64"],',
      '  "syscalls": [',
      '    { "names": ["read", "gettpid", "write", "exit_group", "execve"], "action": "SCMP_ACT_ALLOW" },',
      '    { "names": ["kill"], "action": "SCMP_ACT_ERRNO" }',
      '  ]',
      '}',
      '',
    ].join('\n');
    const sub = mkdtempSync(path.join(dir, 'fix-'));
    const f = path.join(sub, 'p.json');
    writeFileSync(f, text);
    const r = await runCli(['lint', ...HOST, '--fix', f]);
    expect(r.stderr).toContain('applied 2 fix(es)');
    expect(readFileSync(f, 'utf8')).toBe(
      [
        '{',
        '  "defaultAction": "SCMP_ACT_ERRNO",',
        '  "architectures": ["SCMP_ARCH_X86_64"],',
        '  "syscalls": [',
        '    { "names": ["read", "write", "exit_group", "execve"], "action": "SCMP_ACT_ALLOW" }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
    expect(readdirSync(sub)).toEqual(['p.json']);
    expect(r.stdout).not.toContain('runc-dropped');
    const again = await runCli(['lint', ...HOST, '--fix', f]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('applied');
  });

  test('--fix refuses standard input', async () => {
    stdin.text = JSON.stringify(clean);
    const r = await runCli(['lint', ...HOST, '--fix', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--fix cannot rewrite standard input');
  });

  test('--help has examples', async () => {
    const r = await runCli(['lint', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--format sarif');
  });
});
