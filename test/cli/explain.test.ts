import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const fixture = resolve(import.meta.dirname, '../fixtures/compile/small-allowlist.json');
const base = ['--host', 'x86_64', '--caps', 'none', '--kernel', '6.1'];

describe('sysgate explain', () => {
  test('names the deciding rule with its line and column', async () => {
    const r = await runCli(['explain', fixture, 'socket', 'AF_INET', ...base]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('socket(AF_INET) on x86_64: ALLOW');
    // The socket rule is the second entry of the fixture, on line 6.
    expect(r.stdout).toMatch(
      /decided by rule \/syscalls\/1 \(.*small-allowlist\.json:6:\d+\) for socket/,
    );
    expect(r.stdout).toMatch(/BPF path \(\d+ instructions executed\)/);
    expect(r.stdout).toContain('return ALLOW');
  });

  test('the default action, with the errno named', async () => {
    const r = await runCli(['explain', fixture, 'socket', '10', ...base]);
    expect(r.stdout).toContain('ERRNO(1) EPERM');
    expect(r.stdout).toContain("decided by the profile's defaultAction");
  });

  test('other rules naming the syscall, with why each did not decide', async () => {
    const moby = resolve(import.meta.dirname, '../../examples/docker-default.json');
    // mount is allowed only by the rule that includes CAP_SYS_ADMIN (moby default.json).
    const noCaps = await runCli(['explain', moby, 'mount', ...base]);
    expect(noCaps.stdout).toContain("decided by the profile's defaultAction");
    expect(noCaps.stdout).toMatch(
      /also named by rule \/syscalls\/\d+ \(line \d+\): not on this host \(includes\.caps: CAP_SYS_ADMIN is missing\)/,
    );
    const admin = await runCli([
      'explain',
      moby,
      'mount',
      '--host',
      'x86_64',
      '--caps',
      'CAP_SYS_ADMIN',
      '--kernel',
      '6.1',
    ]);
    expect(admin.stdout).toContain('mount() on x86_64: ALLOW');
    expect(admin.stdout).not.toContain('also named by');
    // Debian's libseccomp 2.5.4 does not know mseal: runc skips the name, the stub answers ENOSYS.
    const mseal = await runCli(['explain', moby, 'mseal', ...base, '--libseccomp', '2.5.4']);
    expect(mseal.stdout).toContain('mseal() on x86_64: ERRNO(38) ENOSYS');
    expect(mseal.stdout).toMatch(
      /libseccomp 2\.5\.4 does not know mseal on x86_64, so runc skips the rule/,
    );
    const mseal26 = await runCli(['explain', moby, 'mseal', ...base, '--libseccomp', '2.6']);
    expect(mseal26.stdout).toContain('mseal() on x86_64: ALLOW');
    // A rule whose action equals the default is dropped by runc (docs/semantics.md#runc-equals-default).
    const tmp = mkdtempSync(join(tmpdir(), 'sysgate-explain-'));
    const file = join(tmp, 'p.json');
    writeFileSync(
      file,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      }),
    );
    const same = await runCli(['explain', file, 'mount', ...base]);
    expect(same.stdout).toMatch(
      /also named by rule \/syscalls\/0 \(line 1\): its action equals the default action, and runc drops such rules/,
    );
  });

  test('other rules: read from the fates the plan recorded (shadowed by which rule, split)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sysgate-explain-'));
    const file = join(tmp, 'p.json');
    writeFileSync(
      file,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ERRNO' },
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
          { names: ['read'], action: 'SCMP_ACT_KILL' },
          {
            names: ['personality'],
            action: 'SCMP_ACT_ALLOW',
            args: [
              { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
              { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
            ],
          },
          {
            names: ['personality'],
            action: 'SCMP_ACT_LOG',
            args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }],
          },
        ],
      }),
    );
    const r = await runCli(['explain', file, 'read', ...base]);
    expect(r.stdout).toContain('decided by rule /syscalls/1');
    expect(r.stdout).toMatch(/also named by rule \/syscalls\/0 .*runc drops such rules/);
    expect(r.stdout).toMatch(
      /also named by rule \/syscalls\/2 .*shadowed in libseccomp's rule database by \/syscalls\/1/,
    );
    const p = await runCli(['explain', file, 'personality', '1', '7', ...base]);
    expect(p.stdout).toContain('decided by rule /syscalls/3');
    expect(p.stdout).toMatch(/also named by rule \/syscalls\/4 .*conditional/);
    const q = await runCli(['explain', file, 'personality', '5', '0', ...base]);
    expect(q.stdout).toContain('decided by rule /syscalls/4');
    expect(q.stdout).toMatch(
      /also named by rule \/syscalls\/3 .*split it into 2 one-condition rules: argument index 0 repeats/,
    );
  });

  test('--json carries action, errno, origin, position and the BPF path', async () => {
    const r = await runCli(['explain', fixture, 'ptrace', ...base, '--json']);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & {
      bpf: { value: number; path: unknown[] };
      origin: { pointer: string };
      position: { line: number };
    };
    expect(j.action).toBe('kill_process');
    expect(j.origin.pointer).toBe('/syscalls/3');
    expect(j.position.line).toBe(8); // ptrace is on line 8 of the fixture
    expect(j.bpf.value).toBe(j.value);
    expect(j.bpf.path.length).toBeGreaterThan(3);
  });

  test('x86 ABI on an x86_64 host, symbolic and hex arguments', async () => {
    const r = await runCli([
      'explain',
      fixture,
      'personality',
      '0x8',
      ...base,
      '--arch',
      'x86',
      '--json',
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({
      abi: 'x86',
      syscall: 'personality',
      actionText: 'ALLOW',
    });
    const c = await runCli([
      'explain',
      fixture,
      'clone',
      'CLONE_NEWUSER|SIGCHLD',
      ...base,
      '--json',
    ]);
    expect((JSON.parse(c.stdout) as { args: number[] }).args[0]).toBe(0x10000000 + 17);
  });

  test('--bpf explains a raw filter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-explain-'));
    const file = join(dir, 'f.bpf');
    expect(
      (
        await runCli([
          'compile',
          fixture,
          '--arch',
          'x86_64',
          '--caps',
          'none',
          '--format',
          'raw',
          '-o',
          file,
        ])
      ).code,
    ).toBe(0);
    const r = await runCli(['explain', '--bpf', file, 'getpid', '--arch', 'x86_64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('getpid() on x86_64: ALLOW');
    expect(r.stdout).toContain('the filter decides getpid without looking at its arguments');
    const k = await runCli(['explain', '--bpf', file, 'ptrace', '--arch', 'x86_64']);
    expect(k.stdout).toContain('KILL_PROCESS');
    // The lifter (compile/lift.ts) reads the raw filter: socket is allowed for some families only.
    const s = await runCli(['explain', '--bpf', file, 'socket', 'AF_INET', '--arch', 'x86_64']);
    expect(s.stdout).toContain('the filter tests the arguments of socket');
  });

  test.each([
    [0x50000 + 4096, 'ERRNO(4095)', 'the kernel caps errno at 4095'],
    [0x5ffff, 'ERRNO(4095)', 'the filter returns ERRNO(65535)'],
    [0x50000 + 4095, 'ERRNO(4095)', undefined],
    [0x10000, 'KILL_PROCESS', '0x10000 is not a seccomp action'],
    [0x7ffe0000, 'KILL_PROCESS', 'the kernel kills the process'],
  ])('--bpf prints what the kernel does with return value %i', async (k, action, why) => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-explain-'));
    const file = join(dir, 'ret.bpf');
    const insn = Buffer.alloc(8);
    insn.writeUInt16LE(0x06, 0);
    insn.writeUInt32LE(k, 4);
    writeFileSync(file, insn);
    const r = await runCli(['explain', '--bpf', file, 'getpid', '--arch', 'x86_64']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`getpid() on x86_64: ${action}`);
    if (why !== undefined) expect(r.stdout).toContain(why);
    else expect(r.stdout).not.toContain('caps');
  });

  test('bad input exits 2', async () => {
    expect((await runCli(['explain', fixture, 'no_such_call', ...base])).code).toBe(2);
    expect((await runCli(['explain', fixture, 'socket', 'AF_NOPE', ...base])).code).toBe(2);
    expect((await runCli(['explain', fixture])).code).toBe(2);
  });
});
