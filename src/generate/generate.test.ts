import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { criticalSyscalls, DEFAULT_NEVER_ALLOW, riskOf, riskRank } from '../kb/index.js';
import { writeProfile, type Profile } from '../profile/index.js';
import { checkForRunc as checkProfile } from '../runc/check.js';
import { parseStrace } from '../trace/strace.js';
import { Observation } from '../trace/observe.js';
import { syscallNumber } from '../arch/index.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';
import { actionKind, seccompArgs } from '../bpf/seccomp.js';
import { buildPlan } from '../compile/build.js';
import { decide } from '../compile/decide.js';
import { multiplexerBypassIssues } from '../compile/multiplexer-check.js';
import { resolveProfile } from '../profile/resolve.js';
import { toEvidence, type Evidence, type EvidenceSyscall } from './evidence.js';
import { BWRAP_INIT, RUNTIME_POST_LOAD } from '../kb/index.js';
import { generateProfile, mapName, targetAbis } from './generate.js';
import { resolveSymbol } from './symbols.js';

const TRACES = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces');
const read = (f: string): string => readFileSync(join(TRACES, f), 'utf8');

function evidenceOf(...files: string[]): Evidence {
  const o = new Observation('x86_64', resolveSymbol);
  for (const f of files)
    for (const e of parseStrace(read(f)).events) if (e.kind === 'call') o.addCall(e, f);
  return toEvidence(o, { sources: files });
}

/** Syscall names in a plain `-f` trace, found by a regex independent of the parser. */
function namesInTrace(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^\d+ +(?:<\.\.\. ([a-z0-9_]+) resumed>|([a-z0-9_]+)\()/gm)) {
    const n = m[1] ?? m[2];
    if (n !== undefined) names.add(n);
  }
  return names;
}

function allowed(p: Profile): Map<string, Profile['syscalls'][number][]> {
  const m = new Map<string, Profile['syscalls'][number][]>();
  for (const r of p.syscalls)
    if (r.action === 'SCMP_ACT_ALLOW') for (const n of r.names) m.set(n, [...(m.get(n) ?? []), r]);
  return m;
}

const CORPUS = [
  'python-f.strace',
  'node-f.strace',
  'git-init.strace',
  'git-add.strace',
  'git-commit.strace',
];

describe('generateProfile: golden profiles from the corpus traces', () => {
  test.each(CORPUS)('%s', async (file) => {
    const profile = generateProfile(evidenceOf(file));
    await expect(writeProfile(profile)).toMatchFileSnapshot(
      `../../test/golden/generate/${file.replace(/\.strace$/, '')}.json`,
    );
  });
});

describe("generateProfile: bubblewrap's pid 1 (kb BWRAP_INIT)", () => {
  test.each(['bare', 'docker'] as const)(
    'target %s: wait4 allowed for bwrap init even when the workload never waited',
    (target) => {
      expect(namesInTrace(read('git-init.strace')).has('wait4')).toBe(false);
      const rules = generateProfile(evidenceOf('git-init.strace'), { target }).syscalls.filter(
        (r) => r.names.includes('wait4'),
      );
      expect(rules.map((r) => [r.action, r.args, r.comment])).toEqual([
        ['SCMP_ACT_ALLOW', [], `runtime: ${BWRAP_INIT.wait4 ?? ''}`],
      ]);
    },
  );
});

describe('generateProfile: golden widened profiles (--widen safe and families)', () => {
  test.each([
    ['python-f.strace', 'safe'],
    ['python-f.strace', 'families'],
    ['git-commit.strace', 'families'],
  ] as const)('%s, widen %s', async (file, widen) => {
    const profile = generateProfile(evidenceOf(file), { widen });
    await expect(writeProfile(profile)).toMatchFileSnapshot(
      `../../test/golden/generate/${file.replace(/\.strace$/, '')}.widen-${widen}.json`,
    );
  });
});

describe('generateProfile: properties checked against the trace text', () => {
  test.each(CORPUS)(
    '%s: every syscall in the trace is allowed, nothing else, and the checker has no errors',
    (file) => {
      const text = read(file);
      const profile = generateProfile(evidenceOf(file), { target: 'bare' });
      const allow = allowed(profile);
      const inTrace = namesInTrace(text);
      for (const n of inTrace) {
        if (n === 'clone3') continue; // answered with ENOSYS; clone is allowed instead
        expect(allow.has(n), `${n} missing`).toBe(true);
      }
      for (const n of allow.keys()) {
        if (n === 'clone') continue; // the clone3 fallback
        if (n in BWRAP_INIT) continue; // bwrap's pid 1 runs under the filter too
        expect(inTrace.has(n), `${n} allowed but not in the trace`).toBe(true);
      }
      // sysgate's own output draws no warning either (issue 9 item 16), with either libseccomp.
      expect(checkProfile(profile)).toEqual([]);
      for (const libseccomp of ['2.5.4', '2.6'] as const)
        for (const mode of ['enforce', 'audit', 'kill'] as const)
          for (const target of ['bare', 'docker'] as const)
            expect(
              checkProfile(generateProfile(evidenceOf(file), { mode, target, libseccomp }), {
                libseccomp,
              }),
              `${mode} ${target} ${libseccomp}`,
            ).toEqual([]);
    },
  );

  test.each([
    ['python-f.strace', [1n, 2n]],
    ['node-f.strace', [1n]],
  ] as const)('%s: socket allowed only for the families in the trace', (file, families) => {
    // Independent: the families printed as socket(AF_...).
    const printed = [...read(file).matchAll(/socket\((AF_[A-Z0-9]+)/g)].map((m) => m[1]);
    expect(new Set(printed).size).toBe(families.length);
    const rules = allowed(generateProfile(evidenceOf(file))).get('socket') ?? [];
    expect(rules.map((r) => r.args)).toEqual(
      families.map((f) => [{ index: 0, value: f, valueTwo: 0n, op: 'SCMP_CMP_EQ' }]),
    );
  });

  test('clone without namespace flags (moby mask), clone3 answered with ENOSYS', () => {
    const p = generateProfile(evidenceOf('python-f.strace'));
    expect(
      allowed(p)
        .get('clone')
        ?.map((r) => r.args),
    ).toEqual([[{ index: 0, value: 0x7e020000n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }]]);
    const c3 = p.syscalls.find((r) => r.names.includes('clone3'));
    expect(c3).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  });

  test('namespace flags seen in clone get their own rule; personality only the values seen', () => {
    // personality is on the default never-allow list: an empty list lets the evidence decide.
    const p = generateProfile(evidenceOf('argdecode-Xabbrev.strace'), { deny: [] });
    const clone = allowed(p)
      .get('clone')
      ?.map((r) => r.args[0]?.valueTwo);
    // The trace has clone(... flags=CLONE_NEWUTS|CLONE_NEWPID|SIGCHLD): 0x04000000|0x20000000.
    expect(read('argdecode-Xabbrev.strace')).toMatch(/flags=CLONE_NEWUTS\|CLONE_NEWPID\|SIGCHLD/);
    expect(clone).toContain(0x24000000n);
    expect(clone).toContain(0n);
    const pers = allowed(p)
      .get('personality')
      ?.map((r) => r.args[0]?.value);
    // personality(0xffffffff), (PER_LINUX|ADDR_NO_RANDOMIZE) = 0x40000, (PER_LINUX32) = 8, ...
    expect(pers).toEqual(expect.arrayContaining([0xffffffffn, 0x40000n, 8n]));
    expect(pers?.every((v) => v !== undefined)).toBe(true);
  });

  test('enforce mode: the default refuses the critical syscalls; no block runc would skip', () => {
    const p = generateProfile(evidenceOf('git-commit.strace'));
    expect(p.syscalls.some((r) => r.comment?.startsWith('critical syscalls') === true)).toBe(false);
    const resolved = resolveProfile(p, { arch: 'x86_64', ...HOST });
    if (resolved === null) throw new Error('no seccomp');
    const plan = buildPlan(resolved, { arch: 'x86_64' });
    for (const n of ['mount', 'ptrace', 'bpf', 'unshare', 'init_module', 'kexec_load']) {
      const nr = syscallNumber('x86_64', n) ?? -1;
      const d = decide(plan, {
        arch: 0xc000003e,
        nr,
        instructionPointer: 0n,
        args: seccompArgs([]),
      });
      expect(d.value, n).toBe(0x50001);
    }
  });

  test('the critical syscalls the workload did not use are refused, each with its risk and reason', () => {
    const p = generateProfile(evidenceOf('git-commit.strace'), { mode: 'audit' });
    const rules = p.syscalls.filter((r) => r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === 1);
    const block = { names: rules.flatMap((r) => r.names) };
    for (const r of rules) {
      // One risk entry per rule: every name shares the knowledge base's level and reason.
      const risk = riskOf(r.names[0] ?? '');
      expect(r.names.every((n) => riskOf(n) === risk)).toBe(true);
      expect(r.comment).toBe(
        `${r.names.join(', ')}: ${risk.level} risk, refused: ${risk.reason}; ${r.names.every((n) => DEFAULT_NEVER_ALLOW[n] !== undefined) ? 'on the never-allow list (--deny)' : 'the workload did not make it'}`,
      );
    }
    // Most severe first.
    const ranks = rules.map((r) => riskRank(riskOf(r.names[0] ?? '').level));
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    for (const n of [
      'mount',
      'umount2',
      'ptrace',
      'bpf',
      'unshare',
      'setns',
      'kexec_load',
      'init_module',
      'pivot_root',
      'reboot',
    ])
      expect(block.names).toContain(n);
    const allow = allowed(p);
    for (const n of block.names) expect(allow.has(n)).toBe(false);
    expect(
      block.names.every(
        (n) => criticalSyscalls().includes(n) || DEFAULT_NEVER_ALLOW[n] !== undefined,
      ),
    ).toBe(true);
  });

  test('rules are grouped by category with a comment each; deterministic', () => {
    const ev = evidenceOf('python-f.strace');
    const a = writeProfile(generateProfile(ev));
    expect(writeProfile(generateProfile(ev))).toBe(a);
    const p = generateProfile(ev);
    expect(p.syscalls.every((r) => r.comment !== undefined && r.comment !== '')).toBe(true);
    expect(p.syscalls[0]?.comment).toMatch(/^file I\/O: \d+ syscalls/);
  });
});

describe('generateProfile: options', () => {
  const ev = evidenceOf('python-f.strace');
  test.each([
    { opts: {}, defaultAction: 'SCMP_ACT_ERRNO', errno: 1, clone3: true },
    {
      opts: { errno: 'ENOSYS' as const },
      defaultAction: 'SCMP_ACT_ERRNO',
      errno: 38,
      clone3: false,
    },
    {
      opts: { mode: 'audit' as const },
      defaultAction: 'SCMP_ACT_LOG',
      errno: undefined,
      clone3: true,
    },
    {
      opts: { mode: 'kill' as const },
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      errno: undefined,
      clone3: true,
    },
  ])('$opts', ({ opts, defaultAction, errno, clone3 }) => {
    const p = generateProfile(ev, opts);
    expect(p.defaultAction).toBe(defaultAction);
    expect(p.defaultErrnoRet).toBe(errno);
    expect(p.syscalls.some((r) => r.names.includes('clone3'))).toBe(clone3);
    // Critical syscalls are refused in every mode (the audit twin included): by an explicit block,
    // or by the default when it is the same ERRNO(EPERM) (runc would skip the block).
    if (defaultAction === 'SCMP_ACT_ERRNO' && errno === 1)
      expect(p.syscalls.some((r) => r.names.includes('mount'))).toBe(false);
    else
      expect(p.syscalls.find((r) => r.names.includes('mount'))).toMatchObject({
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
      });
    expect(checkProfile(p).filter((i) => i.severity === 'error')).toEqual([]);
  });

  test('audit mode keeps the allowlist so the log shows exactly what enforce mode would refuse', () => {
    const enforce = allowed(generateProfile(ev));
    const audit = allowed(generateProfile(ev, { mode: 'audit' }));
    expect([...audit.keys()].sort()).toEqual([...enforce.keys()].sort());
  });

  test('target docker adds what runc needs after loading the filter, each with its reason', () => {
    const bare = allowed(generateProfile(ev, { target: 'bare' }));
    const p = generateProfile(ev, { target: 'docker' });
    const docker = allowed(p);
    for (const n of [
      'capset',
      'setuid',
      'setgid',
      'setgroups',
      'fchdir',
      'execve',
      'close_range',
      'openat2',
    ]) {
      if (n === 'fchdir') continue;
      expect(docker.has(n), n).toBe(true);
    }
    for (const [n, rules] of docker) {
      if (bare.has(n)) continue;
      expect(rules[0]?.comment).toBe(`runtime: ${RUNTIME_POST_LOAD[n] ?? '?'}`);
    }
    expect(checkProfile(p).filter((i) => i.severity === 'error')).toEqual([]);
  });

  test('--arch aarch64 maps names across tables', () => {
    expect(mapName('open', ['aarch64'])).toEqual(['openat']);
    expect(mapName('open', targetAbis('aarch64'))).toEqual(['open']); // the arm compat ABI has it
    expect(mapName('openat', ['aarch64'])).toEqual(['openat']);
    const p = generateProfile(evidenceOf('git-init.strace'), { arch: 'aarch64' });
    expect(p.architectures).toEqual(['SCMP_ARCH_AARCH64']);
    expect(
      generateProfile(evidenceOf('git-init.strace'), { arch: 'aarch64', allAbis: true })
        .architectures,
    ).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    const allow = allowed(p);
    expect(read('git-init.strace')).toMatch(/ access\(/);
    expect(allow.has('access')).toBe(false);
    expect(allow.has('faccessat')).toBe(true);
    expect(allow.has('arch_prctl')).toBe(false); // x86 only; dropped
    const issues = checkProfile(p);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(issues.filter((i) => i.code === 'syscall-not-on-arches')).toEqual([]);
  });
});

/** An x86_64 host's evidence of one socket call per (ABI, nr, family), made by hand. */
function socketEvidence(calls: readonly { abi: 'x86_64' | 'x86'; nr: number; family: number }[]) {
  const syscalls = calls.map((c): EvidenceSyscall => ({
    abi: c.abi,
    name: 'socket',
    nr: c.nr,
    count: 1,
    coverage: 1,
    errors: {},
    firstSeen: { source: 'hand', line: 1 },
    processes: ['app'],
    executables: ['/app'],
    args: { family: { index: 0, values: [{ value: String(c.family), text: 'AF_', count: 1 }] } },
    logged: {},
  }));
  const ev: Evidence = {
    format: 'sysgate-evidence',
    version: 1,
    host: 'x86_64',
    meta: { inputs: 1, sources: ['hand'] },
    totals: { calls: syscalls.length, syscalls: syscalls.length, processes: 1 },
    syscalls,
  };
  return ev;
}

const HOST = { caps: DOCKER_DEFAULT_CAPABILITIES, kernel: { major: 6, minor: 1 } };
const X86 = 0x40000003;

/** The decision of the real stack (the plan) for one i386 call under a generated profile. */
function decideX86(p: Profile, nr: number, args: readonly bigint[]): number {
  const resolved = resolveProfile(p, { arch: 'x86_64', ...HOST });
  if (resolved === null) throw new Error('no seccomp');
  const plan = buildPlan(resolved, { arch: 'x86_64' });
  return decide(plan, { arch: X86, nr, instructionPointer: 0n, args: seccompArgs(args) }).value;
}

describe('generateProfile: only the ABIs the evidence shows (issue 9 items 0 and 7)', () => {
  test.each(CORPUS)('%s (x86_64 calls only): the profile covers x86_64 alone', (file) => {
    const p = generateProfile(evidenceOf(file));
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64']);
    // socket(AF_INET) and socketcall(SYS_SOCKET) through int $0x80: not in the filter (bad arch).
    expect(actionKind(decideX86(p, 359, [2n, 1n, 0n]))).toBe('kill_thread');
    expect(actionKind(decideX86(p, 102, [1n, 0x10000n]))).toBe('kill_thread');
    expect(multiplexerBypassIssues(p, HOST)).toEqual([]);
  });

  test('a trace with int $0x80 calls keeps x86 (and only x86)', () => {
    const text = read('personality-mixed64-n.strace');
    const o = new Observation('x86_64', resolveSymbol);
    for (const e of parseStrace(text).events) if (e.kind === 'call') o.addCall(e, 'm');
    const ev = toEvidence(o);
    expect(ev.syscalls.some((s) => s.abi === 'x86')).toBe(true);
    expect(generateProfile(ev).architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  });

  test.each(CORPUS)(
    '%s with allAbis: every ABI kept, socketcall refused so the family filter holds',
    (file) => {
      const p = generateProfile(evidenceOf(file), { allAbis: true });
      expect(p.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
      expect(multiplexerBypassIssues(p, HOST)).toEqual([]);
      const filtered = p.syscalls.some((r) => r.names.includes('socket') && r.args.length > 0);
      const guard = p.syscalls.find((r) => r.names.includes('socketcall'));
      if (!filtered) return;
      expect(guard).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
      expect(guard?.comment).toMatch(/socketcall\(SYS_SOCKET\)/);
      expect(decideX86(p, 102, [1n, 0x10000n])).toBe(0x50000 + 38);
      // AF_INET6, in neither trace: refused by the direct i386 socket's family filter.
      expect(decideX86(p, 359, [10n, 1n, 0n])).toBe(0x50001);
    },
  );

  test('the guard answers with EPERM when ENOSYS is the default (runc skips a rule equal to it)', () => {
    const ev = socketEvidence([{ abi: 'x86_64', nr: 41, family: 1 }]);
    const p = generateProfile(ev, { allAbis: true, errno: 'ENOSYS' });
    expect(p.syscalls.find((r) => r.names.includes('socketcall'))?.errnoRet).toBe(1);
    expect(decideX86(p, 102, [1n, 0x10000n])).toBe(0x50001);
    expect(decideX86(p, 359, [1n, 1n, 0n])).toBe(0x7fff0000);
    expect(decideX86(p, 359, [2n, 1n, 0n])).toBe(0x50000 + 38);
  });

  test('x86 socket reached through socketcall: the family cannot be enforced, so it is allowed and said', () => {
    const ev = socketEvidence([
      { abi: 'x86_64', nr: 41, family: 1 },
      { abi: 'x86', nr: 102, family: 1 },
    ]);
    const p = generateProfile(ev);
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    const socket = p.syscalls.filter((r) => r.names.includes('socket'));
    expect(socket.map((r) => r.args)).toEqual([[]]);
    expect(socket[0]?.comment).toMatch(/every argument is allowed: the workload calls socketcall/);
    expect(p.syscalls.some((r) => r.names.includes('socketcall'))).toBe(false);
    expect(multiplexerBypassIssues(p, HOST)).toEqual([]);
  });

  test('x86 socket made directly (nr 359): x86 kept, the family filter holds on both ABIs', () => {
    const ev = socketEvidence([{ abi: 'x86', nr: 359, family: 1 }]);
    const p = generateProfile(ev);
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    expect(decideX86(p, 359, [1n, 1n, 0n])).toBe(0x7fff0000);
    expect(decideX86(p, 359, [2n, 1n, 0n])).toBe(0x50001);
    expect(decideX86(p, 102, [1n, 0x10000n])).toBe(0x50000 + 38);
    expect(multiplexerBypassIssues(p, HOST)).toEqual([]);
  });
});
