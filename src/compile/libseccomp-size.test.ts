/**
 * libseccomp-size.ts: the length of what libseccomp exports for a profile as runc uses it (measured on
 * the port, which model.itest.ts checks instruction for instruction against python3-seccomp), the
 * warning validate and lint give past BPF_MAXINSNS, and the syscalls it names.
 */
import { describe, expect, test } from 'vitest';
import { parseProfile } from '../profile/parse.js';
import { resolveProfile } from '../profile/resolve.js';
import type { ModelProfile, ModelSyscallRule } from './build.js';
import { libseccompProgram } from './libseccomp.js';
import { libseccompSize, libseccompSizeIssues, runcStubLength } from './libseccomp-size.js';

const cond = (index: number, value: bigint) => ({
  index,
  op: 'SCMP_CMP_EQ' as const,
  value,
  valueTwo: 0n,
});

/** `n` two-condition socket rules and `m` one-condition ioctl rules after a plain allowlist. */
function profile(n: number, m: number): ModelProfile {
  const rules: ModelSyscallRule[] = [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [], pointer: '/syscalls/0' },
  ];
  for (let i = 0; i < n; i++)
    rules.push({
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [cond(0, BigInt(i)), cond(1, BigInt(7 * i + 1))],
      pointer: `/syscalls/${rules.length}`,
    });
  for (let i = 0; i < m; i++)
    rules.push({
      names: ['ioctl'],
      action: 'SCMP_ACT_ALLOW',
      args: [cond(1, BigInt(0x5400 + i))],
      pointer: `/syscalls/${rules.length}`,
    });
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: rules,
  };
}

describe('libseccompSize', () => {
  test("runc's stub: ld arch, a jeq and ld nr per token, the x86_64/x32 split, ja, ret", () => {
    expect(runcStubLength([])).toBe(0);
    expect(runcStubLength(['x86_64', 'x32', 'x86'])).toBe(3 + 5 + 3);
    expect(runcStubLength(['aarch64'])).toBe(3 + 3);
    expect(runcStubLength(['s390x', 's390'])).toBe(3 + 4 + 4);
  });

  test.each([
    [10, 0],
    [0, 40],
    [30, 30],
  ])('%i socket and %i ioctl rules: the port program plus the stub, per level', (n, m) => {
    const p = profile(n, m);
    const s = libseccompSize(p, { arch: 'x86_64' });
    expect(s.stub).toBe(11);
    expect(s.level1).toBe(libseccompProgram(p, { arch: 'x86_64', optimize: 1 }).length + 11);
    expect(s.level2).toBe(libseccompProgram(p, { arch: 'x86_64', optimize: 2 }).length + 11);
    // The argument-filtered syscalls cost the most, on each ABI they are in.
    const top = s.costs[0];
    expect(top?.name).toBe(n >= m ? 'socket' : 'ioctl');
    expect(top?.pointers[0]).toBe('/syscalls/1');
    expect(s.costs.reduce((a, c) => a + c.instructions, 0)).toBeLessThanOrEqual(s.level1);
  });
});

describe('libseccompSizeIssues', () => {
  const doc = (n: number, m: number) => {
    const p = profile(n, m);
    const text = JSON.stringify({
      defaultAction: p.defaultAction,
      architectures: p.architectures,
      syscalls: p.syscalls.map((r) => ({
        names: r.names,
        action: r.action,
        args: r.args.map((a) => ({ index: a.index, value: Number(a.value), op: a.op })),
      })),
    });
    return parseProfile(text, 'p.json').profile;
  };
  const host = { caps: [], kernel: { major: 6, minor: 1 }, arch: 'x86_64' as const };

  test('a profile that fits: nothing', () => {
    expect(libseccompSizeIssues(doc(100, 100), host)).toEqual([]);
  });

  test('700 two-condition rules pass 4,096 at both levels: a warning at the costliest rule', () => {
    const issues = libseccompSizeIssues(doc(700, 5), host);
    expect(issues).toHaveLength(1);
    const [i] = issues;
    expect(i?.code).toBe('libseccomp-too-long');
    expect(i?.severity).toBe('warning');
    expect(i?.pointer).toBe('/syscalls/1');
    expect(i?.message).toMatch(
      /^on x86_64 libseccomp, as runc uses it, exports \d+ at optimize 1 \(runc 1\.1\) and \d+ at optimize 2 \(runc >= 1\.2\) instructions with runc's ENOSYS stub, more than BPF_MAXINSNS \(4096\): the kernel refuses the filter and the container does not start\. Most instructions: socket on x86_64 \d+ \(700 rules from \/syscalls\/1\), socket on x32 \d+ \(700 rules from \/syscalls\/1\), socketcall on x86 \d+ \(700 rules from \/syscalls\/1\);/,
    );
    const resolved = resolveProfile(doc(700, 5), host);
    if (resolved === null) throw new Error('no seccomp');
    const s = libseccompSize(resolved, { arch: 'x86_64' });
    expect(s.level1).toBeGreaterThan(4096);
    expect(i?.message).toContain(`exports ${s.level1} at optimize 1`);
  });
});
