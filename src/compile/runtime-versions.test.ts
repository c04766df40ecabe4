import { describe, expect, test } from 'vitest';
import type { ModelProfile } from './build.js';
import {
  applyStackVersions,
  flattenedRuleCount,
  parseStackVersion,
  stackBehaviour,
  versionAtLeast,
} from './runtime-versions.js';

const v = (major: number, minor: number, patch = 0) => ({ major, minor, patch });

describe('parseStackVersion', () => {
  test.each([
    ['20.10.24+dfsg1', v(20, 10, 24)],
    ['runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev', v(1, 1, 5)],
    ['v1.2.0-rc.1', v(1, 2, 0)],
    ['28.2', v(28, 2, 0)],
  ])('%j', (text, want) => {
    expect(parseStackVersion(text)).toEqual(want);
  });
  test('no version', () => {
    expect(parseStackVersion('unknown')).toBeUndefined();
  });
});

describe('versionAtLeast', () => {
  test.each([
    [v(20, 10, 24), v(23, 0), false],
    [v(23, 0), v(23, 0), true],
    [v(1, 1, 15), v(1, 2), false],
    [v(1, 10), v(1, 2), true],
    [v(2, 0), v(1, 2), true],
  ])('%j >= %j is %s', (a, b, want) => {
    expect(versionAtLeast(a, b)).toBe(want);
  });
});

const rule = (names: string[]) => ({
  names,
  action: 'SCMP_ACT_ALLOW' as const,
  args: [],
  pointer: '/syscalls/0',
});

const profile: ModelProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 13,
  architectures: [],
  syscalls: [rule(Array.from({ length: 20 }, (_, i) => `s${i}`)), rule(['a', 'b', 'c'])],
};

describe('applyStackVersions', () => {
  test('Debian 12 (Docker 20.10.24, runc 1.1.5): defaultErrnoRet dropped, optimize 1', () => {
    const r = applyStackVersions(profile, { docker: v(20, 10, 24), runc: v(1, 1, 5) });
    expect(r.profile.defaultErrnoRet).toBeUndefined();
    expect(r.profile.syscalls).toBe(profile.syscalls);
    expect(r.planOptions.optimize).toBe(1);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/Docker 20\.10\.24 does not pass defaultErrnoRet \(13\)/);
  });
  test('current Docker and runc keep defaultErrnoRet; 23 rules stay linear', () => {
    const r = applyStackVersions(profile, { docker: v(28, 2, 2), runc: v(1, 2, 0) });
    expect(r.profile.defaultErrnoRet).toBe(13);
    expect(flattenedRuleCount(profile)).toBe(23);
    expect(r.planOptions.optimize).toBe(1);
    expect(r.notes).toEqual([]);
  });
  test('runc >= 1.2 with more than 32 flattened rules uses the binary tree', () => {
    const big = {
      ...profile,
      syscalls: [
        ...profile.syscalls,
        rule(['x'.repeat(3)]),
        rule(Array.from({ length: 9 }, (_, i) => `t${i}`)),
      ],
    };
    expect(flattenedRuleCount(big)).toBe(33);
    expect(applyStackVersions(big, { runc: v(1, 2, 0) }).planOptions.optimize).toBe(2);
    expect(applyStackVersions(big, { runc: v(1, 1, 5) }).planOptions.optimize).toBe(1);
  });
  test('unknown versions behave like current releases', () => {
    expect(stackBehaviour({})).toEqual({ dockerPassesDefaultErrnoRet: true, runcBinaryTree: true });
  });
});
