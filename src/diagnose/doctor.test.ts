import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { archInfo } from '../arch/arches.js';
import { syscallNumber } from '../arch/syscalls.js';
import { actionKind, actionRuns } from '../bpf/seccomp.js';
import { decide } from '../compile/decide.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';
import { loadProfile } from '../profile/index.js';
import { resolveProfile } from '../profile/resolve.js';
import { preparePolicy, type EnginePolicy } from '../run/suite-engine.js';
import type { PlanNode } from '../compile/plan.js';
import { ARG_SPECS } from '../trace/observe.js';
import { TracedCalls, type ArgVector, type TracedCall } from './doctor-calls.js';
import { applySuggestion, refusedCalls, suggestedRules } from './doctor.js';

const X64 = archInfo('x86_64').auditArch;
const nr = (name: string): number => {
  const n = syscallNumber('x86_64', name);
  if (n === undefined) throw new Error(name);
  return n;
};

/** The profile prepared as `sysgate doctor` prepares it (x86_64, Docker's default caps, kernel 6.1). */
function prepare(document: string): EnginePolicy {
  const loaded = loadProfile('p.json', document);
  const resolved = resolveProfile(loaded.profile, {
    arch: 'x86_64',
    caps: DOCKER_DEFAULT_CAPABILITIES,
    kernel: { major: 6, minor: 1 },
  });
  if (resolved === null) throw new Error('no profile');
  return preparePolicy('p.json', document, resolved, 'x86_64');
}

const BASE = [
  'read',
  'write',
  'close',
  'exit_group',
  'rt_sigaction',
  'mmap',
  'openat',
  'wait4',
  'execve',
];
/** An allowlist: socket for AF_UNIX only, clone without namespace flags, clone3 ENOSYS (Docker's way). */
function profile(extra: { names: string[]; action: string; args?: unknown[] }[] = []): string {
  return JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: BASE, action: 'SCMP_ACT_ALLOW' },
      {
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
      },
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ...extra,
    ],
  });
}

/** Distinct calls from strace lines as `strace -f -n -X raw -Y` prints them. */
function traced(...lines: string[]): TracedCall[] {
  const t = new TracedCalls('x86_64');
  t.addTrace(lines.join('\n') + '\n');
  return t.all();
}

function lets(v: number): boolean {
  return actionRuns(actionKind(v));
}

function judge(policy: EnginePolicy, n: number, args: readonly bigint[]): number {
  const a = [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6) as unknown as ArgVector;
  return decide(policy.plans.bwrap, { nr: n, arch: X64, instructionPointer: 0n, args: [...a] })
    .value;
}

describe('refusedCalls: each call judged with its real argument vector', () => {
  test('an allowed socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) is not refused; AF_INET6 is, with its own values pinned', () => {
    const p = prepare(profile());
    const j = refusedCalls(
      traced(
        '10<python3> [  41] socket(0x1, 0x1|0x80000, 0) = 3',
        '10<python3> [  41] socket(0xa, 0x2, 0x11) = 4',
      ),
      p,
    );
    expect(j.refused.map((r) => [r.name, r.pinned.map((x) => x.label), r.refusedValues])).toEqual([
      ['socket', ['family', 'type', 'protocol'], [['10', '2', '17']]],
    ]);
    expect(j.refused[0]?.rules).toEqual([
      {
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 0, value: 10, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 2, op: 'SCMP_CMP_EQ' },
          { index: 2, value: 17, op: 'SCMP_CMP_EQ' },
        ],
        comment: 'doctor: refused for python3',
      },
    ]);
    const fixed = prepare(applySuggestion(p.document, suggestedRules(j.refused)));
    expect(lets(judge(fixed, nr('socket'), [10n, 2n, 17n]))).toBe(true);
    // Neither another family nor another type of that family gets through.
    for (const args of [
      [2n, 2n, 17n],
      [17n, 3n, 0n],
      [16n, 3n, 0n],
      [10n, 1n, 0n],
    ])
      expect(lets(judge(fixed, nr('socket'), args)), String(args)).toBe(false);
  });

  test('a Pool that kills its workers: kill refused, the rule pins SIGTERM', () => {
    const j = refusedCalls(traced('10<python3> [  62] kill(4242, 15) = 0'), prepare(profile()));
    expect(j.refused.map((r) => [r.name, r.action, r.refusedValues])).toEqual([
      ['kill', 'ERRNO(1) EPERM', [['15']]],
    ]);
    const fixed = prepare(applySuggestion(profile(), suggestedRules(j.refused)));
    expect(lets(judge(fixed, nr('kill'), [99n, 15n]))).toBe(true);
    expect(lets(judge(fixed, nr('kill'), [99n, 9n]))).toBe(false);
  });

  test('sleep without clock_nanosleep: one unconditional rule', () => {
    const j = refusedCalls(
      traced('10<sleep> [ 230] clock_nanosleep(0, 0, {tv_sec=1, tv_nsec=0}, 0x7ffd1) = 0'),
      prepare(profile()),
    );
    expect(j.refused.map((r) => r.rules)).toEqual([
      [
        {
          names: ['clock_nanosleep'],
          action: 'SCMP_ACT_ALLOW',
          comment: 'doctor: refused for sleep',
        },
      ],
    ]);
  });

  test('clone3 answered with ENOSYS is a designed fallback: clone is judged with its flags instead', () => {
    const spawn =
      '10<python3> [ 435] clone3({flags=0x4100, exit_signal=17, stack=0x7f05, stack_size=0x9000}, 88) = 11';
    const ok = refusedCalls(traced(spawn), prepare(profile()));
    expect(ok.refused).toEqual([]);
    expect(ok.fallbacks).toEqual([
      { name: 'clone3', count: 1, action: 'ERRNO(38) ENOSYS', fallback: 'clone' },
    ]);
    // Without clone in the profile, the fallback is what fails: clone with exactly those flags.
    const noClone = profile().replace('"names":["clone"]', '"names":["vfork"]');
    const j = refusedCalls(traced(spawn), prepare(noClone));
    expect(j.refused.map((r) => [r.name, r.origin, r.rules])).toEqual([
      [
        'clone',
        'fallback',
        [
          {
            names: ['clone'],
            action: 'SCMP_ACT_ALLOW',
            args: [{ index: 0, value: 0x4111, op: 'SCMP_CMP_EQ' }],
            comment: 'doctor: refused for python3',
          },
        ],
      ],
    ]);
  });

  test('clone3 refused with EPERM: the suggestion is ENOSYS, never allowing clone3', () => {
    const p = prepare(profile().replace('"errnoRet":38', '"errnoRet":1'));
    const j = refusedCalls(
      traced('10<python3> [ 435] clone3({flags=0x4100, exit_signal=17, stack=0x7f05}, 88) = 11'),
      p,
    );
    expect(j.refused.map((r) => r.rules)).toEqual([
      [
        {
          names: ['clone3'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 38,
          comment: 'doctor: ENOSYS, so libc falls back to clone',
        },
      ],
    ]);
    const fixed = prepare(applySuggestion(p.document, suggestedRules(j.refused)));
    expect(judge(fixed, nr('clone3'), [])).toBe(0x50026);
  });

  test("runc's calls after loading the filter are judged under runc, not under bwrap", () => {
    const p = prepare(profile());
    const run = traced('10<true> [ 231] exit_group(0) = ?');
    expect(refusedCalls(run, p, 'bwrap').refused).toEqual([]);
    const runc = refusedCalls(run, p, 'runc').refused;
    expect(runc.map((r) => r.name)).toContain('fstatfs');
    expect(runc.every((r) => r.origin === 'runtime')).toBe(true);
    expect(refusedCalls(run, p, 'crun').refused.map((r) => r.name)).toEqual([
      'capset',
      'setresgid',
      'setresuid',
    ]);
  });

  test('a 64-bit value survives the fixed profile', () => {
    const p = prepare(profile());
    const j = refusedCalls(traced('10<x> [  16] ioctl(3, 0xffffffffffffffff, 0) = 0'), p);
    expect(j.refused[0]?.rules[0]?.args).toEqual([
      { index: 1, value: '18446744073709551615', op: 'SCMP_CMP_EQ' },
    ]);
    const fixed = prepare(applySuggestion(p.document, suggestedRules(j.refused)));
    expect(lets(judge(fixed, nr('ioctl'), [3n, 2n ** 64n - 1n]))).toBe(true);
    expect(lets(judge(fixed, nr('ioctl'), [3n, 2n ** 64n - 2n]))).toBe(false);
  });
});

describe('TracedCalls: what failed without seccomp', () => {
  test('a missing mount and /dev/shm are named, probing lookups are not', () => {
    const t = new TracedCalls('x86_64');
    t.addTrace(
      [
        '10<sh> [  59] execve("/usr/local/bin/cat", ["cat"], 0x7ff /* 3 vars */) = -1 ENOENT (No such file or directory)',
        '10<sh> [  21] access("/etc/x", 0) = -1 ENOENT (No such file or directory)',
        '10<python3> [ 257] openat(-100, "/dev/shm/sem.abc", 0x800c2, 0600) = -1 ENOENT (No such file or directory)',
        '10<cat> [ 257] openat(-100, "/data/conf", 0) = -1 ENOENT (No such file or directory)',
        '10<x> [ 165] mount("none", "/mnt", "tmpfs", 0, NULL) = -1 EPERM (Operation not permitted)',
      ].join('\n'),
    );
    expect(t.failed().map((f) => [f.kind, f.name, f.path, f.errno])).toEqual([
      ['capability', 'mount', 'none', 'EPERM'],
      ['mount', 'openat', '/data/conf', 'ENOENT'],
      ['device', 'openat', '/dev/shm/sem.abc', 'ENOENT'],
    ]);
  });
});

/**
 * The property: the fixed profile decides every call like the original, except the refused calls'
 * (syscall, pinned-argument) regions, which it allows (clone3 stays ENOSYS).
 */
describe('the fixed profile allows nothing else (semantic decision model)', () => {
  const NAMES = ['socket', 'kill', 'clock_nanosleep', 'ioctl', 'prctl', 'read', 'rename', 'clone'];
  const value = fc.oneof(
    fc.constantFrom(0n, 1n, 2n, 10n, 15n, 17n, 0x80000n, 2n ** 32n + 1n, 2n ** 64n - 1n),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  );
  const vector = fc.tuple(value, value, value, value, value, value);
  const call = fc.record({ name: fc.constantFrom(...NAMES), args: vector });
  const extra = fc.subarray(
    [
      {
        names: ['kill'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 1, value: 9, op: 'SCMP_CMP_EQ' }],
      },
      { names: ['rename'], action: 'SCMP_ACT_ERRNO' },
      {
        names: ['prctl'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 15, op: 'SCMP_CMP_EQ' }],
      },
      {
        names: ['ioctl'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 1, value: 0x5401, op: 'SCMP_CMP_EQ' }],
      },
    ],
    { minLength: 0 },
  );

  /** The indices a call's region pins, from the knowledge of the evidence, not from doctor's output. */
  function pinnedBy(policy: EnginePolicy, name: string): number[] {
    const tested = new Set<number>((ARG_SPECS[name] ?? []).map((s) => s.index));
    const walk = (n: PlanNode): void => {
      if (n.kind !== 'cmp') return;
      tested.add(n.arg);
      walk(n.then);
      walk(n.else);
    };
    const root = policy.plans.bwrap.arches[0]?.syscalls.find((s) => s.nr === nr(name))?.root;
    if (root !== undefined) walk(root);
    return [...tested];
  }

  function inRegion(
    refused: readonly { name: string; nr: number; args: ArgVector }[],
    pins: (name: string) => number[],
    n: number,
    args: ArgVector,
  ): boolean {
    return refused.some((r) => r.nr === n && pins(r.name).every((i) => r.args[i] === args[i]));
  }

  test('property', () => {
    fc.assert(
      fc.property(
        extra,
        fc.array(call, { minLength: 1, maxLength: 6 }),
        fc.array(call, { minLength: 1, maxLength: 20 }),
        (rules, seen, probes) => {
          const original = prepare(profile(rules));
          const calls: TracedCall[] = seen.map((c) => ({
            abi: 'x86_64',
            name: c.name,
            nr: nr(c.name),
            args: c.args,
            known: [true, true, true, true, true, true],
            count: 1,
            processes: ['w'],
          }));
          const j = refusedCalls(calls, original);
          const refused = calls.filter((c) => !lets(judge(original, c.nr, c.args)));
          const pins = (name: string): number[] => pinnedBy(original, name);
          const fixed = prepare(applySuggestion(original.document, suggestedRules(j.refused)));
          // Every refused call now runs.
          for (const c of calls) expect(lets(judge(fixed, c.nr, c.args))).toBe(true);
          // Any other call: the same decision as before; one in a refused region: allowed.
          const near = [
            ...calls.map((c) => c),
            ...probes.map((c) => ({ nr: nr(c.name), args: c.args })),
          ];
          for (const c of near)
            for (let i = -1; i < 6; i++) {
              const args = [...c.args] as bigint[];
              if (i >= 0) args[i] = BigInt.asUintN(64, (args[i] ?? 0n) + 1n);
              const v = args as unknown as ArgVector;
              const before = judge(original, c.nr, v);
              const after = judge(fixed, c.nr, v);
              if (inRegion(refused, pins, c.nr, v)) expect(lets(after)).toBe(true);
              else expect(after).toBe(before);
            }
        },
      ),
      { seed: 10, numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
    );
  });
});
