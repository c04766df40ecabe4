import { describe, expect, test } from 'vitest';
import type { ModelProfile } from './build.js';
import {
  applyStackVersions,
  flattenedRuleCount,
  parseStackVersion,
  RUNC_STUB_NATIVE_SINCE,
  STACK_DIFFERENCES,
  stackBehaviour,
  versionAtLeast,
  versionHas,
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
    expect(stackBehaviour({})).toEqual({
      dockerPassesDefaultErrnoRet: true,
      runcBinaryTree: true,
      runcStubCoversNative: true,
    });
  });
  test('runc 1.2 without architectures: the native stub is on', () => {
    expect(applyStackVersions(profile, { runc: v(1, 2, 0) }).planOptions.stubNative).toBe(true);
    expect(applyStackVersions(profile, { runc: v(1, 1, 5) }).planOptions.stubNative).toBe(false);
  });
});

describe('each version difference, per release', () => {
  // [component, version, behaviour, expected]; the boundaries are the releases named in STACK_DIFFERENCES.
  test.each([
    ['docker', v(20, 10, 24), 'dockerPassesDefaultErrnoRet', false],
    ['docker', v(22, 6), 'dockerPassesDefaultErrnoRet', false],
    ['docker', v(23, 0), 'dockerPassesDefaultErrnoRet', true],
    ['docker', v(28, 0), 'dockerPassesDefaultErrnoRet', true],
    ['runc', v(1, 1, 5), 'runcBinaryTree', false],
    ['runc', v(1, 1, 15), 'runcBinaryTree', false],
    ['runc', v(1, 2, 0), 'runcBinaryTree', true],
    ['runc', v(1, 0, 3), 'runcStubCoversNative', false],
    ['runc', v(1, 1, 0), 'runcStubCoversNative', false],
    ['runc', v(1, 1, 5), 'runcStubCoversNative', false],
    ['runc', v(1, 1, 14), 'runcStubCoversNative', false],
    ['runc', v(1, 1, 15), 'runcStubCoversNative', true],
    ['runc', v(1, 2, 0), 'runcStubCoversNative', true],
    ['runc', v(1, 5, 1), 'runcStubCoversNative', true],
    ['runc', v(2, 0), 'runcStubCoversNative', true],
  ] as const)('%s %j: %s is %s', (component, version, behaviour, want) => {
    expect(stackBehaviour({ [component]: version })[behaviour]).toBe(want);
  });

  test('every difference names its release and an upstream commit or pull request', () => {
    for (const d of STACK_DIFFERENCES) {
      expect(d.since.length).toBeGreaterThan(0);
      expect(d.source).toMatch(/[0-9a-f]{12}|#\d+/);
      expect(Object.keys(stackBehaviour({}))).toContain(d.behaviour);
    }
  });

  test('versionHas: a backport covers its own line only', () => {
    const since = RUNC_STUB_NATIVE_SINCE;
    expect(versionHas(v(1, 1, 20), since)).toBe(true);
    expect(versionHas(v(1, 0, 99), since)).toBe(false);
    expect(versionHas(v(1, 2, 0), since)).toBe(true);
  });
});
