/**
 * What the stack's versions change in a decision, end to end (load, resolve as moby, apply the stack,
 * compile, explain): runc's native-arch ENOSYS stub (runc >= 1.2.0 / 1.1.15) and Docker's dropping of
 * defaultErrnoRet before 23.0. runc's own expectation comes from its integration test data
 * (test/fixtures/runc/README.md).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { archInfo } from '../arch/arches.js';
import { resolveProfile } from '../profile/resolve.js';
import { loadForRunc } from '../runc/check.js';
import { compileProfile } from './compile.js';
import { callData, explainSyscall, syscallNr } from './explain.js';
import { applyStackVersions, type RuntimeVersions } from './runtime-versions.js';

const v = (major: number, minor: number, patch = 0) => ({ major, minor, patch });
const host = { arch: 'x86_64' as const, caps: [], kernel: { major: 6, minor: 1 } };

/** The action text `explain` prints for `call(args)` on x86_64 under `stack`. */
function actionUnder(text: string, stack: RuntimeVersions, call: string, args: string[] = []) {
  const loaded = loadForRunc('p.json', text);
  const moby = resolveProfile(loaded.profile, host);
  if (moby === null) throw new Error('seccomp off');
  const profile = applyStackVersions(moby, stack).profile;
  const c = compileProfile(profile, { arch: 'x86_64', stack, stats: false });
  const abi = archInfo('x86_64');
  const e = explainSyscall(c.plan, c.program, callData(abi, syscallNr(abi, call), args), 'little');
  expect(e.bpfValue).toBe(e.value); // the emitted program agrees with the plan
  return e.actionText;
}

const readWrite = JSON.stringify({
  defaultAction: 'SCMP_ACT_ERRNO',
  syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
});
const withArches = JSON.stringify({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
});
const errnoRet = JSON.stringify({
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 13,
  syscalls: [{ names: ['read', 'write', 'openat'], action: 'SCMP_ACT_ALLOW' }],
});

describe('the stack decides', () => {
  test.each([
    // runc's native stub: a profile without architectures.
    ['read/write, no arches', readWrite, { runc: v(1, 1, 5) }, 'openat', 'ERRNO(1) EPERM'],
    ['read/write, no arches', readWrite, { runc: v(1, 1, 14) }, 'openat', 'ERRNO(1) EPERM'],
    ['read/write, no arches', readWrite, { runc: v(1, 1, 15) }, 'openat', 'ERRNO(38) ENOSYS'],
    ['read/write, no arches', readWrite, { runc: v(1, 2, 0) }, 'openat', 'ERRNO(38) ENOSYS'],
    ['read/write, no arches', readWrite, {}, 'openat', 'ERRNO(38) ENOSYS'],
    // Below the highest listed number the stub does not apply: read (0) is allowed, nr 0..1 only.
    ['read/write, no arches', readWrite, { runc: v(1, 2, 0) }, 'write', 'ALLOW'],
    // Listing the arch gives every runc the stub.
    ['x86_64 listed', withArches, { runc: v(1, 1, 5) }, 'openat', 'ERRNO(38) ENOSYS'],
    ['x86_64 listed', withArches, { runc: v(1, 2, 0) }, 'openat', 'ERRNO(38) ENOSYS'],
    // Docker before 23.0 drops defaultErrnoRet (moby/moby#42604): EPERM, not EACCES.
    [
      'defaultErrnoRet 13',
      errnoRet,
      { docker: v(20, 10, 24), runc: v(1, 1, 5) },
      'close',
      'ERRNO(1) EPERM',
    ],
    [
      'defaultErrnoRet 13',
      errnoRet,
      { docker: v(23, 0), runc: v(1, 1, 5) },
      'close',
      'ERRNO(13) EACCES',
    ],
  ] as const)('%s under %j: %s is %s', (_, text, stack, call, want) => {
    expect(actionUnder(text, stack, call)).toBe(want);
  });

  test("runc's seccomp_syscall_test1.json: syscall(1000) is ENOSYS under runc 1.2, EPERM under 1.1.5", () => {
    const text = readFileSync(
      resolve(import.meta.dirname, '../../test/fixtures/runc/seccomp_syscall_test1.json'),
      'utf8',
    );
    const args = ['0xDEADBEEF', '0xCAFEFEED', '0x1337'];
    expect(actionUnder(text, { runc: v(1, 2, 0) }, '1000', args)).toBe('ERRNO(38) ENOSYS');
    expect(actionUnder(text, { runc: v(1, 1, 5) }, '1000', args)).toBe('ERRNO(1) EPERM');
  });
});
