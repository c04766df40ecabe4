import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ProfileError } from './errors.js';
import type { ArchName } from '../arch/types.js';
import { toOci } from './convert/oci.js';
import { parseProfile } from './index.js';
import {
  chooseDockerProfile,
  dockerArchMapKey,
  dockerNativeArch,
  parseKernelRelease,
  parseMinKernel,
  resolveProfile,
  resolvedToProfile,
  type ResolvedProfile,
  type ResolveHost,
} from './resolve.js';
import type { Profile, RuleFilter, SyscallRule } from './types.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const corpus = (name: string): string =>
  path.resolve(repoRoot, 'test/fixtures/corpus/profiles', name);
const golden = (name: string): string => path.resolve(repoRoot, 'test/golden/resolve', name);

/** Docker's default capability set (moby oci/caps/defaults.go), written out independently of src/. */
const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const CURRENT = { major: 6, minor: 1 };
const mobyDefaultFile = corpus('moby__profiles__seccomp_default.json');
const mobyDefault = parseProfile(readFileSync(mobyDefaultFile, 'utf8'), mobyDefaultFile).profile;

function mustResolve(profile: Profile, host: ResolveHost): ResolvedProfile {
  const r = resolveProfile(profile, host);
  if (r === null) throw new Error('seccomp unexpectedly off');
  return r;
}

const ruleIndices = (r: ResolvedProfile): number[] =>
  r.syscalls.map((s) => Number(s.pointer.split('/')[2]));
const nameCount = (r: ResolvedProfile): number =>
  r.syscalls.reduce((n, s) => n + s.names.length, 0);
const range = (a: number, b: number): number[] =>
  Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('resolveProfile on the moby default profile (docs/semantics.md#moby-default-profile)', () => {
  // Expected rule sets worked out by hand from the corpus file (33 entries) and moby's rules:
  // entries 0-9 are unconditional for the arch/caps (9 = personality, 1 = minKernel 4.8);
  // 10-15 are per-arch; 16-32 cap-gated; 18/19 are the clone MASKED_EQ rules excluded by CAP_SYS_ADMIN;
  // 20 is clone3 -> ERRNO(38) unless CAP_SYS_ADMIN.
  const cases: {
    name: string;
    arch: ArchName;
    caps: readonly string[];
    kernel?: { major: number; minor: number };
    entries: number[];
    names: number;
    architectures: string[];
    golden?: string;
  }[] = [
    {
      name: 'amd64, no caps',
      arch: 'x86_64',
      caps: [],
      entries: [...range(0, 9), 12, 13, 18, 20],
      names: 376,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      golden: 'moby-default.amd64.no-caps.json',
    },
    {
      name: 'amd64, Docker default caps',
      arch: 'x86_64',
      caps: DOCKER_DEFAULT_CAPS,
      entries: [...range(0, 9), 12, 13, 18, 20, 22],
      names: 377,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      golden: 'moby-default.amd64.default-caps.json',
    },
    {
      name: 'amd64, Docker default caps + CAP_SYS_ADMIN',
      arch: 'x86_64',
      caps: [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN'],
      entries: [...range(0, 9), 12, 13, 17, 22],
      names: 401,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      golden: 'moby-default.amd64.sys-admin.json',
    },
    {
      name: 'arm64, no caps',
      arch: 'aarch64',
      caps: [],
      entries: [...range(0, 9), 11, 18, 20],
      names: 380,
      architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
      golden: 'moby-default.arm64.no-caps.json',
    },
    {
      name: 'arm64, Docker default caps',
      arch: 'aarch64',
      caps: DOCKER_DEFAULT_CAPS,
      entries: [...range(0, 9), 11, 18, 20, 22],
      names: 381,
      architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
      golden: 'moby-default.arm64.default-caps.json',
    },
    {
      name: 'amd64, no caps, kernel 4.7 (ptrace rule needs 4.8)',
      arch: 'x86_64',
      caps: [],
      kernel: { major: 4, minor: 7 },
      entries: [0, ...range(2, 9), 12, 13, 18, 20],
      names: 373,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    },
    {
      name: 's390x, no caps: the arg1 clone rule replaces the arg0 one',
      arch: 's390x',
      caps: [],
      entries: [...range(0, 9), 14, 19, 20],
      names: 377,
      architectures: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
    },
    {
      name: 'loongarch64: moby never selects its archMap entry (loong64 quirk)',
      arch: 'loongarch64',
      caps: [],
      entries: [...range(0, 9), 18, 20],
      names: 374,
      architectures: [],
    },
    {
      name: 'x86 (386 daemon): amd64-only rules drop, modify_ldt stays',
      arch: 'x86',
      caps: [],
      entries: [...range(0, 9), 13, 18, 20],
      names: 375,
      architectures: [],
    },
    {
      name: 'x32 has no Go port: no native name, no per-arch rule applies',
      arch: 'x32',
      caps: [],
      entries: [...range(0, 9), 18, 20],
      names: 374,
      architectures: [],
    },
  ];

  test.each(cases)('$name', async (c) => {
    const r = mustResolve(mobyDefault, { arch: c.arch, caps: c.caps, kernel: c.kernel ?? CURRENT });
    expect(ruleIndices(r)).toEqual(c.entries);
    expect(nameCount(r)).toBe(c.names);
    expect(r.architectures).toEqual(c.architectures);
    expect(r.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(r.defaultErrnoRet).toBe(1);
    // Nothing is lost: every entry is either kept or dropped with a reason.
    expect(r.syscalls.length + r.dropped.length).toBe(33);
    if (c.golden !== undefined) await expect(toOci(r)).toMatchFileSnapshot(golden(c.golden));
  });

  test('no caps on amd64: the conditional rules of the default profile are present', () => {
    const r = mustResolve(mobyDefault, { arch: 'x86_64', caps: [], kernel: CURRENT });
    const byName = (n: string) => r.syscalls.filter((s) => s.names.includes(n));
    expect(byName('socket').map((s) => s.args.map((a) => [a.op, a.value]))).toEqual([
      [['SCMP_CMP_LT', 38n]],
      [['SCMP_CMP_EQ', 39n]],
      [['SCMP_CMP_GT', 40n]],
    ]);
    expect(byName('personality').map((s) => s.args[0]?.value)).toEqual([
      0n,
      8n,
      0x20000n,
      0x20008n,
      0xffffffffn,
    ]);
    const clone = byName('clone');
    expect(clone).toHaveLength(1);
    expect(clone[0]?.args).toEqual([
      { index: 0, value: 0x7e020000n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
    expect(byName('clone3')).toEqual([
      {
        names: ['clone3'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 38,
        args: [],
        pointer: '/syscalls/20',
      },
    ]);
    expect(r.dropped.find((d) => d.pointer === '/syscalls/17')?.reason).toBe('includes-caps');
    expect(r.dropped.find((d) => d.pointer === '/syscalls/19')?.reason).toBe('includes-arch');
  });
});

const rule = (over: Partial<SyscallRule> & { pointer: string }): SyscallRule => ({
  names: ['getpid'],
  action: 'SCMP_ACT_ALLOW',
  args: [],
  ...over,
});
const filter = (f: Partial<RuleFilter>): RuleFilter => ({ arches: [], caps: [], ...f });
const base = (syscalls: SyscallRule[], extra: Partial<Profile> = {}): Profile => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: [],
  syscalls,
  ...extra,
});
const AMD64: ResolveHost = {
  arch: 'x86_64',
  caps: ['CAP_CHOWN', 'CAP_KILL'],
  kernel: { major: 5, minor: 10 },
};

describe('includes/excludes, one rule at a time (host amd64, caps CHOWN+KILL, kernel 5.10)', () => {
  const cases: {
    name: string;
    includes?: RuleFilter;
    excludes?: RuleFilter;
    kept: boolean;
    reason?: string;
  }[] = [
    { name: 'no filters', kept: true },
    { name: 'empty includes', includes: filter({}), kept: true },
    { name: 'empty excludes', excludes: filter({}), kept: true },
    { name: 'includes native arch', includes: filter({ arches: ['amd64'] }), kept: true },
    {
      name: 'includes other arch',
      includes: filter({ arches: ['arm64'] }),
      kept: false,
      reason: 'includes-arch',
    },
    {
      name: 'includes matches Go names, not libseccomp names',
      includes: filter({ arches: ['x86_64'] }),
      kept: false,
      reason: 'includes-arch',
    },
    {
      name: 'includes a sub-arch only (x86 on amd64)',
      includes: filter({ arches: ['x86'] }),
      kept: false,
      reason: 'includes-arch',
    },
    {
      name: 'includes all caps present',
      includes: filter({ caps: ['CAP_CHOWN', 'CAP_KILL'] }),
      kept: true,
    },
    {
      name: 'includes needs ALL caps',
      includes: filter({ caps: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] }),
      kept: false,
      reason: 'includes-caps',
    },
    { name: 'includes minKernel equal', includes: filter({ minKernel: '5.10' }), kept: true },
    { name: 'includes minKernel older', includes: filter({ minKernel: '4.19' }), kept: true },
    {
      name: 'includes minKernel newer minor',
      includes: filter({ minKernel: '5.11' }),
      kept: false,
      reason: 'includes-min-kernel',
    },
    {
      name: 'includes minKernel newer major',
      includes: filter({ minKernel: '6.0' }),
      kept: false,
      reason: 'includes-min-kernel',
    },
    {
      name: 'includes minKernel compares numbers, not text',
      includes: filter({ minKernel: '5.9' }),
      kept: true,
    },
    { name: 'includes empty minKernel means 0.0', includes: filter({ minKernel: '' }), kept: true },
    {
      name: 'excludes native arch',
      excludes: filter({ arches: ['amd64'] }),
      kept: false,
      reason: 'excludes-arch',
    },
    { name: 'excludes other arch', excludes: filter({ arches: ['s390x'] }), kept: true },
    { name: 'excludes a sub-arch only', excludes: filter({ arches: ['x32'] }), kept: true },
    {
      name: 'excludes ANY cap present',
      excludes: filter({ caps: ['CAP_SYS_ADMIN', 'CAP_KILL'] }),
      kept: false,
      reason: 'excludes-cap',
    },
    {
      name: 'excludes caps all absent',
      excludes: filter({ caps: ['CAP_SYS_ADMIN', 'CAP_BPF'] }),
      kept: true,
    },
    {
      name: 'excludes minKernel reached',
      excludes: filter({ minKernel: '5.10' }),
      kept: false,
      reason: 'excludes-min-kernel',
    },
    { name: 'excludes minKernel not reached', excludes: filter({ minKernel: '5.11' }), kept: true },
    {
      name: 'excludes empty minKernel (0.0) always drops',
      excludes: filter({ minKernel: '' }),
      kept: false,
      reason: 'excludes-min-kernel',
    },
    {
      name: 'excludes wins over a satisfied includes',
      includes: filter({ caps: ['CAP_KILL'] }),
      excludes: filter({ caps: ['CAP_CHOWN'] }),
      kept: false,
      reason: 'excludes-cap',
    },
    {
      name: 'excludes is checked before includes',
      includes: filter({ arches: ['arm64'] }),
      excludes: filter({ arches: ['amd64'] }),
      kept: false,
      reason: 'excludes-arch',
    },
    {
      name: 'both pass',
      includes: filter({ arches: ['arm64', 'amd64'], caps: ['CAP_KILL'], minKernel: '3.8' }),
      excludes: filter({ arches: ['arm'], caps: ['CAP_SYS_ADMIN'], minKernel: '6.2' }),
      kept: true,
    },
  ];
  test.each(cases)('$name', (c) => {
    const p = base([
      rule({ pointer: '/syscalls/0', names: ['read'] }),
      rule({
        pointer: '/syscalls/1',
        ...(c.includes !== undefined ? { includes: c.includes } : {}),
        ...(c.excludes !== undefined ? { excludes: c.excludes } : {}),
      }),
    ]);
    const r = mustResolve(p, AMD64);
    expect(r.syscalls.map((s) => s.pointer)).toEqual(
      c.kept ? ['/syscalls/0', '/syscalls/1'] : ['/syscalls/0'],
    );
    expect(r.dropped.map((d) => d.reason)).toEqual(c.kept ? [] : [c.reason]);
  });
});

describe('archMap and the other top-level fields', () => {
  const archMap = [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_MIPSEL64', subArchitectures: ['SCMP_ARCH_MIPSEL'] },
    { architecture: 'SCMP_ARCH_MIPSEL', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_LOONGARCH64', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_PPC64LE', subArchitectures: [] },
  ];
  test.each<[ArchName, string[]]>([
    ['x86_64', ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']],
    ['aarch64', ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']],
    ['mipsel64', ['SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL']],
    ['ppc64le', ['SCMP_ARCH_PPC64LE']],
    ['mipsel', []], // goToNative says "mipsel", nativeToSeccomp is keyed "mipsle"
    ['loongarch64', []], // goToNative says "loongarch64", nativeToSeccomp is keyed "loong64"
    ['riscv64', []], // no entry for it in this archMap
    ['x86', []],
  ])('archMap on %s', (arch, expected) => {
    const r = mustResolve(base([], { archMap }), { arch, caps: [], kernel: CURRENT });
    expect(r.architectures).toEqual(expected);
  });

  test('only the first entry for the native arch is used', () => {
    const r = mustResolve(
      base([], {
        archMap: [
          { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] },
          { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X32'] },
        ],
      }),
      AMD64,
    );
    expect(r.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  });

  test('a plain architectures list is passed through untouched on any host', () => {
    const r = mustResolve(base([], { architectures: ['SCMP_ARCH_S390X'] }), AMD64);
    expect(r.architectures).toEqual(['SCMP_ARCH_S390X']);
  });

  test('native names and archMap keys', () => {
    expect(dockerNativeArch('x86_64')).toBe('amd64');
    expect(dockerNativeArch('aarch64')).toBe('arm64');
    expect(dockerNativeArch('mipsel64n32')).toBe('mips3l64n32');
    expect(dockerNativeArch('mips')).toBe('');
    expect(dockerArchMapKey('mipsel64n32')).toBe('SCMP_ARCH_MIPSEL64N32');
    expect(dockerArchMapKey('loongarch64')).toBeUndefined();
  });

  test('flags, listener fields, defaultErrnoRet, order and errnoRet are kept; nothing is merged', () => {
    const p = base(
      [
        rule({ pointer: '/syscalls/0', names: ['read', 'write'] }),
        rule({ pointer: '/syscalls/1', names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }),
        rule({
          pointer: '/syscalls/2',
          names: ['ioctl'],
          args: [
            { index: 1, value: 5n, valueTwo: 0n, op: 'SCMP_CMP_EQ' },
            { index: 1, value: 6n, valueTwo: 0n, op: 'SCMP_CMP_EQ' },
          ],
        }),
      ],
      {
        defaultErrnoRet: 13,
        flags: ['SECCOMP_FILTER_FLAG_LOG'],
        listenerPath: '/run/agent.sock',
        listenerMetadata: 'meta',
      },
    );
    const r = mustResolve(p, AMD64);
    expect(r).toMatchObject({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 13,
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      listenerPath: '/run/agent.sock',
      listenerMetadata: 'meta',
    });
    expect(r.syscalls).toHaveLength(3);
    expect(r.syscalls[1]).toEqual({
      names: ['read'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 5,
      args: [],
      pointer: '/syscalls/1',
    });
    expect(r.syscalls[2]?.args).toHaveLength(2);
  });

  test('flags: [] and empty listener strings do not survive the trip to runc (Go omitempty)', () => {
    const r = mustResolve(base([], { flags: [], listenerPath: '', listenerMetadata: '' }), AMD64);
    expect('flags' in r).toBe(false);
    expect('listenerPath' in r).toBe(false);
    expect('listenerMetadata' in r).toBe(false);
  });

  test('no defaultAction and no syscalls: moby turns seccomp off', () => {
    expect(resolveProfile(base([], { defaultAction: undefined }), AMD64)).toBeNull();
  });
});

describe('errors moby refuses', () => {
  const issuesOf = (p: Profile): { code: string; pointer: string }[] => {
    try {
      resolveProfile(p, AMD64);
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      return (e as ProfileError).issues.map((i) => ({ code: i.code, pointer: i.pointer }));
    }
    throw new Error('expected a ProfileError');
  };

  test('architectures and archMap together', () => {
    expect(
      issuesOf(
        base([], {
          architectures: ['SCMP_ARCH_X86_64'],
          archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }],
        }),
      ),
    ).toEqual([{ code: 'architectures-and-archmap', pointer: '/archMap' }]);
  });

  test('an empty archMap next to architectures is fine (Go checks len != 0)', () => {
    expect(
      mustResolve(base([], { architectures: ['SCMP_ARCH_X86'], archMap: [] }), AMD64).architectures,
    ).toEqual(['SCMP_ARCH_X86']);
  });

  test('name and names together', () => {
    expect(
      issuesOf(base([rule({ pointer: '/syscalls/3', names: ['a', 'b'], legacyName: true })])),
    ).toEqual([{ code: 'name-and-names', pointer: '/syscalls/3/name' }]);
  });

  test('syscalls without defaultAction', () => {
    expect(
      issuesOf(base([rule({ pointer: '/syscalls/0' })], { defaultAction: undefined })),
    ).toEqual([{ code: 'missing-default-action', pointer: '/defaultAction' }]);
  });

  test.each(['3.12.1', '0.0', '256.1', '4.256', 'a.b', '+4.1', '4', '4.', '.4', ' 4.1', '4.1-rc1'])(
    'minKernel %j is refused, even on a rule that would be dropped anyway',
    (mk) => {
      const p = base([
        rule({ pointer: '/syscalls/0', includes: filter({ arches: ['s390x'], minKernel: mk }) }),
        rule({ pointer: '/syscalls/1', excludes: filter({ minKernel: mk }) }),
      ]);
      expect(issuesOf(p)).toEqual([
        { code: 'invalid-min-kernel', pointer: '/syscalls/0/includes/minKernel' },
        { code: 'invalid-min-kernel', pointer: '/syscalls/1/excludes/minKernel' },
      ]);
    },
  );

  test.each([
    ['4.8', { major: 4, minor: 8 }],
    ['255.255', { major: 255, minor: 255 }],
    ['0.1', { major: 0, minor: 1 }],
    ['04.08', { major: 4, minor: 8 }],
    ['', { major: 0, minor: 0 }],
  ])('minKernel %j is accepted', (mk, v) => {
    expect(parseMinKernel(mk)).toEqual(v);
  });

  test.each([
    ['6.1.0-18-amd64', { major: 6, minor: 1 }],
    ['3.12-1-amd64', { major: 3, minor: 12 }],
    ['3.12.25-gentoo', { major: 3, minor: 12 }],
    ['5.15.153.1-microsoft-standard-WSL2', { major: 5, minor: 15 }],
    ['garbage', undefined],
    ['-3.8', undefined],
    ['3.-8', undefined],
    ['+3.8', undefined],
  ])('kernel release %j', (release, v) => {
    expect(parseKernelRelease(release)).toEqual(v);
  });
});

describe("Docker's choice of profile (docs/semantics.md#moby-profile-choice)", () => {
  const custom = { profile: base([]) };
  test.each([
    [{}, 'default'],
    [{ container: 'unconfined' as const }, 'none'],
    [{ container: 'unconfined' as const, privileged: true }, 'none'],
    [{ container: 'builtin' as const }, 'default'],
    [{ container: custom }, 'custom'],
    [{ privileged: true }, 'none'],
    [{ privileged: true, container: custom }, 'custom'],
    [{ privileged: true, container: 'builtin' as const }, 'error'],
    [{ daemon: custom }, 'custom'],
    [{ daemon: 'unconfined' as const }, 'none'],
    [{ daemon: 'unconfined' as const, container: 'builtin' as const }, 'default'],
    [{ daemon: custom, container: 'builtin' as const }, 'default'],
    [{ kernelSupportsSeccomp: false }, 'none'],
    [{ kernelSupportsSeccomp: false, container: custom }, 'error'],
  ])('%o -> %s', (opts, kind) => {
    expect(chooseDockerProfile(opts).kind).toBe(kind);
  });
});

describe('properties', () => {
  const arches = ['amd64', 'arm64', 'x86', 's390x', 'x32', 'loongarch64'];
  const capNames = ['CAP_SYS_ADMIN', 'CAP_KILL', 'CAP_BPF', 'CAP_CHOWN'];
  const kernels = ['', '3.10', '4.8', '5.10', '6.1', '6.2'];
  const arbFilter: fc.Arbitrary<RuleFilter> = fc
    .record({
      arches: fc.subarray(arches),
      caps: fc.subarray(capNames),
      minKernel: fc.option(fc.constantFrom(...kernels), { nil: undefined }),
    })
    .map(({ minKernel, ...f }) => (minKernel === undefined ? f : { ...f, minKernel }));
  const arbRule = fc.record({
    includes: fc.option(arbFilter, { nil: undefined }),
    excludes: fc.option(arbFilter, { nil: undefined }),
  });
  const arbHost = fc.record({
    arch: fc.constantFrom<ArchName>('x86_64', 'aarch64', 'x86', 's390x', 'x32', 'loongarch64'),
    caps: fc.subarray(capNames),
    kernel: fc.record({
      major: fc.integer({ min: 3, max: 7 }),
      minor: fc.integer({ min: 0, max: 20 }),
    }),
  });
  const toRule = (
    r: { includes: RuleFilter | undefined; excludes: RuleFilter | undefined },
    i: number,
  ): SyscallRule => ({
    names: [`call${i}`],
    action: 'SCMP_ACT_ALLOW',
    args: [],
    pointer: `/syscalls/${i}`,
    ...(r.includes !== undefined ? { includes: r.includes } : {}),
    ...(r.excludes !== undefined ? { excludes: r.excludes } : {}),
  });

  test('every rule is kept or dropped, in order; resolving the result again changes nothing', () => {
    fc.assert(
      fc.property(fc.array(arbRule, { maxLength: 12 }), arbHost, (rules, host) => {
        const p = base(rules.map(toRule));
        const r = mustResolve(p, host);
        const all = [...r.syscalls.map((s) => s.pointer), ...r.dropped.map((d) => d.pointer)];
        expect(all.sort()).toEqual(p.syscalls.map((s) => s.pointer).sort());
        const keptIdx = ruleIndices(r);
        expect(keptIdx).toEqual([...keptIdx].sort((a, b) => a - b));
        const again = mustResolve(resolvedToProfile(r), host);
        expect(again.syscalls).toEqual(r.syscalls);
      }),
    );
  });

  test('adding a capability never drops an includes-only rule; removing one never drops an excludes-only rule', () => {
    fc.assert(
      fc.property(arbFilter, arbHost, fc.constantFrom(...capNames), (f, host, extra) => {
        const more = { ...host, caps: [...new Set([...host.caps, extra])] };
        const inc = base([rule({ pointer: '/syscalls/0', includes: f })]);
        if (mustResolve(inc, host).syscalls.length === 1)
          expect(mustResolve(inc, more).syscalls).toHaveLength(1);
        const exc = base([rule({ pointer: '/syscalls/0', excludes: f })]);
        if (mustResolve(exc, more).syscalls.length === 1)
          expect(mustResolve(exc, host).syscalls).toHaveLength(1);
      }),
    );
  });
});

describe("containers/common's resolution (Podman 4.3.1, kb/podman.ts)", () => {
  const archMap = [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_PPC64LE', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
  ];
  const podman = (profile: Profile, host: ResolveHost): ResolvedProfile => {
    const r = resolveProfile(profile, host, 'containers-common');
    if (r === null) throw new Error('seccomp unexpectedly off');
    return r;
  };
  test.each<[string, RuleFilter | undefined, RuleFilter | undefined, boolean, boolean]>([
    // [name, includes, excludes, kept by moby, kept by containers/common]
    [
      'includes minKernel newer: moby drops, Podman keeps',
      filter({ minKernel: '6.0' }),
      undefined,
      false,
      true,
    ],
    [
      'excludes minKernel reached: moby drops, Podman keeps',
      undefined,
      filter({ minKernel: '5.10' }),
      false,
      true,
    ],
    [
      'includes caps: both need every cap',
      filter({ caps: ['CAP_SYS_ADMIN'] }),
      undefined,
      false,
      false,
    ],
    ['excludes native arch: both drop', undefined, filter({ arches: ['amd64'] }), false, false],
    ['includes the native arch: both keep', filter({ arches: ['amd64'] }), undefined, true, true],
  ])('%s', (_, includes, excludes, moby, cc) => {
    const p = base([
      rule({
        pointer: '/syscalls/0',
        ...(includes !== undefined ? { includes } : {}),
        ...(excludes !== undefined ? { excludes } : {}),
      }),
    ]);
    expect(mustResolve(p, AMD64).syscalls.length).toBe(moby ? 1 : 0);
    expect(podman(p, AMD64).syscalls.length).toBe(cc ? 1 : 0);
  });

  test('a malformed minKernel is refused by moby, ignored by containers/common', () => {
    const p = base([rule({ pointer: '/syscalls/0', includes: filter({ minKernel: '0.0' }) })]);
    expect(() => resolveProfile(p, AMD64)).toThrow(ProfileError);
    expect(podman(p, AMD64).syscalls.length).toBe(1);
  });

  test.each<[ArchName, string[], string[]]>([
    [
      'x86_64',
      ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    ],
    // containers/common's nativeToSeccomp has no ppc64le or riscv64 key.
    ['ppc64le', ['SCMP_ARCH_PPC64LE'], []],
    ['riscv64', ['SCMP_ARCH_RISCV64'], []],
  ])('archMap on %s: moby %j, containers/common %j', (arch, moby, cc) => {
    const host = { arch, caps: [], kernel: CURRENT };
    expect(mustResolve(base([], { archMap }), host).architectures).toEqual(moby);
    expect(podman(base([], { archMap }), host).architectures).toEqual(cc);
  });
});
