import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { validateForRunc as validateProfileSource } from '../../src/runc/index.js';
import { runCli } from './run-cli.js';

const TRACES = resolve(import.meta.dirname, '../fixtures/corpus/traces');

describe('sysgate generate', () => {
  test('--help has examples', async () => {
    const r = await runCli(['generate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}.*sysgate generate/);
  });

  test('--help shows the policy controls with examples', async () => {
    const r = await runCli(['generate', '--help']);
    expect(r.stdout).toMatch(/--deny <names\.\.\.>/);
    expect(r.stdout).toMatch(/--socket-families <families\.\.\.>/);
    expect(r.stdout).toMatch(/sysgate generate --from app\.strace --socket-families AF_UNIX/);
    expect(r.stdout).toMatch(/sysgate generate --from app\.strace --deny=-personality/);
  });

  test('--socket-families and --deny win over the evidence, one warning per overridden call', async () => {
    const r = await runCli([
      'generate',
      '--from',
      join(TRACES, 'python-f.strace'),
      '--socket-families',
      'AF_UNIX',
      '--deny',
      '+mkdir',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as {
      syscalls: { names: string[]; action: string; args?: { value: number }[] }[];
    };
    const socket = p.syscalls.filter((x) => x.names.includes('socket'));
    expect(socket.map((x) => x.args?.[0]?.value)).toEqual([1]);
    expect(p.syscalls.some((x) => x.action === 'SCMP_ACT_ALLOW' && x.names.includes('mkdir'))).toBe(
      false,
    );
    expect(r.stderr).toMatch(
      /^warning: socket: family AF_INET \(2\) is outside --socket-families: the workload used it 1 time \(python3\), refused anyway$/m,
    );
    expect(r.stderr).toMatch(
      /^warning: mkdir is on the never-allow list \(--deny\): the workload made it \d+ times? \(python3\), refused anyway$/m,
    );
    expect(r.stderr).toMatch(
      /^note: \d+ refused syscalls \(25 on the never-allow list\) are left to the default/m,
    );
  });

  test('--stats lists every refused syscall with its risk and reason, and the overrides', async () => {
    const r = await runCli([
      'generate',
      '--from',
      join(TRACES, 'argdecode-Xabbrev.strace'),
      '--stats',
      '-o',
      join(mkdtempSync(join(tmpdir(), 'sg-gen-')), 'p.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(r.stderr) as {
      overrides: string[];
      refused: { name: string; risk: string; reason: string; denied: boolean; rule: boolean }[];
    };
    expect(stats.overrides).toEqual([
      'personality is on the never-allow list (--deny): the workload made it 4 times, refused anyway',
      'unshare is on the never-allow list (--deny): the workload made it 1 time, refused anyway',
    ]);
    expect(stats.refused).toContainEqual(
      expect.objectContaining({ name: 'ptrace', risk: 'high', denied: true, rule: false }),
    );
    expect(stats.refused).toContainEqual(
      expect.objectContaining({ name: 'io_uring_setup', risk: 'critical', denied: false }),
    );
  });

  test('calls in flight past the cap are counted as interrupted and reported in --stats and the evidence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-gen-'));
    const log = join(dir, 'unfinished.strace');
    // 70,000 threads each entering a read that never returns: 4,464 past the cap of 65,536.
    const lines: string[] = [];
    for (let t = 0; t < 70_000; t++) lines.push(`${1000 + t} read(3,  <unfinished ...>`);
    lines.push('999 getpid() = 999');
    writeFileSync(log, lines.join('\n') + '\n');
    const ev = join(dir, 'e.json');
    const r = await runCli([
      'generate',
      '--from',
      log,
      '--stats',
      '--evidence',
      ev,
      '-o',
      join(dir, 'p.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    // The parser's warning comes first, then the stats.
    expect(r.stderr).toMatch(
      /more than 65536 calls in flight: the oldest are reported as interrupted/,
    );
    const stats = JSON.parse(r.stderr.slice(r.stderr.search(/^\{/m))) as {
      inFlight: unknown;
      calls: number;
    };
    expect(stats.inFlight).toEqual({ max: 65_536, dropped: 4_464 });
    expect(stats.calls).toBe(70_001);
    const evidence = JSON.parse(readFileSync(ev, 'utf8')) as { meta: { inFlight: unknown } };
    expect(evidence.meta.inFlight).toEqual({ max: 65_536, dropped: 4_464 });
    const plain = await runCli(['generate', '--from', log, '-o', join(dir, 'q.json')]);
    expect(plain.stderr).toContain(
      '4464 calls still in flight past the cap of 65536 were counted as interrupted',
    );
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
    [['--deny', 'ptarce'], /'ptarce' is not a syscall name \(did you mean ptrace\?\)/],
    [['--deny=-mkdir'], /mkdir is not on the never-allow list/],
    [['--socket-families', 'AF_UNX'], /unknown address family 'AF_UNX'/],
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

describe('sysgate generate --widen', () => {
  test('none allows exactly the trace; safe (the default) adds labelled equivalents; bad mode is exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-widen-'));
    const from = join(TRACES, 'python-f.strace');
    const names = (f: string): Set<string> =>
      new Set(
        (
          JSON.parse(readFileSync(f, 'utf8')) as {
            syscalls: { names: string[]; action: string }[];
          }
        ).syscalls
          .filter((x) => x.action === 'SCMP_ACT_ALLOW')
          .flatMap((x) => x.names),
      );
    const none = await runCli([
      'generate',
      '--from',
      from,
      '--widen',
      'none',
      '-o',
      join(dir, 'n.json'),
    ]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).not.toMatch(/widened/);
    const safe = await runCli([
      'generate',
      '--from',
      from,
      '-o',
      join(dir, 's.json'),
      '--evidence',
      join(dir, 'e.json'),
    ]);
    expect(safe.code, safe.stderr).toBe(0);
    expect(safe.stderr).toMatch(/note: widened by \d+ call\(s\) not recorded/);
    const n = names(join(dir, 'n.json'));
    const s = names(join(dir, 's.json'));
    for (const x of n) expect(s.has(x), x).toBe(true);
    const ev = JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as {
      widened: { name: string }[];
    };
    expect([...s].filter((x) => !n.has(x)).sort()).toEqual(ev.widened.map((w) => w.name).sort());
    const bad = await runCli(['generate', '--from', from, '--widen', 'all']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--widen must be none, safe or families');
  });
});

describe('sysgate generate from kernel logs', () => {
  const rec = (serial: number, nr: number, code: string): string =>
    `[ 1100.14${serial}] audit: type=1326 audit(1795453800.709:${serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=10098 comm="app" exe="/usr/bin/app" sig=0 arch=c000003e syscall=${nr} compat=0 ip=0x7fdc8af92b07 code=${code}`;

  test('dmesg | sysgate generate --from -: records past line 50 are read; refused ones are reported, not allowed', async () => {
    const boot = Array.from(
      { length: 80 },
      (_, i) => `[    0.${1000 + i}] virtio-pci 0000:00:0${i % 9}.0: enabling device`,
    );
    const text = [
      ...boot,
      rec(1, 257, '0x7ffc0000'),
      rec(2, 165, '0x50000'),
      rec(3, 101, '0x80000000'),
    ].join('\n');
    const { Readable } = await import('node:stream');
    const stdin = vi
      .spyOn(process, 'stdin', 'get')
      .mockReturnValue(Readable.from([Buffer.from(text)]) as unknown as typeof process.stdin);
    try {
      const r = await runCli(['generate', '--from', '-', '--mode', 'audit']);
      expect(r.code, r.stderr).toBe(0);
      const p = JSON.parse(r.stdout) as { syscalls: { names: string[]; action: string }[] };
      const allowed = p.syscalls
        .filter((x) => x.action === 'SCMP_ACT_ALLOW')
        .flatMap((x) => x.names);
      expect(allowed).toContain('openat');
      expect(allowed).not.toContain('mount');
      expect(allowed).not.toContain('ptrace');
      expect(r.stderr).toMatch(
        /refused, not allowed: mount \(x86_64\): 1 record refused \(ERRNO 1\) by app/,
      );
      expect(r.stderr).toMatch(
        /refused, not allowed: ptrace \(x86_64\): 1 record refused \(KILL_PROCESS 1\)/,
      );
      expect(r.stderr).toMatch(/\(2 refused records left out\)/);
    } finally {
      stdin.mockRestore();
    }
  });

  test('a kernel log without seccomp records: a warning saying so, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-gen-'));
    const log = join(dir, 'dmesg.txt');
    writeFileSync(
      log,
      Array.from({ length: 60 }, (_, i) => `[    0.${1000 + i}] pci 0000:00:0${i % 9}.0: ok`).join(
        '\n',
      ),
    );
    const r = await runCli(['generate', '--from', log]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/warning: .*dmesg\.txt: no seccomp records among 60 lines/);
  });

  test('--stats: a JSON summary with the refusals; only refusals is exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-gen-'));
    const log = join(dir, 'kern.log');
    writeFileSync(log, [rec(1, 257, '0x7ffc0000'), rec(2, 165, '0x50000')].join('\n'));
    const r = await runCli(['generate', '--from', log, '--stats']);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(r.stderr.slice(r.stderr.indexOf('{'))) as {
      syscalls: number;
      refusals: { name: string; actions: Record<string, number> }[];
    };
    expect(stats.syscalls).toBe(1);
    expect(stats.refusals).toMatchObject([{ name: 'mount', actions: { ERRNO: 1 } }]);
    writeFileSync(log, rec(2, 165, '0x50000'));
    const only = await runCli(['generate', '--from', log]);
    expect(only.code).toBe(2);
    expect(only.stderr).toMatch(/no call that ran: 1 syscall\(s\) only refused or killed/);
  });
});

describe('sysgate output draws no warning; one libseccomp default (issue 9 item 16)', () => {
  test.each(['enforce', 'audit', 'kill'])(
    'generate --mode %s, then validate, compile and explain: no warning line',
    async (mode) => {
      const dir = mkdtempSync(join(tmpdir(), 'sg-gen-'));
      const out = join(dir, 'p.json');
      const g = await runCli([
        'generate',
        '--from',
        join(TRACES, 'git-commit.strace'),
        '--mode',
        mode,
        '--target',
        'docker',
        '-o',
        out,
      ]);
      expect(g.code, g.stderr).toBe(0);
      const v = await runCli(['validate', out]);
      expect(v.stderr).toMatch(/0 error\(s\), 0 warning\(s\)/);
      for (const args of [
        ['compile', out, '-o', join(dir, 'p.bpf')],
        ['explain', out, 'read'],
      ]) {
        const r = await runCli(args);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toMatch(/warning/);
      }
    },
  );

  test('validate and compile count the same warnings on one file', async () => {
    const file = resolve(import.meta.dirname, '../fixtures/profile/warnings.json');
    const v = await runCli(['validate', file]);
    const n = /(\d+) warning\(s\)$/m.exec(v.stderr)?.[1];
    const c = await runCli(['compile', file, '-o', join(mkdtempSync(join(tmpdir(), 'sg-')), 'x')]);
    expect(c.stderr).toContain(`${n ?? '?'} warning(s) about what the real stack ignores`);
  });
});
