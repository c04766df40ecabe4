import { describe, expect, test } from 'vitest';
import { archInfo, syscallNumber } from '../arch/index.js';
import { decide } from '../compile/decide.js';
import { describeAction } from '../compile/explain.js';
import type { RuntimeVersions } from '../compile/runtime-versions.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';
import { loadProfile } from '../profile/index.js';
import { resolveProfile } from '../profile/resolve.js';
import { enginePlan, preparePolicy, type EnginePolicy } from './suite-engine.js';
import type { EngineName } from './probe.js';

/** A profile resolved by moby's logic (x86_64, Docker's caps, kernel 6.1), prepared for `stack`. */
function prepare(doc: object, stack?: RuntimeVersions): EnginePolicy {
  const text = JSON.stringify(doc);
  const resolved = resolveProfile(loadProfile('p.json', text).profile, {
    arch: 'x86_64',
    caps: DOCKER_DEFAULT_CAPABILITIES,
    kernel: { major: 6, minor: 1 },
  });
  if (resolved === null) throw new Error('no profile');
  return preparePolicy('p.json', text, resolved, 'x86_64', '2.5.4', stack);
}

/** What `engine`'s plan decides for a call of `nr` on x86_64. */
function decision(policy: EnginePolicy, engine: EngineName, nr: number): string {
  const data = {
    nr,
    arch: archInfo('x86_64').auditArch,
    instructionPointer: 0n,
    args: [0n, 0n, 0n, 0n, 0n, 0n] as const,
  };
  return describeAction(decide(enginePlan(policy, engine), data).value);
}

const ERRNO_38 = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }],
};
const DEBIAN: RuntimeVersions = {
  docker: { major: 20, minor: 10, patch: 24 },
  runc: { major: 1, minor: 1, patch: 5 },
};
const CURRENT_DOCKER: RuntimeVersions = { ...DEBIAN, docker: { major: 28, minor: 0, patch: 0 } };
/** Below the profile's largest number (exit_group), so runc's stub leaves it to the default. */
const close = syscallNumber('x86_64', 'close') ?? -1;

describe('preparePolicy: each engine decided by its own loader', () => {
  const stacks: Record<string, RuntimeVersions | undefined> = {
    'Docker 20.10': DEBIAN,
    'Docker 28.0': CURRENT_DOCKER,
    'the reference stack': undefined,
  };
  test.each<[string, EngineName, string]>([
    // Docker 20.10 drops defaultErrnoRet on its way to runc; sysgate's own loaders keep it.
    ['Docker 20.10', 'docker', 'ERRNO(1) EPERM'],
    ['Docker 20.10', 'bwrap', 'ERRNO(38) ENOSYS'],
    ['Docker 20.10', 'runc', 'ERRNO(38) ENOSYS'],
    ['Docker 20.10', 'crun', 'ERRNO(38) ENOSYS'],
    ['Docker 28.0', 'docker', 'ERRNO(38) ENOSYS'],
    ['Docker 28.0', 'bwrap', 'ERRNO(38) ENOSYS'],
    ['the reference stack', 'docker', 'ERRNO(38) ENOSYS'],
  ])('defaultErrnoRet 38 on %s: %s answers close with %s', (label, engine, want) => {
    const policy = prepare(ERRNO_38, stacks[label]);
    expect(decision(policy, engine, close)).toBe(want);
  });

  test('the Docker note is the Docker plan only', () => {
    const policy = prepare(ERRNO_38, DEBIAN);
    expect(policy.notes.docker?.join(' ')).toMatch(/does not pass defaultErrnoRet \(38\)/);
    expect(Object.keys(policy.notes)).toEqual(['docker']);
    // The OCI object runc and crun are given keeps the field.
    expect((policy.oci as { defaultErrnoRet?: number }).defaultErrnoRet).toBe(38);
  });

  test("runc's ENOSYS stub answers a number past the profile's largest; crun has no stub", () => {
    const policy = prepare({ ...ERRNO_38, defaultErrnoRet: 1 }, DEBIAN);
    expect(decision(policy, 'runc', 1000)).toBe('ERRNO(38) ENOSYS');
    expect(decision(policy, 'docker', 1000)).toBe('ERRNO(38) ENOSYS');
    expect(decision(policy, 'crun', 1000)).toBe('ERRNO(1) EPERM');
    // Below the largest listed number both take the default.
    expect(decision(policy, 'crun', close)).toBe('ERRNO(1) EPERM');
    expect(decision(policy, 'runc', close)).toBe('ERRNO(1) EPERM');
  });
});
