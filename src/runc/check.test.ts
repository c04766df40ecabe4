import { describe, expect, test } from 'vitest';
import type { ArgCondition, Profile, SyscallRule } from '../profile/types.js';
import { effectiveErrno } from './action.js';
import { checkForRunc as checkProfile } from './check.js';
import { ruleEqualsDefault } from './rules.js';

const rule = (
  r: Partial<SyscallRule> & Pick<SyscallRule, 'names' | 'action'>,
  i = 0,
): SyscallRule => ({
  args: [],
  pointer: `/syscalls/${i}`,
  ...r,
});
const arg = (index: number, value = 0n): ArgCondition => ({
  index,
  value,
  valueTwo: 0n,
  op: 'SCMP_CMP_EQ',
});
const profile = (p: Partial<Profile>): Profile => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: [],
  syscalls: [],
  ...p,
});
const codes = (p: Profile): string[] => checkProfile(p).map((i) => `${i.severity}:${i.code}`);

describe('effectiveErrno: runc int16 cast, 16 bits kept', () => {
  test.each([
    [undefined, 1],
    [0, 0],
    [38, 38],
    [4094, 4094],
    [65535, 65535],
    [65536, 0],
    [65537, 1],
    [69632, 4096],
  ])('%s -> %s', (input, out) => {
    expect(effectiveErrno(input)).toBe(out);
  });
});

describe('ruleEqualsDefault (runc compares the libseccomp action incl. data)', () => {
  test.each([
    ['ERRNO vs ERRNO default', profile({}), rule({ names: ['a'], action: 'SCMP_ACT_ERRNO' }), true],
    [
      'ERRNO(1) explicit',
      profile({}),
      rule({ names: ['a'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }),
      true,
    ],
    [
      'ERRNO(38)',
      profile({}),
      rule({ names: ['a'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }),
      false,
    ],
    [
      'ERRNO 65537 truncates to 1',
      profile({}),
      rule({ names: ['a'], action: 'SCMP_ACT_ERRNO', errnoRet: 65537 }),
      true,
    ],
    [
      'default errno 38',
      profile({ defaultErrnoRet: 38 }),
      rule({ names: ['a'], action: 'SCMP_ACT_ERRNO' }),
      false,
    ],
    [
      'KILL vs KILL_THREAD',
      profile({ defaultAction: 'SCMP_ACT_KILL_THREAD' }),
      rule({ names: ['a'], action: 'SCMP_ACT_KILL' }),
      true,
    ],
    [
      'KILL vs KILL_PROCESS',
      profile({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }),
      rule({ names: ['a'], action: 'SCMP_ACT_KILL' }),
      false,
    ],
  ])('%s', (_n, p, r, expected) => {
    expect(ruleEqualsDefault(p, r)).toBe(expected);
  });
});

describe("checkForRunc (the document checks and runc's)", () => {
  test.each([
    [
      'a clean allowlist',
      profile({
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [rule({ names: ['read'], action: 'SCMP_ACT_ALLOW' })],
      }),
      [],
    ],
    [
      'architectures and archMap',
      profile({
        architectures: ['SCMP_ARCH_X86_64'],
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }],
      }),
      ['error:arch-and-archmap'],
    ],
    ['unknown arch', profile({ architectures: ['SCMP_ARCH_NATIVE'] }), ['error:unknown-arch']],
    [
      'mixed endian list',
      profile({ architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_PPC64'] }),
      ['error:mixed-endian'],
    ],
    [
      'mixed endian archMap entry only warns (host-specific)',
      profile({
        archMap: [{ architecture: 'SCMP_ARCH_PPC64LE', subArchitectures: ['SCMP_ARCH_PPC64'] }],
      }),
      ['warning:mixed-endian'],
    ],
    [
      'NOTIFY default',
      profile({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/s' }),
      ['error:notify-default'],
    ],
    ['default ERRNO 4095', profile({ defaultErrnoRet: 4095 }), ['error:errno-out-of-range']],
    [
      'default TRACE 4095 is fine',
      profile({ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 4095 }),
      [],
    ],
    [
      'errnoRet on ALLOW is ignored',
      profile({ syscalls: [rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 5 })] }),
      ['warning:errno-ignored'],
    ],
    [
      'arg index 6 on a real rule',
      profile({ syscalls: [rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [arg(6)] })] }),
      ['error:arg-index-out-of-range'],
    ],
    [
      'arg index 6 on a rule equal to the default (runc skips it unvalidated)',
      profile({ syscalls: [rule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [arg(6)] })] }),
      ['warning:rule-equals-default', 'warning:arg-index-out-of-range'],
    ],
    [
      'seven conditions',
      profile({
        syscalls: [
          rule({
            names: ['read'],
            action: 'SCMP_ACT_ALLOW',
            args: [0, 1, 2, 3, 4, 5, 0].map((i) => arg(i)),
          }),
        ],
      }),
      ['error:too-many-args'],
    ],
    [
      'two conditions on one index are fine',
      profile({
        syscalls: [
          rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 1n), arg(0, 2n)] }),
        ],
      }),
      [],
    ],
    [
      'NOTIFY on write without a listener',
      profile({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [rule({ names: ['write'], action: 'SCMP_ACT_NOTIFY' })],
      }),
      ['error:notify-without-listener', 'error:notify-write'],
    ],
    [
      'unknown flag',
      profile({ flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }),
      ['error:unknown-flag'],
    ],
    [
      'minKernel 3.12.1',
      profile({
        syscalls: [
          rule({
            names: ['read'],
            action: 'SCMP_ACT_ALLOW',
            includes: { arches: [], caps: [], minKernel: '3.12.1' },
          }),
        ],
      }),
      ['error:invalid-min-kernel'],
    ],
    [
      'minKernel 0.0',
      profile({
        syscalls: [
          rule({
            names: ['read'],
            action: 'SCMP_ACT_ALLOW',
            includes: { arches: [], caps: [], minKernel: '0.0' },
          }),
        ],
      }),
      ['error:invalid-min-kernel'],
    ],
    [
      'minKernel 255.255',
      profile({
        syscalls: [
          rule({
            names: ['read'],
            action: 'SCMP_ACT_ALLOW',
            includes: { arches: [], caps: [], minKernel: '255.255' },
          }),
        ],
      }),
      [],
    ],
    [
      'minKernel 256.1',
      profile({
        syscalls: [
          rule({
            names: ['read'],
            action: 'SCMP_ACT_ALLOW',
            includes: { arches: [], caps: [], minKernel: '256.1' },
          }),
        ],
      }),
      ['error:invalid-min-kernel'],
    ],
    [
      'unknown syscall',
      profile({ syscalls: [rule({ names: ['fscontext'], action: 'SCMP_ACT_ALLOW' })] }),
      ['warning:unknown-syscall'],
    ],
    [
      'syscall absent on the declared arches',
      profile({
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [rule({ names: ['arm_fadvise64_64'], action: 'SCMP_ACT_ALLOW' })],
      }),
      ['warning:syscall-not-on-arches'],
    ],
    [
      "a rule limited to a host is checked against that host's arches",
      profile({
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }],
        syscalls: [
          rule({
            names: ['sync_file_range2'],
            action: 'SCMP_ACT_ALLOW',
            includes: { arches: ['ppc64le'], caps: [] },
          }),
        ],
      }),
      [],
    ],
    [
      'empty names',
      profile({ syscalls: [rule({ names: [], action: 'SCMP_ACT_ALLOW' })] }),
      ['warning:empty-names'],
    ],
    [
      'no default and no rules',
      { defaultAction: undefined, architectures: [], syscalls: [] },
      ['warning:seccomp-disabled'],
    ],
  ])('%s', (_n, p, expected) => {
    expect(codes(p)).toEqual(expected);
  });

  test('errors come before warnings', () => {
    const issues = checkProfile(
      profile({
        syscalls: [
          rule({ names: ['nosuchcall'], action: 'SCMP_ACT_ALLOW' }, 0),
          rule({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [arg(9)] }, 1),
        ],
      }),
    );
    expect(issues.map((i) => i.severity)).toEqual(['error', 'warning']);
    expect(issues[0]?.pointer).toBe('/syscalls/1/args/0/index');
  });
});
