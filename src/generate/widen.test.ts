import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  archByScmpName,
  archInfo,
  syscallEntries,
  syscallNumber,
  type ArchName,
} from '../arch/index.js';
import { actionKind, seccompArgs } from '../bpf/seccomp.js';
import { buildPlan } from '../compile/build.js';
import { decide } from '../compile/decide.js';
import {
  criticalSyscalls,
  DOCKER_DEFAULT_CAPABILITIES,
  riskOf,
  riskRank,
  SYSCALL_COMPANIONS,
  SYSCALL_FAMILIES,
} from '../kb/index.js';
import type { Profile } from '../profile/types.js';
import { resolveProfile } from '../profile/resolve.js';
import { checkForRunc } from '../runc/check.js';
import { sortSyscalls, totalsOf, type Evidence, type EvidenceSyscall } from './evidence.js';
import {
  allowedNames,
  generateProfile,
  generateWithWidenings,
  partialCoverage,
  WIDENED_COMMENT_PREFIX,
} from './generate.js';
import { ARGUMENT_RULED, type WidenMode } from './widen.js';

/** One recorded syscall for {@link evidence}. */
interface Seen {
  readonly name: string;
  readonly abi?: ArchName;
  readonly args?: Record<string, { index: number; values: bigint[] }>;
  readonly processes?: readonly string[];
  readonly coverage?: number;
}

/** Evidence of the given calls (each seen 3 times), from `inputs` inputs, on an x86_64 host. */
function evidence(seen: readonly Seen[], inputs = 1): Evidence {
  const syscalls: EvidenceSyscall[] = seen.map((s) => {
    const abi = s.abi ?? 'x86_64';
    const nr = syscallNumber(abi, s.name);
    return {
      abi,
      name: s.name,
      ...(nr !== undefined ? { nr } : {}),
      count: 3,
      coverage: s.coverage ?? inputs,
      errors: {},
      firstSeen: { source: 'test', line: 1 },
      processes: [...(s.processes ?? ['app'])],
      executables: [],
      args: Object.fromEntries(
        Object.entries(s.args ?? {}).map(([label, a]) => [
          label,
          {
            index: a.index,
            values: a.values.map((v, i) => ({
              value: v.toString(),
              text: v.toString(),
              count: i === 0 ? 3 - (a.values.length - 1) : 1,
            })),
          },
        ]),
      ),
      logged: {},
    };
  });
  const sorted = sortSyscalls(syscalls);
  return {
    format: 'sysgate-evidence',
    version: 1,
    host: 'x86_64',
    meta: { inputs, sources: ['test'] },
    totals: totalsOf(sorted, 1),
    syscalls: sorted,
  };
}

const names = (...n: string[]): Seen[] => n.map((name) => ({ name }));

/** The calls a mode adds, by name. */
function added(ev: Evidence, widen: WidenMode, extra: { allAbis?: boolean } = {}): string[] {
  return generateWithWidenings(ev, { widen, target: 'bare', ...extra }).widened.map((w) => w.name);
}

describe('widen: what each mode adds', () => {
  test.each<[string, Seen[], WidenMode, string[]]>([
    ['none adds nothing', names('clock_nanosleep', 'read'), 'none', []],
    [
      'sleep: nanosleep for clock_nanosleep',
      names('clock_nanosleep', 'read'),
      'safe',
      ['nanosleep'],
    ],
    ['dup: dup and dup3 for dup2', names('dup2'), 'safe', ['dup', 'dup3']],
    // epoll_pwait2 (441 on x86_64) is above the profile's highest name (clone3, 435): left out, or
    // runc's ENOSYS stub for 436..441 would become the default EPERM.
    [
      'epoll_wait: epoll_pwait, not above the ceiling',
      names('epoll_wait'),
      'safe',
      ['epoll_pwait'],
    ],
    [
      'epoll_wait: epoll_pwait2 once the profile reaches past it',
      names('epoll_wait', 'fchmodat2'),
      'safe',
      ['chmod', 'epoll_pwait', 'epoll_pwait2', 'fchmod', 'fchmodat'],
    ],
    [
      'stat: the x86_64 members only',
      names('newfstatat'),
      'safe',
      ['fstat', 'lstat', 'stat', 'statx'],
    ],
    ['inotify: init1 for init', names('inotify_init'), 'safe', ['inotify_init1']],
    // waitid is rated low (CVE-2017-5123), wait4 info: not added for wait4.
    ['wait: nothing riskier than the member seen', names('wait4'), 'safe', []],
    // wait4 is in every profile already (bwrap's pid 1 reaps with it, kb BWRAP_INIT).
    ['wait: nothing to add for waitid on x86_64', names('waitid'), 'safe', []],
    ['safe adds no companion', names('wait4', 'clone'), 'safe', []],
    [
      'families: kill for a process that reaps children',
      names('wait4', 'clone'),
      'families',
      ['kill'],
    ],
    ['families: no kill without children', names('wait4'), 'families', []],
    [
      'families: sleep for a shell that runs commands',
      [
        { name: 'execve', processes: ['sh'] },
        { name: 'wait4', processes: ['sh'] },
        { name: 'clone', processes: ['sh'] },
      ],
      'families',
      ['clock_nanosleep', 'kill', 'nanosleep'],
    ],
    [
      'families: no sleep for a program that is not a shell',
      [
        { name: 'execve', processes: ['python3'] },
        { name: 'wait4', processes: ['python3'] },
      ],
      'families',
      [],
    ],
    [
      'families: ftruncate for a synced writer',
      names('pwrite64', 'fdatasync'),
      'families',
      ['ftruncate'],
    ],
    [
      'families: rm_watch for add_watch',
      names('inotify_add_watch'),
      'families',
      ['inotify_rm_watch'],
    ],
    [
      'families: tar extracting an archive may make links and set modes',
      [
        { name: 'mkdirat', processes: ['tar'] },
        { name: 'utimensat', processes: ['tar'] },
        { name: 'fchownat', processes: ['tar'] },
      ],
      'families',
      // the companions (links, modes by path) and the families of the calls seen
      [
        ...['chmod', 'chown', 'fchmodat', 'fchown', 'futimesat', 'lchown', 'link', 'linkat'],
        ...['mkdir', 'symlink', 'symlinkat', 'utime', 'utimes'],
      ],
    ],
    [
      'families: xz waits in poll on its non-blocking pipes',
      ['read', 'write', 'fcntl'].map((name) => ({ name, processes: ['xz'] })),
      'families',
      ['poll', 'ppoll'],
    ],
    ['critical calls seen widen nothing', names('ptrace', 'mount', 'bpf'), 'families', []],
  ])('%s', (_name, seen, mode, want) => {
    expect(added(evidence(seen), mode)).toEqual(want);
  });

  test('a member less risky than the one seen is added: waitpid (info, i386) for waitid (low)', () => {
    expect(added(evidence(names('waitid')), 'safe', { allAbis: true })).toEqual(['waitpid']);
  });

  test('a name absent on the ABIs is skipped; kept ABIs bring their own members', () => {
    const ev = evidence(names('clock_nanosleep'));
    expect(added(ev, 'safe')).toEqual(['nanosleep']);
    // With x86 kept, clock_nanosleep_time64 (i386 only) is added too.
    expect(added(ev, 'safe', { allAbis: true })).toEqual(['clock_nanosleep_time64', 'nanosleep']);
  });

  test('an argument-ruled member: its family gets nothing; argument-ruled names are never added', () => {
    // socket has an argument rule (families seen) and is in no family; accept4 stays exact if
    // guarded... and clone/clone3 are never candidates even for fork/vfork.
    const ev = evidence([
      { name: 'socket', args: { family: { index: 0, values: [1n] } } },
      { name: 'vfork' },
      { name: 'wait4' },
    ]);
    const w = added(ev, 'families');
    for (const n of ARGUMENT_RULED) expect(w).not.toContain(n);
    const p = generateProfile(ev, { widen: 'families', target: 'bare' });
    const sock = p.syscalls.filter((r) => r.names.includes('socket'));
    expect(sock.map((r) => r.args.map((a) => a.value))).toEqual([[1n]]);
  });

  test('each addition has a rule of its own whose comment says why and where from', () => {
    const { profile, widened } = generateWithWidenings(evidence(names('dup2', 'wait4', 'clone')), {
      widen: 'families',
      target: 'bare',
    });
    const rules = profile.syscalls.filter((r) => r.comment?.startsWith(WIDENED_COMMENT_PREFIX));
    expect(
      rules.map((r) => [r.names, r.comment?.slice(WIDENED_COMMENT_PREFIX.length).slice(0, 40)]),
    ).toEqual([
      [['kill'], 'companion signal-children (clone, wait4 '],
      [['dup', 'dup3'], 'family dup (dup2 seen): same call as dup'],
    ]);
    expect(rules.every((r) => (r.comment ?? '').includes('source: '))).toBe(true);
    expect(widened.map((w) => [w.name, w.kind, w.id, w.from])).toEqual([
      ['dup', 'family', 'dup', ['dup2']],
      ['dup3', 'family', 'dup', ['dup2']],
      ['kill', 'companion', 'signal-children', ['wait4', 'clone']],
    ]);
    expect(checkForRunc(profile)).toEqual([]);
  });
});

describe('coverage: syscalls seen in only some inputs', () => {
  test('kept, flagged in their own rule, listed by partialCoverage', () => {
    const ev = evidence(
      [{ name: 'read' }, { name: 'write' }, { name: 'kill', coverage: 2 }, { name: 'exit_group' }],
      5,
    );
    const p = generateProfile(ev, { target: 'bare' });
    const kill = p.syscalls.find((r) => r.names.includes('kill'));
    expect(kill?.names).toEqual(['kill']);
    expect(kill?.comment).toMatch(/seen in only 2 of 5 inputs/);
    expect(partialCoverage(ev)).toEqual([{ abi: 'x86_64', name: 'kill', seen: 2, of: 5 }]);
    expect(partialCoverage(evidence(names('read')))).toEqual([]);
  });
});

// ---- the property: widening only turns refusals into unconditional allows of safe names ----------

const HOST = { caps: DOCKER_DEFAULT_CAPABILITIES, kernel: { major: 6, minor: 1 } };

const POOL: readonly string[] = [
  ...new Set([
    ...SYSCALL_FAMILIES.flatMap((f) => f.members),
    ...SYSCALL_COMPANIONS.flatMap((c) => [...c.when.flat(), ...c.add]),
    ...['socket', 'clone', 'clone3', 'personality', 'ptrace', 'mount', 'bpf', 'unshare'],
    ...['execve', 'ioctl', 'futex', 'madvise', 'read', 'write', 'socketcall', 'ipc', 'kill'],
  ]),
].filter((n) => syscallNumber('x86_64', n) !== undefined || syscallNumber('x86', n) !== undefined);

/** Argument vectors that reach the argument rules generation writes (families, flags, personas). */
const VECTORS: readonly (readonly bigint[])[] = [
  [],
  [1n],
  [2n, 1n, 0n],
  [10n, 3n],
  [16n, 3n, 0n],
  [17n, 3n, 0n],
  [0x10000000n | 17n],
  [0x20000n | 17n],
  [0x40000n],
  [8n],
  [0xffffffffffffffffn, 0xffffffffn],
];

function planOf(p: Profile): ReturnType<typeof buildPlan> {
  const r = resolveProfile(p, { arch: 'x86_64', ...HOST });
  if (r === null) throw new Error('no seccomp');
  return buildPlan(r, { arch: 'x86_64' });
}

const seenArb: fc.Arbitrary<Seen> = fc
  .record({
    name: fc.constantFrom(...POOL),
    abi: fc.constantFrom<ArchName>('x86_64', 'x86_64', 'x86_64', 'x86'),
    families: fc.subarray([1n, 2n, 10n, 16n], { minLength: 1 }),
    flags: fc.subarray([17n, 0x3d0f00n, 0x10000000n | 17n], { minLength: 1 }),
    persona: fc.subarray([0n, 8n, 0x40000n], { minLength: 1 }),
    process: fc.constantFrom('app', 'sh', 'python3'),
    coverage: fc.integer({ min: 1, max: 3 }),
  })
  .filter((r) => syscallNumber(r.abi, r.name) !== undefined)
  .map((r) => ({
    name: r.name,
    abi: r.abi,
    processes: [r.process],
    coverage: r.coverage,
    ...(r.name === 'socket'
      ? { args: { family: { index: 0, values: r.families } } }
      : r.name === 'clone'
        ? { args: { flags: { index: 0, values: r.flags } } }
        : r.name === 'personality'
          ? { args: { persona: { index: 0, values: r.persona } } }
          : {}),
  }));

describe('widening never adds a critical or high-risk call nor loosens an argument-filtered decision', () => {
  test('checked with the decision model on every syscall of every ABI the profile keeps', () => {
    const critical = new Set(criticalSyscalls());
    fc.assert(
      fc.property(
        fc.uniqueArray(seenArb, {
          minLength: 1,
          maxLength: 30,
          selector: (s) => `${s.abi} ${s.name}`,
        }),
        fc.constantFrom<WidenMode>('safe', 'families'),
        fc.constantFrom('bare', 'docker' as const),
        fc.boolean(),
        (seen, mode, target, allAbis) => {
          const ev = evidence(seen, 3);
          const opts = { target, allAbis } as const;
          const before = generateProfile(ev, { ...opts, widen: 'none' });
          const { profile: after, widened } = generateWithWidenings(ev, { ...opts, widen: mode });
          expect(after.architectures).toEqual(before.architectures);
          expect(checkForRunc(after).filter((i) => i.severity === 'error')).toEqual([]);
          const wnames = new Set(widened.map((w) => w.name));
          const was = new Set(allowedNames(before));
          for (const w of widened) {
            expect(critical.has(w.name), w.name).toBe(false);
            expect(was.has(w.name), w.name).toBe(false);
            expect(ARGUMENT_RULED.has(w.name), w.name).toBe(false);
            if (w.kind === 'family')
              for (const f of w.from)
                expect(riskRank(riskOf(w.name).level)).toBeGreaterThanOrEqual(
                  riskRank(riskOf(f).level),
                );
          }
          const pb = planOf(before);
          const pa = planOf(after);
          for (const scmp of after.architectures) {
            const abi = archByScmpName(scmp)?.name;
            if (abi === undefined) throw new Error(`unknown ${scmp}`);
            const token = archInfo(abi).auditArch;
            for (const e of syscallEntries(abi)) {
              const d = VECTORS.map((v) => {
                const data = {
                  arch: token,
                  nr: e.nr,
                  instructionPointer: 0n,
                  args: seccompArgs(v),
                };
                return [decide(pb, data).value, decide(pa, data).value] as const;
              });
              if (d.every(([x, y]) => x === y)) continue;
              // Changed: only a widened name, refused before on every vector, allowed now on every one.
              expect(wnames.has(e.name), `${abi} ${e.name} changed but was not widened`).toBe(true);
              expect(
                d.every(([x]) => actionKind(x) !== 'allow'),
                `${abi} ${e.name}`,
              ).toBe(true);
              expect(
                d.every(([, y]) => actionKind(y) === 'allow'),
                `${abi} ${e.name}`,
              ).toBe(true);
            }
          }
        },
      ),
      { numRuns: 40, seed: 10 },
    );
  });
});
