/**
 * The policy controls of generation: the never-allow list (`deny`), the pinned socket families
 * (`socketFamilies`), the "used by" comments and the refusal block with one risk and reason per
 * syscall. Decisions are checked with the semantic model (resolve -> plan -> decide), as the real
 * stack would take them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { archByScmpName, archInfo, syscallNumber, type ArchName } from '../arch/index.js';
import { actionKind, seccompArgs, type SeccompActionKind } from '../bpf/seccomp.js';
import { buildPlan } from '../compile/build.js';
import { decide } from '../compile/decide.js';
import { multiplexerBypassIssues } from '../compile/multiplexer-check.js';
import {
  criticalSyscalls,
  DEFAULT_NEVER_ALLOW,
  DOCKER_DEFAULT_CAPABILITIES,
  defaultNeverAllow,
  riskOf,
} from '../kb/index.js';
import { writeProfile, type Profile } from '../profile/index.js';
import { resolveProfile } from '../profile/resolve.js';
import { checkForRunc } from '../runc/check.js';
import { Observation } from '../trace/observe.js';
import { parseStrace } from '../trace/strace.js';
import { toEvidence, type Evidence, type EvidenceSyscall } from './evidence.js';
import {
  describeOverride,
  generateProfile,
  generateReport,
  usersOf,
  type GenerateOptions,
} from './generate.js';
import { mergeProfiles } from './merge.js';
import { resolveSymbol } from './symbols.js';

const TRACES = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces');

function traceEvidence(file: string): Evidence {
  const o = new Observation('x86_64', resolveSymbol);
  for (const e of parseStrace(readFileSync(join(TRACES, file), 'utf8')).events)
    if (e.kind === 'call') o.addCall(e, file);
  return toEvidence(o, { sources: [file] });
}

/** One evidence entry made by hand. */
interface Call {
  readonly name: string;
  readonly abi?: ArchName;
  /** Number on the ABI (default: the name's); socketcall's number for a call made through it. */
  readonly nr?: number;
  readonly count?: number;
  readonly processes?: readonly string[];
  /** Families passed (one call each); `null` for a family the trace did not record. */
  readonly families?: readonly (number | null)[];
}

/** An x86_64 host's evidence made of the calls given. */
function evidence(calls: readonly Call[]): Evidence {
  const syscalls = calls.map((c): EvidenceSyscall => {
    const abi = c.abi ?? 'x86_64';
    const fams = c.families ?? [];
    return {
      abi,
      name: c.name,
      nr: c.nr ?? syscallNumber(abi, c.name) ?? 0,
      count: c.count ?? Math.max(1, fams.length),
      coverage: 1,
      errors: {},
      firstSeen: { source: 'hand', line: 1 },
      processes: c.processes ?? ['app'],
      executables: ['/usr/bin/app'],
      args:
        fams.length === 0
          ? {}
          : {
              family: {
                index: 0,
                values: fams.map((f) =>
                  f === null
                    ? { text: '?', count: 1 }
                    : { value: String(f), text: 'AF_', count: 1 },
                ),
              },
            },
      logged: {},
    };
  });
  return {
    format: 'sysgate-evidence',
    version: 1,
    host: 'x86_64',
    meta: { inputs: 1, sources: ['hand'] },
    totals: { calls: syscalls.length, syscalls: syscalls.length, processes: 1 },
    syscalls,
  };
}

const HOST = { caps: DOCKER_DEFAULT_CAPABILITIES, kernel: { major: 6, minor: 1 } };

/** Decide calls under a profile as the real stack would (Docker host on x86_64). */
function decider(
  p: Profile,
): (abi: ArchName, name: string, args: readonly bigint[]) => SeccompActionKind {
  const resolved = resolveProfile(p, { arch: 'x86_64', ...HOST });
  if (resolved === null) throw new Error('no seccomp');
  const plan = buildPlan(resolved, { arch: 'x86_64' });
  return (abi, name, args) => {
    const nr = syscallNumber(abi, name);
    if (nr === undefined) throw new Error(`${name} not on ${abi}`);
    const width = archInfo(abi).bits === 32 ? 32 : 64;
    return actionKind(
      decide(plan, {
        arch: archInfo(abi).auditArch,
        nr,
        instructionPointer: 0n,
        args: seccompArgs(args.map((a) => BigInt.asUintN(width, a))),
      }).value,
    );
  };
}

const runs = (k: SeccompActionKind): boolean => k === 'allow' || k === 'log';
const abisOf = (p: Profile): ArchName[] =>
  p.architectures.map((a) => archByScmpName(a)?.name).filter((a): a is ArchName => a !== undefined);
const rulesFor = (p: Profile, name: string) => p.syscalls.filter((r) => r.names.includes(name));

describe('the never-allow list (deny)', () => {
  test('the default list is in the knowledge base, every name with a risk entry and a source', () => {
    expect(defaultNeverAllow()).toContain('ptrace');
    for (const n of defaultNeverAllow()) {
      expect(riskOf(n).level, n).not.toBe('info');
      expect(DEFAULT_NEVER_ALLOW[n]?.length, n).toBeGreaterThan(0);
    }
  });

  const seen = evidence([
    { name: 'read', processes: ['app'] },
    { name: 'ptrace', count: 3, processes: ['gdb'] },
    { name: 'personality', processes: ['setarch'] },
    { name: 'mkdir', processes: ['app', 'sh'] },
  ]);

  test.each<{
    what: string;
    opts: GenerateOptions;
    allowed: readonly string[];
    refused: readonly string[];
    overridden: readonly string[];
  }>([
    {
      what: 'default list: ptrace and personality refused although seen',
      opts: {},
      allowed: ['read', 'mkdir'],
      refused: ['ptrace', 'personality', 'mount'],
      overridden: ['personality', 'ptrace'],
    },
    {
      what: 'empty list: the evidence decides',
      opts: { deny: [] },
      allowed: ['read', 'mkdir', 'ptrace', 'personality'],
      refused: ['mount'],
      overridden: [],
    },
    {
      what: 'a list of one replaces the default',
      opts: { deny: ['mkdir'] },
      allowed: ['read', 'ptrace', 'personality'],
      refused: ['mkdir', 'mount'],
      overridden: ['mkdir'],
    },
    {
      what: 'the default list plus a name',
      opts: { deny: [...defaultNeverAllow(), 'mkdir'] },
      allowed: ['read'],
      refused: ['mkdir', 'ptrace', 'personality'],
      overridden: ['mkdir', 'personality', 'ptrace'],
    },
  ])('$what', ({ opts, allowed, refused, overridden }) => {
    for (const mode of ['enforce', 'audit', 'kill'] as const) {
      const { profile, overrides } = generateReport(seen, { ...opts, mode });
      const d = decider(profile);
      for (const n of allowed) expect(d('x86_64', n, []), `${mode} ${n}`).toBe('allow');
      // The audit mode refuses only the critical names; its default logs the others.
      for (const n of refused)
        if (mode === 'audit' && !criticalSyscalls().includes(n))
          expect(d('x86_64', n, []), `${mode} ${n}`).toBe('log');
        else expect(runs(d('x86_64', n, [])), `${mode} ${n}`).toBe(false);
      expect(overrides.map((o) => o.name).sort()).toEqual(overridden);
      expect(checkForRunc(profile)).toEqual([]);
    }
  });

  test('a denied syscall the workload made: a warning naming its processes; in audit mode its own rule', () => {
    const { profile, overrides } = generateReport(seen, { mode: 'audit' });
    expect(overrides.map(describeOverride)).toContain(
      'ptrace is on the never-allow list (--deny): the workload made it 3 times (gdb), refused anyway',
    );
    // personality is medium risk: the audit mode logs it, as the audit twin would.
    expect(overrides.map(describeOverride)).toContain(
      'personality is on the never-allow list (--deny): the workload made it 1 time (setarch), not allowed (the audit default logs it)',
    );
    expect(rulesFor(profile, 'personality')).toEqual([]);
    const rule = rulesFor(profile, 'ptrace');
    expect(rule).toEqual([
      expect.objectContaining({
        names: ['ptrace'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
        comment: `ptrace: high risk, refused: ${riskOf('ptrace').reason}; on the never-allow list (--deny); the workload made it 3 times, refused anyway`,
      }),
    ]);
  });

  test('a name the runtime makes after loading the filter: denied, with a warning that the start fails', () => {
    const { profile, overrides } = generateReport(seen, { deny: ['capset'], mode: 'kill' });
    expect(rulesFor(profile, 'capset').map((r) => r.action)).toEqual(['SCMP_ACT_ERRNO']);
    expect(overrides.map(describeOverride)).toEqual([
      expect.stringMatching(/^capset is on the never-allow list .*the container will not start$/),
    ]);
  });

  test('widening never adds a denied name (nor a pinned one)', () => {
    const ev = evidence([{ name: 'clock_nanosleep' }, { name: 'socket', families: [1] }]);
    const open = generateProfile(ev, { widen: 'safe', deny: [] });
    expect(decider(open)('x86_64', 'nanosleep', [])).toBe('allow');
    const p = generateProfile(ev, { widen: 'families', deny: ['nanosleep'] });
    expect(decider(p)('x86_64', 'nanosleep', [])).toBe('errno');
    const pinned = generateProfile(ev, { widen: 'families', socketFamilies: [1n] });
    expect(rulesFor(pinned, 'socketpair').every((r) => r.args.length > 0)).toBe(true);
  });

  test('clone3 on the list stays answered with ENOSYS (libc falls back to clone only on ENOSYS)', () => {
    const p = generateProfile(evidence([{ name: 'clone3' }]), { deny: ['clone3'], mode: 'audit' });
    expect(rulesFor(p, 'clone3')).toEqual([
      expect.objectContaining({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 }),
    ]);
  });

  test('a denied socket call cannot come back through an allowed socketcall on x86', () => {
    const ev = evidence([
      { name: 'read' },
      { name: 'socketcall', abi: 'x86' },
      { name: 'read', abi: 'x86' },
    ]);
    const open = generateProfile(ev, { deny: [] });
    expect(runs(decider(open)('x86', 'socketcall', [1n, 0n]))).toBe(true);
    const { profile, overrides } = generateReport(ev, { deny: ['socket'] });
    expect(decider(profile)('x86', 'socketcall', [1n, 0n])).toBe('errno');
    expect(decider(profile)('x86', 'socket', [1n, 1n, 0n])).toBe('errno');
    expect(overrides.map(describeOverride)).toEqual([
      'socketcall refused on x86 although the workload calls it: it would let socket past its rule (its arguments cannot be filtered)',
    ]);
    expect(multiplexerBypassIssues(profile, HOST)).toEqual([]);
  });
});

describe('pinned socket families (socketFamilies)', () => {
  const AF_UNIX = 1;
  const AF_INET = 2;
  const AF_INET6 = 10;
  const AF_NETLINK = 16;

  test.each<{
    what: string;
    seen: readonly (number | null)[];
    pin: readonly number[] | undefined;
    allowed: readonly number[] | 'any' | 'none';
    outside: readonly number[];
  }>([
    {
      what: 'no pin: the families seen',
      seen: [1, 2],
      pin: undefined,
      allowed: [1, 2],
      outside: [],
    },
    {
      what: 'no pin, families unrecorded: every family',
      seen: [null],
      pin: undefined,
      allowed: 'any',
      outside: [],
    },
    {
      what: 'pin AF_UNIX, seen AF_UNIX and AF_INET',
      seen: [1, 2],
      pin: [AF_UNIX],
      allowed: [1],
      outside: [2],
    },
    {
      what: 'pin wider than the evidence: only what was seen',
      seen: [1],
      pin: [1, 2, 10],
      allowed: [1],
      outside: [],
    },
    {
      what: 'pin, families unrecorded: the pin',
      seen: [null],
      pin: [1, 10],
      allowed: [1, 10],
      outside: [],
    },
    {
      what: 'nothing seen within the pin: socket refused',
      seen: [2, 16],
      pin: [AF_UNIX],
      allowed: 'none',
      outside: [2, 16],
    },
    { what: 'pin none: socket refused', seen: [1], pin: [], allowed: 'none', outside: [1] },
  ])('$what', ({ seen, pin, allowed, outside }) => {
    const ev = evidence([{ name: 'socket', families: seen, processes: ['srv'] }]);
    const { profile, overrides } = generateReport(ev, {
      ...(pin !== undefined ? { socketFamilies: pin.map(BigInt) } : {}),
    });
    const d = decider(profile);
    for (const f of [0, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, 17, 38, 40]) {
      const want = allowed === 'any' || (allowed !== 'none' && allowed.includes(f));
      expect(d('x86_64', 'socket', [BigInt(f), 1n, 0n]) === 'allow', `family ${f}`).toBe(want);
    }
    expect(overrides).toEqual(
      outside.map((f) => ({
        kind: 'family',
        name: 'socket',
        family: BigInt(f),
        count: 1,
        usedBy: ['srv'],
        outcome: 'refused',
      })),
    );
  });

  test('socketpair is pinned too (unfiltered without a pin)', () => {
    const ev = evidence([{ name: 'socketpair', families: [AF_UNIX] }]);
    expect(decider(generateProfile(ev))('x86_64', 'socketpair', [2n, 1n, 0n])).toBe('allow');
    const d = decider(generateProfile(ev, { socketFamilies: [1n] }));
    expect(d('x86_64', 'socketpair', [1n, 1n, 0n])).toBe('allow');
    expect(d('x86_64', 'socketpair', [2n, 1n, 0n])).toBe('errno');
  });

  test('x86 socket through socketcall: the family cannot be filtered there, so with a pin socketcall is refused', () => {
    const ev = evidence([
      { name: 'socket', families: [AF_UNIX] },
      { name: 'socket', abi: 'x86', nr: 102, families: [AF_UNIX, AF_INET] },
    ]);
    // Without a pin the evidence wins: the rule cannot hold on x86, so socket is allowed outright.
    const open = generateProfile(ev);
    expect(decider(open)('x86_64', 'socket', [40n, 1n, 0n])).toBe('allow');
    const { profile, overrides } = generateReport(ev, { socketFamilies: [1n] });
    const d = decider(profile);
    expect(d('x86', 'socketcall', [1n, 0n])).toBe('errno');
    expect(d('x86', 'socket', [2n, 1n, 0n])).toBe('errno');
    expect(d('x86', 'socket', [1n, 1n, 0n])).toBe('allow');
    expect(d('x86_64', 'socket', [2n, 1n, 0n])).toBe('errno');
    expect(overrides.map((o) => o.kind)).toEqual(['family', 'multiplexer']);
    expect(rulesFor(profile, 'socketcall')[0]?.comment).toMatch(
      /^multiplexer refused: socket is pinned \(--socket-families\), .*the workload calls socketcall, which is refused anyway/,
    );
    expect(multiplexerBypassIssues(profile, HOST)).toEqual([]);
  });
});

describe('property: policy controls hold on every ABI the profile keeps, whatever the evidence', () => {
  const POOL = [
    'read',
    'write',
    'mkdir',
    'ptrace',
    'mount',
    'bpf',
    'keyctl',
    'personality',
    'unshare',
    'kcmp',
  ];
  const call = fc.record({
    name: fc.constantFrom('socket', 'socketpair', ...POOL),
    abi: fc.constantFrom<ArchName>('x86_64', 'x86', 'x32'),
    viaSocketcall: fc.boolean(),
    families: fc.array(fc.oneof(fc.integer({ min: 0, max: 45 }), fc.constant(null)), {
      minLength: 1,
      maxLength: 3,
    }),
  });
  const arb = fc.record({
    calls: fc.array(call, { minLength: 1, maxLength: 8 }),
    pin: fc.oneof(
      fc.constant<bigint[]>([1n]),
      fc.uniqueArray(fc.integer({ min: 0, max: 45 }).map(BigInt), { maxLength: 4 }),
    ),
    deny: fc.oneof(fc.constant(undefined), fc.subarray([...POOL, 'socket'])),
    mode: fc.constantFrom('enforce', 'audit', 'kill' as const),
    errno: fc.constantFrom('EPERM', 'ENOSYS' as const),
    allAbis: fc.boolean(),
    rawSocketcall: fc.boolean(),
  });

  test('families outside the pin and denied names never run; seen families within it do', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const calls: Call[] = c.calls.map((k) => {
          const isSocket = k.name === 'socket' || k.name === 'socketpair';
          const mux = isSocket && k.abi === 'x86' && k.viaSocketcall;
          return {
            name: k.name,
            abi: k.abi,
            ...(mux ? { nr: 102 } : {}),
            ...(isSocket ? { families: k.families } : {}),
          };
        });
        if (c.rawSocketcall) calls.push({ name: 'socketcall', abi: 'x86' });
        const deny = c.deny ?? defaultNeverAllow();
        const opts: GenerateOptions = {
          socketFamilies: c.pin,
          ...(c.deny !== undefined ? { deny: c.deny } : {}),
          mode: c.mode,
          errno: c.errno,
          allAbis: c.allAbis,
        };
        const { profile } = generateReport(evidence(calls), opts);
        expect(checkForRunc(profile).filter((i) => i.severity === 'error')).toEqual([]);
        const d = decider(profile);
        // In audit mode the default logs (the call runs): refusal means enforce and kill modes.
        const refuses = (k: SeccompActionKind): boolean =>
          c.mode === 'audit' ? k !== 'allow' : !runs(k);
        for (const abi of abisOf(profile)) {
          for (let f = 0n; f <= 45n; f++) {
            if (c.pin.includes(f)) continue;
            expect(refuses(d(abi, 'socket', [f, 1n, 0n])), `${abi} socket(${f})`).toBe(true);
            expect(refuses(d(abi, 'socketpair', [f, 1n, 0n, 0n])), `${abi} socketpair(${f})`).toBe(
              true,
            );
          }
          // socketcall hides the family: whatever it carries, it must not create a socket.
          if (syscallNumber(abi, 'socketcall') !== undefined)
            for (const sub of [1n, 8n])
              expect(refuses(d(abi, 'socketcall', [sub, 0n])), `${abi} socketcall(${sub})`).toBe(
                true,
              );
          // Denied names never run; in audit mode the critical ones are refused, the others logged.
          for (const n of deny) {
            if (n === 'clone3' || syscallNumber(abi, n) === undefined) continue;
            const critical = criticalSyscalls().includes(n);
            for (const a0 of [0n, 1n, 0xffffffffn]) {
              const k = d(abi, n, [a0, 0n, 0n]);
              expect(
                c.mode === 'audit' && !critical ? k !== 'allow' : !runs(k),
                `${abi} ${n}(${a0})`,
              ).toBe(true);
            }
          }
        }
        // Not vacuous: a family seen directly on x86_64 within the pin runs (socket not denied).
        for (const k of c.calls)
          if (k.name === 'socket' && k.abi === 'x86_64' && !deny.includes('socket'))
            for (const f of k.families)
              if (f !== null && c.pin.includes(BigInt(f)) && !k.families.includes(null))
                expect(runs(d('x86_64', 'socket', [BigInt(f), 1n, 0n])), `seen ${f}`).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('"used by" comments', () => {
  test('usersOf: comm as recorded, else the executable base name', () => {
    const [a, b] = evidence([
      { name: 'read', processes: ['python3', 'sh'] },
      { name: 'write', processes: [] },
    ]).syscalls;
    if (a === undefined || b === undefined) throw new Error('evidence');
    expect(usersOf([a])).toEqual(['python3', 'sh']);
    expect(usersOf([b])).toEqual(['app']);
    expect(usersOf([{ ...a, processes: ['/usr/bin/python3', 'python3'] }])).toEqual(['python3']);
  });

  test('a category rule names the processes once when all share them, else per group', () => {
    const p = generateProfile(
      evidence([
        { name: 'read', processes: ['app', 'sh'] },
        { name: 'write', processes: ['app', 'sh'] },
        { name: 'mkdir', processes: ['app'] },
        { name: 'getpid', processes: ['app'] },
        { name: 'socket', families: [1], processes: ['srv'] },
      ]),
      { target: 'bare' },
    );
    const comments = p.syscalls.map((r) => r.comment);
    expect(comments).toContain(
      'file I/O: 3 syscalls, 3 calls seen; used by app, sh: read, write; app: mkdir',
    );
    expect(comments).toContain('process: 1 syscall, 1 call seen; used by app');
    expect(comments).toContain('socket: only family AF_UNIX (1), as seen; used by srv');
  });
});

describe('the refusal block and the ENOSYS stub of runc', () => {
  test('kill mode: no refusal numbered above the other rules, so newer syscalls keep ENOSYS', () => {
    const { profile, refused } = generateReport(traceEvidence('python-f.strace'), { mode: 'kill' });
    const d = decider(profile);
    const named = new Set(profile.syscalls.flatMap((r) => r.names));
    const max = Math.max(...[...named].map((n) => syscallNumber('x86_64', n) ?? -1));
    // fchmodat2 (452) and epoll_pwait2 (441): glibc and libuv fall back when they fail with ENOSYS.
    for (const n of ['epoll_pwait2', 'fchmodat2', 'futex_waitv']) {
      expect(syscallNumber('x86_64', n) ?? 0, n).toBeGreaterThan(max);
      expect(d('x86_64', n, []), n).toBe('errno');
    }
    // The refusals left out are still refused (ENOSYS from the stub), the others by their rule.
    const left = refused.filter((r) => !r.rule).map((r) => r.name);
    expect(left).toContain('process_madvise');
    for (const r of refused) expect(d('x86_64', r.name, []), r.name).toBe('errno');
    for (const n of left) expect(named.has(n), n).toBe(false);
    expect(refused.filter((r) => r.rule).length).toBeGreaterThan(20);
  });
});

describe('the refusal block of merged profiles', () => {
  test('merge keeps one risk and reason per refused syscall, claiming nothing about a workload', () => {
    const a = generateProfile(traceEvidence('python-f.strace'), { mode: 'audit' });
    const b = generateProfile(traceEvidence('git-init.strace'), { mode: 'audit' });
    const merged = mergeProfiles([a, b]);
    const refusals = merged.syscalls.filter(
      (r) => r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === 1,
    );
    expect(refusals.flatMap((r) => r.names)).toContain('mount');
    for (const r of refusals) {
      const risk = riskOf(r.names[0] ?? '');
      expect(r.comment).toBe(`${r.names.join(', ')}: ${risk.level} risk, refused: ${risk.reason}`);
    }
    expect(checkForRunc(merged)).toEqual([]);
  });
});

describe('golden profiles with the policy controls', () => {
  test.each<[string, string, GenerateOptions]>([
    ['python-f.strace', 'python-f.audit', { mode: 'audit' }],
    ['python-f.strace', 'python-f.af-unix', { socketFamilies: [1n], allAbis: true }],
    [
      'argdecode-Xabbrev.strace',
      'argdecode.deny-kill',
      { mode: 'kill', deny: [...defaultNeverAllow(), 'kcmp'] },
    ],
  ])('%s -> %s', async (trace, golden, opts) => {
    const p = generateProfile(traceEvidence(trace), opts);
    expect(checkForRunc(p)).toEqual([]);
    await expect(writeProfile(p)).toMatchFileSnapshot(`../../test/golden/generate/${golden}.json`);
  });
});
