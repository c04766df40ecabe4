import { describe, expect, test } from 'vitest';
import { ProfileError } from '../profile/errors.js';
import type { ArgCondition } from '../profile/types.js';
import { libseccompActionMacro, runcAction, runcActionValue } from './action.js';
import {
  runcSeccomp,
  splitConditions,
  type RuncProfileInput,
  type RuncRuleInput,
} from './rules.js';

const eq = (index: number, value: bigint): ArgCondition => ({
  index,
  op: 'SCMP_CMP_EQ',
  value,
  valueTwo: 0n,
});
const rule = (
  i: number,
  r: Omit<RuncRuleInput, 'pointer' | 'args'> & { args?: ArgCondition[] },
): RuncRuleInput => ({
  args: [],
  pointer: `/syscalls/${i}`,
  ...r,
});
const profile = (
  syscalls: RuncRuleInput[],
  p: Partial<RuncProfileInput> = {},
): RuncProfileInput => ({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls,
  ...p,
});
const fates = (p: RuncProfileInput, libseccomp: '2.5.4' | '2.6' = '2.5.4'): unknown[] =>
  [...runcSeccomp(p, { arch: 'x86_64', libseccomp }).rules()].map((r) => [
    r.pointer,
    r.name,
    r.fate.kind,
  ]);

describe('runc action mapping (getAction)', () => {
  test.each([
    ['SCMP_ACT_KILL', undefined, 'SCMP_ACT_KILL_THREAD'],
    ['SCMP_ACT_ERRNO', undefined, 'SCMP_ACT_ERRNO(1)'],
    ['SCMP_ACT_ERRNO', 65537, 'SCMP_ACT_ERRNO(1)'],
    ['SCMP_ACT_TRACE', 7, 'SCMP_ACT_TRACE(7)'],
    ['SCMP_ACT_NOTIFY', undefined, 'SCMP_ACT_NOTIFY'],
  ] as const)('%s(%s) is %s', (action, errnoRet, macro) => {
    expect(runcAction(action, errnoRet)).toBe(macro);
    expect(libseccompActionMacro(runcActionValue(action, errnoRet))).toBe(macro);
  });
});

describe('runc rule fates', () => {
  test('equals-default, unknown name (2.5.4 only), kept and split, in document order', () => {
    const p = profile([
      rule(0, { names: ['mount'], action: 'SCMP_ACT_ERRNO' }),
      rule(1, { names: ['mseal', 'read'], action: 'SCMP_ACT_ALLOW' }),
      rule(2, { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [eq(0, 1n), eq(0, 2n)] }),
    ]);
    expect(fates(p)).toEqual([
      ['/syscalls/0', 'mount', 'equals-default'],
      ['/syscalls/1', 'mseal', 'unknown-name'],
      ['/syscalls/1', 'read', 'kept'],
      ['/syscalls/2', 'personality', 'split'],
    ]);
    expect(fates(p, '2.6')[1]).toEqual(['/syscalls/1', 'mseal', 'kept']);
  });

  test('a split names the repeated index and the one-condition rules', () => {
    expect(splitConditions([eq(0, 1n), eq(1, 2n)])).toEqual({
      kind: 'kept',
      conditions: [eq(0, 1n), eq(1, 2n)],
    });
    expect(splitConditions([eq(1, 1n), eq(0, 2n), eq(1, 3n)])).toEqual({
      kind: 'split',
      index: 1,
      into: [[eq(1, 1n)], [eq(0, 2n)], [eq(1, 3n)]],
    });
  });

  test('an equal-to-default rule is skipped before it is validated; a bad one is refused where runc stops', () => {
    const skipped = profile([
      rule(0, { names: ['read'], action: 'SCMP_ACT_ERRNO', args: [eq(7, 0n)] }),
    ]);
    expect(fates(skipped)).toEqual([['/syscalls/0', 'read', 'equals-default']]);
    // runc's matchCall refuses an empty name before the comparison with the default (runc 1.1.5
    // under Docker: "empty string is not a valid syscall" for an ALLOW rule in an ALLOW profile).
    const empty = profile([rule(0, { names: [''], action: 'SCMP_ACT_ERRNO' })]);
    expect(() => fates(empty)).toThrow(ProfileError);
    const bad = profile([
      rule(0, { names: ['read'], action: 'SCMP_ACT_ALLOW' }),
      rule(1, { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [eq(7, 0n)] }),
    ]);
    const seen: string[] = [];
    expect(() => {
      for (const r of runcSeccomp(bad, { arch: 'x86_64', libseccomp: '2.5.4' }).rules())
        seen.push(r.name);
    }).toThrow(ProfileError);
    expect(seen).toEqual(['read']);
  });
});
